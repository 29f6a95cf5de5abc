--TEST--
A sockguard.deny value that does not parse makes every operation fail closed with a config reason
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.deny=10.0.0.0/8
--FILE--
<?php
var_dump(socket_create(AF_INET, SOCK_STREAM, SOL_TCP));
var_dump(fsockopen("93.184.216.34", 80, $errno, $errstr, 2), $errno);
var_dump(@file_get_contents("http://93.184.216.34/"));
var_dump(sockguard_check("93.184.216.34", 80)["code"]);
?>
--EXPECTF--
sockguard: invalid sockguard.deny: rule "10.0.0.0/8" has no port (write "10.0.0.0/8:*" for every port); every connection is denied

Warning: socket_create(): Unable to create socket [13]: Permission denied (sockguard: invalid sockguard.deny: %s) in %s on line %d
bool(false)

Warning: fsockopen(): Unable to connect to 93.184.216.34:80 (sockguard: invalid sockguard.deny: %s) in %s on line %d
bool(false)
int(13)
bool(false)
string(6) "config"

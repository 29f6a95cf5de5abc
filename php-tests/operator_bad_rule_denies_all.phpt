--TEST--
A sockguard.deny value that does not parse makes every connection fail closed with a config reason
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.deny=10.0.0.0/8
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
var_dump(tcp_connect("93.184.216.34", 80));
var_dump(sockguard_check("93.184.216.34", 80)["code"]);
?>
--EXPECTF--
sockguard: invalid sockguard.deny: rule "10.0.0.0/8" has no port (write "10.0.0.0/8:*" for every port); every connection is denied

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: invalid sockguard.deny: %s) in %s on line %d
bool(false)
string(6) "config"

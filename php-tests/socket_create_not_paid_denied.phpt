--TEST--
sockguard.paid_app=0 denies creating sockets with the Sockets API, and the dry run agrees for each caller
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.paid_app=0
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
var_dump(socket_create(AF_INET, SOCK_STREAM, SOL_TCP));
var_dump(socket_create_listen(8081));
[$ai] = socket_addrinfo_lookup("93.184.216.34", "80", ["ai_socktype" => SOCK_STREAM]);
var_dump(socket_addrinfo_connect($ai));
var_dump(socket_create_pair(AF_UNIX, SOCK_STREAM, 0, $pair));
// The dry run answers for the caller it is asked about, as the real calls do.
var_dump(sockguard_check("93.184.216.34", 80, "tcp", "sockets")["code"]);
var_dump(sockguard_check("93.184.216.34", 80)["allowed"], sockguard_check("93.184.216.34", 80, "tcp", "library")["allowed"]);
?>
--EXPECTF--

Warning: socket_create(): Unable to create socket [13]: Permission denied (sockguard: sockets are available only to paid apps) in %s on line %d
bool(false)

Warning: socket_create_listen(): unable to listen on socket [13]: Permission denied (sockguard: sockets are available only to paid apps) in %s on line %d
bool(false)

Warning: socket_addrinfo_connect(): Unable to connect address [13]: Permission denied (sockguard: sockets are available only to paid apps) in %s on line %d
bool(false)

Warning: socket_create_pair(): Unable to create socket pair [13]: Permission denied (sockguard: sockets are available only to paid apps) in %s on line %d
bool(false)
string(8) "not-paid"
bool(true)
bool(true)

--TEST--
socket_addrinfo_connect checks the resolved address; socket_addrinfo_bind only the wildcard with port 0
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
$hints = ["ai_socktype" => SOCK_STREAM, "ai_family" => AF_INET];
[$public] = socket_addrinfo_lookup("public.sockguard.test", "80", $hints);
var_dump(socket_addrinfo_connect($public) instanceof Socket);
[$private] = socket_addrinfo_lookup("10.20.30.40", "80", $hints);
var_dump(socket_addrinfo_connect($private));
var_dump(socket_last_error());
[$any] = socket_addrinfo_lookup("0.0.0.0", "0", $hints);
var_dump(socket_addrinfo_bind($any) instanceof Socket);
[$port] = socket_addrinfo_lookup("0.0.0.0", "8081", $hints);
var_dump(socket_addrinfo_bind($port));
?>
--EXPECTF--
bool(true)

Warning: socket_addrinfo_connect(): Unable to connect address [13]: Permission denied (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)
int(13)
bool(true)

Warning: socket_addrinfo_bind(): Unable to bind address [13]: Permission denied (sockguard: binding to 0.0.0.0:8081 is not allowed) in %s on line %d
bool(false)

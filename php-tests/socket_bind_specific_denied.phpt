--TEST--
socket_bind is allowed only to the wildcard address with port 0
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
$s = socket_create(AF_INET, SOCK_DGRAM, SOL_UDP);
var_dump(socket_bind($s, "0.0.0.0", 0));
var_dump(socket_bind(socket_create(AF_INET, SOCK_STREAM, SOL_TCP), "0", 0));
var_dump(socket_bind(socket_create(AF_INET6, SOCK_STREAM, SOL_TCP), "::"));
var_dump(socket_bind(socket_create(AF_INET, SOCK_STREAM, SOL_TCP), "0.0.0.0", 8081));
var_dump(socket_bind(socket_create(AF_INET, SOCK_STREAM, SOL_TCP), "127.0.0.1", 0));
var_dump(socket_bind(socket_create(AF_INET, SOCK_STREAM, SOL_TCP), "93.184.216.34"));
var_dump(socket_bind(socket_create(AF_INET6, SOCK_STREAM, SOL_TCP), "::1", 0));
var_dump(socket_bind(socket_create(AF_INET, SOCK_STREAM, SOL_TCP), "localhost", 0));
?>
--EXPECTF--
bool(true)
bool(true)
bool(true)

Warning: socket_bind(): Unable to bind address [13]: Permission denied (sockguard: binding to 0.0.0.0:8081 is not allowed) in %s on line %d
bool(false)

Warning: socket_bind(): Unable to bind address [13]: Permission denied (sockguard: binding to 127.0.0.1:0 is not allowed) in %s on line %d
bool(false)

Warning: socket_bind(): Unable to bind address [13]: Permission denied (sockguard: binding to 93.184.216.34:0 is not allowed) in %s on line %d
bool(false)

Warning: socket_bind(): Unable to bind address [13]: Permission denied (sockguard: binding to [::1]:0 is not allowed) in %s on line %d
bool(false)

Warning: socket_bind(): Unable to bind address [13]: Permission denied (sockguard: binding to localhost:0 is not allowed) in %s on line %d
bool(false)

--TEST--
socket_connect to port 25 is denied on any destination, also when the port wraps to 25
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
echo probe_without_sockguard("tcp://93.184.216.34:25"), "\n";
var_dump(tcp_connect("93.184.216.34", 25));
var_dump(tcp_connect("93.184.216.34", 65536 + 25));
var_dump(tcp_connect("93.184.216.34", 587));
?>
--EXPECTF--
open

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: port 25 is blocked) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: port 25 is blocked) in %s on line %d
bool(false)
bool(true)

--TEST--
socket_connect with a host name resolves once, checks every address and connects to the checked one
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
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
var_dump(socket_connect($s, "public.sockguard.test", 80));
socket_getpeername($s, $addr, $port);
var_dump($addr, $port);
var_dump(tcp_connect("private.sockguard.test", 80));
// One of its two addresses is private: the name is denied.
var_dump(tcp_connect("mixed.sockguard.test", 80));
var_dump(tcp_connect("nonexistent.sockguard.test", 80));
var_dump(socket_last_error());
?>
--EXPECTF--
bool(true)
string(13) "93.184.216.34"
int(80)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: cannot resolve nonexistent.sockguard.test: %s) in %s on line %d
bool(false)
int(13)

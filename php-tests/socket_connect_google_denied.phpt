--TEST--
socket_connect to Google's published ranges is denied, IPv4 and IPv6
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
echo probe_without_sockguard("tcp://142.250.1.108:443"), "\n";
echo probe_without_sockguard("tcp://[2607:f8b0:4004:800::200e]:443"), "\n";
var_dump(tcp_connect("142.250.1.108", 443));
var_dump(tcp_connect("2607:f8b0:4004:800::200e", 443, AF_INET6));
var_dump(tcp_connect("google.sockguard.test", 443));
?>
--EXPECTF--
open
open

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 142.250.1.108 is in a Google range: 142.250.0.0/15) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 2607:f8b0:4004:800::200e is in a Google range: 2607:f8b0::/32) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 142.250.1.108 is in a Google range: 142.250.0.0/15) in %s on line %d
bool(false)

--TEST--
socket_connect on AF_INET6 denies loopback, ULA, documentation and embedded private IPv4, allows public IPv6
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
echo probe_without_sockguard("tcp://[fd00::10]:80"), "\n";
foreach (["::1", "fd00::10", "2001:db8::10", "::ffff:10.20.30.40", "::ffff:0a14:1e28", "10.20.30.40", "64:ff9b::a14:1e28"] as $ip) {
    var_dump(tcp_connect($ip, 80, AF_INET6));
}
var_dump(tcp_connect("2606:4700:4700::1111", 80, AF_INET6));
var_dump(tcp_connect("public6.sockguard.test", 80, AF_INET6));
?>
--EXPECTF--
open

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: ::1 is in a blocked range: loopback ::1/128) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: fd00::10 is in a blocked range: unique-local fc00::/7) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 2001:db8::10 is in a blocked range: documentation 2001:db8::/32) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: ::ffff:10.20.30.40 embeds 10.20.30.40, which is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: ::ffff:10.20.30.40 embeds 10.20.30.40, which is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 64:ff9b::a14:1e28 embeds 10.20.30.40, which is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)
bool(true)
bool(true)

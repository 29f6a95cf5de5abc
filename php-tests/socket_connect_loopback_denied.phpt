--TEST--
socket_connect to loopback is denied, in every IPv4 spelling libc accepts
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
echo probe_without_sockguard("tcp://127.0.0.1:80"), "\n";
foreach (["127.0.0.1", "127.1", "0x7f.1", "0x7F.0.0.1", "017700000001", "2130706433", "0177.0.0.01", "127.0.0.1\0.public.sockguard.test"] as $spelling) {
    var_dump(tcp_connect($spelling, 80));
}
var_dump(socket_last_error());
?>
--EXPECTF--
open

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8) in %s on line %d
bool(false)
int(13)

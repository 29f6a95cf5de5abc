--TEST--
Google public DNS is allowed on port 53 over TCP and UDP, and only there
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
var_dump(tcp_connect("8.8.8.8", 53));
var_dump(tcp_connect("8.8.4.4", 53));
var_dump(tcp_connect("2001:4860:4860::8888", 53, AF_INET6));
$u = socket_create(AF_INET, SOCK_DGRAM, SOL_UDP);
var_dump(socket_sendto($u, "ping", 4, 0, "8.8.8.8", 53));
socket_recvfrom($u, $buf, 16, 0, $from, $port);
var_dump($buf, $from, $port);
echo probe_without_sockguard("tcp://8.8.8.8:80"), "\n";
var_dump(tcp_connect("8.8.8.8", 80));
var_dump(socket_sendto($u, "ping", 4, 0, "8.8.8.8", 8053));
?>
--EXPECTF--
bool(true)
bool(true)
bool(true)
int(4)
string(4) "ping"
string(7) "8.8.8.8"
int(53)
open

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 8.8.8.8 is in a Google range: 8.8.8.0/24) in %s on line %d
bool(false)

Warning: socket_sendto(): Unable to write to socket [13]: Permission denied (sockguard: 8.8.8.8 is in a Google range: 8.8.8.0/24) in %s on line %d
bool(false)

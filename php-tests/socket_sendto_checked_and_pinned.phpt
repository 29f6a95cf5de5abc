--TEST--
socket_sendto checks the destination of every datagram and sends to the checked address
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
echo probe_without_sockguard("udp://10.20.30.40:8053"), "\n";
$u = socket_create(AF_INET, SOCK_DGRAM, SOL_UDP);
var_dump(socket_sendto($u, "ping", 4, 0, "public.sockguard.test", 8053));
socket_recvfrom($u, $buf, 16, 0, $from, $port);
var_dump($buf, $from, $port);
var_dump(socket_sendto($u, "ping", 4, 0, "10.20.30.40", 8053));
var_dump(socket_sendto($u, "ping", 4, 0, "private.sockguard.test", 8053));
var_dump(socket_sendto($u, "ping", 4, 0, "93.184.216.34", 25));
var_dump(socket_last_error($u));
?>
--EXPECTF--
open
int(4)
string(4) "ping"
string(13) "93.184.216.34"
int(8053)

Warning: socket_sendto(): Unable to write to socket [13]: Permission denied (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_sendto(): Unable to write to socket [13]: Permission denied (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_sendto(): Unable to write to socket [13]: Permission denied (sockguard: port 25 is blocked) in %s on line %d
bool(false)
int(13)

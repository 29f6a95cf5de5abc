--TEST--
stream_socket_sendto with an address checks it and sends to the checked address
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
$u = stream_socket_client("udp://public.sockguard.test:8053", $errno, $errstr, 2);
var_dump(stream_socket_sendto($u, "ping", 0, "10.20.30.40:8053"));
var_dump(stream_socket_sendto($u, "ping", 0, "93.184.216.34:65561"));
var_dump(stream_socket_sendto($u, "pong", 0, "public.sockguard.test:8053"));
var_dump(fread($u, 4));
?>
--EXPECTF--

Warning: stream_socket_sendto(): Unable to send to 10.20.30.40:8053 (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)

Warning: stream_socket_sendto(): Unable to send to 93.184.216.34:65561 (sockguard: port 25 is blocked) in %s on line %d
bool(false)
int(4)
string(4) "pong"

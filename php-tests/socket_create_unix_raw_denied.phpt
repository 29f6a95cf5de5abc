--TEST--
socket_create allows only TCP and UDP over IPv4/IPv6: unix, raw and SCTP sockets are denied
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
var_dump(socket_create(AF_INET, SOCK_STREAM, SOL_TCP) instanceof Socket);
var_dump(socket_create(AF_INET6, SOCK_DGRAM, SOL_UDP) instanceof Socket);
var_dump(socket_create(AF_INET, SOCK_STREAM, 0) instanceof Socket);
var_dump(socket_create(AF_UNIX, SOCK_STREAM, 0));
var_dump(socket_last_error());
socket_clear_error();
var_dump(socket_create(AF_INET, SOCK_RAW, 1));
var_dump(socket_create(AF_INET, SOCK_STREAM, 132));
var_dump(socket_create(AF_INET, SOCK_SEQPACKET, 0));
?>
--EXPECTF--
bool(true)
bool(true)
bool(true)

Warning: socket_create(): Unable to create socket [13]: Permission denied (sockguard: transport unix is not allowed) in %s on line %d
bool(false)
int(13)

Warning: socket_create(): Unable to create socket [13]: Permission denied (sockguard: transport raw is not allowed) in %s on line %d
bool(false)

Warning: socket_create(): Unable to create socket [13]: Permission denied (sockguard: transport sctp is not allowed) in %s on line %d
bool(false)

Warning: socket_create(): Unable to create socket [13]: Permission denied (sockguard: transport seqpacket is not allowed) in %s on line %d
bool(false)

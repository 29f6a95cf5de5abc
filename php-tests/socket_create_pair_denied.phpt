--TEST--
socket_create_pair is denied: socket pairs are not TCP or UDP connections
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
var_dump(socket_create_pair(AF_UNIX, SOCK_STREAM, 0, $pair), $pair ?? null, socket_last_error());
?>
--EXPECTF--

Warning: socket_create_pair(): Unable to create socket pair [13]: Permission denied (sockguard: transport unix is not allowed) in %s on line %d
bool(false)
NULL
int(13)

--TEST--
Listening is denied: socket_create_listen, socket_listen and socket_accept
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
var_dump(socket_create_listen(8081));
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
var_dump(socket_bind($s, "0.0.0.0", 0));
var_dump(socket_listen($s, 5));
var_dump(socket_accept($s));
var_dump(socket_last_error($s));
?>
--EXPECTF--

Warning: socket_create_listen(): unable to listen on socket [13]: Permission denied (sockguard: listening sockets are not allowed) in %s on line %d
bool(false)
bool(true)

Warning: socket_listen(): unable to listen on socket [13]: Permission denied (sockguard: listening sockets are not allowed) in %s on line %d
bool(false)

Warning: socket_accept(): unable to accept incoming connection [13]: Permission denied (sockguard: listening sockets are not allowed) in %s on line %d
bool(false)
int(13)

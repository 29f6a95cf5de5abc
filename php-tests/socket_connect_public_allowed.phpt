--TEST--
socket_connect to a public address connects and talks to the real server
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
var_dump(socket_connect($s, "93.184.216.34", 80));
socket_write($s, "GET / HTTP/1.0\r\n\r\n");
$reply = "";
while (($chunk = socket_read($s, 1024)) !== "" && $chunk !== false) { $reply .= $chunk; }
echo strstr($reply, "hello from");
var_dump(socket_last_error($s));
?>
--EXPECTF--
bool(true)
hello from 93.184.216.34:80
int(0)

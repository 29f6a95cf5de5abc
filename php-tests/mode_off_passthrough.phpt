--TEST--
sockguard.mode=off makes every hook a pass-through
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode="off"
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
var_dump(tcp_connect("10.20.30.40", 80));
var_dump(tcp_connect("93.184.216.34", 25));
var_dump(socket_create(AF_UNIX, SOCK_STREAM, 0) instanceof Socket);
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
var_dump(socket_set_option($s, SOL_SOCKET, SO_BROADCAST, 1));
var_dump(socket_get_option($s, SOL_SOCKET, SO_RCVBUF) !== 2097152);
var_dump(sockguard_check("10.20.30.40", 80)["mode"]);
?>
--EXPECTF--
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
string(3) "off"

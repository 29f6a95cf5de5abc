--TEST--
sockguard.passthrough_options hands the named options to the OS
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.passthrough_options=SO_RCVTIMEO,SO_RCVBUF
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
var_dump(socket_set_option($s, SOL_SOCKET, SO_RCVTIMEO, ["sec" => 3, "usec" => 0]));
var_dump(socket_get_option($s, SOL_SOCKET, SO_RCVTIMEO));
var_dump(socket_set_option($s, SOL_SOCKET, SO_RCVBUF, 8192));
// The kernel doubles the value it was given: the OS answered, not the mock.
var_dump(socket_get_option($s, SOL_SOCKET, SO_RCVBUF));
var_dump(socket_get_option($s, SOL_SOCKET, SO_SNDBUF));
?>
--EXPECTF--
bool(true)
array(2) {
  ["sec"]=>
  int(3)
  ["usec"]=>
  int(0)
}
bool(true)
int(16384)
int(2097152)

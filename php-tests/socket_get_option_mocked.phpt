--TEST--
socket_get_option returns App Engine's fixed values for the eight mocked options, keyed by level and option
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
foreach (["SO_KEEPALIVE" => [SOL_SOCKET, SO_KEEPALIVE], "SO_DEBUG" => [SOL_SOCKET, SO_DEBUG],
          "TCP_NODELAY" => [SOL_TCP, TCP_NODELAY], "SO_OOBINLINE" => [SOL_SOCKET, SO_OOBINLINE],
          "SO_SNDBUF" => [SOL_SOCKET, SO_SNDBUF], "SO_RCVBUF" => [SOL_SOCKET, SO_RCVBUF],
          "SO_REUSEADDR" => [SOL_SOCKET, SO_REUSEADDR]] as $name => [$level, $opt]) {
    echo $name, " => ", var_export(socket_get_option($s, $level, $opt), true), "\n";
}
var_dump(socket_get_option($s, SOL_SOCKET, SO_LINGER));
// The alias is guarded too.
var_dump(socket_getopt($s, SOL_SOCKET, SO_SNDBUF));
// SO_ERROR reads reach the OS.
var_dump(socket_get_option($s, SOL_SOCKET, SO_ERROR));
// SO_KEEPALIVE asked at SOL_TCP is not the mocked option.
var_dump(socket_get_option($s, SOL_TCP, SO_KEEPALIVE));
var_dump(socket_get_option($s, SOL_SOCKET, SO_BROADCAST));
var_dump(socket_last_error($s));
?>
--EXPECTF--
SO_KEEPALIVE => 0
SO_DEBUG => 128
TCP_NODELAY => 0
SO_OOBINLINE => 0
SO_SNDBUF => 2097152
SO_RCVBUF => 2097152
SO_REUSEADDR => 1
array(2) {
  ["l_onoff"]=>
  int(0)
  ["l_linger"]=>
  int(0)
}
int(2097152)
int(0)

Warning: socket_get_option(): Unable to retrieve socket option [13]: Permission denied (sockguard: option TCP_DEFER_ACCEPT is not supported) in %s on line %d
bool(false)

Warning: socket_get_option(): Unable to retrieve socket option [13]: Permission denied (sockguard: option SO_BROADCAST is not supported) in %s on line %d
bool(false)
int(13)

--TEST--
stream_socket_server is denied: listening is not allowed over tcp, udp or unix
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
foreach (["tcp://0.0.0.0:8082", "udp://0.0.0.0:8083", "tcp://[::]:0", "unix:///tmp/sockguard-test.sock"] as $url) {
    $flags = str_starts_with($url, "udp") ? STREAM_SERVER_BIND : STREAM_SERVER_BIND | STREAM_SERVER_LISTEN;
    var_dump(stream_socket_server($url, $errno, $errstr, $flags), $errstr);
}
var_dump(file_exists("/tmp/sockguard-test.sock"));
?>
--EXPECTF--

Warning: stream_socket_server(): Unable to connect to tcp://0.0.0.0:8082 (sockguard: listening sockets are not allowed) in %s on line %d
bool(false)
string(44) "sockguard: listening sockets are not allowed"

Warning: stream_socket_server(): Unable to connect to udp://0.0.0.0:8083 (sockguard: listening sockets are not allowed) in %s on line %d
bool(false)
string(44) "sockguard: listening sockets are not allowed"

Warning: stream_socket_server(): Unable to connect to tcp://[::]:0 (sockguard: listening sockets are not allowed) in %s on line %d
bool(false)
string(44) "sockguard: listening sockets are not allowed"

Warning: stream_socket_server(): Unable to connect to unix:///tmp/sockguard-test.sock (sockguard: listening sockets are not allowed) in %s on line %d
bool(false)
string(44) "sockguard: listening sockets are not allowed"
bool(false)

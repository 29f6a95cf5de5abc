--TEST--
stream_socket_client to allowed destinations works: tcp, udp to DNS, async connect
--EXTENSIONS--
sockguard
sockets
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
$c = stream_socket_client("tcp://public.sockguard.test:80", $errno, $errstr, 2);
fwrite($c, "GET / HTTP/1.0\r\n\r\n");
echo strstr(stream_get_contents($c), "hello");
$u = stream_socket_client("udp://8.8.8.8:53", $errno, $errstr, 2);
fwrite($u, "ping");
var_dump(fread($u, 4));
$a = stream_socket_client("tcp://93.184.216.34:9000", $errno, $errstr, 2, STREAM_CLIENT_CONNECT | STREAM_CLIENT_ASYNC_CONNECT);
$r = [$a]; $w = $e = null;
var_dump(stream_select($r, $w, $e, 2), trim(fgets($a)));
// The stream is still a plain socket stream: socket_import_stream accepts it.
var_dump(socket_import_stream($c) instanceof Socket);
?>
--EXPECTF--
hello from 93.184.216.34:80
string(4) "ping"
int(1)
string(37) "220 sockguard-test 93.184.216.34:9000"
bool(true)

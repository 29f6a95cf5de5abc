--TEST--
A stream context bindto other than the wildcard with port 0 is a denied bind
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
// "0" has no port: xp_socket.c binds nothing (Symfony's default).
foreach (["0", "0:0", "0.0.0.0:0", "[::]:0", "127.0.0.1:0", "0.0.0.0:8084"] as $bindto) {
    $ctx = stream_context_create(["socket" => ["bindto" => $bindto]]);
    $c = @stream_socket_client("tcp://93.184.216.34:80", $errno, $errstr, 2, STREAM_CLIENT_CONNECT, $ctx);
    printf("%s %s %s\n", $bindto, $c ? "connected" : "denied", $errstr);
}
?>
--EXPECTF--
0 connected 
0:0 connected 
0.0.0.0:0 connected 
[::]:0 connected 
127.0.0.1:0 denied sockguard: binding to 127.0.0.1:0 is not allowed
0.0.0.0:8084 denied sockguard: binding to 0.0.0.0:8084 is not allowed

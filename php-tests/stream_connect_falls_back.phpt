--TEST--
A name with several checked addresses falls back to the next one when a connect is refused, as stock PHP does
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
// fallback.sockguard.test is 2606:4700:4700::1111 (refuses port 9001) and
// 93.184.216.34 (answers it).
echo probe_without_sockguard('tcp://fallback.sockguard.test:9001'), "\n";
$f = fsockopen('fallback.sockguard.test', 9001, $errno, $errstr, 2);
var_dump(stream_socket_get_name($f, true));
echo fgets($f);
$c = stream_socket_client('tcp://fallback.sockguard.test:9001', $errno, $errstr, 2);
var_dump(stream_socket_get_name($c, true));
// Nothing answers port 9002 at either address: the last error stands.
var_dump(@fsockopen('fallback.sockguard.test', 9002, $errno, $errstr, 2), $errno, $errstr);
?>
--EXPECT--
open
string(18) "93.184.216.34:9001"
220 sockguard-test 93.184.216.34:9001
string(18) "93.184.216.34:9001"
bool(false)
int(111)
string(18) "Connection refused"

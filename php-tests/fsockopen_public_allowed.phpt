--TEST--
fsockopen to a public host name connects to the checked address and works as in stock PHP
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
$f = fsockopen("public.sockguard.test", 80, $errno, $errstr, 2);
fwrite($f, "GET / HTTP/1.0\r\n\r\n");
echo strstr(stream_get_contents($f), "hello");
var_dump(stream_socket_get_name($f, true));
$f = fsockopen("[2606:4700:4700::1111]", 8080, $errno, $errstr, 2);
var_dump(stream_socket_get_name($f, true));
$p = pfsockopen("public.sockguard.test", 9000, $errno, $errstr, 2);
echo fgets($p);
?>
--EXPECTF--
hello from 93.184.216.34:80
string(16) "93.184.216.34:80"
string(27) "[2606:4700:4700::1111]:8080"
220 sockguard-test 93.184.216.34:9000

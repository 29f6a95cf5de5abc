--TEST--
The http:// wrapper fails with the reason for a blocked host and works for a public one, redirects included
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
var_dump(@file_get_contents("http://10.20.30.40/"));
echo error_get_last()["message"], "\n";
var_dump(@file_get_contents("http://metadata.sockguard.test/computeMetadata/v1/"));
echo error_get_last()["message"], "\n";
var_dump(@fopen("http://[::1]/", "r"));
echo error_get_last()["message"], "\n";
var_dump(@copy("http://127.0.0.1:8080/", "/dev/null"));
echo error_get_last()["message"], "\n";
echo file_get_contents("http://public.sockguard.test/");
?>
--EXPECTF--
bool(false)
file_get_contents(http://10.20.30.40/): Failed to open stream: sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
bool(false)
file_get_contents(http://metadata.sockguard.test/computeMetadata/v1/): Failed to open stream: sockguard: 169.254.169.254 is in a blocked range: link-local 169.254.0.0/16
bool(false)
fopen(http://[::1]/): Failed to open stream: sockguard: ::1 is in a blocked range: loopback ::1/128
bool(false)
copy(http://127.0.0.1:8080/): Failed to open stream: sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8
hello from 93.184.216.34:80

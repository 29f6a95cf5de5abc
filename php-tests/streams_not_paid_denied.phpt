--TEST--
sockguard.paid_app=0 denies fsockopen and stream_socket_client while URL wrappers keep working under the range rules
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.paid_app=0
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
var_dump(fsockopen("public.sockguard.test", 80, $errno, $errstr, 2), $errno);
var_dump(stream_socket_client("tcp://public.sockguard.test:80", $errno, $errstr, 2));
echo file_get_contents("http://public.sockguard.test/");
var_dump(@file_get_contents("http://10.20.30.40/"));
echo error_get_last()["message"], "\n";
?>
--EXPECTF--

Warning: fsockopen(): Unable to connect to public.sockguard.test:80 (sockguard: sockets are available only to paid apps) in %s on line %d
bool(false)
int(13)

Warning: stream_socket_client(): Unable to connect to tcp://public.sockguard.test:80 (sockguard: sockets are available only to paid apps) in %s on line %d
bool(false)
hello from 93.184.216.34:80
bool(false)
file_get_contents(http://10.20.30.40/): Failed to open stream: sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8

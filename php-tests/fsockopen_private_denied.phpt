--TEST--
fsockopen to a private address fails like a failed connect, with errno 13 and the reason
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
echo probe_without_sockguard("tcp://10.20.30.40:80"), "\n";
var_dump(fsockopen("10.20.30.40", 80, $errno, $errstr, 2), $errno, $errstr);
var_dump(fsockopen("tcp://private.sockguard.test", 80, $errno, $errstr, 2));
var_dump(pfsockopen("169.254.169.254", 80, $errno, $errstr, 2), $errno);
?>
--EXPECTF--
open

Warning: fsockopen(): Unable to connect to 10.20.30.40:80 (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)
int(13)
string(68) "sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8"

Warning: fsockopen(): Unable to connect to tcp://private.sockguard.test:80 (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)

Warning: pfsockopen(): Unable to connect to 169.254.169.254:80 (sockguard: 169.254.169.254 is in a blocked range: link-local 169.254.0.0/16) in %s on line %d
bool(false)
int(13)

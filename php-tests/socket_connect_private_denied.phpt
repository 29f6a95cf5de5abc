--TEST--
socket_connect to a private address is denied with EACCES, though a server answers there
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
echo probe_without_sockguard('tcp://10.20.30.40:80'), "\n";
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
var_dump(socket_connect($s, '10.20.30.40', 80));
var_dump(socket_last_error(), socket_last_error($s));
?>
--EXPECTF--
open

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)
int(13)
int(13)

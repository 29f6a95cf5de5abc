--TEST--
sockguard.allow opens a blocked destination on the named ports only; sockguard.deny wins over it
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.allow=10.20.30.40:80, [fd00::/64]:8080-8081, public.sockguard.test:*
sockguard.deny=10.20.30.40:80-80, 93.184.216.34:9000
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
var_dump(tcp_connect("10.20.30.40", 80));
var_dump(tcp_connect("fd00::10", 8080, AF_INET6));
var_dump(tcp_connect("fd00::10", 80, AF_INET6));
var_dump(tcp_connect("93.184.216.34", 25));
var_dump(tcp_connect("93.184.216.34", 9000));
?>
--EXPECTF--

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: denied by rule 10.20.30.40:80-80) in %s on line %d
bool(false)
bool(true)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: fd00::10 is in a blocked range: unique-local fc00::/7) in %s on line %d
bool(false)
bool(true)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: denied by rule 93.184.216.34:9000) in %s on line %d
bool(false)

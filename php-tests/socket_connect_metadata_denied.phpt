--TEST--
socket_connect to the cloud metadata address and other special blocks is denied
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
echo probe_without_sockguard("tcp://169.254.169.254:80"), "\n";
foreach (["169.254.169.254", "100.64.1.1", "192.168.1.10", "172.16.5.5", "203.0.113.7", "0.0.0.0", "metadata.sockguard.test"] as $ip) {
    var_dump(tcp_connect($ip, 80));
}
?>
--EXPECTF--
open

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 169.254.169.254 is in a blocked range: link-local 169.254.0.0/16) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 100.64.1.1 is in a blocked range: shared address space (CGNAT) 100.64.0.0/10) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 192.168.1.10 is in a blocked range: private-use 192.168.0.0/16) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 172.16.5.5 is in a blocked range: private-use 172.16.0.0/12) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 203.0.113.7 is in a blocked range: documentation (TEST-NET-3) 203.0.113.0/24) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 0.0.0.0 is in a blocked range: this host on this network 0.0.0.0/32) in %s on line %d
bool(false)

Warning: socket_connect(): unable to connect [13]: Permission denied (sockguard: 169.254.169.254 is in a blocked range: link-local 169.254.0.0/16) in %s on line %d
bool(false)

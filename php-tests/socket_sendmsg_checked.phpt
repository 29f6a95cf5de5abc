--TEST--
socket_sendmsg checks the destination in name and refuses to pass descriptors (SCM_RIGHTS)
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
$u = socket_create(AF_INET, SOCK_DGRAM, SOL_UDP);
$msg = fn($addr) => ["name" => ["addr" => $addr, "port" => 8053], "iov" => ["ping"], "control" => []];
var_dump(socket_sendmsg($u, $msg("public.sockguard.test")));
socket_recvfrom($u, $buf, 16, 0, $from, $port);
var_dump($buf, $from);
var_dump(socket_sendmsg($u, $msg("10.20.30.40")));
var_dump(socket_sendmsg($u, $msg("0x0a141e28")));
$fds = ["name" => ["addr" => "93.184.216.34", "port" => 8053], "iov" => ["x"],
        "control" => [["level" => SOL_SOCKET, "type" => SCM_RIGHTS, "data" => [STDIN]]]];
var_dump(socket_sendmsg($u, $fds));
var_dump(socket_last_error($u));
?>
--EXPECTF--
int(4)
string(4) "ping"
string(13) "93.184.216.34"

Warning: socket_sendmsg(): Error in sendmsg [13]: Permission denied (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_sendmsg(): Error in sendmsg [13]: Permission denied (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)

Warning: socket_sendmsg(): Error in sendmsg [13]: Permission denied (sockguard: descriptors cannot be passed to another process) in %s on line %d
bool(false)
int(13)

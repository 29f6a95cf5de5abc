--TEST--
A socket pair is a local channel that reaches nothing outside the process: socket_create_pair, stream_socket_pair and proc_open's socket descriptors all work
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
var_dump(socket_create_pair(AF_UNIX, SOCK_STREAM, 0, $pair));
socket_write($pair[0], "ping");
var_dump(socket_read($pair[1], 4));
[$a, $b] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
fwrite($a, "pong");
var_dump(fread($b, 4));
$p = proc_open(['cat'], [0 => ['socket'], 1 => ['socket']], $pipes);
fwrite($pipes[0], "through a child\n");
fclose($pipes[0]);
var_dump(trim(stream_get_contents($pipes[1])));
var_dump(proc_close($p));
// Not a pair of TCP sockets: the kernel has none, and neither has the policy.
var_dump(@socket_create_pair(AF_INET, SOCK_STREAM, 0, $inet));
echo error_get_last()["message"], "\n";
?>
--EXPECT--
bool(true)
string(4) "ping"
string(4) "pong"
string(15) "through a child"
int(0)
bool(false)
socket_create_pair(): Unable to create socket pair [13]: Permission denied (sockguard: transport socket pair is not allowed)

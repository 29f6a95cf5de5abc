--TEST--
socket_set_option on a mocked option returns true and changes nothing; other options are refused
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
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
var_dump(socket_set_option($s, SOL_SOCKET, SO_RCVBUF, 4096));
var_dump(socket_setopt($s, SOL_SOCKET, SO_KEEPALIVE, 1));
var_dump(socket_set_option($s, SOL_SOCKET, SO_LINGER, ["l_onoff" => 1, "l_linger" => 5]));
var_dump(socket_get_option($s, SOL_SOCKET, SO_RCVBUF));
var_dump(socket_set_option($s, SOL_SOCKET, SO_BROADCAST, 1));
var_dump(socket_setopt($s, SOL_SOCKET, SO_RCVTIMEO, ["sec" => 1, "usec" => 0]));
var_dump(socket_set_option($s, IPPROTO_IP, MCAST_JOIN_GROUP, ["group" => "224.0.0.1", "interface" => 0]));
try {
    socket_set_option($s, SOL_SOCKET, SO_LINGER, ["l_onoff" => 1]);
} catch (ValueError $e) {
    echo $e->getMessage(), "\n";
}
?>
--EXPECTF--
bool(true)
bool(true)
bool(true)
int(2097152)

Warning: socket_set_option(): Unable to set socket option [13]: Permission denied (sockguard: option SO_BROADCAST is not supported) in %s on line %d
bool(false)

Warning: socket_setopt(): Unable to set socket option [13]: Permission denied (sockguard: option SO_RCVTIMEO is not supported) in %s on line %d
bool(false)

Warning: socket_set_option(): Unable to set socket option [13]: Permission denied (sockguard: option MCAST_JOIN_GROUP is not supported) in %s on line %d
bool(false)
socket_set_option(): Argument #4 ($value) must have key "l_linger"

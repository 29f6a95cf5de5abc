--TEST--
stream_socket_client denies blocked destinations over tcp, udp, unix, async connects and port 25
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
echo probe_without_sockguard("udp://10.20.30.40:8053"), "\n";
foreach (["tcp://142.250.1.108:443", "udp://10.20.30.40:8053", "tcp://93.184.216.34:25", "unix:///run/mysqld/mysqld.sock", "udg:///tmp/sockguard.sock", "tcp://[::ffff:127.0.0.1]:80", "tcp://0x7f.1:80"] as $url) {
    var_dump(stream_socket_client($url, $errno, $errstr, 2), $errno);
}
$c = stream_socket_client("tcp://10.20.30.40:80", $errno, $errstr, 2, STREAM_CLIENT_CONNECT | STREAM_CLIENT_ASYNC_CONNECT);
var_dump($c, $errstr);
?>
--EXPECTF--
open

Warning: stream_socket_client(): Unable to connect to tcp://142.250.1.108:443 (sockguard: 142.250.1.108 is in a Google range: 142.250.0.0/15) in %s on line %d
bool(false)
int(13)

Warning: stream_socket_client(): Unable to connect to udp://10.20.30.40:8053 (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)
int(13)

Warning: stream_socket_client(): Unable to connect to tcp://93.184.216.34:25 (sockguard: port 25 is blocked) in %s on line %d
bool(false)
int(13)

Warning: stream_socket_client(): Unable to connect to unix:///run/mysqld/mysqld.sock (sockguard: transport unix is not allowed) in %s on line %d
bool(false)
int(13)

Warning: stream_socket_client(): Unable to connect to udg:///tmp/sockguard.sock (sockguard: transport udg is not allowed) in %s on line %d
bool(false)
int(13)

Warning: stream_socket_client(): Unable to connect to tcp://[::ffff:127.0.0.1]:80 (sockguard: ::ffff:127.0.0.1 embeds 127.0.0.1, which is in a blocked range: loopback 127.0.0.0/8) in %s on line %d
bool(false)
int(13)

Warning: stream_socket_client(): Unable to connect to tcp://0x7f.1:80 (sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8) in %s on line %d
bool(false)
int(13)

Warning: stream_socket_client(): Unable to connect to tcp://10.20.30.40:80 (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)
string(68) "sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8"

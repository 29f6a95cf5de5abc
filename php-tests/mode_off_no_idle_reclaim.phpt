--TEST--
sockguard.mode=off reclaims nothing: idle streams and sockets stay connected whatever sockguard.idle_timeout says
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode="off"
sockguard.idle_timeout=1
--FILE--
<?php
$f = fsockopen('93.184.216.34', 9000, $errno, $errstr, 2);
echo trim(fgets($f)), "\n";
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
var_dump(socket_connect($s, '93.184.216.34', 9000));
echo trim(socket_read($s, 100)), "\n";
sleep(2);
fwrite($f, "after idle\n");
echo trim(fgets($f)), "\n";
var_dump(feof($f));
var_dump(socket_write($s, "socket after idle\n"));
echo trim(socket_read($s, 100)), "\n";
var_dump(sockguard_stats()['reclaimed']);
?>
--EXPECT--
220 sockguard-test 93.184.216.34:9000
bool(true)
220 sockguard-test 93.184.216.34:9000
after idle
bool(false)
int(18)
socket after idle
int(0)

--TEST--
ext/sockets (PHP 8.3+): socket_atmark counts as use of the socket; on an idle socket it fails with EPIPE and says why
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php
if (!function_exists('socket_atmark')) die('skip needs PHP 8.3+ (socket_atmark)');
require __DIR__ . '/inc/netns.inc';
?>
--INI--
sockguard.idle_timeout=1
--FILE--
<?php
$before = sockguard_stats()['reclaimed'];
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
var_dump(socket_connect($s, '93.184.216.34', 9000));
echo socket_read($s, 100);
// socket_atmark alone keeps the socket: four calls 0.6 s apart span 2.4 s.
for ($i = 0; $i < 4; $i++) {
    usleep(600000);
    var_dump(socket_atmark($s));
}
socket_write($s, "still here\n");
echo socket_read($s, 100);
sleep(2);
var_dump(socket_atmark($s));
var_dump(socket_last_error($s));
socket_close($s);
var_dump(sockguard_stats()['reclaimed'] - $before);
?>
--EXPECTF--
bool(true)
220 sockguard-test 93.184.216.34:9000
bool(false)
bool(false)
bool(false)
bool(false)
still here

Warning: socket_atmark(): Unable to apply sockmark [32]: Broken pipe (sockguard: socket was reclaimed after 2 s idle) in %s on line %d
bool(false)
int(32)
int(1)

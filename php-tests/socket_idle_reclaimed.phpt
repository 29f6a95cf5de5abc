--TEST--
ext/sockets: a socket idle longer than sockguard.idle_timeout is reclaimed; its next use fails with EPIPE and says why; use keeps it alive; closing is silent
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.idle_timeout=1
--FILE--
<?php
$before = sockguard_stats()['reclaimed'];
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
var_dump(socket_connect($s, '93.184.216.34', 9000));
echo socket_read($s, 100);
// Activity keeps it: four uses 0.6 s apart span 2.4 s.
for ($i = 0; $i < 4; $i++) {
    usleep(600000);
    socket_write($s, "ping $i\n");
    echo socket_read($s, 100);
}
sleep(2);
var_dump(socket_write($s, "late\n"));
var_dump(socket_last_error($s), socket_last_error());
var_dump(socket_read($s, 100));
var_dump(socket_get_option($s, SOL_SOCKET, SO_RCVBUF));
socket_close($s);
echo "closed\n";
var_dump(sockguard_stats()['reclaimed'] - $before);
?>
--EXPECTF--
bool(true)
220 sockguard-test 93.184.216.34:9000
ping 0
ping 1
ping 2
ping 3

Warning: socket_write(): unable to write to socket [32]: Broken pipe (sockguard: socket was reclaimed after 2 s idle) in %s on line %d
bool(false)
int(32)
int(32)

Warning: socket_read(): unable to read from socket [32]: Broken pipe (sockguard: socket was reclaimed after 2 s idle) in %s on line %d
bool(false)

Warning: socket_get_option(): Unable to retrieve socket option [32]: Broken pipe (sockguard: socket was reclaimed after 2 s idle) in %s on line %d
bool(false)
closed
int(1)

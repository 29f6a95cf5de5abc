--TEST--
Streams: a connection idle longer than sockguard.idle_timeout is reclaimed (EPIPE, reason in the warning, feof true); use keeps it alive; an idle persistent socket is replaced, not handed out
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.idle_timeout=1
--FILE--
<?php
$before = sockguard_stats()['reclaimed'];
$f = fsockopen('public.sockguard.test', 9000, $errno, $errstr, 2);
echo fgets($f);
for ($i = 0; $i < 4; $i++) {
    usleep(600000);
    fwrite($f, "ping $i\n");
    echo fgets($f);
}
sleep(2);
var_dump(fwrite($f, "late\n"));
var_dump(feof($f));
var_dump(fread($f, 10));
fclose($f);
echo "closed\n";

// A persistent socket idle past the limit is closed, and a new one is made.
$p = pfsockopen('93.184.216.34', 9000, $errno, $errstr, 2);
echo fgets($p);
$first = (int) $p;
sleep(2);
$q = pfsockopen('93.184.216.34', 9000, $errno, $errstr, 2);
echo fgets($q);
var_dump((int) $q !== $first);
var_dump(sockguard_stats()['reclaimed'] - $before);
?>
--EXPECTF--
220 sockguard-test 93.184.216.34:9000
ping 0
ping 1
ping 2
ping 3

Notice: fwrite(): Send of 5 bytes failed with errno=32 Broken pipe (sockguard: socket was reclaimed after 2 s idle) in %s on line %d
bool(false)
bool(true)

Notice: fread(): Read of %d bytes failed with errno=32 Broken pipe (sockguard: socket was reclaimed after 2 s idle) in %s on line %d
bool(false)
closed
220 sockguard-test 93.184.216.34:9000
220 sockguard-test 93.184.216.34:9000
bool(true)
int(2)

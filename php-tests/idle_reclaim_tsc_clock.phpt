--TEST--
Idle reclaim on the scaled time-stamp counter: once calibrated (where the kernel's clocksource is tsc) uses still keep a socket alive and idleness still reclaims it
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.idle_timeout=1
--FILE--
<?php
function idle_clock(): string {
    ob_start();
    (new ReflectionExtension('sockguard'))->info();
    preg_match('/^idle clock => (.*)$/m', ob_get_clean(), $m);
    return $m[1];
}
$tsc = trim((string) @file_get_contents('/sys/devices/system/clocksource/clocksource0/current_clocksource')) === 'tsc';
echo idle_clock(), "\n";

// Tracked sockets over more than a second: the counter gets its scale (after 50 ms).
$f = fsockopen('93.184.216.34', 9000, $errno, $errstr, 2);
fgets($f);
for ($i = 0; $i < 3; $i++) {
    usleep(600000);
    fwrite($f, "ping $i\n");
    fgets($f);
    $g = fsockopen('93.184.216.34', 9000, $errno, $errstr, 2); // a new tracked socket
    fclose($g);
}
echo $tsc ? (idle_clock() === 'TSC, scaled to CLOCK_MONOTONIC_COARSE' ? "scaled counter\n" : "NOT scaled: " . idle_clock() . "\n") : "scaled counter\n";

// Use every 0.6 s keeps it; 2 s of silence reclaims it.
for ($i = 0; $i < 3; $i++) {
    usleep(600000);
    fwrite($f, "ping $i\n");
    echo trim(fgets($f)), "\n";
}
sleep(2);
var_dump(@fwrite($f, "late\n"));
?>
--EXPECTF--
CLOCK_MONOTONIC_COARSE%A
scaled counter
ping 0
ping 1
ping 2
bool(false)

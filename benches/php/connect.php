<?php
// Connect+close rate and 100 MB transfer over an allowed loopback address.
// usage: php connect.php connect N | transfer
[$_, $what, $n] = $argv + [null, 'connect', 2000];
$t = hrtime(true);
if ($what === 'connect') {
    for ($i = 0; $i < $n; $i++) {
        $f = fsockopen('127.0.0.1', 9100, $errno, $errstr, 2);
        if (!$f) { fwrite(STDERR, "connect failed: $errstr\n"); exit(1); }
        fclose($f);
    }
} else {
    $f = stream_socket_client('tcp://127.0.0.1:9101', $errno, $errstr, 2);
    $bytes = 0;
    while (!feof($f)) { $bytes += strlen(fread($f, 1 << 20)); }
    if ($bytes !== 100 * 1024 * 1024) { fwrite(STDERR, "short transfer: $bytes\n"); exit(1); }
}
printf("%.0f\n", (hrtime(true) - $t) / 1000);

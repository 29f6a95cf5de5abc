<?php
// Connect+close rate and 100 MB transfer over an allowed loopback address.
// usage: php connect.php connect N | transfer [N]
[$_, $what, $n] = $argv + [null, 'connect', 2000];
$t = hrtime(true);
if ($what === 'connect') {
    for ($i = 0; $i < $n; $i++) {
        $f = fsockopen('127.0.0.1', 9100, $errno, $errstr, 2);
        if (!$f) { fwrite(STDERR, "connect failed: $errstr\n"); exit(1); }
        fclose($f);
    }
} else {
    // N transfers of 100 MB, each on a new connection: long enough that
    // one scheduling hiccup does not decide the figure.
    $n = (int) ($argv[2] ?? 1);
    for ($i = 0; $i < $n; $i++) {
        $f = stream_socket_client('tcp://127.0.0.1:9101', $errno, $errstr, 2);
        $bytes = 0;
        while (!feof($f)) { $bytes += strlen(fread($f, 1 << 20)); }
        if ($bytes !== 100 * 1024 * 1024) { fwrite(STDERR, "short transfer: $bytes\n"); exit(1); }
        fclose($f);
    }
}
printf("%.0f\n", (hrtime(true) - $t) / 1000);

<?php
// One request of the ZTS harness (scripts/zts-harness-test): prints what
// this thread's settings are and what sockguard decides and does for
// 10.20.30.40:80, where the test namespace's HTTP server answers.
$inside = getenv('SOCKGUARD_NETNS') === 'inside';
echo "thread=", $_SERVER['HARNESS_THREAD'] ?? '?', " spec=", $_SERVER['HARNESS_SPEC'] ?? '?', "\n";
// A PHP_INI_SYSTEM setting of PHP itself: proves the harness applies
// per-thread settings, with or without sockguard.
echo "sys_temp_dir=", ini_get('sys_temp_dir'), "\n";
echo "app_id=", var_export(ini_get('sockguard.app_id'), true), "\n";
echo "allow=", var_export(ini_get('sockguard.allow'), true), "\n";
if (function_exists('sockguard_check')) {
    $c = sockguard_check('10.20.30.40', 80);
    echo "check allowed=", var_export($c['allowed'], true), " code=", var_export($c['code'], true), "\n";
} else {
    echo "check none\n";
}
// Never touch a non-loopback address outside the test namespace.
if (!$inside) {
    echo "connect skipped (not in scripts/netns/run)\n";
    return;
}
$s = @fsockopen('10.20.30.40', 80, $errno, $errstr, 2);
if ($s) {
    fwrite($s, "GET / HTTP/1.0\r\nHost: private.sockguard.test\r\n\r\n");
    stream_set_timeout($s, 2);
    $reply = (string) stream_get_contents($s);
    fclose($s);
    $lines = preg_split('/\r?\n/', trim($reply));
    echo "fsockopen ok: ", end($lines), "\n";
} else {
    echo "fsockopen failed: errno=$errno ", preg_replace('/^.*\((sockguard: [^)]*)\).*$/', '$1', $errstr), "\n";
}
if (function_exists('socket_create')) {
    $sock = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
    $ok = @socket_connect($sock, '10.20.30.40', 80);
    echo "socket_connect ", $ok ? "ok" : "failed: errno=" . socket_last_error($sock), "\n";
    socket_close($sock);
}
// A persistent socket is never handed to another app (sockguard.app_id),
// also when other threads serve other apps: each request leaves its app on
// the socket, and the echo server gives it back to the next request that
// gets the same socket (a fresh one greets with "220 ...").
$app = (string) ini_get('sockguard.app_id');
$p = @pfsockopen('93.184.216.34', 9000, $errno, $errstr, 2);
if (!$p) {
    echo "pfsockopen failed: errno=$errno\n";
} else {
    stream_set_timeout($p, 2);
    $first = fgets($p);
    if ($first === false) {
        echo "pfsockopen read nothing\n";
    } elseif (str_starts_with($first, '220 ') || trim($first) === "owner=$app") {
        echo "pfsockopen ok\n";
    } else {
        echo "pfsockopen of app '$app' was handed the socket of ", trim($first), "\n";
    }
    fwrite($p, "owner=$app\n");
    // The thread's last request closes it: PHP 8.2's ZTS engine does not
    // survive freeing a persistent stream at thread exit (ts_free_thread),
    // with or without sockguard.
    if (($_SERVER['HARNESS_REQUEST'] ?? 0) == ($_SERVER['HARNESS_REQUESTS'] ?? -1)) {
        fclose($p);
    }
}
// A public address, allowed at once by the built-in rules for app "one"
// and denied by a rule for app "two": a thread serving both (spec 3) must
// not carry one app's answer into the other's request. Last in the
// request, so that it is the answer the thread's next request (the other
// app's) would find remembered.
$s = @fsockopen('93.184.216.34', 80, $errno, $errstr, 2);
if ($s) {
    fclose($s);
    echo "public fsockopen ok\n";
} else {
    echo "public fsockopen failed: errno=$errno ", preg_replace('/^.*\((sockguard: [^)]*)\).*$/', '$1', $errstr), "\n";
}

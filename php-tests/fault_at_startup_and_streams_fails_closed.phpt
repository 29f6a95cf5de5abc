--TEST--
Failures at MINIT, RINIT, in the stream factory and in a connected stream's read all fail closed: PHP refuses to start, the request denies everything, the stream is not made, the read fails
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
echo probe_without_sockguard('tcp://93.184.216.34:80'), "\n";
// (When a transport's factory makes no stream, PHP's fsockopen leaves
// $errno uninitialised: its value is not sockguard's.)
$code = '$f = @fsockopen("93.184.216.34", 80, $errno, $errstr, 2);'
    . 'if ($f) { fwrite($f, "GET / HTTP/1.0\r\n\r\n"); var_dump(@fread($f, 100)); }'
    . 'else { var_dump($f, $errno, $errstr); } echo "ran\n";';
foreach (['minit installed', 'minit', 'rinit', 'stream factory', 'stream read'] as $site) {
    echo "-- $site\n";
    // Rust's own report of the injected panic goes to stderr: left out here.
    $cmd = 'SOCKGUARD_FAULT=' . escapeshellarg($site) . ' RUST_BACKTRACE=0 ' . escapeshellarg(PHP_BINARY)
        . ' -n -d extension=sockguard -r ' . escapeshellarg($code)
        . ' 2>&1; echo "exit $?"';
    exec($cmd, $out);
    $shown = [];
    foreach ($out as $i => $line) {
        $panic = preg_match("/^(thread '.*panicked at|fault injected at|note: run with)/", $line);
        $blank_before_panic = $line === '' && preg_match("/^thread '/", $out[$i + 1] ?? '');
        if (!$panic && !$blank_before_panic) {
            $shown[] = $line;
        }
    }
    echo implode("\n", $shown), "\n";
    $out = [];
}
?>
--EXPECTF--
open
-- minit installed
sockguard: startup failed, not loaded: internal error (minit: fault injected at minit installed (SOCKGUARD_FAULT)); denied

Fatal error: Unable to start sockguard module in Unknown on line 0
exit 254
-- minit
sockguard: startup failed, not loaded: internal error (minit: fault injected at minit (SOCKGUARD_FAULT)); denied

Fatal error: Unable to start sockguard module in Unknown on line 0
exit 254
-- rinit

Warning: PHP Request Startup: sockguard: internal error (rinit: fault injected at rinit (SOCKGUARD_FAULT)); denied; every connection is denied in Unknown on line 0
bool(false)
int(13)
string(84) "sockguard: internal error (rinit: fault injected at rinit (SOCKGUARD_FAULT)); denied"
ran
exit 0
-- stream factory
bool(false)
int(%i)
NULL
ran
exit 0
-- stream read
bool(false)
ran
exit 0

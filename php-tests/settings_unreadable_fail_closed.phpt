--TEST--
A paid_app that is not a boolean denies the Sockets API, and a ranges file without prefixes denies everything, each with a startup message
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--FILE--
<?php
$empty = sys_get_temp_dir() . '/sockguard_no_prefixes.json';
file_put_contents($empty, '{"syncToken": "1", "creationTime": "2024-04-25T07:05:03", "prefixes": []}');
$code = '$f = @fsockopen("93.184.216.34", 80, $e, $s, 2); echo $f ? "connected" : "refused: $s", "\n";'
    . 'echo trim(@file_get_contents("http://93.184.216.34/") ?: error_get_last()["message"]), "\n";';
foreach (['sockguard.paid_app=maybe', "sockguard.ranges_file=$empty"] as $setting) {
    echo "$setting:\n";
    echo shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=sockguard -d ' . escapeshellarg($setting)
        . ' -r ' . escapeshellarg($code) . ' 2>&1');
}
?>
--CLEAN--
<?php @unlink(sys_get_temp_dir() . '/sockguard_no_prefixes.json'); ?>
--EXPECTF--
sockguard.paid_app=maybe:
sockguard: sockguard.paid_app: "maybe" is not a boolean (1 or 0); the Sockets API is denied
refused: sockguard: sockets are available only to paid apps
hello from 93.184.216.34:80
sockguard.ranges_file=%s/sockguard_no_prefixes.json:
sockguard: invalid sockguard.ranges_file: the file lists no prefixes, so no Google range would be blocked; every connection is denied
refused: sockguard: invalid sockguard.ranges_file: the file lists no prefixes, so no Google range would be blocked
file_get_contents(http://93.184.216.34/): Failed to open stream: sockguard: invalid sockguard.ranges_file: the file lists no prefixes, so no Google range would be blocked

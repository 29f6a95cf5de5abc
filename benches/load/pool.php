<?php
// Per-pool policy page: the settings this pool runs with and what they do.
header('Content-Type: text/plain');
foreach (['mode', 'app_id', 'paid_app', 'allow', 'deny', 'idle_timeout', 'resolver', 'passthrough_options', 'audit_log', 'ranges_file'] as $k) {
    echo "$k=", ini_get("sockguard.$k"), "\n";
}
$f = @fsockopen('10.20.30.40', 80, $errno, $errstr, 2);
echo 'fsockopen 10.20.30.40:80: ', $f ? 'connected' : "denied ($errstr)", "\n";
$f = @fsockopen('93.184.216.34', 80, $errno, $errstr, 2);
echo 'fsockopen 93.184.216.34:80: ', $f ? 'connected' : "denied ($errstr)", "\n";
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
echo 'SO_RCVBUF: ', $s ? var_export(@socket_get_option($s, SOL_SOCKET, SO_RCVBUF) === 2097152 ? 'mocked' : 'os', true) : 'no socket', "\n";
$body = @file_get_contents('http://public.sockguard.test/');
echo 'file_get_contents public.sockguard.test: ', $body !== false ? trim($body) : 'denied (' . preg_replace('/^.*Failed to open stream: /', '', error_get_last()['message']) . ')', "\n";
$f = @fsockopen('169.254.169.254', 80, $errno, $errstr, 2);
echo 'fsockopen 169.254.169.254:80: ', $f ? 'connected' : "denied ($errstr)", "\n";

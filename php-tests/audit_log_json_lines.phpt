--TEST--
sockguard.audit_log writes one JSON line per denial (and per would-be denial in report mode) with who, what and where
--EXTENSIONS--
sockets
sockguard
curl
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.audit_log={TMP}/sockguard_audit_log_json_lines.log
sockguard.app_id=shop
--FILE--
<?php
$log = ini_get('sockguard.audit_log');
@unlink($log);
@fsockopen('private.sockguard.test', 80, $errno, $errstr, 2);
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
@socket_connect($s, '93.184.216.34', 25);
$ch = curl_init('http://169.254.169.254/');
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
curl_exec($ch);
@file_get_contents('http://public.sockguard.test/'); // allowed: not logged
foreach (file($log) as $line) {
    $e = json_decode($line, true, flags: JSON_THROW_ON_ERROR);
    printf("%s %s %s %s port=%s %s %s %s:%d %s\n", $e['action'], $e['app_id'], $e['function'], $e['target'],
        var_export($e['port'], true), $e['transport'] ?? '-', $e['reason'], basename($e['file']), $e['line'],
        implode(',', $e['addresses']));
    assert(preg_match('/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/', $e['time']) === 1);
}
?>
--CLEAN--
<?php @unlink(sys_get_temp_dir() . '/sockguard_audit_log_json_lines.log'); ?>
--EXPECT--
deny shop fsockopen private.sockguard.test:80 port=80 tcp blocked-range audit_log_json_lines.php:4 10.20.30.40
deny shop socket_connect 93.184.216.34:25 port=25 tcp port-25 audit_log_json_lines.php:6 
deny shop curl_exec 169.254.169.254:80 port=80 tcp blocked-range audit_log_json_lines.php:9 169.254.169.254

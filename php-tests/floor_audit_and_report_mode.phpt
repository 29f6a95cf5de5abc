--TEST--
The floor's denials reach the audit log with the PHP function and the library, and in report mode a library's connect goes through with a would-deny line in the error log
--EXTENSIONS--
pgsql
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/libraries.inc'; ?>
--INI--
sockguard.audit_log={TMP}/sockguard_floor_audit.log
sockguard.app_id=shop
--FILE--
<?php
$log = ini_get('sockguard.audit_log');
@unlink($log);
@pg_connect("host=10.20.30.40 port=5432 user=postgres connect_timeout=2");
$e = json_decode(file($log)[0], true, flags: JSON_THROW_ON_ERROR);
printf("%s %s %s %s %s %s %s:%d\n", $e['action'], $e['app_id'], $e['function'], $e['library'], $e['target'],
    $e['reason'], basename($e['file']), $e['line']);
$code = '$c = pg_connect("host=10.20.30.40 port=5432 user=postgres connect_timeout=2");'
    . 'echo $c ? pg_fetch_row(pg_query($c, "select 1"))[0] : "failed", "\n";';
// PHP's error log as a file (ZTS builds cannot open /dev/stdout as one:
// their virtual cwd resolves it to a pipe).
$log = __DIR__ . '/floor_audit_and_report_mode.error.log';
echo shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=pgsql -d extension=sockguard -d sockguard.mode=report'
    . ' -d error_log=' . escapeshellarg($log) . ' -r ' . escapeshellarg($code));
echo file_get_contents($log);
?>
--CLEAN--
<?php
@unlink(sys_get_temp_dir() . '/sockguard_floor_audit.log');
@unlink(__DIR__ . '/floor_audit_and_report_mode.error.log');
?>
--EXPECTF--
deny shop pg_connect libpq.so.5 (connect) 10.20.30.40:5432 blocked-range floor_audit_and_report_mode.php:4
1
[%s] sockguard: would deny connect(10.20.30.40:5432) in libpq.so.5: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8 [blocked-range]

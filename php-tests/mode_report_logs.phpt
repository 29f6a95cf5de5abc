--TEST--
sockguard.mode=report allows everything and logs each would-be denial to PHP's error log
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=report
error_log={TMP}/sockguard_mode_report.log
log_errors=1
sockguard.audit_log={TMP}/sockguard_mode_report.jsonl
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
$log = ini_get('error_log');
@unlink($log);
@unlink(ini_get('sockguard.audit_log'));
var_dump(tcp_connect("10.20.30.40", 80));
var_dump(socket_create(AF_UNIX, SOCK_STREAM, 0) instanceof Socket);
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
var_dump(socket_set_option($s, SOL_SOCKET, SO_BROADCAST, 1));
var_dump(tcp_connect("93.184.216.34", 80));
foreach (file($log) as $line) {
    echo preg_replace('/^\[[^\]]+\] /', '', $line);
}
foreach (file(ini_get('sockguard.audit_log')) as $line) {
    $e = json_decode($line, true);
    echo "audit: {$e['action']} {$e['function']} {$e['reason']}\n";
}
?>
--CLEAN--
<?php
@unlink(sys_get_temp_dir() . '/sockguard_mode_report.log');
@unlink(sys_get_temp_dir() . '/sockguard_mode_report.jsonl');
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
bool(true)
sockguard: would deny socket_connect(10.20.30.40:80): 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8 [blocked-range]
sockguard: would deny socket_create(1, 1, 0): transport unix is not allowed [transport]
sockguard: would deny socket_set_option(SO_BROADCAST): option SO_BROADCAST is not supported [option]
audit: report socket_connect blocked-range
audit: report socket_create transport
audit: report socket_set_option option

--TEST--
When the file cannot grow (a full disk, here a file size limit) every audit record is whole or absent: a record that does not fit leaves nothing behind, and the next one that fits follows the last whole line
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--FILE--
<?php
$log = sys_get_temp_dir() . '/sockguard_full_disk_audit.log';
// The file may not grow past 4096 bytes, and it is full but for 100: the
// next record (a few hundred bytes) can only be written in part.
$filler = '{"filler":"' . str_repeat('x', 4096 - 100 - 14) . "\"}\n";
file_put_contents($log, $filler);
$code = '@fsockopen("10.20.30.40", 80, $e, $s, 1); echo $s, "\n";';
$php = escapeshellarg(PHP_BINARY) . ' -n -d extension=sockguard -d ' . escapeshellarg("sockguard.audit_log=$log")
    . ' -d error_log=/dev/null -r ' . escapeshellarg($code);
// SIGXFSZ ignored, as a daemon would: the short write is the process's to handle.
$run = fn () => shell_exec('prlimit --fsize=4096 -- sh -c ' . escapeshellarg("trap '' XFSZ; exec $php") . ' 2>&1');
echo $run(), $run();
var_dump(strlen(file_get_contents($log)), file_get_contents($log) === $filler);
// Room again: the next record is appended whole after the last line.
file_put_contents($log, "{\"small\":1}\n");
echo $run();
$lines = file($log);
var_dump(count($lines));
foreach ($lines as $line) {
    var_dump(json_decode($line, true, flags: JSON_THROW_ON_ERROR) !== null);
}
?>
--CLEAN--
<?php @unlink(sys_get_temp_dir() . '/sockguard_full_disk_audit.log'); ?>
--EXPECT--
sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
int(3996)
bool(true)
sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
int(2)
bool(true)
bool(true)

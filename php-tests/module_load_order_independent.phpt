--TEST--
The ext/sockets functions are guarded whether sockguard is loaded before or after ext/sockets
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--FILE--
<?php
$code = '$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);'
    . 'var_dump(@socket_connect($s, "10.20.30.40", 80));'
    . 'echo error_get_last()["message"], "\n";';
foreach (['-d extension=sockguard -d extension=sockets', '-d extension=sockets -d extension=sockguard'] as $order) {
    echo shell_exec(escapeshellarg(PHP_BINARY) . " -n $order -r " . escapeshellarg($code));
}
?>
--EXPECT--
bool(false)
socket_connect(): unable to connect [13]: Permission denied (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8)
bool(false)
socket_connect(): unable to connect [13]: Permission denied (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8)

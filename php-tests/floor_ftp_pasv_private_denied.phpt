--TEST--
The floor: ext/ftp's passive data connection to the address a PASV reply names (a private one) is denied, though the control connection to the public server is allowed
--EXTENSIONS--
ftp
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--FILE--
<?php
$calls = <<<'PHP'
$f = ftp_connect("93.184.216.34", 2121, 5);
var_dump(ftp_login($f, "anonymous", "sockguard"), ftp_pasv($f, true));
$into = fopen("php://memory", "w+");
var_dump(ftp_fget($f, $into, "file.txt", FTP_BINARY));
rewind($into);
var_dump(stream_get_contents($into));
PHP;
echo "without sockguard:\n", shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=ftp -r ' . escapeshellarg($calls));
echo "with sockguard:\n";
eval($calls);
?>
--EXPECTF--
without sockguard:
bool(true)
bool(true)
bool(true)
string(46) "hello from the data connection on 10.20.30.40
"
with sockguard:
bool(true)
bool(true)

Warning: ftp_fget(): php_connect_nonb() failed: Permission denied (13) in %s on line %d

Warning: ftp_fget(): OK in %s on line %d

Warning: ftp_fget(): sockguard: connect(10.20.30.40:%d) from %s denied: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8 in %s on line %d
bool(false)
string(0) ""

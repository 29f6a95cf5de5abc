--TEST--
ftp_connect and ftp_ssl_connect check the control connection's destination and connect to the checked address
--EXTENSIONS--
sockguard
ftp
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
echo probe_without_sockguard('tcp://10.20.30.40:21'), "\n";
var_dump(ftp_connect('10.20.30.40'));
var_dump(ftp_ssl_connect('private.sockguard.test', 21));
var_dump(ftp_connect('93.184.216.34', 65536 + 25));
var_dump(ftp_connect("127.0.0.1\0.public.sockguard.test"));
// The namespace's line server greets with "220", which is all ftp_connect needs.
var_dump(ftp_connect('public.sockguard.test') instanceof FTP\Connection);
try {
    ftp_connect('public.sockguard.test', 21, 0);
} catch (ValueError $e) {
    echo $e->getMessage(), "\n";
}
?>
--EXPECTF--
open

Warning: ftp_connect(): Unable to connect to 10.20.30.40:21 (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)

Warning: ftp_ssl_connect(): Unable to connect to private.sockguard.test:21 (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8) in %s on line %d
bool(false)

Warning: ftp_connect(): Unable to connect to 93.184.216.34:25 (sockguard: port 25 is blocked) in %s on line %d
bool(false)

Warning: ftp_connect(): Unable to connect to 127.0.0.1:21 (sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8) in %s on line %d
bool(false)
bool(true)
ftp_connect(): Argument #3 ($timeout) must be greater than 0

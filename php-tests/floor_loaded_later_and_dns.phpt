--TEST--
The floor covers objects loaded after startup (a library FFI opens, an extension dl() loads), and lets libraries query the system's nameserver on port 53, and nothing else there
--EXTENSIONS--
ffi
sockguard
--SKIPIF--
<?php
require __DIR__ . '/inc/libraries.inc';
if (!shell_exec('command -v cc')) die('skip needs a C compiler');
?>
--INI--
ffi.enable=1
sockguard.allow_ffi=1
enable_dl=1
--FILE--
<?php
$lib = sys_get_temp_dir() . '/sockguard_probe_lib.so';
shell_exec('cc -shared -fPIC -o ' . escapeshellarg($lib) . ' ' . escapeshellarg(__DIR__ . '/inc/probe_lib.c'));
$calls = 'int probe_connect(const char *ip, int port); int probe_dns(const char *ip);';
// Without sockguard, the library reaches both servers and both DNS servers.
$code = '$p = FFI::cdef(' . var_export($calls, true) . ', ' . var_export($lib, true) . ');'
    . 'echo $p->probe_connect("10.20.30.40", 80), " ", $p->probe_dns("127.0.0.53") > 0 ? "answer" : "none", " ",'
    . ' $p->probe_dns("10.20.30.40") > 0 ? "answer" : "none", "\n";';
echo "without sockguard: ", shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=ffi -d ffi.enable=1 -r ' . escapeshellarg($code));
// With it: FFI (allowed here) dlopens the library, and the floor patches it
// before it runs.
$p = FFI::cdef($calls, $lib);
var_dump($p->probe_connect("10.20.30.40", 80) === 13);     // EACCES
var_dump($p->probe_connect("93.184.216.34", 80));           // a public server: 0
var_dump($p->probe_dns("127.0.0.53") > 0);                  // the system's nameserver
var_dump($p->probe_dns("10.20.30.40") === -13);             // not a nameserver of this system
// An extension loaded with dl() (here in a PHP that starts without it) is
// covered as it loads.
$code = 'dl("pgsql.so"); var_dump(pg_connect("host=10.20.30.40 port=5432 user=postgres connect_timeout=2"));';
echo shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d enable_dl=1 -d extension=sockguard -r ' . escapeshellarg($code) . ' 2>&1');
?>
--CLEAN--
<?php @unlink(sys_get_temp_dir() . '/sockguard_probe_lib.so'); ?>
--EXPECTF--
without sockguard: 0 answer answer

Warning: probe_connect(): sockguard: connect(10.20.30.40:80) from sockguard_probe_lib.so denied: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8 in %s on line %d
bool(true)
int(0)
bool(true)

Warning: probe_dns(): sockguard: sendto(10.20.30.40:53) from sockguard_probe_lib.so denied: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8 in %s on line %d
bool(true)

Warning: pg_connect(): Unable to connect to PostgreSQL server: connection to server at "10.20.30.40", port 5432 failed: Permission denied
	Is the server running on that host and accepting TCP/IP connections? in Command line code on line 1

Warning: pg_connect(): sockguard: connect(10.20.30.40:5432) from libpq.so.5 denied: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8 in Command line code on line 1
bool(false)

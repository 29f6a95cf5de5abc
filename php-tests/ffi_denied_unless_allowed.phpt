--TEST--
PHP's FFI (which can call connect itself, or rewrite any memory) is denied unless sockguard.allow_ffi = 1: FFI::cdef, FFI::load, FFI::scope and FFI::new throw FFI\Exception with the reason
--EXTENSIONS--
ffi
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
ffi.enable=1
--FILE--
<?php
// The same FFI connect from the CLI reaches the private server without sockguard.
$code = <<<'PHP'
$c = FFI::cdef("int socket(int, int, int); int connect(int, const void *, unsigned int);
    typedef struct { unsigned short family; unsigned short port; unsigned char addr[4]; unsigned char zero[8]; } sin;");
$s = $c->socket(2, 1, 0);
$a = $c->new("sin");
$a->family = 2; $a->port = (80 >> 8) | ((80 & 255) << 8);
foreach ([10, 20, 30, 40] as $i => $b) { $a->addr[$i] = $b; }
echo $c->connect($s, FFI::addr($a), 16) === 0 ? "connected" : "refused", "\n";
PHP;
echo "without sockguard: ", shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=ffi -d ffi.enable=1 -r ' . escapeshellarg($code));
foreach ([fn () => FFI::cdef("int getpid(void);"), fn () => FFI::load(__DIR__ . '/nothing.h'),
          fn () => FFI::scope("x"), fn () => FFI::new("int")] as $call) {
    try {
        $call();
        echo "ran\n";
    } catch (FFI\Exception $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
}
echo "allowed: ", shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=ffi -d ffi.enable=1 -d extension=sockguard'
    . ' -d sockguard.allow_ffi=1 -r ' . escapeshellarg('echo FFI::cdef("int getpid(void);")->getpid() === getmypid() ? "yes" : "no";')), "\n";
// (Calling FFI::new() statically is deprecated from PHP 8.4 on: not the
// subject here, so E_DEPRECATED is left out of the child's error_reporting.)
echo "report mode: ", shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=ffi -d ffi.enable=1 -d extension=sockguard'
    . ' -d sockguard.mode=report -d error_log=/dev/stdout -d error_reporting=' . (E_ALL & ~E_DEPRECATED)
    . ' -r ' . escapeshellarg('echo FFI::new("int") ? "ran" : "", "\n";'));
?>
--EXPECTF--
without sockguard: connected
FFI\Exception: sockguard: FFI can call any C function and write any memory, past every check; it is disabled (sockguard.allow_ffi = 1 allows it)
FFI\Exception: sockguard: FFI can call any C function and write any memory, past every check; it is disabled (sockguard.allow_ffi = 1 allows it)
FFI\Exception: sockguard: FFI can call any C function and write any memory, past every check; it is disabled (sockguard.allow_ffi = 1 allows it)
FFI\Exception: sockguard: FFI can call any C function and write any memory, past every check; it is disabled (sockguard.allow_ffi = 1 allows it)
allowed: yes
report mode: %r(\[[^]]*\] )?%rsockguard: would deny FFI::new(FFI): FFI can call any C function and write any memory, past every check; it is disabled (sockguard.allow_ffi = 1 allows it) [ffi]
ran

--TEST--
Argument errors of every guarded ext/sockets function are byte-for-byte PHP's
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/stock.inc';
compare_with_stock(<<<'PHP'
$s = fn() => socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
$closed = function () { $x = socket_create(AF_INET, SOCK_STREAM, SOL_TCP); socket_close($x); return $x; };
$calls = [
    fn() => socket_create(99, SOCK_STREAM, 0),
    fn() => socket_create(AF_INET, 11, 0),
    fn() => socket_create("x", 1, 0),
    fn() => socket_create(AF_INET),
    fn() => socket_create_pair(99, SOCK_STREAM, 0, $p),
    fn() => socket_create_listen("port"),
    fn() => socket_connect($s()),
    fn() => socket_connect("not a socket", "1.2.3.4", 80),
    fn() => socket_connect($s(), "1.2.3.4"),
    fn() => socket_connect($s(), "1.2.3.4", null),
    fn() => socket_connect($s(), [], 80),
    fn() => socket_connect($closed(), "1.2.3.4", 80),
    fn() => socket_connect(socket_create(AF_INET6, SOCK_STREAM, SOL_TCP), "::1"),
    fn() => socket_bind($s()),
    fn() => socket_bind($closed(), "0.0.0.0"),
    fn() => socket_listen("x"),
    fn() => socket_listen($closed()),
    fn() => socket_accept(),
    fn() => socket_sendto($s(), "x", -1, 0, "1.2.3.4", 80),
    fn() => socket_sendto($s(), "x", 1, 0, "1.2.3.4"),
    fn() => socket_sendto($s(), "x", 1, 0),
    fn() => socket_sendmsg($s(), "not an array"),
    fn() => socket_addrinfo_connect("x"),
    fn() => socket_addrinfo_bind(new stdClass),
    fn() => socket_get_option($s(), SOL_SOCKET),
    fn() => socket_get_option($closed(), SOL_SOCKET, SO_RCVBUF),
    fn() => socket_set_option($s(), SOL_SOCKET, SO_LINGER, 5),
    fn() => socket_set_option($s(), SOL_SOCKET, SO_LINGER, ["l_onoff" => 1]),
    fn() => socket_setopt($s(), "level", SO_RCVBUF, 1),
    fn() => socket_getopt(),
];
PHP);
?>
--EXPECT--
same as stock PHP (30 calls)

--TEST--
ext/sockets: the socket type socket_create recorded never describes another socket (reused handle and descriptor, exported stream)
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.audit_log={TMP}/sockguard_socket_type_known.log
--FILE--
<?php
// The transport in the audit log is the type the check used. Each case
// puts a UDP socket on the descriptor number (and object handle) of a TCP
// Socket that socket_create made, then connects it somewhere denied.
$log = ini_get('sockguard.audit_log');
@unlink($log);
$fds = fn () => array_values(array_filter(array_map('intval', scandir('/proc/self/fd')),
    fn ($fd) => str_starts_with((string) @readlink("/proc/self/fd/$fd"), 'socket:')));
$new_fd = function (callable $make) use ($fds) {
    $before = $fds();
    $made = $make();
    return [$made, array_values(array_diff($fds(), $before))];
};

// 1. A new Socket (here from socket_addrinfo_connect, which attaches no
// stream) on a freed Socket's handle and descriptor. Nothing may create an
// object between the unset and the new Socket, or it would take the handle.
$ai = socket_addrinfo_lookup('93.184.216.34', '9', ['ai_family' => AF_INET, 'ai_socktype' => SOCK_DGRAM]);
$connect = fn () => socket_addrinfo_connect($ai[0]);
$before = $fds();
[$tcp, $tcp_fd] = $new_fd(fn () => socket_create(AF_INET, SOCK_STREAM, SOL_TCP));
$handle = spl_object_id($tcp);
unset($tcp);
$udp = $connect();
$udp_fd = array_values(array_diff($fds(), $before));
var_dump($udp_fd === $tcp_fd, spl_object_id($udp) === $handle);
var_dump(@socket_connect($udp, '10.0.0.1', 53));

// 2. A Socket whose exported stream closed its descriptor, reused by UDP.
[$tcp, $tcp_fd] = $new_fd(fn () => socket_create(AF_INET, SOCK_STREAM, SOL_TCP));
fclose(socket_export_stream($tcp));
[$udp_stream2, $udp_fd] = $new_fd(fn () => stream_socket_client('udp://93.184.216.34:9'));
var_dump($udp_fd === $tcp_fd);
var_dump(@socket_connect($tcp, '10.0.0.2', 53));

// 3. Plain sockets, for contrast.
$plain_udp = socket_create(AF_INET, SOCK_DGRAM, SOL_UDP);
$plain_tcp = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
@socket_connect($plain_udp, '10.0.0.3', 53);
@socket_connect($plain_tcp, '10.0.0.4', 53);

foreach (file($log) as $line) {
    $e = json_decode($line, true, flags: JSON_THROW_ON_ERROR);
    echo $e['target'], ' ', $e['transport'], "\n";
}
?>
--CLEAN--
<?php @unlink(sys_get_temp_dir() . '/sockguard_socket_type_known.log'); ?>
--EXPECT--
bool(true)
bool(true)
bool(false)
bool(true)
bool(false)
10.0.0.1:53 udp
10.0.0.2:53 udp
10.0.0.3:53 udp
10.0.0.4:53 tcp

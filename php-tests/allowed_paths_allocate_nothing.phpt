--TEST--
An allowed connect or datagram to an address literal makes no heap allocation in sockguard, on every API and in the floor under a library (SOCKGUARD_COUNT_ALLOCATIONS counts the Rust allocator's calls)
--EXTENSIONS--
sockets
curl
pgsql
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/libraries.inc'; ?>
--ENV--
SOCKGUARD_COUNT_ALLOCATIONS=1
--INI--
sockguard.allow=10.20.30.40:5432
--FILE--
<?php
function allocations(): int
{
    return sockguard_stats()['rust_allocations'];
}

// Two reads with nothing between differ by what the reads themselves
// allocate: that is the baseline every measurement is compared with.
function allocated_by(callable $op): int
{
    $a = allocations();
    $b = allocations();
    $baseline = $b - $a;
    $c = allocations();
    for ($i = 0; $i < 20; $i++) {
        $op();
    }
    $d = allocations();
    return ($d - $c) - $baseline;
}

$ops = [
    'fsockopen' => function () {
        $f = fsockopen('93.184.216.34', 80, $errno, $errstr, 2) or die("fsockopen failed: $errstr\n");
        fclose($f);
    },
    'stream_socket_client tcp' => function () {
        $f = stream_socket_client('tcp://93.184.216.34:80', $errno, $errstr, 2) or die("failed: $errstr\n");
        fclose($f);
    },
    'stream_socket_client udp + fwrite' => function () {
        $f = stream_socket_client('udp://93.184.216.34:8053', $errno, $errstr, 2) or die("failed: $errstr\n");
        fwrite($f, 'ping');
        fclose($f);
    },
    'stream_socket_sendto' => function () {
        $f = stream_socket_client('udp://93.184.216.34:8053', $errno, $errstr, 2) or die("failed: $errstr\n");
        stream_socket_sendto($f, 'ping', 0, '93.184.216.34:53');
        fclose($f);
    },
    'socket_create + socket_connect' => function () {
        $s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
        socket_connect($s, '93.184.216.34', 80) or die("socket_connect failed\n");
        socket_close($s);
    },
    'socket_sendto' => function () {
        $s = socket_create(AF_INET, SOCK_DGRAM, SOL_UDP);
        socket_sendto($s, 'ping', 4, 0, '93.184.216.34', 8053) === 4 or die("socket_sendto failed\n");
        socket_close($s);
    },
    'file_get_contents http://' => function () {
        file_get_contents('http://93.184.216.34/') !== false or die("file_get_contents failed\n");
    },
    'curl_exec' => function () {
        $ch = curl_init('http://93.184.216.34/');
        curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
        curl_exec($ch) !== false or die('curl failed: ' . curl_error($ch) . "\n");
        curl_close($ch);
    },
    'pg_connect (the floor, by an operator rule)' => function () {
        $c = pg_connect('host=10.20.30.40 port=5432 user=postgres dbname=postgres connect_timeout=2', PGSQL_CONNECT_FORCE_NEW)
            or die("pg_connect failed\n");
        pg_close($c);
    },
];
foreach ($ops as $name => $op) {
    $op(); // the first call may build what later calls reuse
    printf("%-45s %d\n", $name, allocated_by($op));
}
// The count is real: a denied connect formats its reason.
$denied = allocated_by(function () { @fsockopen('10.0.0.1', 80, $errno, $errstr, 1); });
echo $denied > 0 ? "a denial allocates\n" : "a denial allocates nothing?\n";
?>
--EXPECT--
fsockopen                                     0
stream_socket_client tcp                      0
stream_socket_client udp + fwrite             0
stream_socket_sendto                          0
socket_create + socket_connect                0
socket_sendto                                 0
file_get_contents http://                     0
curl_exec                                     0
pg_connect (the floor, by an operator rule)   0
a denial allocates

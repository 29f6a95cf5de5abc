<?php
// One benchmark measurement; prints the elapsed microseconds, or with
// CLOCK=cpu the CPU time (user and system) the loop took.
// usage: php bench.php MODE N [CLOCK]
//   connect-fsockopen-ip|-host, connect-stream-ip|-host, connect-socket-ip|-host,
//   connect-curl-ip|-host: N connect+close to the origin (nginx on :8088)
//   connect-fsockopen-rotating: the same, to five ports in turn
//   sendto-socket-ip, sendto-stream-ip: N datagrams (a new socket each) to
//     the UDP echo on :8053 (benches/php/servers.py)
//   http-curl-direct|-proxy-fresh|-proxy-pooled, and the same for http-stream:
//     N HTTP GETs on new connections with curl or the http:// wrapper, direct
//     or through squid (127.0.0.1:3128 opens a new origin connection per
//     request, 127.0.0.1:3129 pools them)
//   ttfb: N times the first byte of a fresh HTTP GET
//   transfer: N transfers of 100 MB, each on a new connection, from
//     benches/php/servers.py on 127.0.0.1:9101 (an operator rule allows it)
// With SOCKGUARD_BENCH_START (a Unix time), the loop starts at that moment:
// scripts/bench runs stock PHP and sockguard side by side on one CPU.
[$_, $mode, $n, $clock] = $argv + [null, 'connect-fsockopen-ip', 1000, 'wall'];
$n = (int) $n;
$ip = '93.184.216.34';
$host = str_ends_with($mode, '-host') ? 'public.sockguard.test' : $ip;
$port = 8088;
$proxy = str_ends_with($mode, '-pooled') ? '127.0.0.1:3129' : '127.0.0.1:3128';
$fail = function (string $what) { fwrite(STDERR, "$what failed\n"); exit(1); };
// Warm up as a server that has been running for a while is: sockguard's
// idle clock calibrates itself over its first 50 ms of use (in both runs
// of an instruction count, so their difference does not include it).
if ($warm = @fsockopen($ip, $port, $e, $s, 2)) { fclose($warm); usleep(120_000); }
if ($warm = @fsockopen($ip, $port, $e, $s, 2)) { fclose($warm); }
$now = $clock === 'cpu'
    ? function (): float {
        $r = getrusage();
        return ($r['ru_utime.tv_sec'] + $r['ru_stime.tv_sec']) * 1e6 + $r['ru_utime.tv_usec'] + $r['ru_stime.tv_usec'];
    }
    : fn (): float => hrtime(true) / 1000;
if (($start = getenv('SOCKGUARD_BENCH_START')) !== false) {
    @time_sleep_until((float) $start);
}
$t = $now();
switch (preg_replace('/-(ip|host)$/', '', $mode)) {
    case 'connect-fsockopen':
        for ($i = 0; $i < $n; $i++) { ($f = fsockopen($host, $port, $e, $s, 2)) || $fail($mode); fclose($f); }
        break;
    case 'connect-fsockopen-rotating':
        // Five targets in turn (nginx on 8088, the namespace's servers on
        // 80, 8080, 3306 and 9000): more than a thread remembers
        // (hooks/recent.rs), so every connect is decided as a first one.
        $ports = [$port, 80, 8080, 3306, 9000];
        for ($i = 0; $i < $n; $i++) { ($f = fsockopen($host, $ports[$i % 5], $e, $s, 2)) || $fail($mode); fclose($f); }
        break;
    case 'connect-stream':
        for ($i = 0; $i < $n; $i++) { ($f = stream_socket_client("tcp://$host:$port", $e, $s, 2)) || $fail($mode); fclose($f); }
        break;
    case 'connect-socket':
        for ($i = 0; $i < $n; $i++) {
            $s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
            socket_connect($s, $host, $port) || $fail($mode);
            socket_close($s);
        }
        break;
    case 'sendto-socket':
        // A datagram to a public address with ext/sockets (UDP echo on 8053).
        for ($i = 0; $i < $n; $i++) {
            $s = socket_create(AF_INET, SOCK_DGRAM, SOL_UDP);
            socket_sendto($s, 'ping', 4, 0, $host, 8053) === 4 || $fail($mode);
            socket_close($s);
        }
        break;
    case 'sendto-stream':
        // The same with a udp:// stream and stream_socket_sendto.
        for ($i = 0; $i < $n; $i++) {
            ($f = stream_socket_client("udp://$host:8053", $e, $s, 2)) || $fail($mode);
            stream_socket_sendto($f, 'ping', 0, "$host:8053") === 4 || $fail($mode);
            fclose($f);
        }
        break;
    case 'connect-curl':
        for ($i = 0; $i < $n; $i++) {
            $ch = curl_init("http://$host:$port/");
            curl_setopt_array($ch, [CURLOPT_CONNECT_ONLY => true, CURLOPT_FORBID_REUSE => true]);
            curl_exec($ch) !== false || $fail($mode);
            curl_close($ch);
        }
        break;
    case 'http-curl-direct':
    case 'http-curl-proxy-fresh':
    case 'http-curl-proxy-pooled':
        // One handle, as an HTTP client library keeps it, and a new
        // connection for every request (to squid, or to the origin).
        $ch = curl_init("http://$ip:$port/");
        $opts = [CURLOPT_RETURNTRANSFER => true, CURLOPT_FORBID_REUSE => true, CURLOPT_FRESH_CONNECT => true];
        if ($mode !== 'http-curl-direct') $opts[CURLOPT_PROXY] = 'http://' . $proxy;
        curl_setopt_array($ch, $opts);
        for ($i = 0; $i < $n; $i++) {
            curl_exec($ch) === "ok\n" || $fail($mode);
        }
        curl_close($ch);
        break;
    case 'http-stream-direct':
    case 'http-stream-proxy-fresh':
    case 'http-stream-proxy-pooled':
        // The http:// wrapper (file_get_contents), the way most PHP code
        // fetches a URL; through squid with the context's proxy option.
        $http = ['protocol_version' => 1.0];
        if ($mode !== 'http-stream-direct') $http += ['proxy' => 'tcp://' . $proxy, 'request_fulluri' => true];
        $context = stream_context_create(['http' => $http]);
        for ($i = 0; $i < $n; $i++) {
            file_get_contents("http://$ip:$port/", false, $context) === "ok\n" || $fail($mode);
        }
        break;
    case 'transfer':
        // Long enough that one scheduling hiccup does not decide the figure.
        for ($i = 0; $i < $n; $i++) {
            ($f = stream_socket_client('tcp://127.0.0.1:9101', $e, $s, 2)) || $fail($mode);
            $bytes = 0;
            while (!feof($f)) { $bytes += strlen(fread($f, 1 << 20)); }
            $bytes === 100 * 1024 * 1024 || $fail("$mode ($bytes bytes)");
            fclose($f);
        }
        break;
    case 'ttfb':
        $total = 0;
        for ($i = 0; $i < $n; $i++) {
            $t0 = hrtime(true);
            $f = fsockopen($ip, $port, $e, $s, 2) ?: $fail($mode);
            fwrite($f, "GET / HTTP/1.0\r\n\r\n");
            fread($f, 1) !== '' || $fail($mode);
            $total += hrtime(true) - $t0;
            fclose($f);
        }
        printf("%.1f\n", $total / $n / 1000);
        exit(0);
    default:
        $fail("unknown mode $mode");
}
printf("%.0f\n", $now() - $t);

--TEST--
Fuzz: thousands of random targets, spellings, ports, options and argument types through every guarded function; PHP survives and no denied destination is ever reached
--EXTENSIONS--
sockets
sockguard
curl
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
default_socket_timeout=1
--FILE--
<?php
mt_srand(20261125);
const CASES = 3000;

// Addresses that have servers in the namespace but must never be reached.
$denied = ['10.20.30.40', '127.0.0.1', '169.254.169.254', '192.168.1.10', '172.16.5.5', '100.64.1.1', '142.250.1.108', '203.0.113.7'];
$allowed = ['93.184.216.34'];

function spell(string $ip): string {
    $n = ip2long($ip);
    $o = explode('.', $ip);
    switch (mt_rand(0, 9)) {
        case 0: return (string) $n;                                   // 2130706433
        case 1: return sprintf('0x%x', $n);                           // 0x7f000001
        case 2: return sprintf('0%o', $n);                            // 017700000001
        case 3: return implode('.', array_map(fn ($x) => sprintf('0x%x', $x), $o));
        case 4: return implode('.', array_map(fn ($x) => sprintf('0%o', $x), $o));
        case 5: return $o[0] . '.' . (($o[1] << 16) | ($o[2] << 8) | $o[3]);   // 127.1 style
        case 6: return $o[0] . '.' . $o[1] . '.' . (($o[2] << 8) | $o[3]);
        case 7: return "::ffff:$ip";
        case 8: return $ip . '.';
        default: return $ip;
    }
}

function garbage(): mixed {
    return match (mt_rand(0, 9)) {
        0 => random_bytes(mt_rand(0, 40)),
        1 => str_repeat('a', mt_rand(200, 5000)),
        2 => "10.20.30.40\0" . random_bytes(4),
        3 => mt_rand(),
        4 => 1.5,
        5 => null,
        6 => [],
        7 => new stdClass,
        8 => '[' . random_bytes(3) . ']:80',
        default => '',
    };
}

function port(): mixed {
    return match (mt_rand(0, 6)) {
        0 => 25,
        1 => 65536 + 25,
        2 => -65536 + 80,
        3 => mt_rand(-5, 70000),
        4 => '80',
        5 => null,
        default => [80, 8080, 9000, 443][mt_rand(0, 3)],
    };
}

$stats = ['cases' => 0, 'connected' => 0, 'failed' => 0, 'thrown' => 0];
$violations = [];
$check = function (?string $peer, string $how) use ($denied, &$violations) {
    if ($peer === null || $peer === '') return;
    $port = (int) substr($peer, strrpos($peer, ':') + 1);
    $host = trim(substr($peer, 0, strrpos($peer, ':')), '[]');
    $host = preg_replace('/^::ffff:/', '', $host);
    if (in_array($host, $denied, true) || $port === 25) {
        $violations[] = "$how reached $peer";
    }
};

for ($i = 0; $i < CASES; $i++) {
    $stats['cases']++;
    $pick = mt_rand(0, 3);
    $host = $pick === 0 ? garbage() : spell(($pick === 1 ? $allowed : $denied)[array_rand($pick === 1 ? $allowed : $denied)]);
    $port = port();
    $fn = mt_rand(0, 8);
    try {
        switch ($fn) {
            case 0:
                $s = socket_create(is_string($host) && str_contains($host, ':') ? AF_INET6 : AF_INET, SOCK_STREAM, SOL_TCP);
                if (@socket_connect($s, $host, $port)) { @socket_getpeername($s, $a, $p); $check("$a:$p", 'socket_connect'); $stats['connected']++; } else { $stats['failed']++; }
                socket_close($s);
                break;
            case 1:
                $s = socket_create(AF_INET, SOCK_DGRAM, SOL_UDP);
                $r = @socket_sendto($s, 'x', 1, 0, $host, $port);
                $r === false ? $stats['failed']++ : $stats['connected']++;
                if ($r !== false && @socket_recvfrom($s, $buf, 8, MSG_DONTWAIT, $from, $fport) !== false) $check("$from:$fport", 'socket_sendto');
                socket_close($s);
                break;
            case 2:
                $f = @fsockopen($host, $port, $errno, $errstr, 1);
                if ($f) { $check(stream_socket_get_name($f, true), 'fsockopen'); $stats['connected']++; fclose($f); } else { $stats['failed']++; }
                break;
            case 3:
                $url = (['tcp', 'udp', 'ssl', 'tls'][mt_rand(0, 3)]) . '://' . (is_string($host) && str_contains($host, ':') && !str_starts_with($host, '[') ? "[$host]" : (is_scalar($host) ? $host : '')) . ':' . (is_scalar($port) ? $port : 80);
                $c = @stream_socket_client($url, $errno, $errstr, 1);
                if ($c) { $check(stream_socket_get_name($c, true), 'stream_socket_client'); $stats['connected']++; fclose($c); } else { $stats['failed']++; }
                break;
            case 4:
                $ch = curl_init();
                curl_setopt_array($ch, [CURLOPT_URL => 'http://' . (is_scalar($host) ? (str_contains((string) $host, ':') ? "[$host]" : $host) : 'x') . ':' . (is_int($port) ? $port : 80) . '/', CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 1]);
                $body = curl_exec($ch);
                if ($body !== false) { $check(curl_getinfo($ch, CURLINFO_PRIMARY_IP) . ':' . curl_getinfo($ch, CURLINFO_PRIMARY_PORT), 'curl'); $stats['connected']++; } else { $stats['failed']++; }
                break;
            case 5:
                $body = @file_get_contents('http://' . (is_scalar($host) ? (string) $host : '') . ':' . (is_int($port) ? $port : 80) . '/');
                if ($body !== false && preg_match('/hello from (\S+)/', $body, $m)) { $check($m[1], 'file_get_contents'); $stats['connected']++; } else { $stats['failed']++; }
                break;
            case 6:
                $s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
                @socket_set_option($s, mt_rand(-1, 300), mt_rand(-1, 100), garbage());
                @socket_get_option($s, mt_rand(-1, 300), mt_rand(-1, 100));
                $stats['failed']++;
                break;
            case 7:
                $s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
                @socket_bind($s, $host, $port) ? $stats['connected']++ : $stats['failed']++;
                break;
            default:
                $r = @sockguard_check(is_string($host) ? $host : '', is_int($port) && $port >= 0 && $port <= 65535 ? $port : 80);
                $stats['failed']++;
                break;
        }
    } catch (Throwable $e) {
        $stats['thrown']++;
    }
}
printf("cases: %d\n", $stats['cases']);
printf("outcomes add up: %s\n", $stats['connected'] + $stats['failed'] + $stats['thrown'] === CASES ? 'yes' : 'no');
printf("some connections allowed: %s\n", $stats['connected'] > 0 ? 'yes' : 'no');
printf("violations: %d\n", count($violations));
foreach (array_slice($violations, 0, 10) as $v) echo "  $v\n";
?>
--EXPECT--
cases: 3000
outcomes add up: yes
some connections allowed: yes
violations: 0

<?php
// sockguard demo: runs inside the test namespace (scripts/netns/run), where
// every address below really has a server. Each line shows what happens
// without sockguard (a child PHP with no extensions) and with it.

if (!extension_loaded('sockguard')) {
    fwrite(STDERR, "sockguard is not loaded\n");
    exit(1);
}

function without_sockguard(string $host, int $port): string
{
    $url = sprintf('tcp://%s:%d', str_contains($host, ':') ? "[$host]" : $host, $port);
    $code = 'echo @stream_socket_client(' . var_export($url, true) . ', $e, $s, 2) ? "open" : "closed";';
    return (string) shell_exec(escapeshellarg(PHP_BINARY) . ' -n -r ' . escapeshellarg($code));
}

function with_sockguard(string $host, int $port): array
{
    $family = str_contains($host, ':') ? AF_INET6 : AF_INET;
    $sock = socket_create($family, SOCK_STREAM, SOL_TCP);
    $ok = @socket_connect($sock, $host, $port);
    $why = $ok ? '' : (error_get_last()['message'] ?? '');
    socket_close($sock);
    return [$ok ? 'connected' : 'denied', preg_replace('/^.*\(sockguard: (.*)\)$/', '$1', $why)];
}

$cases = [
    ['public address, port 80', '93.184.216.34', 80],
    ['Google public DNS, port 53', '8.8.8.8', 53],
    ['private address', '10.20.30.40', 80],
    ['loopback', '127.0.0.1', 80],
    ['cloud metadata', '169.254.169.254', 80],
    ['port 25 on a public address', '93.184.216.34', 25],
    ['Google address, port 443', '142.250.1.108', 443],
    ['IPv4 spelled 0x7f.1', '0x7f.1', 80],
    ['IPv4-mapped IPv6 of a private address', '::ffff:10.20.30.40', 80],
];

printf("%-60s %-18s %-10s %s\n", 'destination (socket_connect)', 'without sockguard', 'sockguard', 'reason');
foreach ($cases as [$label, $host, $port]) {
    [$result, $why] = with_sockguard($host, $port);
    printf("%-60s %-18s %-10s %s\n", "$label ($host:$port)", without_sockguard($host, $port), $result, $why);
}

$listen = @socket_create_listen(8081);
$why = preg_replace('/^.*\(sockguard: (.*)\)$/', '$1', error_get_last()['message'] ?? '');
printf("%-60s %-18s %-10s %s\n", 'listen on port 8081', 'allowed', $listen ? 'listening' : 'denied', $why);

echo "\nThe same rules on every other path:\n";
$body = @file_get_contents('http://10.20.30.40/');
echo "file_get_contents('http://10.20.30.40/'): ", $body === false ? error_get_last()['message'] : $body, "\n";
if (function_exists('curl_init')) {
    $ch = curl_init('http://public.sockguard.test/redirect?to=http://169.254.169.254/');
    curl_setopt_array($ch, [CURLOPT_RETURNTRANSFER => true, CURLOPT_FOLLOWLOCATION => true]);
    $body = curl_exec($ch);
    echo "curl, redirect to the metadata address: ", $body === false ? curl_error($ch) : $body, "\n";
}
$f = @fsockopen('public.sockguard.test', 80, $errno, $errstr, 2);
echo "fsockopen('public.sockguard.test', 80): ", $f ? 'connected' : "$errno $errstr", "\n";

echo "\nsockguard_check('smtp.gmail.com', 465):\n";
print_r(sockguard_check('smtp.gmail.com', 465));

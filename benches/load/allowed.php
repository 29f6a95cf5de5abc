<?php
// Load test page: allowed connections over fsockopen, curl and a persistent
// socket. Answers 500 if any of them fails.
$ok = true;
$f = fsockopen('public.sockguard.test', 80, $errno, $errstr, 2);
if ($f) {
    fwrite($f, "GET / HTTP/1.0\r\n\r\n");
    $ok = $ok && str_contains((string) stream_get_contents($f), 'hello from 93.184.216.34');
    fclose($f);
} else {
    $ok = false;
}
$ch = curl_init('http://public.sockguard.test:8080/');
curl_setopt_array($ch, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 2]);
$ok = $ok && str_contains((string) curl_exec($ch), 'hello from 93.184.216.34');
$p = pfsockopen('93.184.216.34', 9000, $errno, $errstr, 2);
$ok = $ok && $p !== false;
http_response_code($ok ? 200 : 500);
echo $ok ? "ok\n" : "failed\n";

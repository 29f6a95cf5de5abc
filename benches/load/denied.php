<?php
// Load test page: connections sockguard must deny, over fsockopen, curl,
// pfsockopen and ext/sockets. Answers 500 if any of them got through.
$leaked = [];
if (@fsockopen('10.20.30.40', 80, $errno, $errstr, 2)) $leaked[] = 'fsockopen';
$ch = curl_init('http://169.254.169.254/');
curl_setopt_array($ch, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 2]);
if (curl_exec($ch) !== false) $leaked[] = 'curl';
if (@pfsockopen('127.0.0.1', 9000, $errno, $errstr, 2)) $leaked[] = 'pfsockopen';
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
if (@socket_connect($s, '192.168.1.10', 80)) $leaked[] = 'socket_connect';
http_response_code($leaked ? 500 : 200);
echo $leaked ? 'LEAKED: ' . implode(', ', $leaked) . "\n" : "denied\n";

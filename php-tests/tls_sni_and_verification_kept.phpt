--TEST--
ssl:// and https:// connect to the checked address while SNI and peer verification keep the host name
--EXTENSIONS--
sockguard
openssl
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
$ctx = stream_context_create(["ssl" => ["cafile" => getenv("SOCKGUARD_TEST_CA"), "verify_peer" => true]]);
$c = stream_socket_client("ssl://public.sockguard.test:443", $errno, $errstr, 5, STREAM_CLIENT_CONNECT, $ctx);
fwrite($c, "GET / HTTP/1.0\r\nHost: public.sockguard.test\r\n\r\n");
echo strstr(stream_get_contents($c), "hello");
echo file_get_contents("https://public.sockguard.test/", false, $ctx);
$t = stream_socket_client("tlsv1.2://public.sockguard.test:443", $errno, $errstr, 5, STREAM_CLIENT_CONNECT, $ctx);
var_dump((bool) $t);
// A name the certificate does not carry still fails verification, as in stock PHP.
$bad = stream_context_create(["ssl" => ["cafile" => getenv("SOCKGUARD_TEST_CA"), "peer_name" => "other.sockguard.test"]]);
$warnings = [];
set_error_handler(function ($no, $msg) use (&$warnings) { $warnings[] = $msg; return true; });
var_dump(stream_socket_client("ssl://public.sockguard.test:443", $errno, $errstr, 5, STREAM_CLIENT_CONNECT, $bad));
restore_error_handler();
// (PHP and OpenSSL versions word it differently: by CN or by subjectAltName.)
echo preg_match('/Peer certificate .*did not match expected .*other\.sockguard\.test/', $warnings[0] ?? '')
    ? 'verification failed for other.sockguard.test' : ($warnings[0] ?? 'no warning'), "\n";
var_dump(stream_socket_client("ssl://google.sockguard.test:443", $errno, $errstr, 5, STREAM_CLIENT_CONNECT, $ctx));
var_dump(@file_get_contents("https://10.20.30.40/", false, $ctx));
echo error_get_last()["message"], "\n";
?>
--EXPECTF--
hello from 93.184.216.34:443 sni=public.sockguard.test
hello from 93.184.216.34:443 sni=public.sockguard.test
bool(true)
bool(false)
verification failed for other.sockguard.test

Warning: stream_socket_client(): Unable to connect to ssl://google.sockguard.test:443 (sockguard: 142.250.1.108 is in a Google range: 142.250.0.0/15) in %s on line %d
bool(false)
bool(false)
file_get_contents(https://10.20.30.40/): Failed to open stream: sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8

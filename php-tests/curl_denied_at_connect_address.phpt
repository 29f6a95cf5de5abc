--TEST--
curl is checked at the address libcurl connects to: private, loopback, metadata and Google addresses fail with the reason
--EXTENSIONS--
sockguard
curl
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
require __DIR__ . '/inc/curl.inc';
echo probe_without_sockguard('tcp://10.20.30.40:80'), "\n";
fetch('http://public.sockguard.test/');
fetch('https://public.sockguard.test/', [CURLOPT_CAINFO => getenv('SOCKGUARD_TEST_CA')]);
fetch('http://10.20.30.40/');
fetch('http://metadata.sockguard.test/computeMetadata/v1/');
fetch('http://[::1]:8080/');
fetch('http://0x7f.1/');
fetch('https://google.sockguard.test/', [CURLOPT_CAINFO => getenv('SOCKGUARD_TEST_CA')]);
fetch('http://93.184.216.34:25/');
?>
--EXPECTF--
open
http://public.sockguard.test/ => hello from 93.184.216.34:80
https://public.sockguard.test/ => hello from 93.184.216.34:443 sni=public.sockguard.test
http://10.20.30.40/ => errno 7: Failed to connect to 10.20.30.40 port 80 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8)
http://metadata.sockguard.test/computeMetadata/v1/ => errno 7: Failed to connect to metadata.sockguard.test port 80 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: 169.254.169.254 is in a blocked range: link-local 169.254.0.0/16)
http://[::1]:8080/ => errno 7: Failed to connect to ::1 port 8080 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: ::1 is in a blocked range: loopback ::1/128)
http://0x7f.1/ => errno 7: Failed to connect to 127.0.0.1 port 80 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8)
https://google.sockguard.test/ => errno 7: Failed to connect to google.sockguard.test port 443 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: 142.250.1.108 is in a Google range: 142.250.0.0/15)
http://93.184.216.34:25/ => errno 7: Failed to connect to 93.184.216.34 port 25 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: port 25 is blocked)

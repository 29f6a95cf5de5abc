--TEST--
curl: a domain deny rule (*.example.com:port) is matched on the host of the URL libcurl connects for, redirects included, though libcurl resolves the name itself; addresses and other names are unaffected
--EXTENSIONS--
curl
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.deny=*.sockguard.test:80
--FILE--
<?php
require __DIR__ . '/inc/curl.inc';
fetch('http://public.sockguard.test/');
fetch('http://93.184.216.34/');
fetch('http://public.sockguard.test:8080/');
// A redirect from an address to a denied name: the second connection is refused.
fetch('http://93.184.216.34/redirect?to=http://public.sockguard.test/', [CURLOPT_FOLLOWLOCATION => true]);
// Chosen addresses change nothing: the name is the URL's.
fetch('http://public.sockguard.test/', [CURLOPT_RESOLVE => ['public.sockguard.test:80:93.184.216.34']]);
?>
--EXPECTF--
http://public.sockguard.test/ => errno 7: Failed to connect to public.sockguard.test port 80 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: denied by rule *.sockguard.test:80)
http://93.184.216.34/ => hello from 93.184.216.34:80
http://public.sockguard.test:8080/ => hello from 93.184.216.34:8080
http://93.184.216.34/redirect?to=http://public.sockguard.test/ => errno 7: Failed to connect to public.sockguard.test port 80 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: denied by rule *.sockguard.test:80)
http://public.sockguard.test/ => errno 7: Failed to connect to public.sockguard.test port 80 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: denied by rule *.sockguard.test:80)

--TEST--
curl redirects, CURLOPT_RESOLVE, CURLOPT_CONNECT_TO, proxies, curl_reset and curl_multi are all checked at the connect address
--EXTENSIONS--
sockguard
curl
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/curl.inc';
// An allowed server redirects to a private one: stopped at the redirect.
fetch('http://public.sockguard.test/redirect?to=http://10.20.30.40/', [CURLOPT_FOLLOWLOCATION => true]);
fetch('http://public.sockguard.test/redirect?to=http://public.sockguard.test:8080/', [CURLOPT_FOLLOWLOCATION => true]);
// A public name pinned to a private address by the app.
fetch('http://public.sockguard.test/', [CURLOPT_RESOLVE => ['public.sockguard.test:80:10.20.30.40']]);
fetch('http://public.sockguard.test/', [CURLOPT_CONNECT_TO => ['public.sockguard.test:80:127.0.0.1:80']]);
// A proxy on a private address.
fetch('http://public.sockguard.test/', [CURLOPT_PROXY => 'http://10.20.30.40:8080']);
// curl_reset clears every option; the guard comes back with it.
$ch = curl_init();
curl_reset($ch);
curl_setopt_array($ch, [CURLOPT_URL => 'http://10.20.30.40/', CURLOPT_RETURNTRANSFER => true]);
var_dump(curl_exec($ch), curl_errno($ch));
// A copied handle is guarded too.
$copy = curl_copy_handle($ch);
var_dump(curl_exec($copy), curl_errno($copy));
// curl_multi
$mh = curl_multi_init();
$ch = curl_init('http://private.sockguard.test/');
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
curl_multi_add_handle($mh, $ch);
do {
    curl_multi_exec($mh, $running);
    curl_multi_select($mh, 0.1);
} while ($running);
var_dump(curl_multi_info_read($mh)['result'], curl_error($ch));
// A followed redirect through the http:// stream wrapper is stopped too.
var_dump(@file_get_contents('http://public.sockguard.test/redirect?to=http://10.20.30.40/'));
echo error_get_last()['message'], "\n";
?>
--EXPECTF--
http://public.sockguard.test/redirect?to=http://10.20.30.40/ => errno 7: Failed to connect to 10.20.30.40 port 80 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8)
http://public.sockguard.test/redirect?to=http://public.sockguard.test:8080/ => hello from 93.184.216.34:8080
http://public.sockguard.test/ => errno 7: Failed to connect to public.sockguard.test port 80 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8)
http://public.sockguard.test/ => errno 7: Failed to connect to 127.0.0.1 port 80 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8)
http://public.sockguard.test/ => errno 7: Failed to connect to 10.20.30.40 port 8080 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8)
bool(false)
int(7)
bool(false)
int(7)
int(7)
string(%d) "Failed to connect to private.sockguard.test port 80 after %d ms: %r(Couldn't|Could not)%r connect to server (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8)"
bool(false)
file_get_contents(http://public.sockguard.test/redirect?to=http://10.20.30.40/): Failed to open stream: sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8

--TEST--
The floor: libcurl's own transfers (DNS over HTTPS to a private server) and its binds (CURLOPT_INTERFACE, CURLOPT_LOCALPORT) obey the rules
--EXTENSIONS--
curl
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--FILE--
<?php
$calls = <<<'PHP'
$get = function (array $options) {
    $ch = curl_init("http://public.sockguard.test/");
    curl_setopt_array($ch, $options + [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 3]);
    $body = curl_exec($ch);
    echo $body !== false ? trim($body) : "error: " . curl_error($ch), "\n";
};
// The DoH server resolves public.sockguard.test itself: the lookup goes
// through it or not at all.
$get([CURLOPT_DOH_URL => "https://10.20.30.40/dns-query", CURLOPT_DOH_SSL_VERIFYPEER => false, CURLOPT_DOH_SSL_VERIFYHOST => false]);
$get([CURLOPT_INTERFACE => "127.0.0.1"]);
$get([CURLOPT_LOCALPORT => 40000]);
PHP;
echo "without sockguard:\n", shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=curl -r ' . escapeshellarg($calls));
echo "with sockguard:\n";
eval($calls);
?>
--EXPECTF--
without sockguard:
hello from 93.184.216.34:80
hello from 93.184.216.34:80
hello from 93.184.216.34:80
with sockguard:

Warning: curl_exec(): sockguard: connect(10.20.30.40:443) from libcurl.so.4 denied: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8 in %s on line %d
error: %r(Couldn't resolve host name|Could not resolve hostname)%r

Warning: curl_exec(): sockguard: bind(127.0.0.1:0) from libcurl.so.4 denied: binding to 127.0.0.1:0 is not allowed in %s on line %d
error: bind failed with errno 13: Permission denied

Warning: curl_exec(): sockguard: bind(0.0.0.0:40000) from libcurl.so.4 denied: binding to 0.0.0.0:40000 is not allowed in %s on line %d
error: bind failed with errno 13: Permission denied

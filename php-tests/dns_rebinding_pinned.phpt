--TEST--
A host name is resolved once and the connection goes to the checked address: DNS rebinding cannot slip through
--EXTENSIONS--
sockguard

--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
// The test DNS server answers rebind.sockguard.test with a public address
// once, then with a private one. sockguard asks first and pins the answer.
$f = fsockopen("rebind.sockguard.test", 80, $errno, $errstr, 2);
fwrite($f, "GET / HTTP/1.0\r\n\r\n");
echo strstr(stream_get_contents($f), "hello");
// Any later lookup gets the private address: PHP resolving the name again
// would have reached 10.20.30.40, as stock PHP does now.
var_dump(gethostbyname("rebind.sockguard.test"));
$code = "\$f = fsockopen(\"rebind.sockguard.test\", 80); fwrite(\$f, \"GET / HTTP/1.0\\r\\n\\r\\n\"); echo strstr(stream_get_contents(\$f), \"hello\");";
echo shell_exec(escapeshellarg(PHP_BINARY) . " -n -r " . escapeshellarg($code));
// And sockguard, asked again within the answer cache, still connects to the checked address.
$c = stream_socket_client("tcp://rebind.sockguard.test:80", $errno, $errstr, 2);
var_dump(stream_socket_get_name($c, true));
?>
--EXPECTF--
hello from 93.184.216.34:80
string(11) "10.20.30.40"
hello from 10.20.30.40:80
string(16) "93.184.216.34:80"

--TEST--
sockguard.allow and sockguard.deny take domain rules (*.example.com:port), matched on the name the app asked for: a wildcard allow opens Google's ranges and port 25 to names under it, never a private or link-local address; a wildcard deny denies before any lookup
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.allow=*.sockguard.test:80,*.sockguard.test:25
sockguard.deny=*.blocked.sockguard.test:*
--FILE--
<?php
function try_connect(string $target): void
{
    $f = @stream_socket_client("tcp://$target", $errno, $errstr, 2);
    echo str_pad($target, 34), $f ? 'connected' : "denied ($errstr)", "\n";
    if ($f) fclose($f);
}
try_connect('google.sockguard.test:80');     // 142.250.1.108, a Google range
try_connect('google.sockguard.test:443');    // not the rule's port
try_connect('142.250.1.108:80');             // an address: no name to match
try_connect('public.sockguard.test:25');
try_connect('93.184.216.34:25');
try_connect('private.sockguard.test:80');    // 10.20.30.40
try_connect('metadata.sockguard.test:80');   // 169.254.169.254
try_connect('mixed.sockguard.test:80');      // one address private
try_connect('www.blocked.sockguard.test:80'); // no such name: never looked up
echo sockguard_check('x.blocked.sockguard.test', 80)['code'], "\n";
// The connection goes to the address sockguard checked (pinned).
$r = file_get_contents('http://google.sockguard.test/');
echo $r === false ? "no answer\n" : trim($r) . "\n";
?>
--EXPECT--
google.sockguard.test:80          connected
google.sockguard.test:443         denied (sockguard: 142.250.1.108 is in a Google range: 142.250.0.0/15)
142.250.1.108:80                  denied (sockguard: 142.250.1.108 is in a Google range: 142.250.0.0/15)
public.sockguard.test:25          connected
93.184.216.34:25                  denied (sockguard: port 25 is blocked)
private.sockguard.test:80         denied (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8)
metadata.sockguard.test:80        denied (sockguard: 169.254.169.254 is in a blocked range: link-local 169.254.0.0/16)
mixed.sockguard.test:80           denied (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8)
www.blocked.sockguard.test:80     denied (sockguard: denied by rule *.blocked.sockguard.test:*)
rule
hello from 142.250.1.108:80

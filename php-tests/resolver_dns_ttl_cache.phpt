--TEST--
sockguard.resolver=dns:IP resolves with hickory against that server; answers are cached for their TTL
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.resolver=dns:8.8.8.8
--FILE--
<?php
// One check looks the name up (a miss) and checks the allowlist entry for it
// (a hit). The namespace's DNS server on 8.8.8.8 answers smtp.gmail.com with a 2 s
// TTL: 142.250.4.108 first, then 142.250.4.109.
$show = function (string $host, int $port) {
    $r = sockguard_check($host, $port);
    echo $host, ':', $port, ' ', $r['allowed'] ? 'allowed' : 'denied', ' [', implode(',', $r['addresses']), '] ', $r['message'], "\n";
};
$before = sockguard_stats();
$show('smtp.gmail.com', 465);
$show('smtp.gmail.com', 465);
$after = sockguard_stats();
echo 'misses +', $after['resolver_cache_misses'] - $before['resolver_cache_misses'], ' hits +', $after['resolver_cache_hits'] - $before['resolver_cache_hits'], "\n";
$f = fsockopen('smtp.gmail.com', 465, $errno, $errstr, 2);
echo fgets($f);
sleep(3);
$show('smtp.gmail.com', 465);
// The allowlist entry matches the name's current answer only.
$show('142.250.4.108', 465);
$show('142.250.4.109', 465);
$show('smtp.gmail.com', 25);
$show('nonexistent.sockguard.test', 80);
$show('private.sockguard.test', 80);
?>
--EXPECT--
smtp.gmail.com:465 allowed [142.250.4.108] allowed
smtp.gmail.com:465 allowed [142.250.4.108] allowed
misses +1 hits +3
220 sockguard-test 142.250.4.108:465
smtp.gmail.com:465 allowed [142.250.4.109] allowed
142.250.4.108:465 denied [] 142.250.4.108 is in a Google range: 142.250.0.0/15
142.250.4.109:465 allowed [142.250.4.109] allowed
smtp.gmail.com:25 denied [] port 25 is blocked
nonexistent.sockguard.test:80 denied [] cannot resolve nonexistent.sockguard.test: nonexistent.sockguard.test does not resolve
private.sockguard.test:80 denied [] 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8

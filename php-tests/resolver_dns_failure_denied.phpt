--TEST--
A resolver that cannot answer denies with reason dns, within the resolver timeout
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.resolver=dns:192.0.2.53
--FILE--
<?php
$t = microtime(true);
$r = sockguard_check('public.sockguard.test', 80);
echo $r['code'], ': ', $r['message'], "\n";
var_dump(@fsockopen('public.sockguard.test', 80, $errno, $errstr, 2), $errno);
echo $errstr, "\n";
var_dump(microtime(true) - $t < 5);
// IP literals need no resolver.
var_dump(sockguard_check('93.184.216.34', 80)['allowed']);
?>
--EXPECTF--
dns: cannot resolve public.sockguard.test: %s
bool(false)
int(13)
sockguard: cannot resolve public.sockguard.test: %s
bool(true)
bool(true)

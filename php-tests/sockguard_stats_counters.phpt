--TEST--
sockguard_stats() counters move by exactly one per decision
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
$delta = function (array $before, array $after): string {
    $out = [];
    foreach (['checked', 'allowed', 'denied'] as $k) {
        $out[] = "$k+" . ($after[$k] - $before[$k]);
    }
    foreach ($after['denied_by_reason'] as $code => $n) {
        $d = $n - ($before['denied_by_reason'][$code] ?? 0);
        if ($d) $out[] = "$code+$d";
    }
    return implode(' ', $out);
};
$s0 = sockguard_stats();
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
socket_connect($s, '93.184.216.34', 80);
$s1 = sockguard_stats();
echo $delta($s0, $s1), "\n";
@fsockopen('10.20.30.40', 80);
$s2 = sockguard_stats();
echo $delta($s1, $s2), "\n";
@stream_socket_client('tcp://93.184.216.34:25');
@file_get_contents('http://public.sockguard.test/');
$s3 = sockguard_stats();
echo $delta($s2, $s3), "\n";
var_dump(array_keys($s3));
?>
--EXPECT--
checked+2 allowed+2 denied+0
checked+1 allowed+0 denied+1 blocked-range+1
checked+2 allowed+1 denied+1 port-25+1
array(8) {
  [0]=>
  string(7) "checked"
  [1]=>
  string(7) "allowed"
  [2]=>
  string(6) "denied"
  [3]=>
  string(9) "reclaimed"
  [4]=>
  string(19) "resolver_cache_hits"
  [5]=>
  string(21) "resolver_cache_misses"
  [6]=>
  string(19) "resolver_cache_size"
  [7]=>
  string(16) "denied_by_reason"
}

--TEST--
sockguard_metrics() counts every decision by app_id, function, transport, action and reason, in the Prometheus text format that prometheus_client parses, and agrees with sockguard_stats()
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
<?php
exec('/usr/bin/python3 -c "import prometheus_client" 2>&1', $out, $rc);
if ($rc !== 0) die('skip needs python3-prometheus-client');
?>
--INI--
sockguard.mode=enforce
sockguard.app_id=shop
--FILE--
<?php
// The counters of one label set, or 0.
function count_of(string $metrics, string $labels): int
{
    return preg_match('/^sockguard_decisions_total\{' . preg_quote($labels, '/') . '\} (\d+)$/m', $metrics, $m)
        ? (int) $m[1] : 0;
}
$s0 = sockguard_stats();
$m0 = sockguard_metrics();
// Twice: the second count goes where the first one found its counter.
for ($i = 0; $i < 2; $i++) {
    $s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
    socket_connect($s, '93.184.216.34', 80);
    socket_close($s);
}
$u = socket_create(AF_INET, SOCK_DGRAM, SOL_UDP);
socket_sendto($u, 'a', 1, 0, '93.184.216.34', 53);
socket_sendto($u, 'b', 1, 0, '93.184.216.34', 53);
socket_close($u);
@fsockopen('10.20.30.40', 80);
@stream_socket_client('tcp://93.184.216.34:25');
@stream_socket_client('udp://93.184.216.34:53');
@stream_socket_client('udp://93.184.216.34:53');
var_dump(sockguard_check('10.0.0.1', 80)['allowed']); // a dry run: not counted
$m1 = sockguard_metrics();
$s1 = sockguard_stats();
foreach ([
    'app_id="shop",function="socket_create",transport="tcp",action="allowed",reason=""',
    'app_id="shop",function="socket_connect",transport="tcp",action="allowed",reason=""',
    'app_id="shop",function="socket_create",transport="udp",action="allowed",reason=""',
    'app_id="shop",function="socket_sendto",transport="udp",action="allowed",reason=""',
    'app_id="shop",function="fsockopen",transport="tcp",action="denied",reason="blocked-range"',
    'app_id="shop",function="stream_socket_client",transport="tcp",action="denied",reason="port-25"',
    'app_id="shop",function="stream_socket_client",transport="udp",action="allowed",reason=""',
] as $labels) {
    echo $labels, ' +', count_of($m1, $labels) - count_of($m0, $labels), "\n";
}
$sum = fn (string $m) => array_sum(array_map('intval', preg_match_all('/^sockguard_decisions_total\{.*\} (\d+)$/m', $m, $x) ? $x[1] : []));
echo "metrics +", $sum($m1) - $sum($m0), ", sockguard_stats checked +", $s1['checked'] - $s0['checked'], "\n";
echo preg_match('/^sockguard_metrics_shared 1$/m', $m1) ? "shared\n" : "not shared\n";

// The official parser reads every family and sample.
$py = <<<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(sys.stdin.read()):
    n = sum(s.value for s in f.samples)
    print(f.name, f.type, len(f.samples) > 0, f.documentation != "")
PY;
$p = proc_open(['/usr/bin/python3', '-c', $py], [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
fwrite($pipes[0], $m1);
fclose($pipes[0]);
echo stream_get_contents($pipes[1]), stream_get_contents($pipes[2]);
echo "parser exit ", proc_close($p), "\n";
?>
--EXPECT--
bool(false)
app_id="shop",function="socket_create",transport="tcp",action="allowed",reason="" +2
app_id="shop",function="socket_connect",transport="tcp",action="allowed",reason="" +2
app_id="shop",function="socket_create",transport="udp",action="allowed",reason="" +1
app_id="shop",function="socket_sendto",transport="udp",action="allowed",reason="" +2
app_id="shop",function="fsockopen",transport="tcp",action="denied",reason="blocked-range" +1
app_id="shop",function="stream_socket_client",transport="tcp",action="denied",reason="port-25" +1
app_id="shop",function="stream_socket_client",transport="udp",action="allowed",reason="" +2
metrics +11, sockguard_stats checked +11
shared
sockguard_decisions counter True True
sockguard_sockets_reclaimed counter False True
sockguard_metrics_overflow counter True True
sockguard_metrics_series gauge True True
sockguard_metrics_series_limit gauge True True
sockguard_metrics_shared gauge True True
sockguard_build_info gauge True True
parser exit 0

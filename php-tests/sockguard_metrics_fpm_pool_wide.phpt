--TEST--
sockguard_metrics() in any php-fpm worker counts the decisions of the whole pool: 8 workers under wrk, a worker recycled midway, and the sum that a real Prometheus scrapes equals the decisions made (none lost)
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
<?php
foreach (['/usr/sbin/nginx', '/usr/bin/wrk', '/usr/bin/prometheus'] as $bin) {
    if (!is_executable($bin)) die("skip needs $bin");
}
require __DIR__ . '/inc/fpm.inc';
if (!fpm_binary()) die('skip needs the php-fpm of this PHP');
?>
--INI--
; The test's own requests to its servers on 127.0.0.1 are not the subject.
sockguard.mode="off"
--FILE--
<?php
$state = sys_get_temp_dir() . '/sockguard-metrics-' . getmypid();
@mkdir($state, 0755);
chmod($state, 0755);
require __DIR__ . '/inc/fpm.inc';
$fpm_bin = fpm_binary();
// Every request makes two decisions: an allowed datagram socket (no packet
// is sent) and a denied connect to a private address.
file_put_contents("$state/page.php", <<<'PHP'
<?php
$u = stream_socket_client('udp://93.184.216.34:9', $errno, $errstr);
$t = @fsockopen('10.20.30.40', 80, $errno, $errstr, 1);
echo $u ? 'u' : '-', $t ? 't' : '-';
PHP);
file_put_contents("$state/metrics.php", <<<'PHP'
<?php
header('Content-Type: text/plain; version=0.0.4');
echo sockguard_metrics();
PHP);
file_put_contents("$state/fpm.conf", <<<CONF
[global]
pid = $state/fpm.pid
error_log = $state/fpm.log
daemonize = no
[pool]
user = www-data
group = www-data
listen = 127.0.0.1:9031
pm = static
pm.max_children = 8
; Workers are recycled while the load runs: what they counted stays.
; (Every worker several times, even at valgrind's pace.)
pm.max_requests = 10
php_admin_value[sockguard.app_id] = pool
CONF);
file_put_contents("$state/nginx.conf", <<<CONF
daemon off;
worker_processes 1;
pid $state/nginx.pid;
error_log $state/nginx-error.log;
events { worker_connections 256; }
http {
  log_format page '\$uri \$status';
  access_log $state/access.log page;
  client_body_temp_path $state/body;
  fastcgi_temp_path $state/fastcgi;
  proxy_temp_path $state/proxy;
  uwsgi_temp_path $state/uwsgi;
  scgi_temp_path $state/scgi;
  server { listen 127.0.0.1:8093; root $state;
    location ~ \.php\$ { include /etc/nginx/fastcgi_params;
      fastcgi_ignore_client_abort on;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name; fastcgi_pass 127.0.0.1:9031; } }
}
CONF);
file_put_contents("$state/prometheus.yml", <<<CONF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: sockguard
    metrics_path: /metrics.php
    static_configs:
      - targets: ['127.0.0.1:8093']
CONF);
$null = ['file', '/dev/null', 'w'];
$procs = [
    proc_open([$fpm_bin, '-n', '-y', "$state/fpm.conf", '-d', 'extension=sockguard', '-R'], [0 => ['file', '/dev/null', 'r'], 1 => $null, 2 => $null], $p),
    proc_open(['/usr/sbin/nginx', '-c', "$state/nginx.conf"], [0 => ['file', '/dev/null', 'r'], 1 => $null, 2 => $null], $p),
    proc_open(['/usr/bin/prometheus', "--config.file=$state/prometheus.yml", "--storage.tsdb.path=$state/tsdb", '--web.listen-address=127.0.0.1:9093'], [0 => ['file', '/dev/null', 'r'], 1 => $null, 2 => ['file', "$state/prometheus.log", 'w']], $p),
];
function get(string $url): string|false
{
    return @file_get_contents($url, false, stream_context_create(['http' => ['timeout' => 5]]));
}
for ($i = 0; $i < 100 && get('http://127.0.0.1:8093/metrics.php') === false; $i++) usleep(100000);
for ($i = 0; $i < 100 && get('http://127.0.0.1:9093/-/ready') === false; $i++) usleep(100000);
file_put_contents("$state/access.log", '');
// Under valgrind (run-tests -m sets USE_ZEND_ALLOC=0) every worker runs
// at a fraction of its speed: a longer load, and longer for the last
// requests to finish.
$valgrind = getenv('USE_ZEND_ALLOC') === '0';
exec('/usr/bin/wrk -t2 -c16 -d' . ($valgrind ? 20 : 5) . 's http://127.0.0.1:8093/page.php 2>&1', $wrk, $rc);
echo "wrk exit $rc\n";
sleep($valgrind ? 5 : 1); // requests nginx still had in flight complete
$log = file("$state/access.log", FILE_IGNORE_NEW_LINES);
$requests = count(array_filter($log, fn ($l) => str_starts_with($l, '/page.php ')));
$decisions = 2 * $requests;
// The master logs each worker it starts: more than the first 8 means
// workers were recycled during the load (their counts must still be there).
$started = preg_match_all('/child \d+ started/', (string) @file_get_contents("$state/fpm.log"));
echo $started > 8 ? "workers recycled\n" : "no worker recycled ($started started, $requests requests)\n";
$text = get('http://127.0.0.1:8093/metrics.php');
preg_match_all('/^sockguard_decisions_total\{app_id="pool",function="(\w+)",transport="(\w+)",action="([\w-]+)",reason="([\w-]*)"\} (\d+)$/m', $text, $m, PREG_SET_ORDER);
$sum = 0;
foreach ($m as [, $f, $t, $a, $r, $n]) {
    $sum += $n;
    $by["$f $t $a $r"] = ($by["$f $t $a $r"] ?? 0) + $n;
}
ksort($by);
foreach ($by as $k => $n) echo $k, ' ', $n === $requests ? 'one per request' : "$n of $requests", "\n";
echo $sum === $decisions ? "page: all decisions counted\n" : "page: $sum of $decisions\n";
// Prometheus scrapes the page; wait for a sample taken after the load.
$want = (string) $decisions;
for ($i = 0; $i < 100; $i++) {
    $q = json_decode((string) get('http://127.0.0.1:9093/api/v1/query?query=' . urlencode('sum(sockguard_decisions_total{app_id="pool"})')), true);
    $got = $q['data']['result'][0]['value'][1] ?? null;
    if ($got === $want) break;
    usleep(200000);
}
echo $got === $want ? "prometheus: all decisions counted\n" : "prometheus: $got of $want\n";
$q = json_decode((string) get('http://127.0.0.1:9093/api/v1/query?query=up'), true);
echo 'up ', $q['data']['result'][0]['value'][1] ?? '?', "\n";
foreach ($procs as $proc) {
    proc_terminate($proc);
    proc_close($proc);
}
if (!getenv("KEEP")) exec("rm -rf " . escapeshellarg($state));
?>
--EXPECT--
wrk exit 0
workers recycled
fsockopen tcp denied blocked-range one per request
stream_socket_client udp allowed  one per request
page: all decisions counted
prometheus: all decisions counted
up 1

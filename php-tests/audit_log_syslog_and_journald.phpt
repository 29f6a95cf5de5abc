--TEST--
sockguard.audit_log=syslog sends each denial's JSON record to /dev/log as syslog(3) does (facility and ident from the settings), and to journald's native socket with the record's fields as journal fields
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
; The test's own process is not the subject.
sockguard.mode="off"
--FILE--
<?php
require __DIR__ . '/inc/syslog.inc';
$script = <<<'PHP'
<?php
@fsockopen('10.20.30.40', 80, $errno, $errstr, 1);
@stream_socket_client('tcp://93.184.216.34:25');
echo "done\n";
PHP;
$ini = [
    'sockguard.audit_log' => 'syslog',
    'sockguard.syslog_facility' => 'local3',
    'sockguard.syslog_ident' => 'shop-php',
    'sockguard.app_id' => 'shop',
];
echo "--- /dev/log\n";
$got = run_with_syslog_receiver('/dev/log', $script, $ini);
// <PRI>ident[pid]: json; local3 (19) * 8 + warning (4) = 156.
$got = preg_replace('/\[\d+\]: /', '[PID]: ', $got);
foreach (explode("\n", $got) as $line) {
    if (preg_match('/^(<\d+>shop-php\[PID\]: )(\{.*\})$/', $line, $m)) {
        $e = json_decode($m[2], true, flags: JSON_THROW_ON_ERROR);
        echo $m[1], $e['app_id'], ' ', $e['function'], ' ', $e['target'], ' ', $e['reason'], ' ', $e['action'], "\n";
    } else {
        echo $line, "\n";
    }
}
echo "--- journald\n";
$got = run_with_syslog_receiver('/run/systemd/journal/socket', $script, $ini + ['sockguard.mode' => 'report']);
foreach (explode("\n", $got) as $line) {
    if (preg_match('/^(MESSAGE|SOCKGUARD_TIME|SOCKGUARD_FILE)=/', $line, $m)) {
        echo $m[1], "=...\n";
    } elseif (str_starts_with($line, 'SYSLOG_PID=')) {
        echo preg_match('/^SYSLOG_PID=\d+$/', $line) ? "SYSLOG_PID=N\n" : "$line\n";
    } else {
        echo $line, "\n";
    }
}
?>
--EXPECT--
--- /dev/log
exit 0
done
<156>shop-php[PID]: shop fsockopen 10.20.30.40:80 blocked-range deny
<156>shop-php[PID]: shop stream_socket_client 93.184.216.34:25 port-25 deny

--- journald
exit 0
sockguard: would deny fsockopen(10.20.30.40:80): 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8 [blocked-range]
sockguard: would deny stream_socket_client(93.184.216.34:25): port 25 is blocked [port-25]
done
MESSAGE=...
PRIORITY=5
SYSLOG_FACILITY=19
SYSLOG_IDENTIFIER=shop-php
SYSLOG_PID=N
SOCKGUARD_TIME=...
SOCKGUARD_APP_ID=shop
SOCKGUARD_FUNCTION=fsockopen
SOCKGUARD_TARGET=10.20.30.40:80
SOCKGUARD_ADDRESSES=10.20.30.40
SOCKGUARD_PORT=80
SOCKGUARD_TRANSPORT=tcp
SOCKGUARD_REASON=blocked-range
SOCKGUARD_ACTION=report
SOCKGUARD_FILE=...
SOCKGUARD_LINE=2
SOCKGUARD_MESSAGE=10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
--
MESSAGE=...
PRIORITY=5
SYSLOG_FACILITY=19
SYSLOG_IDENTIFIER=shop-php
SYSLOG_PID=N
SOCKGUARD_TIME=...
SOCKGUARD_APP_ID=shop
SOCKGUARD_FUNCTION=stream_socket_client
SOCKGUARD_TARGET=93.184.216.34:25
SOCKGUARD_PORT=25
SOCKGUARD_TRANSPORT=tcp
SOCKGUARD_REASON=port-25
SOCKGUARD_ACTION=report
SOCKGUARD_FILE=...
SOCKGUARD_LINE=3
SOCKGUARD_MESSAGE=port 25 is blocked
--

--TEST--
sockguard_check() reports the decision, reason code, message and addresses without connecting
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
foreach ([["public.sockguard.test", 80, "tcp"], ["10.20.30.40", 80, "tcp"], ["8.8.8.8", 53, "udp"],
          ["tcp://93.184.216.34:25", 0, "tcp"], ["ssl://google.sockguard.test:443", 0, "tcp"],
          ["unix:///tmp/mysql.sock", 0, "tcp"], ["2606:4700:4700::1111", 443, "tcp"], ["", 80, "tcp"]] as [$t, $p, $x]) {
    $r = sockguard_check($t, $p, $x);
    printf("%s %s %s [%s] %s\n", $t, $r["allowed"] ? "allowed" : "denied", $r["code"] ?? "-", implode(",", $r["addresses"]), $r["message"]);
}
try { sockguard_check("x", 70000); } catch (ValueError $e) { echo $e->getMessage(), "\n"; }
var_dump(array_keys(sockguard_check("93.184.216.34", 80)));
?>
--EXPECTF--
public.sockguard.test allowed - [93.184.216.34] allowed
10.20.30.40 denied blocked-range [] 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
8.8.8.8 allowed - [8.8.8.8] allowed
tcp://93.184.216.34:25 denied port-25 [] port 25 is blocked
ssl://google.sockguard.test:443 denied google-range [] 142.250.1.108 is in a Google range: 142.250.0.0/15
unix:///tmp/mysql.sock denied transport [] transport unix is not allowed
2606:4700:4700::1111 allowed - [2606:4700:4700::1111] allowed
 denied target [] invalid target "": %s
sockguard_check(): Argument #2 ($port) must be between 0 and 65535
array(5) {
  [0]=>
  string(7) "allowed"
  [1]=>
  string(4) "code"
  [2]=>
  string(7) "message"
  [3]=>
  string(9) "addresses"
  [4]=>
  string(4) "mode"
}

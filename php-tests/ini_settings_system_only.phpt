--TEST--
sockguard settings can only be set by the operator (php.ini, -d, php_admin_value), never by the app
--EXTENSIONS--
sockguard
--INI--
sockguard.mode=enforce
--FILE--
<?php
foreach (["sockguard.mode" => "off", "sockguard.allow" => "10.0.0.0/8:*", "sockguard.paid_app" => "1", "sockguard.passthrough_options" => "SO_BROADCAST"] as $k => $v) {
    var_dump(ini_set($k, $v), ini_get($k));
}
var_dump(ini_get_all("sockguard", false));
?>
--EXPECT--
bool(false)
string(7) "enforce"
bool(false)
string(0) ""
bool(false)
string(1) "1"
bool(false)
string(0) ""
array(13) {
  ["sockguard.allow"]=>
  string(0) ""
  ["sockguard.allow_ffi"]=>
  string(1) "0"
  ["sockguard.app_id"]=>
  string(0) ""
  ["sockguard.audit_log"]=>
  string(0) ""
  ["sockguard.deny"]=>
  string(0) ""
  ["sockguard.idle_timeout"]=>
  string(3) "120"
  ["sockguard.mode"]=>
  string(7) "enforce"
  ["sockguard.paid_app"]=>
  string(1) "1"
  ["sockguard.passthrough_options"]=>
  string(0) ""
  ["sockguard.ranges_file"]=>
  string(0) ""
  ["sockguard.resolver"]=>
  string(6) "system"
  ["sockguard.syslog_facility"]=>
  string(4) "user"
  ["sockguard.syslog_ident"]=>
  string(9) "sockguard"
}

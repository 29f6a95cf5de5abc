--TEST--
A sockguard.audit_log in a directory that does not exist is reported at startup, and denials are still enforced
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.audit_log=/nonexistent/sockguard/audit.log
--FILE--
<?php
var_dump(@fsockopen("10.20.30.40", 80, $errno, $errstr, 2), $errstr);
?>
--EXPECT--
sockguard: sockguard.audit_log: cannot write /nonexistent/sockguard/audit.log: No such file or directory (os error 2); denials are enforced but not logged
sockguard: cannot write the audit log /nonexistent/sockguard/audit.log: No such file or directory (os error 2)
bool(false)
string(68) "sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8"

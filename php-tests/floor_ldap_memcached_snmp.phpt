--TEST--
The floor: libldap (ldap_bind), libmemcached (Memcached::set) and net-snmp (snmp2_get over UDP) reach a public server but are refused a private one
--EXTENSIONS--
ldap
memcached
snmp
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/libraries.inc'; ?>
--FILE--
<?php
$calls = <<<'PHP'
function ldap_try($ip) {
    $l = ldap_connect("ldap://$ip:389");
    ldap_set_option($l, LDAP_OPT_PROTOCOL_VERSION, 3);
    ldap_set_option($l, LDAP_OPT_NETWORK_TIMEOUT, 2);
    $r = ldap_bind($l, "cn=admin,dc=sockguard,dc=test", "secret") ? "bound" : ldap_error($l);
    echo "ldap $ip: $r\n";
}
function memcached_try($ip) {
    $m = new Memcached();
    $m->addServer($ip, 11211);
    $r = $m->set("k", "v") ? "stored " . $m->get("k") : $m->getResultMessage();
    echo "memcached $ip: $r\n";
}
function snmp_try($ip) {
    $r = snmp2_get($ip, "public", "1.3.6.1.2.1.1.1.0", 1000000, 0);
    echo "snmp $ip: ", is_string($r) ? "answered" : "no answer", "\n";
}
foreach (["10.20.30.40", "93.184.216.34"] as $ip) { ldap_try($ip); memcached_try($ip); snmp_try($ip); }
PHP;
// Debian's memcached is built with igbinary and msgpack, which load first;
// a PHP whose memcached was built without them has none.
$serializers = array_filter(['igbinary', 'msgpack'], fn ($e) => is_file(PHP_EXTENSION_DIR . "/$e.so"));
$exts = '-d extension=ldap ' . implode(' ', array_map(fn ($e) => "-d extension=$e", $serializers))
    . ' -d extension=memcached -d extension=snmp';
echo "without sockguard:\n", shell_exec(escapeshellarg(PHP_BINARY) . " -n $exts -r " . escapeshellarg($calls) . ' 2>&1');
echo "with sockguard:\n";
eval($calls);
?>
--EXPECTF--
without sockguard:
ldap 10.20.30.40: bound
memcached 10.20.30.40: stored v
snmp 10.20.30.40: answered
ldap 93.184.216.34: bound
memcached 93.184.216.34: stored v
snmp 93.184.216.34: answered
with sockguard:

Warning: ldap_bind(): Unable to bind to server: Can't contact LDAP server in %s on line %d

Warning: ldap_bind(): sockguard: connect(10.20.30.40:389) from libldap%r(-[0-9.]+)?%r.so.%d denied: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8 in %s on line %d
ldap 10.20.30.40: Can't contact LDAP server

Warning: Memcached::set(): sockguard: connect(10.20.30.40:11211) from libmemcached.so.11 denied: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8 in %s on line %d
memcached 10.20.30.40: SYSTEM ERROR: Permission denied

Warning: snmp2_get(): Fatal error: Failure in sendto (Permission denied) in %s on line %d

Warning: snmp2_get(): sockguard: sendmsg(10.20.30.40:161) from libnetsnmp.so.40 denied: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8 in %s on line %d
snmp 10.20.30.40: no answer
ldap 93.184.216.34: bound
memcached 93.184.216.34: stored v
snmp 93.184.216.34: answered

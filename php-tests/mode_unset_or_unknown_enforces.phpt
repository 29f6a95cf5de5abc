--TEST--
An empty, bare-off, unset or unknown sockguard.mode enforces and says why; only the quoted word "off" turns sockguard off
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
echo probe_without_sockguard('tcp://10.20.30.40:80'), "\n";
// Each value as php.ini (here -d, which goes through the same parser) hands it over.
$code = '$r = sockguard_check("10.20.30.40", 80); $f = @fsockopen("10.20.30.40", 80, $e, $s, 2);'
    . 'printf("%s %s\n", $r["mode"], $f ? "connected" : "refused: $s");';
foreach (['sockguard.mode=', 'sockguard.mode=off', 'sockguard.mode=none', 'sockguard.mode=false',
          'sockguard.mode=${SOCKGUARD_UNSET_VARIABLE}', 'sockguard.mode=0', 'sockguard.mode=disabled',
          'sockguard.mode="off"', 'sockguard.mode=OFF'] as $setting) {
    echo "$setting: ";
    $cmd = escapeshellarg(PHP_BINARY) . ' -n -d extension=sockguard -d ' . escapeshellarg($setting)
        . ' -r ' . escapeshellarg($code) . ' 2>&1';
    echo shell_exec($cmd);
}
?>
--EXPECT--
open
sockguard.mode=: sockguard: sockguard.mode is empty (php.ini turns a bare off into an empty value); enforcing. Write sockguard.mode = "off" to turn sockguard off
enforce refused: sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
sockguard.mode=off: sockguard: sockguard.mode is empty (php.ini turns a bare off into an empty value); enforcing. Write sockguard.mode = "off" to turn sockguard off
enforce refused: sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
sockguard.mode=none: sockguard: sockguard.mode is empty (php.ini turns a bare off into an empty value); enforcing. Write sockguard.mode = "off" to turn sockguard off
enforce refused: sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
sockguard.mode=false: sockguard: sockguard.mode is empty (php.ini turns a bare off into an empty value); enforcing. Write sockguard.mode = "off" to turn sockguard off
enforce refused: sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
sockguard.mode=${SOCKGUARD_UNSET_VARIABLE}: sockguard: sockguard.mode is empty (php.ini turns a bare off into an empty value); enforcing. Write sockguard.mode = "off" to turn sockguard off
enforce refused: sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
sockguard.mode=0: sockguard: sockguard.mode: unknown mode "0" (enforce, report or "off"); enforcing
enforce refused: sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
sockguard.mode=disabled: sockguard: sockguard.mode: unknown mode "disabled" (enforce, report or "off"); enforcing
enforce refused: sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
sockguard.mode="off": off connected
sockguard.mode=OFF: sockguard: sockguard.mode is empty (php.ini turns a bare off into an empty value); enforcing. Write sockguard.mode = "off" to turn sockguard off
enforce refused: sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8

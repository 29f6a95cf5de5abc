--TEST--
Garbage, NUL bytes, 10 kB host names, odd ports and unknown families get a clear warning, never a crash or an allow
--EXTENSIONS--
sockets
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
$cases = ["", " ", "\0", "10.20.30.40\0", str_repeat("a", 10240), str_repeat("a.", 200) . "test",
          "http://10.20.30.40/", "[10.20.30.40]", "10.20.30.40:80", "1.2.3.4.5", "-1", "\xff\xfe",
          "%00", "0x", "999.999.999.999"];
foreach ($cases as $address) {
    $r = @socket_connect($s, $address, 80);
    $msg = error_get_last()["message"] ?? "";
    printf("%s %s\n", var_export($r, true), preg_match('/\[13\]: Permission denied \(sockguard: (\S+)/', $msg, $m) ? $m[1] : "NO SOCKGUARD REASON: $msg");
    error_clear_last();
}
foreach ([-1, 65536 + 80, PHP_INT_MAX, PHP_INT_MIN] as $port) {
    $r = @socket_connect($s, "10.20.30.40", $port);
    echo var_export($r, true), " ", error_get_last() ? "warned" : "silent", "\n";
    error_clear_last();
}
echo "alive\n";
?>
--EXPECT--
false invalid
false invalid
false invalid
false 10.20.30.40
false invalid
false invalid
false invalid
false 10.20.30.40
false invalid
false cannot
false cannot
false invalid
false invalid
false cannot
false cannot
false warned
false warned
false warned
false warned
alive

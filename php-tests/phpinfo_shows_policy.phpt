--TEST--
phpinfo() / php --ri sockguard shows version, mode and the effective allowlist, with the allowlist addresses the resolver has cached (an info page sends no DNS query)
--EXTENSIONS--
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=report
sockguard.allow=10.1.2.3:80
--FILE--
<?php
// Resolves smtp.gmail.com into the cache; pop and imap stay unresolved.
sockguard_check("smtp.gmail.com", 465);
$ext = new ReflectionExtension('sockguard');
ob_start();
$ext->info();
$info = ob_get_clean();
foreach (explode("\n", $info) as $line) {
    if (preg_match('/^(sockguard|version|mode|app id|paid app|idle timeout|allowlist|allowlist addresses|allow rules|Google ranges) =>/', $line)) {
        echo $line, "\n";
    }
}
?>
--EXPECTF--
sockguard => enabled
version => %d.%d.%d
mode => report
app id => default
idle timeout => 120 s
paid app => yes
allowlist => 8.8.8.8:53/tcp+udp, 8.8.4.4:53/tcp+udp, [2001:4860:4860::8888]:53/tcp+udp, [2001:4860:4860::8844]:53/tcp+udp, smtp.gmail.com:465, smtp.gmail.com:587, pop.gmail.com:995, imap.gmail.com:993
allowlist addresses => smtp.gmail.com: 142.250.4.108, pop.gmail.com: not cached, imap.gmail.com: not cached
allow rules => 10.1.2.3:80
Google ranges => embedded (2024-04-25T07:05:03.68994), 73 IPv4 + 11 IPv6 prefixes

<?php

/**
 * sockguard: the outbound-socket rules of the Google App Engine PHP runtime,
 * enforced on every socket a PHP app opens.
 *
 * php.ini settings (all PHP_INI_SYSTEM: php.ini, `php -d`, or an FPM pool's
 * php_admin_value; ini_set() cannot change them):
 *
 * - sockguard.mode = enforce            enforce | report | "off". Only the word off turns
 *                                       sockguard off, and php.ini turns a bare off into an
 *                                       empty value: write sockguard.mode = "off" (quoted).
 *                                       An empty or unknown mode enforces, with a warning.
 * - sockguard.paid_app = 1              0: socket_create*, fsockopen, pfsockopen and
 *                                       stream_socket_client are denied. A value that is not
 *                                       a boolean denies them too, with a warning.
 * - sockguard.app_id = ""               owner of sockets and persistent ids; empty means
 *                                       $GAE_APPLICATION, else "default".
 * - sockguard.idle_timeout = 120        seconds before an unused socket is reclaimed; 0 disables.
 * - sockguard.allow = ""                extra allow rules, comma-separated: host:port, ip:port,
 *                                       cidr:port, [v6]:port, [v6/len]:port (port: *, n or n-m),
 *                                       unix:/path. Operator rules win over the built-in ones.
 * - sockguard.deny = ""                 extra deny rules, same syntax; deny wins over allow.
 *                                       A rule that does not parse denies every connection.
 * - sockguard.ranges_file = ""          a goog.json-format file replacing the embedded
 *                                       Google ranges snapshot (2024-04-25). A file that
 *                                       cannot be read or lists no prefixes denies everything.
 * - sockguard.resolver = system         system (getaddrinfo) or dns:IP[,IP].
 * - sockguard.passthrough_options = ""  socket options handed to the OS instead of being
 *                                       mocked or refused, e.g. "SO_RCVTIMEO,SO_SNDTIMEO"; also
 *                                       by number: "20" (SOL_SOCKET) or "6:1" (level:option).
 * - sockguard.allow_ffi = 0             1: PHP's FFI may be used. FFI calls C functions and
 *                                       writes memory directly, past every check, so it is
 *                                       denied by default (FFI\Exception with the reason).
 * - sockguard.audit_log = ""            path, "stderr" or "syslog": one JSON record per denial,
 *                                       each line whole or absent. A path that cannot be
 *                                       written is reported at startup. "syslog" sends each
 *                                       record as one datagram to journald's native socket
 *                                       (fields SOCKGUARD_APP_ID, SOCKGUARD_REASON, ...; the
 *                                       JSON is MESSAGE) or, without journald, to /dev/log
 *                                       as syslog(3) does.
 * - sockguard.syslog_facility = "user"  facility of audit_log = syslog (user, daemon, auth,
 *                                       authpriv, local0..local7, ...).
 * - sockguard.syslog_ident = "sockguard" ident (SYSLOG_IDENTIFIER) of audit_log = syslog.
 *
 * Mocked socket options (socket_get_option returns these; socket_set_option
 * returns true and changes nothing): SOL_SOCKET SO_KEEPALIVE 0, SO_DEBUG 128,
 * SO_LINGER ['l_onoff' => 0, 'l_linger' => 0], SO_OOBINLINE 0,
 * SO_SNDBUF 2097152, SO_RCVBUF 2097152, SO_REUSEADDR 1; SOL_TCP TCP_NODELAY 0.
 * SO_ERROR reads reach the OS; any other option fails with EACCES.
 *
 * @generate-function-entries
 */

/**
 * Checks a destination against the policy in force, without connecting: the
 * same decision the real connect gets.
 *
 * $target is a host, an IP literal in any spelling, or a stream target such
 * as "tcp://host:443", "ssl://host:443" or "unix:///path"; $port and
 * $transport apply when $target carries none. $caller is the layer the
 * connect would come through: "client" (PHP's own clients: URL wrappers,
 * curl, mysqlnd, SoapClient, ext/ftp), "sockets" (the Sockets API:
 * socket_*, fsockopen, pfsockopen, stream_socket_client, which
 * sockguard.paid_app=0 denies) or "library" (a library's own socket call,
 * such as libpq's, which may also reach the system's nameservers on port 53).
 *
 * @return array{allowed: bool, code: ?string, message: string, addresses: list<string>, mode: string}
 *         code is one of blocked-range, google-range, port-25, transport, listen,
 *         bind, option, reclaimed, not-paid, foreign-socket, dns, rule, target, config,
 *         ffi, internal.
 * @throws ValueError if $port is outside 0..65535 or $caller is not one of the three
 */
function sockguard_check(string $target, int $port = 0, string $transport = "tcp", string $caller = "client"): array {}

/**
 * Counters of this process since it started.
 *
 * @return array{checked: int, allowed: int, denied: int, resolver_cache_hits: int,
 *               resolver_cache_misses: int, resolver_cache_size: int,
 *               denied_by_reason: array<string, int>}
 */
function sockguard_stats(): array {}

/**
 * Pool-wide decision counters in the Prometheus text exposition format
 * (version 0.0.4; the names are OpenMetrics-compatible), for a scrape page:
 *
 *     <?php header('Content-Type: text/plain; version=0.0.4');
 *     echo sockguard_metrics();
 *
 * The counters live in memory shared by every process forked after the
 * extension started (php-fpm's workers, Apache's children), so any worker
 * answers for the whole pool and a worker's exit loses nothing it counted.
 * Families: sockguard_decisions_total{app_id, function, transport, action,
 * reason} (action: allowed, denied, would-deny; reason: a reason code, ""
 * when allowed), sockguard_sockets_reclaimed_total{app_id},
 * sockguard_metrics_overflow_total{table}, sockguard_metrics_series,
 * sockguard_metrics_series_limit, sockguard_metrics_shared,
 * sockguard_build_info{version}. Label sets beyond the table's bounds are
 * counted with app_id and function "_overflow".
 */
function sockguard_metrics(): string {}

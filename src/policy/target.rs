//! Parsing of connect targets and hosts exactly as PHP and libc see them.
//!
//! [`parse_target`] splits a stream transport target (`"tls://[::1]:443"`)
//! the way PHP's `php_stream_xport_create` and `xp_socket.c`
//! `parse_ip_address_ex` do; [`parse_host`] turns the host part into an
//! address the way glibc does (`inet_aton` for every IPv4 spelling,
//! `inet_pton(AF_INET6)` for IPv6), or into a DNS name to resolve.
//!
//! The rule throughout is: whenever libc would connect to an address, we
//! return that address, so the policy checks what the kernel will see; when
//! a string is ambiguous or malformed we return an error, which the policy
//! turns into a denial (fail closed). This module does not resolve names and
//! does not decide anything.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Longest DNS name accepted (RFC 1035 §2.3.4, without the trailing dot).
const MAX_NAME: usize = 253;
/// Longest DNS label accepted (RFC 1035 §2.3.4).
const MAX_LABEL: usize = 63;
/// Longest IPv6 zone (interface name or numeric scope id) accepted.
const MAX_ZONE: usize = 64;
/// How much of user input an error message quotes.
const QUOTE_MAX: usize = 32;

/// The transport a socket uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// TCP, including PHP's ssl://, tls:// and tlsv1.x:// (see [`Target::tls`]).
    Tcp,
    /// UDP.
    Udp,
    /// Unix stream socket (`unix://`).
    Unix,
    /// Unix datagram socket (`udg://`).
    Udg,
    /// Raw IP socket (`socket_create(AF_INET, SOCK_RAW, ...)`).
    Raw,
}

impl Transport {
    /// The lowercase name used in messages: "tcp", "udp", "unix", "udg", "raw".
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::Unix => "unix",
            Transport::Udg => "udg",
            Transport::Raw => "raw",
        }
    }

    /// Whether the transport is a unix-domain socket (`unix` or `udg`).
    #[must_use]
    pub fn is_local(self) -> bool {
        match self {
            Transport::Unix | Transport::Udg => true,
            Transport::Tcp | Transport::Udp | Transport::Raw => false,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The host part of a target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// An address literal, in any spelling libc accepts.
    Ip(IpAddr),
    /// A DNS name, lowercased, without a trailing dot.
    Name(String),
    /// A unix socket path, exactly as given.
    Path(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Ip(a) => a.fmt(f),
            Host::Name(n) | Host::Path(n) => f.write_str(n),
        }
    }
}

/// A parsed stream transport target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The transport the scheme selects.
    pub transport: Transport,
    /// Whether the scheme asks for TLS (ssl, tls, tlsv1.x, sslv2, sslv3).
    pub tls: bool,
    /// The scheme as written, lowercased ("tlsv1.2"); "tcp" when absent.
    pub scheme: String,
    /// The host (or path for unix/udg).
    pub host: Host,
    /// The port, if the target has one. PHP requires one for IP transports;
    /// `None` lets a caller that has the port separately supply it.
    pub port: Option<u16>,
    /// The IPv6 zone (`%eth0`), if any.
    pub zone: Option<String>,
}

/// Why a target or host does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// Nothing to connect to.
    #[error("empty host")]
    EmptyHost,
    /// `unix://` or `udg://` with no path.
    #[error("empty socket path")]
    EmptyPath,
    /// A NUL byte, which C code would silently cut the string at.
    #[error("contains a NUL byte")]
    NulByte,
    /// A host name longer than DNS allows.
    #[error("host name is {len} bytes long, the limit is 253")]
    TooLong {
        /// Length of the name in bytes.
        len: usize,
    },
    /// A scheme PHP has no transport for.
    #[error("unknown transport \"{scheme}\"")]
    UnknownScheme {
        /// The scheme as written (escaped, truncated).
        scheme: String,
    },
    /// `host:` with nothing after the colon.
    #[error("missing port")]
    MissingPort,
    /// A port that is not a decimal number in 0..=65535.
    #[error("invalid port \"{port}\": expected a number from 0 to 65535")]
    InvalidPort {
        /// The port as written (escaped, truncated).
        port: String,
    },
    /// `[` without a matching `]`.
    #[error("'[' without a matching ']'")]
    UnclosedBracket,
    /// `[addr]` followed by something other than `:port`.
    #[error("']' must be followed by ':port'")]
    AfterBracket,
    /// Looks like IPv6 (has a ':') but `inet_pton` rejects it.
    #[error("invalid IPv6 address")]
    InvalidIpv6,
    /// A `%zone` after something that is not an IPv6 address.
    #[error("a %zone is only allowed after an IPv6 address")]
    ZoneWithoutIpv6,
    /// An empty or malformed `%zone`.
    #[error("invalid IPv6 zone \"{zone}\"")]
    InvalidZone {
        /// The zone as written (escaped, truncated).
        zone: String,
    },
    /// Neither an address nor a valid DNS name.
    #[error("invalid host name: {why}")]
    InvalidName {
        /// What is wrong with it.
        why: &'static str,
    },
}

/// Parses a stream transport target as PHP's `stream_socket_client` and
/// `fsockopen` see it.
///
/// Grammar: an optional `scheme://` (tcp, udp, ssl, tls, tlsv1.0, tlsv1.1,
/// tlsv1.2, tlsv1.3, sslv2, sslv3, unix, udg; case-insensitive; PHP only
/// treats `name://` as a scheme when `name` has at least two characters of
/// `[A-Za-z0-9+.-]`), then for unix/udg a path, else `host:port`,
/// `[v6]:port` or `[v6%zone]:port`.
///
/// The port is split at the **first** `':'` of an unbracketed host, which is
/// what PHP does (`memchr` in `parse_ip_address_ex`): `"::1:80"` is host `""`
/// (an error here) and `"2001:db8::1:80"` is host `"2001"`, port
/// `"db8::1:80"` (an error here, since only plain decimal ports are
/// accepted; PHP's `atoi` would read 0). A target without any port parses
/// with `port: None`, and so does `"[v6]"`.
///
/// # Errors
/// [`TargetError`] for an unknown scheme, a NUL byte, a malformed bracket,
/// a port that is not `0..=65535` in plain decimal, or a host that
/// [`parse_host`] rejects.
pub fn parse_target(s: &str) -> Result<Target, TargetError> {
    let (scheme, rest) = split_scheme(s);
    let scheme = scheme.map(str::to_ascii_lowercase);
    let (transport, tls) = match scheme.as_deref() {
        None | Some("tcp") => (Transport::Tcp, false),
        Some("udp") => (Transport::Udp, false),
        Some("ssl" | "tls" | "tlsv1.0" | "tlsv1.1" | "tlsv1.2" | "tlsv1.3" | "sslv2" | "sslv3") => {
            (Transport::Tcp, true)
        }
        Some("unix") => (Transport::Unix, false),
        Some("udg") => (Transport::Udg, false),
        Some(other) => {
            return Err(TargetError::UnknownScheme {
                scheme: escape_truncated(other, QUOTE_MAX),
            })
        }
    };
    let scheme = scheme.unwrap_or_else(|| "tcp".to_owned());

    if transport.is_local() {
        // PHP copies the rest verbatim into sun_path (a leading NUL selects
        // the abstract namespace), so any non-empty string is a path.
        if rest.is_empty() {
            return Err(TargetError::EmptyPath);
        }
        return Ok(Target {
            transport,
            tls,
            scheme,
            host: Host::Path(rest.to_owned()),
            port: None,
            zone: None,
        });
    }

    let (host, zone, port) = parse_host_port(rest)?;
    Ok(Target {
        transport,
        tls,
        scheme,
        host,
        port,
        zone,
    })
}

/// An address as C code takes it in a host string: `1.2.3.4`, `2001:db8::1`,
/// `fe80::1%eth0` (the zone only on IPv6).
#[must_use]
pub fn format_host(addr: IpAddr, zone: Option<&str>) -> String {
    match (addr, zone) {
        (IpAddr::V6(v6), Some(z)) => format!("{v6}%{z}"),
        (addr, _) => addr.to_string(),
    }
}

/// An address and port as PHP's stream transports take them:
/// `1.2.3.4:80`, `[2001:db8::1]:80`, `[fe80::1%eth0]:80`. This is what a
/// connect is pinned to in place of the name the app gave.
#[must_use]
pub fn format_host_port(addr: IpAddr, zone: Option<&str>, port: u16) -> String {
    match addr {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(_) => format!("[{}]:{port}", format_host(addr, zone)),
    }
}

/// A port as PHP reads it with `atoi` (stream_socket_sendto targets, the
/// `bindto` context option) and stores it in a `short` sent with `htons`:
/// leading whitespace and a sign are taken, digits up to the first
/// non-digit, and the value wraps to 16 bits.
#[must_use]
pub fn atoi_port(text: &str) -> u16 {
    let t = text.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = (n * 10 + i64::from(b - b'0')) % (1 << 32);
    }
    let n = if neg { -n } else { n };
    (n as i32 as i16) as u16
}

/// Splits an address the way `php_network_parse_network_address_with_port`
/// does (stream_socket_sendto's `$address`): `[v6]:port` or `host:port` at
/// the first colon, the port read with [`atoi_port`]; `None` where PHP
/// fails to parse it.
#[must_use]
pub fn split_address_with_port(s: &str) -> Option<(&str, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return Some((host, atoi_port(after.strip_prefix(':')?)));
    }
    let (host, port) = s.split_once(':')?;
    Some((host, atoi_port(port)))
}

/// Parses the `host:port` part of a TCP/UDP target (what a transport
/// receives once `scheme://` is split off): the host, its IPv6 zone, and
/// the port if one was given.
///
/// # Errors
/// As [`parse_target`], for everything after the scheme.
pub fn parse_host_port(rest: &str) -> Result<(Host, Option<String>, Option<u16>), TargetError> {
    let HostPort {
        host, zone, port, ..
    } = parse_host_port_spelled(rest)?;
    Ok((host, zone, port))
}

/// What [`parse_host_port_spelled`] finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    /// The host.
    pub host: Host,
    /// Its IPv6 zone, if any.
    pub zone: Option<String>,
    /// The port, if one was given.
    pub port: Option<u16>,
    /// Whether the host is an address literal that every resolver reads
    /// the same way (strict dotted decimal, or IPv6): it needs no
    /// rewriting to be pinned. `127.1` or `127.0.0.1.` do.
    pub plain: bool,
}

/// [`parse_host_port`], also telling whether the host is spelled plainly.
///
/// # Errors
/// As [`parse_host_port`].
pub fn parse_host_port_spelled(rest: &str) -> Result<HostPort, TargetError> {
    if let Some((addr, port)) = plain_ipv4_port(rest.as_bytes()) {
        return Ok(HostPort {
            host: Host::Ip(IpAddr::V4(addr)),
            zone: None,
            port: Some(port),
            plain: true,
        });
    }
    parse_host_port_general(rest)
}

/// [`parse_host_port_spelled`] for every spelling.
fn parse_host_port_general(rest: &str) -> Result<HostPort, TargetError> {
    if rest.contains('\0') {
        return Err(TargetError::NulByte);
    }
    let (host, port) = split_host_port(rest)?;
    let (host, zone, plain) = parse_host_spelled(host)?;
    let port = port.map(parse_port).transpose()?;
    Ok(HostPort {
        host,
        zone,
        port,
        plain,
    })
}

/// The common target, `a.b.c.d:port` in strict dotted decimal with a
/// decimal port, read in one pass: exactly what [`parse_host_port_spelled`]
/// makes of it (a plain literal), without its general steps. `None` for
/// every other spelling, which the general parser reads.
#[must_use]
#[inline]
pub fn plain_ipv4_port(b: &[u8]) -> Option<(Ipv4Addr, u16)> {
    // "255.255.255.255:65535" is the longest.
    let padded = Padded::new(b, 21)?;
    let (addr, end) = padded.quad()?;
    if padded.at(end) != b':' {
        return None;
    }
    let port = padded.decimal(end + 1, 5)?;
    Some((addr, u16::try_from(port).ok()?))
}

/// The common address, `a.b.c.d` in strict dotted decimal (what inet_pton
/// reads, and every resolver the same way), read in one pass. `None` for
/// every other spelling.
#[must_use]
#[inline]
pub fn plain_ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    let padded = Padded::new(b, 15)?;
    let (addr, end) = padded.quad()?;
    (end == b.len()).then_some(addr)
}

/// A short text in a zero-padded copy, where every index is in bounds (a
/// padding byte is no digit, dot or colon): no bounds check per byte.
struct Padded {
    buf: [u8; 32],
    len: usize,
}

impl Padded {
    #[inline]
    fn new(b: &[u8], max: usize) -> Option<Padded> {
        if b.len() > max {
            return None;
        }
        let mut buf = [0u8; 32];
        buf[..b.len()].copy_from_slice(b);
        Some(Padded { buf, len: b.len() })
    }

    #[inline]
    fn at(&self, i: usize) -> u8 {
        self.buf[i & 31]
    }

    /// The digit at `i`, or more than 9.
    #[inline]
    fn digit(&self, i: usize) -> u8 {
        self.at(i).wrapping_sub(b'0')
    }

    /// Four decimal octets up to 255 without leading zeros, one to three
    /// digits each (unrolled), from the start; and where they end.
    #[inline]
    fn quad(&self) -> Option<(Ipv4Addr, usize)> {
        let (mut addr, mut i) = (0u32, 0usize);
        for n in 0..4 {
            if n > 0 {
                if self.at(i) != b'.' {
                    return None;
                }
                i += 1;
            }
            let (d0, d1, d2) = (self.digit(i), self.digit(i + 1), self.digit(i + 2));
            if d0 > 9 {
                return None;
            }
            let octet = if d1 > 9 {
                i += 1;
                u32::from(d0)
            } else if d0 == 0 {
                return None;
            } else if d2 > 9 {
                i += 2;
                u32::from(d0) * 10 + u32::from(d1)
            } else {
                i += 3;
                u32::from(d0) * 100 + u32::from(d1) * 10 + u32::from(d2)
            };
            if octet > 255 {
                return None;
            }
            addr = addr << 8 | octet;
        }
        Some((Ipv4Addr::from(addr), i))
    }

    /// The decimal number from `start` to the end: 1 to `max` digits.
    #[inline]
    fn decimal(&self, start: usize, max: usize) -> Option<u32> {
        if start >= self.len || self.len - start > max {
            return None;
        }
        let mut value = 0u32;
        for i in start..self.len {
            let d = self.digit(i);
            if d > 9 {
                return None;
            }
            value = value * 10 + u32::from(d);
        }
        Some(value)
    }
}

/// Splits off `scheme://` the way `php_stream_xport_create` does.
fn split_scheme(s: &str) -> (Option<&str>, &str) {
    let n = s
        .bytes()
        .take_while(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        .count();
    match s.get(n..) {
        Some(after) if n > 1 && after.starts_with("://") => (s.get(..n), &after[3..]),
        _ => (None, s),
    }
}

/// The DNS name and port of a URL (`scheme://[user@]host[:port][/...]`), as
/// libcurl reports a transfer's URL: the name lowercased without a trailing
/// dot, and the port given, else the scheme's (http and ws 80, https and
/// wss 443, ftp 21, ftps 990), else `fallback`. `None` when the host is
/// an address, or the URL has no `://`.
#[must_use]
pub fn url_name_port(url: &str, fallback: u16) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if hostport.starts_with('[') {
        return None;
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let Ok((Host::Name(name), None)) = parse_host(host) else {
        return None;
    };
    let port = match port.filter(|p| !p.is_empty()) {
        Some(p) => p.parse().ok()?,
        None => match scheme.to_ascii_lowercase().as_str() {
            "http" | "ws" => 80,
            "https" | "wss" => 443,
            "ftp" => 21,
            "ftps" => 990,
            _ => fallback,
        },
    };
    Some((name, port))
}

/// Splits `host:port` / `[host]:port` as `parse_ip_address_ex` does: the
/// host (without brackets) and the port text, if any. Every stream target,
/// `bindto` and `stream_socket_sendto` address is split here.
///
/// # Errors
/// [`TargetError::EmptyHost`], [`TargetError::MissingPort`] (a trailing
/// colon), [`TargetError::UnclosedBracket`], [`TargetError::AfterBracket`].
pub fn split_host_port(s: &str) -> Result<(&str, Option<&str>), TargetError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(TargetError::EmptyHost);
    }
    if b[0] == b'[' && b.len() > 1 {
        // PHP: memchr(str + 1, ']', str_len - 2), i.e. not the last byte.
        return match b[1..b.len() - 1].iter().position(|&c| c == b']') {
            Some(p) => {
                let close = p + 1;
                if b.get(close + 1) == Some(&b':') {
                    Ok((&s[1..close], Some(&s[close + 2..])))
                } else {
                    Err(TargetError::AfterBracket)
                }
            }
            None if b[b.len() - 1] == b']' => Ok((&s[1..b.len() - 1], None)),
            None => Err(TargetError::UnclosedBracket),
        };
    }
    // PHP: memchr(str, ':', str_len - 1): the first colon, not the last byte.
    match b[..b.len() - 1].iter().position(|&c| c == b':') {
        Some(c) => Ok((&s[..c], Some(&s[c + 1..]))),
        None if b[b.len() - 1] == b':' => Err(TargetError::MissingPort),
        None => Ok((s, None)),
    }
}

/// A port in plain decimal, 0..=65535.
fn parse_port(p: &str) -> Result<u16, TargetError> {
    if p.is_empty() {
        return Err(TargetError::MissingPort);
    }
    let invalid = || TargetError::InvalidPort {
        port: escape_truncated(p, QUOTE_MAX),
    };
    if p.len() > 5 || !p.bytes().all(|c| c.is_ascii_digit()) {
        return Err(invalid());
    }
    p.parse::<u16>().map_err(|_| invalid())
}

/// Parses a host as libc would turn it into an address.
///
/// In order:
/// 1. Surrounding brackets are removed (`"[::1]"`); NUL bytes and empty
///    hosts are errors.
/// 2. IPv4 exactly as glibc `inet_aton` reads it: 1 to 4 parts, each
///    decimal, octal (leading `0`) or hex (`0x`), the last part filling the
///    remaining bytes (`127.1`, `0x7f.1`, `017700000001`, `2130706433`), and
///    anything after ASCII whitespace ignored (`"127.0.0.1 foo"` is
///    127.0.0.1, as `socket_connect` would see it).
/// 3. The same with one trailing dot removed (`"127.0.0.1."`): `inet_aton`
///    rejects it but `getaddrinfo` sends it to DNS, which may answer
///    anything; we take the address it spells (fail closed).
/// 4. IPv6 exactly as glibc `inet_pton(AF_INET6)` reads it, optionally
///    followed by `%zone`.
/// 5. Otherwise a DNS name: after removing one trailing dot, 1 to 253
///    bytes of dot-separated labels of 1 to 63 `[A-Za-z0-9_-]`; returned
///    lowercased.
///
/// # Errors
/// [`TargetError`] for anything else: NUL bytes, empty, too long, spaces or
/// other characters a name cannot have, malformed IPv6, a zone on a
/// non-IPv6 host.
pub fn parse_host(s: &str) -> Result<(Host, Option<String>), TargetError> {
    parse_host_spelled(s).map(|(host, zone, _)| (host, zone))
}

/// [`parse_host`], also telling whether an address literal is spelled
/// plainly (see [`HostPort::plain`]).
fn parse_host_spelled(s: &str) -> Result<(Host, Option<String>, bool), TargetError> {
    if s.contains('\0') {
        return Err(TargetError::NulByte);
    }
    let inner = match s.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']').ok_or(TargetError::UnclosedBracket)?,
        None => s,
    };
    if inner.is_empty() {
        return Err(TargetError::EmptyHost);
    }
    // The common case first: strict dotted decimal (no leading zeros, which
    // inet_aton would read as octal) means the same to inet_aton.
    if let Ok(a) = inner.parse::<Ipv4Addr>() {
        return Ok((Host::Ip(IpAddr::V4(a)), None, true));
    }
    if let Some(a) = inet_aton(inner.as_bytes()) {
        return Ok((Host::Ip(IpAddr::V4(a)), None, false));
    }
    if let Some(a) = inner
        .strip_suffix('.')
        .and_then(|t| inet_aton(t.as_bytes()))
    {
        return Ok((Host::Ip(IpAddr::V4(a)), None, false));
    }
    let (addr, zone) = match inner.split_once('%') {
        Some((a, z)) => (a, Some(z)),
        None => (inner, None),
    };
    if let Some(a) = inet_pton6(addr.as_bytes()) {
        if let Some(z) = zone {
            if z.is_empty()
                || z.len() > MAX_ZONE
                || !z
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"-_.~@+".contains(&c))
            {
                return Err(TargetError::InvalidZone {
                    zone: escape_truncated(z, QUOTE_MAX),
                });
            }
        }
        return Ok((Host::Ip(IpAddr::V6(a)), zone.map(str::to_owned), true));
    }
    if zone.is_some() {
        return Err(TargetError::ZoneWithoutIpv6);
    }
    if inner.contains(':') {
        return Err(TargetError::InvalidIpv6);
    }
    parse_name(inner).map(|n| (Host::Name(n), None, false))
}

/// Validates a DNS name and returns it lowercased without a trailing dot.
fn parse_name(s: &str) -> Result<String, TargetError> {
    let name = s.strip_suffix('.').unwrap_or(s);
    if name.len() > MAX_NAME {
        return Err(TargetError::TooLong { len: name.len() });
    }
    if name.is_empty() {
        return Err(TargetError::EmptyHost);
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(TargetError::InvalidName { why: "empty label" });
        }
        if label.len() > MAX_LABEL {
            return Err(TargetError::InvalidName {
                why: "label longer than 63 bytes",
            });
        }
        if let Some(c) = label
            .bytes()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == b'-' || c == b'_'))
        {
            return Err(TargetError::InvalidName {
                why: if c.is_ascii_whitespace() || c == 0x0b {
                    "contains whitespace"
                } else {
                    "contains a character other than letters, digits, '-', '_' and '.'"
                },
            });
        }
    }
    Ok(name.to_ascii_lowercase())
}

/// C `isspace` in the C locale: space, \t, \n, \v, \f, \r.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// glibc `strtoul(s + i, &end, 0)` for a string known to start with a digit:
/// returns the value (`None` if it exceeds `u32::MAX`, which makes
/// `inet_aton` fail) and the end index.
fn strtoul0(s: &[u8], i: usize) -> (Option<u32>, usize) {
    let (radix, start) = match (s.get(i), s.get(i + 1)) {
        (Some(b'0'), Some(b'x' | b'X')) => {
            if s.get(i + 2).is_some_and(u8::is_ascii_hexdigit) {
                (16, i + 2)
            } else {
                // "0x" without hex digits: glibc reads the "0" and stops at 'x'.
                return (Some(0), i + 1);
            }
        }
        (Some(b'0'), _) => (8, i),
        _ => (10, i),
    };
    let mut value: u64 = 0;
    let mut j = start;
    while let Some(d) = s.get(j).and_then(|&c| char::from(c).to_digit(radix)) {
        value = value
            .saturating_mul(u64::from(radix))
            .saturating_add(u64::from(d));
        j += 1;
    }
    (u32::try_from(value).ok(), j)
}

/// glibc `inet_aton` (`resolv/inet_addr.c`), byte for byte: see
/// [`parse_host`] for the accepted spellings. The input ends at the end of
/// the slice or at a NUL byte.
pub(crate) fn inet_aton(s: &[u8]) -> Option<Ipv4Addr> {
    // Largest value of the last part, by number of parts before it.
    const MAX: [u32; 4] = [0xffff_ffff, 0x00ff_ffff, 0xffff, 0xff];
    let mut bytes = [0u8; 4];
    let mut n = 0usize;
    let mut i = 0usize;
    let last = loop {
        if !s.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let (val, end) = strtoul0(s, i);
        let val = val?;
        i = end;
        if s.get(i) == Some(&b'.') {
            if n > 2 || val > 0xff {
                return None;
            }
            bytes[n] = u8::try_from(val).ok()?;
            n += 1;
            i += 1;
        } else {
            break val;
        }
    };
    match s.get(i) {
        None | Some(0) => {}
        Some(&c) if is_c_space(c) => {}
        Some(_) => return None,
    }
    if last > MAX[n] {
        return None;
    }
    let word = u32::from_be_bytes(bytes) | last;
    Some(Ipv4Addr::from(word))
}

/// glibc `inet_pton4`: strict dotted quad, no leading zeros.
fn inet_pton4(s: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut octets = 0usize;
    let mut saw_digit = false;
    for &c in s {
        if c.is_ascii_digit() {
            let d = c - b'0';
            if saw_digit {
                let cur = out[octets - 1];
                if cur == 0 {
                    return None; // leading zero
                }
                out[octets - 1] = u8::try_from(u32::from(cur) * 10 + u32::from(d)).ok()?;
            } else {
                octets += 1;
                if octets > 4 {
                    return None;
                }
                out[octets - 1] = d;
                saw_digit = true;
            }
        } else if c == b'.' && saw_digit {
            if octets == 4 {
                return None;
            }
            saw_digit = false;
        } else {
            return None;
        }
    }
    (octets == 4).then_some(out)
}

/// The value of a hex digit.
fn hex_value(c: u8) -> Option<u16> {
    match c {
        b'0'..=b'9' => Some(u16::from(c - b'0')),
        b'a'..=b'f' => Some(u16::from(c - b'a' + 10)),
        b'A'..=b'F' => Some(u16::from(c - b'A' + 10)),
        _ => None,
    }
}

/// glibc `inet_pton6` (`resolv/inet_pton.c`), byte for byte.
pub(crate) fn inet_pton6(s: &[u8]) -> Option<Ipv6Addr> {
    let mut tmp = [0u8; 16];
    let mut tp = 0usize;
    let mut colonp: Option<usize> = None;
    let mut src = 0usize;
    if s.is_empty() {
        return None;
    }
    if s[0] == b':' {
        src = 1;
        if s.get(1) != Some(&b':') {
            return None;
        }
    }
    let mut curtok = src;
    let mut xdigits = 0usize;
    let mut val: u16 = 0;
    while src < s.len() {
        let ch = s[src];
        src += 1;
        if let Some(d) = hex_value(ch) {
            if xdigits == 4 {
                return None;
            }
            val = (val << 4) | d;
            xdigits += 1;
            continue;
        }
        if ch == b':' {
            curtok = src;
            if xdigits == 0 {
                if colonp.is_some() {
                    return None;
                }
                colonp = Some(tp);
                continue;
            } else if src == s.len() {
                return None;
            }
            if tp + 2 > 16 {
                return None;
            }
            tmp[tp..tp + 2].copy_from_slice(&val.to_be_bytes());
            tp += 2;
            xdigits = 0;
            val = 0;
            continue;
        }
        if ch == b'.' && tp + 4 <= 16 {
            if let Some(q) = inet_pton4(&s[curtok..]) {
                tmp[tp..tp + 4].copy_from_slice(&q);
                tp += 4;
                xdigits = 0;
                break;
            }
        }
        return None;
    }
    if xdigits > 0 {
        if tp + 2 > 16 {
            return None;
        }
        tmp[tp..tp + 2].copy_from_slice(&val.to_be_bytes());
        tp += 2;
    }
    if let Some(cp) = colonp {
        if tp == 16 {
            return None;
        }
        let n = tp - cp;
        tmp.copy_within(cp..tp, 16 - n);
        tmp[cp..16 - n].fill(0);
        tp = 16;
    }
    (tp == 16).then(|| Ipv6Addr::from(tmp))
}

/// Escapes `s` for quoting in a message (`"` and `\` backslashed, control
/// characters as Rust escapes) and cuts it to `max` characters, adding
/// "..." when cut.
pub(crate) fn escape_truncated(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max) + 8);
    for (i, c) in s.chars().enumerate() {
        if i == max {
            out.push_str("...");
            break;
        }
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]
mod tests {
    use super::*;

    #[test]
    fn url_names_and_ports() {
        let table: &[(&str, Option<(&str, u16)>)] = &[
            ("http://api.example.com/x", Some(("api.example.com", 80))),
            (
                "HTTPS://API.Example.com./x?y#z",
                Some(("api.example.com", 443)),
            ),
            (
                "https://user:pw@api.example.com:8443/",
                Some(("api.example.com", 8443)),
            ),
            ("ftp://files.example.com", Some(("files.example.com", 21))),
            ("gopher://g.example.com", Some(("g.example.com", 7))),
            ("http://api.example.com:/", Some(("api.example.com", 80))),
            ("http://10.0.0.1/", None),
            ("http://[::1]:80/", None),
            ("http://api.example.com:99999/", None),
            ("api.example.com", None),
            ("http:///x", None),
        ];
        for &(url, want) in table {
            assert_eq!(
                url_name_port(url, 7),
                want.map(|(n, p)| (n.to_owned(), p)),
                "{url}"
            );
        }
    }
    use proptest::prelude::*;
    use std::ffi::CString;

    fn ip(s: &str) -> Host {
        Host::Ip(s.parse().unwrap())
    }
    fn name(s: &str) -> Host {
        Host::Name(s.to_owned())
    }

    /// The fast path reads a target exactly as the general parser does,
    /// or leaves it to the general parser.
    fn fast_agrees(t: &str) -> bool {
        match plain_ipv4_port(t.as_bytes()) {
            Some((addr, port)) => {
                parse_host_port_general(t)
                    == Ok(HostPort {
                        host: Host::Ip(IpAddr::V4(addr)),
                        zone: None,
                        port: Some(port),
                        plain: true,
                    })
            }
            None => true,
        }
    }

    #[test]
    fn plain_ipv4_port_is_the_general_parse_of_the_common_spelling() {
        let v4 = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        for (t, want) in [
            ("93.184.216.34:80", Some((v4("93.184.216.34"), 80))),
            ("0.0.0.0:0", Some((v4("0.0.0.0"), 0))),
            (
                "255.255.255.255:65535",
                Some((v4("255.255.255.255"), 65535)),
            ),
            ("1.2.3.4:0080", Some((v4("1.2.3.4"), 80))),
            // Just outside: each of these is left to the general parser.
            ("1.2.3.4:65536", None),
            ("1.2.3.4:123456", None),
            ("1.2.3.4:", None),
            ("1.2.3.4", None),
            ("1.2.3.4:8a", None),
            ("1.2.3.4:+80", None),
            ("01.2.3.4:80", None),
            ("127.1:80", None),
            ("1.2.3.256:80", None),
            ("1.2.3.4.:80", None),
            ("0x7f.0.0.1:80", None),
            ("[::1]:80", None),
            ("1.2.3.4:80:90", None),
            ("1.2.3.4\0:80", None),
            ("1.2.3.4:8\x000", None),
            ("example.com:80", None),
        ] {
            assert_eq!(plain_ipv4_port(t.as_bytes()), want, "{t}");
            assert!(fast_agrees(t), "{t}");
        }
    }

    #[test]
    fn plain_ipv4_is_inet_pton_exactly() {
        for t in [
            "93.184.216.34",
            "0.0.0.0",
            "255.255.255.255",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.",
            "1.2.3.256",
            "127.1",
            "1.2.3.4:80",
            "0x7f.0.0.1",
            " 1.2.3.4",
            "1.2.3.4\0",
            "1..2.3",
            "1.2.3.4444",
            "",
        ] {
            assert_eq!(
                plain_ipv4(t.as_bytes()),
                inet_pton4(t.as_bytes()).map(Ipv4Addr::from),
                "{t}"
            );
        }
    }

    proptest! {
        #[test]
        fn plain_ipv4_agrees_with_inet_pton(t in "[0-9.]{0,18}") {
            prop_assert_eq!(plain_ipv4(t.as_bytes()), inet_pton4(t.as_bytes()).map(Ipv4Addr::from));
        }

        #[test]
        fn plain_ipv4_port_agrees_with_the_general_parser(t in "[0-9.:x\\[\\]a-f%]{0,24}") {
            prop_assert!(fast_agrees(&t));
        }

        #[test]
        fn plain_ipv4_port_reads_every_strict_quad(a: [u8; 4], port: u16) {
            let t = format!("{}.{}.{}.{}:{port}", a[0], a[1], a[2], a[3]);
            prop_assert_eq!(plain_ipv4_port(t.as_bytes()), Some((Ipv4Addr::from(a), port)));
            prop_assert!(fast_agrees(&t));
        }
    }

    #[test]
    fn ipv4_spellings() {
        let table: &[(&str, &str)] = &[
            ("127.0.0.1", "127.0.0.1"),
            ("127.1", "127.0.0.1"),
            ("127.0.1", "127.0.0.1"),
            ("0x7f.1", "127.0.0.1"),
            ("0x7F.0.0.1", "127.0.0.1"),
            ("0X7f.0.0.1", "127.0.0.1"),
            ("017700000001", "127.0.0.1"),
            ("2130706433", "127.0.0.1"),
            ("0x7f000001", "127.0.0.1"),
            ("0177.0.0.01", "127.0.0.1"),
            ("0177.1", "127.0.0.1"),
            ("127.0.0.1.", "127.0.0.1"),
            ("0x7f.1.", "127.0.0.1"),
            ("127.0.0.1 ", "127.0.0.1"),
            ("127.0.0.1\t", "127.0.0.1"),
            ("127.0.0.1\n", "127.0.0.1"),
            ("127.0.0.1\x0b", "127.0.0.1"),
            ("127.0.0.1 foo", "127.0.0.1"),
            ("127.0.0.1 \u{e9}", "127.0.0.1"),
            ("[127.0.0.1]", "127.0.0.1"),
            ("[127.1]", "127.0.0.1"),
            ("10.0.0.1", "10.0.0.1"),
            ("0", "0.0.0.0"),
            ("0x0", "0.0.0.0"),
            ("00", "0.0.0.0"),
            ("4294967295", "255.255.255.255"),
            ("0xffffffff", "255.255.255.255"),
            ("037777777777", "255.255.255.255"),
            ("1.16777215", "1.255.255.255"),
            ("1.2.65535", "1.2.255.255"),
            ("0xa.0xb.0xc.0xd", "10.11.12.13"),
            ("010.010.010.010", "8.8.8.8"),
            ("2001", "0.0.7.209"),
            ("0x00000000000000000000000000000001", "0.0.0.1"),
            ("000000000000000000000000000000000000001", "0.0.0.1"),
        ];
        for &(input, want) in table {
            assert_eq!(parse_host(input), Ok((ip(want), None)), "{input:?}");
        }
    }

    #[test]
    fn not_ipv4() {
        // Each of these is rejected by inet_aton; some are then valid names.
        let table: &[(&str, Result<Host, TargetError>)] = &[
            ("256.0.0.1", Ok(name("256.0.0.1"))),
            ("1.2.3.256", Ok(name("1.2.3.256"))),
            ("1.2.3.4.5", Ok(name("1.2.3.4.5"))),
            ("4294967296", Ok(name("4294967296"))),
            ("0x100000000", Ok(name("0x100000000"))),
            ("1.16777216", Ok(name("1.16777216"))),
            ("1.2.65536", Ok(name("1.2.65536"))),
            ("08", Ok(name("08"))),
            ("0x", Ok(name("0x"))),
            ("0xg", Ok(name("0xg"))),
            ("1..2", Err(TargetError::InvalidName { why: "empty label" })),
            (
                ".1.2.3",
                Err(TargetError::InvalidName { why: "empty label" }),
            ),
            (
                "127.0.0.1..",
                Err(TargetError::InvalidName { why: "empty label" }),
            ),
            (
                " 127.0.0.1",
                Err(TargetError::InvalidName {
                    why: "contains whitespace",
                }),
            ),
            (
                "+1",
                Err(TargetError::InvalidName {
                    why: "contains a character other than letters, digits, '-', '_' and '.'",
                }),
            ),
            ("127.0.0.1x", Ok(name("127.0.0.1x"))),
        ];
        for (input, want) in table {
            let got = parse_host(input).map(|(h, _)| h);
            assert_eq!(&got, want, "{input:?}");
        }
    }

    #[test]
    fn ipv6_spellings() {
        let table: &[(&str, &str, Option<&str>)] = &[
            ("::1", "::1", None),
            ("[::1]", "::1", None),
            ("::", "::", None),
            ("::ffff:127.0.0.1", "::ffff:127.0.0.1", None),
            ("::FFFF:7F00:1", "::ffff:127.0.0.1", None),
            ("0:0:0:0:0:ffff:10.0.0.1", "::ffff:10.0.0.1", None),
            ("64:ff9b::10.0.0.1", "64:ff9b::a00:1", None),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", None),
            ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8", None),
            ("fe80::1%eth0", "fe80::1", Some("eth0")),
            ("[fe80::1%eth0]", "fe80::1", Some("eth0")),
            ("fe80::1%2", "fe80::1", Some("2")),
            ("2001:DB8::1", "2001:db8::1", None),
            ("0000:0000:0000:0000:0000:0000:0000:0001", "::1", None),
        ];
        for &(input, want, zone) in table {
            assert_eq!(
                parse_host(input),
                Ok((ip(want), zone.map(str::to_owned))),
                "{input:?}"
            );
        }
    }

    #[test]
    fn bad_hosts() {
        let long = "a".repeat(10 * 1024);
        let long_labels = vec!["a".repeat(63); 4].join(".");
        let table: &[(&str, TargetError)] = &[
            ("", TargetError::EmptyHost),
            ("[]", TargetError::EmptyHost),
            (".", TargetError::EmptyHost),
            ("[::1", TargetError::UnclosedBracket),
            ("127.0.0.1\0", TargetError::NulByte),
            ("\0", TargetError::NulByte),
            ("exa\0mple.com", TargetError::NulByte),
            (&long, TargetError::TooLong { len: 10 * 1024 }),
            (&long_labels, TargetError::TooLong { len: 255 }),
            (":::1", TargetError::InvalidIpv6),
            ("1:2:3:4:5:6:7:8::", TargetError::InvalidIpv6),
            ("1::2::3", TargetError::InvalidIpv6),
            ("::1 ", TargetError::InvalidIpv6),
            ("::ffff:01.2.3.4", TargetError::InvalidIpv6),
            ("::ffff:1.2.3", TargetError::InvalidIpv6),
            ("12345::", TargetError::InvalidIpv6),
            (
                "fe80::1%",
                TargetError::InvalidZone {
                    zone: String::new(),
                },
            ),
            (
                "fe80::1%a b",
                TargetError::InvalidZone { zone: "a b".into() },
            ),
            ("127.0.0.1%eth0", TargetError::ZoneWithoutIpv6),
            ("example.com%eth0", TargetError::ZoneWithoutIpv6),
            (
                "exa mple.com",
                TargetError::InvalidName {
                    why: "contains whitespace",
                },
            ),
            (
                "example.com ",
                TargetError::InvalidName {
                    why: "contains whitespace",
                },
            ),
            (
                "bücher.de",
                TargetError::InvalidName {
                    why: "contains a character other than letters, digits, '-', '_' and '.'",
                },
            ),
            (
                &format!("{}.com", "a".repeat(64)),
                TargetError::InvalidName {
                    why: "label longer than 63 bytes",
                },
            ),
        ];
        for (input, want) in table {
            assert_eq!(parse_host(input), Err(want.clone()), "{input:?}");
        }
    }

    #[test]
    fn names() {
        let table: &[(&str, &str)] = &[
            ("example.com", "example.com"),
            ("Example.COM.", "example.com"),
            ("localhost", "localhost"),
            ("_srv.example-1.com", "_srv.example-1.com"),
            ("[example.com]", "example.com"),
            (&"a".repeat(63), &"a".repeat(63)),
        ];
        for &(input, want) in table {
            assert_eq!(parse_host(input), Ok((name(want), None)), "{input:?}");
        }
        let max = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61),
        ]
        .join(".");
        assert_eq!(max.len(), 253);
        assert_eq!(parse_host(&max), Ok((Host::Name(max.clone()), None)));
        assert_eq!(parse_host(&format!("{max}.")), Ok((Host::Name(max), None)));
    }

    fn tgt(
        transport: Transport,
        tls: bool,
        scheme: &str,
        host: Host,
        port: Option<u16>,
        zone: Option<&str>,
    ) -> Target {
        Target {
            transport,
            tls,
            scheme: scheme.into(),
            host,
            port,
            zone: zone.map(Into::into),
        }
    }

    #[test]
    fn targets() {
        use Transport::{Tcp, Udg, Udp, Unix};
        let table: Vec<(&str, Target)> = vec![
            (
                "10.0.0.1:80",
                tgt(Tcp, false, "tcp", ip("10.0.0.1"), Some(80), None),
            ),
            (
                "tcp://10.0.0.1:80",
                tgt(Tcp, false, "tcp", ip("10.0.0.1"), Some(80), None),
            ),
            (
                "TCP://10.0.0.1:80",
                tgt(Tcp, false, "tcp", ip("10.0.0.1"), Some(80), None),
            ),
            (
                "udp://8.8.8.8:53",
                tgt(Udp, false, "udp", ip("8.8.8.8"), Some(53), None),
            ),
            (
                "ssl://example.com:443",
                tgt(Tcp, true, "ssl", name("example.com"), Some(443), None),
            ),
            (
                "tls://example.com:443",
                tgt(Tcp, true, "tls", name("example.com"), Some(443), None),
            ),
            (
                "TLSv1.2://Example.com:443",
                tgt(Tcp, true, "tlsv1.2", name("example.com"), Some(443), None),
            ),
            (
                "tlsv1.0://h:1",
                tgt(Tcp, true, "tlsv1.0", name("h"), Some(1), None),
            ),
            (
                "tlsv1.1://h:1",
                tgt(Tcp, true, "tlsv1.1", name("h"), Some(1), None),
            ),
            (
                "tlsv1.3://h:1",
                tgt(Tcp, true, "tlsv1.3", name("h"), Some(1), None),
            ),
            (
                "sslv2://h:1",
                tgt(Tcp, true, "sslv2", name("h"), Some(1), None),
            ),
            (
                "sslv3://h:1",
                tgt(Tcp, true, "sslv3", name("h"), Some(1), None),
            ),
            (
                "[::1]:80",
                tgt(Tcp, false, "tcp", ip("::1"), Some(80), None),
            ),
            (
                "tcp://[fe80::1%eth0]:22",
                tgt(Tcp, false, "tcp", ip("fe80::1"), Some(22), Some("eth0")),
            ),
            ("[::1]", tgt(Tcp, false, "tcp", ip("::1"), None, None)),
            (
                "[10.0.0.1]:80",
                tgt(Tcp, false, "tcp", ip("10.0.0.1"), Some(80), None),
            ),
            (
                "example.com",
                tgt(Tcp, false, "tcp", name("example.com"), None, None),
            ),
            (
                "127.1:0",
                tgt(Tcp, false, "tcp", ip("127.0.0.1"), Some(0), None),
            ),
            (
                "127.1:65535",
                tgt(Tcp, false, "tcp", ip("127.0.0.1"), Some(65535), None),
            ),
            ("h:080", tgt(Tcp, false, "tcp", name("h"), Some(80), None)),
            (
                "127.0.0.1 :80",
                tgt(Tcp, false, "tcp", ip("127.0.0.1"), Some(80), None),
            ),
            // First colon splits, as PHP's memchr does: host "2001" = 0.0.7.209.
            (
                "2001:80",
                tgt(Tcp, false, "tcp", ip("0.0.7.209"), Some(80), None),
            ),
            (
                "unix:///run/mysqld/mysqld.sock",
                tgt(
                    Unix,
                    false,
                    "unix",
                    Host::Path("/run/mysqld/mysqld.sock".into()),
                    None,
                    None,
                ),
            ),
            (
                "unix://rel.sock",
                tgt(
                    Unix,
                    false,
                    "unix",
                    Host::Path("rel.sock".into()),
                    None,
                    None,
                ),
            ),
            (
                "udg:///tmp/x:1",
                tgt(Udg, false, "udg", Host::Path("/tmp/x:1".into()), None, None),
            ),
            (
                "unix://\0abstract",
                tgt(
                    Unix,
                    false,
                    "unix",
                    Host::Path("\0abstract".into()),
                    None,
                    None,
                ),
            ),
        ];
        for (input, want) in table {
            assert_eq!(parse_target(input), Ok(want), "{input:?}");
        }
        // One-letter "schemes" are not schemes to PHP: "a" is the host and
        // "//b" the port.
        assert_eq!(
            parse_target("a://b"),
            Err(TargetError::InvalidPort { port: "//b".into() })
        );
    }

    #[test]
    fn bad_targets() {
        let long = format!("{}:80", "a".repeat(10 * 1024));
        let table: Vec<(&str, TargetError)> = vec![
            ("", TargetError::EmptyHost),
            (":80", TargetError::EmptyHost),
            ("::1:80", TargetError::EmptyHost),
            (
                "2001:db8::1:80",
                TargetError::InvalidPort {
                    port: "db8::1:80".into(),
                },
            ),
            ("10.0.0.1:", TargetError::MissingPort),
            ("[::1]:", TargetError::MissingPort),
            (
                "10.0.0.1:65536",
                TargetError::InvalidPort {
                    port: "65536".into(),
                },
            ),
            (
                "10.0.0.1:99999",
                TargetError::InvalidPort {
                    port: "99999".into(),
                },
            ),
            (
                "10.0.0.1:123456",
                TargetError::InvalidPort {
                    port: "123456".into(),
                },
            ),
            (
                "10.0.0.1:-1",
                TargetError::InvalidPort { port: "-1".into() },
            ),
            (
                "10.0.0.1:+80",
                TargetError::InvalidPort { port: "+80".into() },
            ),
            (
                "10.0.0.1: 80",
                TargetError::InvalidPort { port: " 80".into() },
            ),
            (
                "10.0.0.1:80/x",
                TargetError::InvalidPort {
                    port: "80/x".into(),
                },
            ),
            (
                "10.0.0.1:8\"0",
                TargetError::InvalidPort {
                    port: "8\\\"0".into(),
                },
            ),
            ("10.0.0.1:80\0", TargetError::NulByte),
            ("10.0.0.1\0:80", TargetError::NulByte),
            ("[::1]x:80", TargetError::AfterBracket),
            ("[::1:80", TargetError::UnclosedBracket),
            ("[", TargetError::UnclosedBracket),
            (
                "http://example.com:80",
                TargetError::UnknownScheme {
                    scheme: "http".into(),
                },
            ),
            (
                "raw://10.0.0.1:80",
                TargetError::UnknownScheme {
                    scheme: "raw".into(),
                },
            ),
            (
                "icmp://10.0.0.1:80",
                TargetError::UnknownScheme {
                    scheme: "icmp".into(),
                },
            ),
            (
                "tlsv1.4://h:1",
                TargetError::UnknownScheme {
                    scheme: "tlsv1.4".into(),
                },
            ),
            ("unix://", TargetError::EmptyPath),
            ("udg://", TargetError::EmptyPath),
            (&long, TargetError::TooLong { len: 10 * 1024 }),
        ];
        for (input, want) in table {
            assert_eq!(parse_target(input), Err(want), "{input:?}");
        }
    }

    #[test]
    fn long_scheme_is_truncated_in_message() {
        let input = format!("{}://h:1", "x".repeat(100));
        let err = parse_target(&input).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("unknown transport \"{}...\"", "x".repeat(32))
        );
    }

    #[test]
    fn escape() {
        let table: &[(&str, usize, &str)] = &[
            ("abc", 64, "abc"),
            ("a\"b\\c", 64, "a\\\"b\\\\c"),
            ("a\0b\n", 64, "a\\u{0}b\\n"),
            ("abcdef", 3, "abc..."),
            ("é€", 64, "é€"),
        ];
        for &(input, max, want) in table {
            assert_eq!(escape_truncated(input, max), want, "{input:?}");
        }
    }

    #[test]
    fn transport_names() {
        let table = [
            (Transport::Tcp, "tcp", false),
            (Transport::Udp, "udp", false),
            (Transport::Unix, "unix", true),
            (Transport::Udg, "udg", true),
            (Transport::Raw, "raw", false),
        ];
        for (t, name, local) in table {
            assert_eq!(t.name(), name);
            assert_eq!(t.to_string(), name);
            assert_eq!(t.is_local(), local);
        }
    }

    // ---- agreement with the C library ----

    extern "C" {
        fn inet_aton(cp: *const libc::c_char, inp: *mut libc::in_addr) -> libc::c_int;
        fn inet_pton(
            af: libc::c_int,
            src: *const libc::c_char,
            dst: *mut libc::c_void,
        ) -> libc::c_int;
    }

    fn libc_aton(s: &str) -> Option<Ipv4Addr> {
        let c = CString::new(s).ok()?;
        let mut out = libc::in_addr { s_addr: 0 };
        // SAFETY: `c` is a valid NUL-terminated string and `out` a valid in_addr.
        let ok = unsafe { inet_aton(c.as_ptr(), &raw mut out) };
        (ok != 0).then(|| Ipv4Addr::from(u32::from_be(out.s_addr)))
    }

    fn libc_pton6(s: &str) -> Option<Ipv6Addr> {
        let c = CString::new(s).ok()?;
        let mut out = [0u8; 16];
        // SAFETY: `c` is NUL-terminated and `out` has room for an in6_addr.
        let ok = unsafe { inet_pton(libc::AF_INET6, c.as_ptr(), out.as_mut_ptr().cast()) };
        (ok == 1).then(|| Ipv6Addr::from(out))
    }

    /// One part of an IPv4 spelling: a value in a base, maybe overflowing.
    fn part() -> impl Strategy<Value = String> {
        let value = prop_oneof![
            0u64..=0xff,
            0u64..=0xffff,
            0u64..=0xff_ffff,
            0u64..=0xffff_ffff,
            0x1_0000_0000u64..=0x1_ffff_ffff,
            Just(u64::MAX),
        ];
        (value, 0u8..4, 0usize..3).prop_map(|(v, base, zeros)| match base {
            0 => format!("{v}"),
            1 => format!("0{}{v:o}", "0".repeat(zeros)),
            2 => format!("0x{}{v:x}", "0".repeat(zeros)),
            _ => format!("0X{v:X}"),
        })
    }

    fn ipv4_spelling() -> impl Strategy<Value = String> {
        let tail = prop_oneof![
            4 => Just(String::new()),
            1 => Just(".".to_owned()),
            1 => Just(" ".to_owned()),
            1 => Just(" junk".to_owned()),
            1 => Just("\t".to_owned()),
            1 => Just("x".to_owned()),
            1 => Just("..".to_owned()),
            1 => Just("8".to_owned()),
        ];
        (proptest::collection::vec(part(), 1..=5), tail)
            .prop_map(|(parts, tail)| format!("{}{tail}", parts.join(".")))
    }

    fn ipv6_spelling() -> impl Strategy<Value = String> {
        let group = prop_oneof![
            (0u32..=0xffff).prop_map(|v| format!("{v:x}")),
            (0u32..=0xffff).prop_map(|v| format!("{v:04X}")),
            Just(String::new()),
            Just("12345".to_owned()),
            (0u8..=255, 0u8..=255, 0u8..=255, 0u8..=255)
                .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
            Just("01.2.3.4".to_owned()),
        ];
        proptest::collection::vec(group, 1..=10).prop_map(|g| g.join(":"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parse_host_never_panics(s in ".{0,80}") {
            let _ = parse_host(&s);
            let _ = parse_target(&s);
        }

        #[test]
        fn parse_host_never_panics_on_bytes(
            b in proptest::collection::vec(prop_oneof![
                Just(b'0'), Just(b'x'), Just(b'.'), Just(b':'), Just(b'['), Just(b']'),
                Just(b'%'), Just(b' '), Just(b'f'), Just(b'9'), Just(b'/'), any::<u8>()
            ], 0..40)
        ) {
            let s = String::from_utf8_lossy(&b);
            let _ = parse_host(&s);
            let _ = parse_target(&s);
        }

        #[test]
        fn ipv4_agrees_with_inet_aton(s in ipv4_spelling()) {
            let ours = parse_host(&s).ok().and_then(|(h, _)| match h {
                Host::Ip(IpAddr::V4(a)) => Some(a),
                _ => None,
            });
            let theirs = libc_aton(&s);
            match (ours, theirs) {
                (a, b) if a == b => {}
                // Documented fail-closed case: one trailing dot.
                (Some(a), None) if s.ends_with('.') => {
                    prop_assert_eq!(libc_aton(&s[..s.len() - 1]), Some(a), "{:?}", s);
                }
                (a, b) => prop_assert!(false, "{:?}: ours {:?} libc {:?}", s, a, b),
            }
        }

        #[test]
        fn inet_aton_port_agrees_with_libc(s in "[0-9xX. a-f\t]{0,24}") {
            prop_assert_eq!(super::inet_aton(s.as_bytes()), libc_aton(&s), "{:?}", s);
        }

        #[test]
        fn ipv6_agrees_with_inet_pton(s in ipv6_spelling()) {
            let ours = match parse_host(&s) {
                Ok((Host::Ip(IpAddr::V6(a)), None)) => Some(a),
                _ => None,
            };
            prop_assert_eq!(ours, libc_pton6(&s), "{:?}", s);
        }

        #[test]
        fn inet_pton6_port_agrees_with_libc(s in "[0-9a-fA-F:.]{0,45}") {
            prop_assert_eq!(super::inet_pton6(s.as_bytes()), libc_pton6(&s), "{:?}", s);
        }
    }

    #[test]
    fn pinned_addresses_are_spelled_for_the_transports() {
        let v4: IpAddr = "93.184.216.34".parse().unwrap();
        let v6: IpAddr = "fe80::1".parse().unwrap();
        assert_eq!(format_host_port(v4, None, 80), "93.184.216.34:80");
        assert_eq!(format_host_port(v4, Some("eth0"), 80), "93.184.216.34:80");
        assert_eq!(format_host_port(v6, None, 443), "[fe80::1]:443");
        assert_eq!(
            format_host_port(v6, Some("eth0"), 443),
            "[fe80::1%eth0]:443"
        );
        assert_eq!(format_host(v6, Some("2")), "fe80::1%2");
        assert_eq!(format_host(v4, None), "93.184.216.34");
    }

    #[test]
    fn atoi_ports_wrap_like_a_short() {
        for (text, want) in [
            ("53", 53),
            (" 53", 53),
            ("+53", 53),
            ("53abc", 53),
            ("65561", 25),
            ("-1", 65_535),
            ("", 0),
            ("x", 0),
            ("4294967321", 25),
        ] {
            assert_eq!(atoi_port(text), want, "{text:?}");
        }
    }

    #[test]
    fn host_and_port_split_at_the_first_colon_or_the_bracket() {
        assert_eq!(split_host_port("0.0.0.0:0"), Ok(("0.0.0.0", Some("0"))));
        assert_eq!(split_host_port("[::]:8080"), Ok(("::", Some("8080"))));
        assert_eq!(split_host_port("127.0.0.1"), Ok(("127.0.0.1", None)));
        assert_eq!(split_host_port(":0"), Ok(("", Some("0"))));
        assert_eq!(split_host_port("[::1]"), Ok(("::1", None)));
        assert_eq!(split_host_port("[::1]53"), Err(TargetError::AfterBracket));
        assert_eq!(split_host_port("host:"), Err(TargetError::MissingPort));
    }

    #[test]
    fn sendto_addresses_split_like_php() {
        assert_eq!(
            split_address_with_port("10.0.0.1:53"),
            Some(("10.0.0.1", 53))
        );
        assert_eq!(split_address_with_port("[::1]:53"), Some(("::1", 53)));
        assert_eq!(split_address_with_port("host:65561"), Some(("host", 25)));
        assert_eq!(split_address_with_port("host:-1"), Some(("host", 65535)));
        assert_eq!(split_address_with_port("host:53abc"), Some(("host", 53)));
        assert_eq!(split_address_with_port("host:"), Some(("host", 0)));
        assert_eq!(split_address_with_port("nohost"), None);
        assert_eq!(split_address_with_port("[::1]53"), None);
    }

    #[test]
    fn plain_spellings_need_no_rewriting() {
        let plain = |s: &str| parse_host_port_spelled(s).map(|h| h.plain);
        assert_eq!(plain("93.184.216.34:80"), Ok(true));
        assert_eq!(plain("[2001:db8::1]:443"), Ok(true));
        assert_eq!(plain("[::ffff:127.0.0.1]:80"), Ok(true));
        // Just outside: every other spelling of an IPv4 address, and names.
        assert_eq!(plain("127.1:80"), Ok(false));
        assert_eq!(plain("0x7f.0.0.1:80"), Ok(false));
        assert_eq!(plain("127.0.0.01:80"), Ok(false));
        assert_eq!(plain("127.0.0.1.:80"), Ok(false));
        assert_eq!(plain("2130706433:80"), Ok(false));
        assert_eq!(plain("example.com:80"), Ok(false));
    }
}

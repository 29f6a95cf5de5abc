//! IPv4 addresses embedded in IPv6 addresses.
//!
//! Decodes the five ways an IPv6 address can carry an IPv4 address that a
//! packet may end up reaching: IPv4-mapped (`::ffff:0:0/96`, RFC 4291
//! §2.5.5.2), IPv4-compatible (`::/96` except `::` and `::1`, RFC 4291
//! §2.5.5.1, deprecated), NAT64 (`64:ff9b::/96`, RFC 6052, and the local-use
//! `64:ff9b:1::/48`, RFC 8215, decoded with the RFC 6052 /48 layout), 6to4
//! (`2002::/16`, RFC 3056) and Teredo (`2001::/32`, RFC 4380).
//!
//! This module only decodes; it does not decide anything. What a decoded
//! address means for the verdict is up to `Policy::check_addr`.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Which embedding an IPv6 address uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Embedding {
    /// `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2): the socket talks IPv4 to the
    /// embedded address.
    Mapped,
    /// `::a.b.c.d` (RFC 4291 §2.5.5.1, deprecated).
    Compat,
    /// `64:ff9b::a.b.c.d` (RFC 6052 well-known prefix, /96 layout).
    Nat64,
    /// `64:ff9b:1::/48` (RFC 8215 local-use prefix, RFC 6052 /48 layout:
    /// IPv4 bits in address bits 48..63 and 72..87, bits 64..71 (the
    /// "u" octet) zero, suffix bits 88..127 zero).
    Nat64Local,
    /// `2002:aabb:ccdd::/48` (RFC 3056): the IPv4 address of the 6to4 router.
    SixToFour,
    /// `2001:0:SSSS:SSSS:flags:port:CCCC:CCCC` (RFC 4380): the Teredo server
    /// (bits 32..63) and the client's public address (last 32 bits, inverted).
    Teredo,
}

impl Embedding {
    /// Whether the IPv6 address is just a container: traffic to it is traffic
    /// to the embedded IPv4 address, so the IPv4 verdict is the verdict.
    /// 6to4 and Teredo are tunnels, blocked as their own registry entries.
    #[must_use]
    pub fn is_container(self) -> bool {
        match self {
            Embedding::Mapped | Embedding::Compat | Embedding::Nat64 | Embedding::Nat64Local => {
                true
            }
            Embedding::SixToFour | Embedding::Teredo => false,
        }
    }
}

/// The IPv4 address(es) decoded from an IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Embedded {
    kind: Embedding,
    /// The destination: for Teredo the client, else the only address.
    primary: Ipv4Addr,
    /// Teredo only: the server address.
    server: Option<Ipv4Addr>,
}

impl Embedded {
    /// The embedding used.
    #[must_use]
    pub fn kind(&self) -> Embedding {
        self.kind
    }

    /// The address traffic is meant to reach (for Teredo, the client).
    #[must_use]
    pub fn primary(&self) -> Ipv4Addr {
        self.primary
    }

    /// Every embedded address: the primary, then for Teredo the server.
    pub fn all(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        std::iter::once(self.primary).chain(self.server)
    }
}

/// Decodes the IPv4 address embedded in `addr`, if it has one.
///
/// Returns `None` for `::` and `::1` (their own registry entries, not
/// IPv4-compatible addresses), for addresses outside the five prefixes, and
/// for `64:ff9b:1::/48` addresses that do not follow the RFC 6052 /48 layout
/// (non-zero "u" octet or suffix): the caller then treats them as the plain
/// registry block, which is denied.
#[must_use]
pub fn embedded_v4(addr: Ipv6Addr) -> Option<Embedded> {
    let o = addr.octets();
    let seg = addr.segments();
    let v4 = |a: usize| Ipv4Addr::new(o[a], o[a + 1], o[a + 2], o[a + 3]);
    let single = |kind, primary| {
        Some(Embedded {
            kind,
            primary,
            server: None,
        })
    };
    match seg {
        // ::ffff:0:0/96
        [0, 0, 0, 0, 0, 0xffff, _, _] => single(Embedding::Mapped, v4(12)),
        // ::/96 minus ::/128 and ::1/128
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 || lo > 1 => single(Embedding::Compat, v4(12)),
        // 64:ff9b::/96
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => single(Embedding::Nat64, v4(12)),
        // 64:ff9b:1::/48, RFC 6052 §2.2 /48 layout; u octet (byte 8) must be
        // zero and so must the suffix (bytes 11..16).
        [0x64, 0xff9b, 1, ..] => {
            if o[8] != 0 || o[11..].iter().any(|&b| b != 0) {
                None
            } else {
                single(
                    Embedding::Nat64Local,
                    Ipv4Addr::new(o[6], o[7], o[9], o[10]),
                )
            }
        }
        // 2002::/16: bits 16..47
        [0x2002, ..] => single(Embedding::SixToFour, v4(2)),
        // 2001::/32: server in bits 32..63, client = NOT bits 96..127
        [0x2001, 0, ..] => {
            let c = v4(12).octets();
            Some(Embedded {
                kind: Embedding::Teredo,
                primary: Ipv4Addr::new(!c[0], !c[1], !c[2], !c[3]),
                server: Some(v4(4)),
            })
        }
        _ => None,
    }
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

    fn v6(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }
    fn v4(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn decodes_every_form() {
        type Want = Option<(Embedding, &'static str, Option<&'static str>)>;
        let table: &[(&str, Want)] = &[
            (
                "::ffff:10.0.0.1",
                Some((Embedding::Mapped, "10.0.0.1", None)),
            ),
            ("::ffff:8.8.8.8", Some((Embedding::Mapped, "8.8.8.8", None))),
            ("::ffff:0:0", Some((Embedding::Mapped, "0.0.0.0", None))),
            ("::10.0.0.1", Some((Embedding::Compat, "10.0.0.1", None))),
            ("::1.2.3.4", Some((Embedding::Compat, "1.2.3.4", None))),
            ("::2", Some((Embedding::Compat, "0.0.0.2", None))),
            ("::", None),
            ("::1", None),
            (
                "64:ff9b::10.0.0.1",
                Some((Embedding::Nat64, "10.0.0.1", None)),
            ),
            (
                "64:ff9b::1.2.3.4",
                Some((Embedding::Nat64, "1.2.3.4", None)),
            ),
            // RFC 6052 §2.4 example: 192.0.2.33 under a /48 prefix.
            (
                "64:ff9b:1:c000:2:2100::",
                Some((Embedding::Nat64Local, "192.0.2.33", None)),
            ),
            (
                "64:ff9b:1:a00:0:100::",
                Some((Embedding::Nat64Local, "10.0.0.1", None)),
            ),
            (
                "64:ff9b:1:102:3:400::",
                Some((Embedding::Nat64Local, "1.2.3.4", None)),
            ),
            // u octet set, or suffix set: not a /48-layout address.
            ("64:ff9b:1:102:ff03:400::", None),
            ("64:ff9b:1:102:3:400::1", None),
            ("64:ff9b:1::a00:1", None),
            (
                "2002:a00:1::1",
                Some((Embedding::SixToFour, "10.0.0.1", None)),
            ),
            (
                "2002:102:304::",
                Some((Embedding::SixToFour, "1.2.3.4", None)),
            ),
            // RFC 4380 example: server 65.54.227.120, client 192.0.2.45.
            (
                "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                Some((Embedding::Teredo, "192.0.2.45", Some("65.54.227.120"))),
            ),
            (
                "2001:0:102:304::f5ff:fffe",
                Some((Embedding::Teredo, "10.0.0.1", Some("1.2.3.4"))),
            ),
            ("2001:db8::1", None),
            ("2001:1::1", None),
            ("2606:4700::1111", None),
            ("fe80::1", None),
            ("::ffff:0:0:1", None),
            ("::1:0:0:1", None),
        ];
        for &(input, want) in table {
            let got = embedded_v4(v6(input));
            let want = want.map(|(kind, p, s)| Embedded {
                kind,
                primary: v4(p),
                server: s.map(v4),
            });
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn all_lists_teredo_server_after_client() {
        let e = embedded_v4(v6("2001:0:102:304::f5ff:fffe")).unwrap();
        assert_eq!(
            e.all().collect::<Vec<_>>(),
            vec![v4("10.0.0.1"), v4("1.2.3.4")]
        );
        let e = embedded_v4(v6("::ffff:1.2.3.4")).unwrap();
        assert_eq!(e.all().collect::<Vec<_>>(), vec![v4("1.2.3.4")]);
    }

    #[test]
    fn containers() {
        let table = [
            (Embedding::Mapped, true),
            (Embedding::Compat, true),
            (Embedding::Nat64, true),
            (Embedding::Nat64Local, true),
            (Embedding::SixToFour, false),
            (Embedding::Teredo, false),
        ];
        for (kind, want) in table {
            assert_eq!(kind.is_container(), want, "{kind:?}");
        }
    }
}

//! The special-purpose address blocks sockguard denies.
//!
//! Every entry of the IANA IPv4 and IPv6 Special-Purpose Address Registries
//! (as of 2025), plus IPv4 and IPv6 multicast, deprecated site-local
//! `fec0::/10`, and, for IPv6, every block of the IANA IPv6 Address Space
//! registry outside global unicast `2000::/3` (named "reserved"), so that any
//! IPv6 address outside `2000::/3` has a row. Each row cites its RFC.
//!
//! Lookup returns the most specific matching row (`192.0.0.9` reports its
//! own /32, not 192.0.0.0/24) in O(log n). The tables are `const` data,
//! indexed once on first use.
//!
//! Rows marked [`RowKind::Container`] (IPv4-mapped, IPv4-compatible, NAT64)
//! are not verdicts by themselves: the embedded IPv4 address decides. This
//! module does not decode embedded addresses (see `embedded.rs`) and does not
//! know about Google's ranges or the allowlist.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::index::{key4, key6, net_block, NetIndex};

/// What a matching row means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// Addresses in the block are denied.
    Block,
    /// The block embeds IPv4 addresses; the embedded address's verdict is the
    /// verdict (a malformed embedding is denied as the block itself).
    Container,
}

/// One row of a special-purpose table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpecialRange {
    /// The block.
    pub prefix: IpNet,
    /// Short lowercase name used in denial messages, e.g. "private-use".
    pub name: &'static str,
    /// Whether the block is a verdict or a container.
    pub kind: RowKind,
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8, name: &'static str) -> SpecialRange {
    SpecialRange {
        prefix: IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)),
        name,
        kind: RowKind::Block,
    }
}

const fn v6(s: [u16; 8], len: u8, name: &'static str, kind: RowKind) -> SpecialRange {
    SpecialRange {
        prefix: IpNet::V6(Ipv6Net::new_assert(
            Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]),
            len,
        )),
        name,
        kind,
    }
}

const B: RowKind = RowKind::Block;
const C: RowKind = RowKind::Container;

/// IPv4 rows: the IANA IPv4 Special-Purpose Address Registry plus multicast.
pub const SPECIAL_V4: &[SpecialRange] = &[
    v4(0, 0, 0, 0, 8, "this network"),               // RFC 791 §3.2
    v4(0, 0, 0, 0, 32, "this host on this network"), // RFC 1122 §3.2.1.3
    v4(10, 0, 0, 0, 8, "private-use"),               // RFC 1918
    v4(100, 64, 0, 0, 10, "shared address space (CGNAT)"), // RFC 6598
    v4(127, 0, 0, 0, 8, "loopback"),                 // RFC 1122 §3.2.1.3
    v4(169, 254, 0, 0, 16, "link-local"),            // RFC 3927
    v4(172, 16, 0, 0, 12, "private-use"),            // RFC 1918
    v4(192, 0, 0, 0, 24, "IETF protocol assignments"), // RFC 6890 §2.1
    v4(192, 0, 0, 0, 29, "IPv4 service continuity prefix"), // RFC 7335
    v4(192, 0, 0, 8, 32, "IPv4 dummy address"),      // RFC 7600
    v4(192, 0, 0, 9, 32, "port control protocol anycast"), // RFC 7723
    v4(192, 0, 0, 10, 32, "TURN anycast"),           // RFC 8155
    v4(192, 0, 0, 170, 32, "NAT64/DNS64 discovery"), // RFC 8880, RFC 7050 §2.2
    v4(192, 0, 0, 171, 32, "NAT64/DNS64 discovery"), // RFC 8880, RFC 7050 §2.2
    v4(192, 0, 2, 0, 24, "documentation (TEST-NET-1)"), // RFC 5737
    v4(192, 31, 196, 0, 24, "AS112-v4"),             // RFC 7535
    v4(192, 52, 193, 0, 24, "AMT"),                  // RFC 7450
    v4(192, 88, 99, 0, 24, "deprecated (6to4 relay anycast)"), // RFC 7526
    v4(192, 88, 99, 2, 32, "6a44-relay anycast"),    // RFC 6751
    v4(192, 168, 0, 0, 16, "private-use"),           // RFC 1918
    v4(192, 175, 48, 0, 24, "direct delegation AS112 service"), // RFC 7534
    v4(198, 18, 0, 0, 15, "benchmarking"),           // RFC 2544
    v4(198, 51, 100, 0, 24, "documentation (TEST-NET-2)"), // RFC 5737
    v4(203, 0, 113, 0, 24, "documentation (TEST-NET-3)"), // RFC 5737
    v4(224, 0, 0, 0, 4, "multicast"),                // RFC 5771
    v4(240, 0, 0, 0, 4, "reserved"),                 // RFC 1112 §4
    v4(255, 255, 255, 255, 32, "limited broadcast"), // RFC 8190, RFC 919 §7
];

/// IPv6 rows: the IANA IPv6 Special-Purpose Address Registry, multicast,
/// site-local, the IPv4-compatible container, and the IANA IPv6 Address Space
/// blocks outside `2000::/3` as "reserved".
pub const SPECIAL_V6: &[SpecialRange] = &[
    // --- IANA IPv6 Special-Purpose Address Registry ---
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback", B), // RFC 4291
    v6([0, 0, 0, 0, 0, 0, 0, 0], 128, "unspecified", B), // RFC 4291
    v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, "IPv4-mapped", C), // RFC 4291
    v6(
        [0x64, 0xff9b, 0, 0, 0, 0, 0, 0],
        96,
        "IPv4-IPv6 translation (NAT64)",
        C,
    ), // RFC 6052
    v6(
        [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
        48,
        "IPv4-IPv6 translation (local-use NAT64)",
        C,
    ), // RFC 8215
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only", B), // RFC 6666
    v6([0x100, 0, 0, 1, 0, 0, 0, 0], 64, "dummy IPv6 prefix", B), // RFC 9780
    v6(
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        23,
        "IETF protocol assignments",
        B,
    ), // RFC 2928
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "teredo", B), // RFC 4380, RFC 8190
    v6(
        [0x2001, 1, 0, 0, 0, 0, 0, 1],
        128,
        "port control protocol anycast",
        B,
    ), // RFC 7723
    v6([0x2001, 1, 0, 0, 0, 0, 0, 2], 128, "TURN anycast", B), // RFC 8155
    v6(
        [0x2001, 1, 0, 0, 0, 0, 0, 3],
        128,
        "DNS-SD service registration protocol anycast",
        B,
    ), // RFC 9665
    v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48, "benchmarking", B), // RFC 5180, RFC Errata 1752
    v6([0x2001, 3, 0, 0, 0, 0, 0, 0], 32, "AMT", B),  // RFC 7450
    v6([0x2001, 4, 0x112, 0, 0, 0, 0, 0], 48, "AS112-v6", B), // RFC 7535
    v6(
        [0x2001, 0x10, 0, 0, 0, 0, 0, 0],
        28,
        "deprecated (ORCHID)",
        B,
    ), // RFC 4843
    v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28, "ORCHIDv2", B), // RFC 7343
    v6(
        [0x2001, 0x30, 0, 0, 0, 0, 0, 0],
        28,
        "drone remote ID entity tags",
        B,
    ), // RFC 9374
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation", B), // RFC 3849
    v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4", B), // RFC 3056
    v6(
        [0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0],
        48,
        "direct delegation AS112 service",
        B,
    ), // RFC 7534
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation", B), // RFC 9637
    v6(
        [0x5f00, 0, 0, 0, 0, 0, 0, 0],
        16,
        "segment routing (SRv6) SIDs",
        B,
    ), // RFC 9602
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique-local", B), // RFC 4193, RFC 8190
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local", B), // RFC 4291
    // --- not in the special-purpose registry, denied all the same ---
    v6(
        [0, 0, 0, 0, 0, 0, 0, 0],
        96,
        "IPv4-compatible (deprecated)",
        C,
    ), // RFC 4291 §2.5.5.1
    v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local", B), // RFC 3879
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast", B),   // RFC 4291 §2.7
    // --- IANA IPv6 Address Space registry: everything outside 2000::/3 ---
    v6([0, 0, 0, 0, 0, 0, 0, 0], 8, "reserved", B), // RFC 4291
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 8, "reserved", B), // RFC 4291
    v6([0x200, 0, 0, 0, 0, 0, 0, 0], 7, "reserved", B), // RFC 4048
    v6([0x400, 0, 0, 0, 0, 0, 0, 0], 6, "reserved", B), // RFC 4291
    v6([0x800, 0, 0, 0, 0, 0, 0, 0], 5, "reserved", B), // RFC 4291
    v6([0x1000, 0, 0, 0, 0, 0, 0, 0], 4, "reserved", B), // RFC 4291
    v6([0x4000, 0, 0, 0, 0, 0, 0, 0], 3, "reserved", B), // RFC 4291
    v6([0x6000, 0, 0, 0, 0, 0, 0, 0], 3, "reserved", B), // RFC 4291
    v6([0x8000, 0, 0, 0, 0, 0, 0, 0], 3, "reserved", B), // RFC 4291
    v6([0xa000, 0, 0, 0, 0, 0, 0, 0], 3, "reserved", B), // RFC 4291
    v6([0xc000, 0, 0, 0, 0, 0, 0, 0], 3, "reserved", B), // RFC 4291
    v6([0xe000, 0, 0, 0, 0, 0, 0, 0], 4, "reserved", B), // RFC 4291
    v6([0xf000, 0, 0, 0, 0, 0, 0, 0], 5, "reserved", B), // RFC 4291
    v6([0xf800, 0, 0, 0, 0, 0, 0, 0], 6, "reserved", B), // RFC 4291
    v6([0xfe00, 0, 0, 0, 0, 0, 0, 0], 9, "reserved", B), // RFC 4291
];

/// Indexed special-purpose tables.
#[derive(Debug)]
struct Tables {
    v4: NetIndex,
    v6: NetIndex,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let index = |rows: &[SpecialRange]| {
            let blocks: Vec<_> = rows.iter().map(|r| net_block(&r.prefix)).collect();
            NetIndex::build(&blocks)
        };
        Tables {
            v4: index(SPECIAL_V4),
            v6: index(SPECIAL_V6),
        }
    })
}

/// The most specific special-purpose row containing an IPv4 address.
#[must_use]
#[inline]
pub fn special_v4(addr: Ipv4Addr) -> Option<&'static SpecialRange> {
    let id = tables().v4.first(key4(addr))?;
    SPECIAL_V4.get(id as usize)
}

/// The most specific special-purpose row containing an IPv6 address. Every
/// address outside `2000::/3` has one.
#[must_use]
#[inline]
pub fn special_v6(addr: Ipv6Addr) -> Option<&'static SpecialRange> {
    let id = tables().v6.first(key6(addr))?;
    SPECIAL_V6.get(id as usize)
}

/// The most specific special-purpose row containing an address.
#[must_use]
pub fn special(addr: IpAddr) -> Option<&'static SpecialRange> {
    match addr {
        IpAddr::V4(a) => special_v4(a),
        IpAddr::V6(a) => special_v6(a),
    }
}

/// Number of special-purpose rows (IPv4, IPv6), for `describe()`.
#[must_use]
pub fn special_counts() -> (usize, usize) {
    (SPECIAL_V4.len(), SPECIAL_V6.len())
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

    fn first_last(net: &IpNet) -> (IpAddr, IpAddr) {
        (net.network(), net.broadcast())
    }

    #[test]
    fn every_row_finds_itself_at_both_ends() {
        for row in SPECIAL_V4.iter().chain(SPECIAL_V6) {
            let (first, last) = first_last(&row.prefix);
            for a in [first, last] {
                let got = special(a).unwrap();
                // The row itself or a more specific one nested inside it.
                assert!(
                    row.prefix.contains(&got.prefix),
                    "{a}: got {} want within {}",
                    got.prefix,
                    row.prefix
                );
                assert!(got.prefix.prefix_len() >= row.prefix.prefix_len());
            }
        }
    }

    #[test]
    fn most_specific_row_wins() {
        let table: &[(&str, &str, &str)] = &[
            ("0.0.0.0", "0.0.0.0/32", "this host on this network"),
            ("0.0.0.1", "0.0.0.0/8", "this network"),
            (
                "192.0.0.0",
                "192.0.0.0/29",
                "IPv4 service continuity prefix",
            ),
            (
                "192.0.0.7",
                "192.0.0.0/29",
                "IPv4 service continuity prefix",
            ),
            ("192.0.0.8", "192.0.0.8/32", "IPv4 dummy address"),
            ("192.0.0.9", "192.0.0.9/32", "port control protocol anycast"),
            ("192.0.0.10", "192.0.0.10/32", "TURN anycast"),
            ("192.0.0.11", "192.0.0.0/24", "IETF protocol assignments"),
            ("192.0.0.170", "192.0.0.170/32", "NAT64/DNS64 discovery"),
            ("192.0.0.171", "192.0.0.171/32", "NAT64/DNS64 discovery"),
            ("192.0.0.172", "192.0.0.0/24", "IETF protocol assignments"),
            ("192.88.99.2", "192.88.99.2/32", "6a44-relay anycast"),
            (
                "192.88.99.3",
                "192.88.99.0/24",
                "deprecated (6to4 relay anycast)",
            ),
            ("255.255.255.255", "255.255.255.255/32", "limited broadcast"),
            ("255.255.255.254", "240.0.0.0/4", "reserved"),
            ("::", "::/128", "unspecified"),
            ("::1", "::1/128", "loopback"),
            ("::2", "::/96", "IPv4-compatible (deprecated)"),
            ("::1:0:0", "::/8", "reserved"),
            ("::ffff:1.2.3.4", "::ffff:0.0.0.0/96", "IPv4-mapped"),
            ("2001::1", "2001::/32", "teredo"),
            (
                "2001:1::1",
                "2001:1::1/128",
                "port control protocol anycast",
            ),
            ("2001:1::2", "2001:1::2/128", "TURN anycast"),
            (
                "2001:1::3",
                "2001:1::3/128",
                "DNS-SD service registration protocol anycast",
            ),
            ("2001:1::4", "2001::/23", "IETF protocol assignments"),
            ("2001:1ff:ffff::", "2001::/23", "IETF protocol assignments"),
            ("100::1", "100::/64", "discard-only"),
            ("100:0:0:1::1", "100:0:0:1::/64", "dummy IPv6 prefix"),
            ("100:0:0:2::1", "100::/8", "reserved"),
            ("4000::1", "4000::/3", "reserved"),
            ("fec0::1", "fec0::/10", "site-local"),
            ("fe00::1", "fe00::/9", "reserved"),
            ("ff02::1", "ff00::/8", "multicast"),
        ];
        for &(addr, prefix, name) in table {
            let a: IpAddr = addr.parse().unwrap();
            let row = special(a).unwrap_or_else(|| panic!("{addr} has no row"));
            assert_eq!(row.prefix.to_string(), prefix, "{addr}");
            assert_eq!(row.name, name, "{addr}");
        }
    }

    #[test]
    fn public_addresses_have_no_row() {
        for a in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "191.255.255.255",
            "192.0.1.0",
            "192.0.3.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2000::",
            "2001:200::",
            "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
            "2001:db9::",
            "2003::",
            "2606:4700:4700::1111",
            "3ffe:ffff::",
            "3fff:1000::",
        ] {
            let addr: IpAddr = a.parse().unwrap();
            assert_eq!(special(addr), None, "{a}");
        }
    }

    #[test]
    fn outside_global_unicast_always_has_a_row() {
        // Probe the first and last address of each /8 outside 2000::/3.
        for top in 0u16..=0xff {
            if (0x20..0x40).contains(&top) {
                continue;
            }
            let first = Ipv6Addr::from(u128::from(top) << 120);
            let last = Ipv6Addr::from((u128::from(top) << 120) | (u128::MAX >> 8));
            assert!(special_v6(first).is_some(), "{first}");
            assert!(special_v6(last).is_some(), "{last}");
        }
    }

    #[test]
    fn counts() {
        assert_eq!(special_counts(), (SPECIAL_V4.len(), SPECIAL_V6.len()));
        assert!(SPECIAL_V4.len() >= 27 && SPECIAL_V6.len() >= 40);
    }
}

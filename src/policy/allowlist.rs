//! The built-in allowlist: what App Engine let through although it lies in
//! Google's ranges.
//!
//! - Google Public DNS, `8.8.8.8`, `8.8.4.4`, `2001:4860:4860::8888` and
//!   `2001:4860:4860::8844`, on port 53 over TCP and UDP;
//! - Gmail: smtp.gmail.com on 465 and 587, pop.gmail.com on 995,
//!   imap.gmail.com on 993, over TCP.
//!
//! A host entry allows an address on its port iff resolving the name
//! (through the policy's resolver, which caches) gives that address; a
//! failed lookup simply does not match. Names are resolved only when the
//! port is one of the host entries' ports, so ordinary connects never
//! resolve them. An IPv4-mapped IPv6 address counts as its IPv4 address.
//! This module does not know about ranges or operator rules.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{canonical, Resolver, Transport};

/// Google Public DNS addresses, allowed on port 53 over TCP and UDP.
pub const DNS_SERVERS: [IpAddr; 4] = [
    IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)),
    IpAddr::V4(Ipv4Addr::new(8, 8, 4, 4)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8844)),
];

/// The DNS port.
pub const DNS_PORT: u16 = 53;

/// Gmail host entries (name, port), TCP only.
pub const MAIL_HOSTS: [(&str, u16); 4] = [
    ("smtp.gmail.com", 465),
    ("smtp.gmail.com", 587),
    ("pop.gmail.com", 995),
    ("imap.gmail.com", 993),
];

/// Whether the built-in allowlist allows `addr` on `port` over `transport`.
pub fn allows(addr: IpAddr, port: u16, transport: Transport, resolver: &dyn Resolver) -> bool {
    let udp_ok = match transport {
        Transport::Tcp => false,
        Transport::Udp => true,
        Transport::Unix | Transport::Udg | Transport::Raw => return false,
    };
    let addr = canonical(addr);
    if port == DNS_PORT {
        return DNS_SERVERS.contains(&addr);
    }
    if udp_ok {
        return false;
    }
    MAIL_HOSTS
        .iter()
        .filter(|&&(_, p)| p == port)
        .any(|&(name, _)| {
            resolver
                .lookup(name)
                .is_ok_and(|answer| answer.into_iter().any(|a| canonical(a) == addr))
        })
}

/// The entries as strings for phpinfo: `8.8.8.8:53/tcp+udp`,
/// `[2001:4860:4860::8888]:53/tcp+udp`, `smtp.gmail.com:465`, ...
#[must_use]
pub fn describe() -> Vec<String> {
    let dns = DNS_SERVERS.iter().map(|a| match a {
        IpAddr::V4(v4) => format!("{v4}:{DNS_PORT}/tcp+udp"),
        IpAddr::V6(v6) => format!("[{v6}]:{DNS_PORT}/tcp+udp"),
    });
    let mail = MAIL_HOSTS.iter().map(|(n, p)| format!("{n}:{p}"));
    dns.chain(mail).collect()
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
    use crate::policy::testing::a;
    use crate::policy::{FixedResolver, ResolveError};

    fn resolver() -> FixedResolver {
        FixedResolver::new()
            .with(
                "smtp.gmail.com",
                &[a("142.250.1.108"), a("2607:f8b0:4023:c0b::6c")],
            )
            .with("pop.gmail.com", &[a("142.250.1.109")])
            .with("imap.gmail.com", &[a("142.250.1.110")])
    }

    #[test]
    fn entries() {
        use Transport::{Raw, Tcp, Udg, Udp, Unix};
        let r = resolver();
        let table: &[(&str, u16, Transport, bool)] = &[
            ("8.8.8.8", 53, Tcp, true),
            ("8.8.8.8", 53, Udp, true),
            ("8.8.4.4", 53, Tcp, true),
            ("8.8.4.4", 53, Udp, true),
            ("2001:4860:4860::8888", 53, Tcp, true),
            ("2001:4860:4860::8888", 53, Udp, true),
            ("2001:4860:4860::8844", 53, Tcp, true),
            ("2001:4860:4860::8844", 53, Udp, true),
            ("::ffff:8.8.8.8", 53, Udp, true),
            ("8.8.8.8", 54, Udp, false),
            ("8.8.8.8", 443, Tcp, false),
            ("8.8.4.4", 80, Tcp, false),
            ("2001:4860:4860::8888", 443, Tcp, false),
            ("8.8.8.9", 53, Udp, false),
            ("8.8.8.8", 53, Raw, false),
            ("8.8.8.8", 53, Unix, false),
            ("8.8.8.8", 53, Udg, false),
            ("142.250.1.108", 465, Tcp, true),
            ("142.250.1.108", 587, Tcp, true),
            ("2607:f8b0:4023:c0b::6c", 587, Tcp, true),
            ("::ffff:142.250.1.108", 465, Tcp, true),
            ("142.250.1.108", 465, Udp, false),
            ("142.250.1.108", 993, Tcp, false),
            ("142.250.1.108", 25, Tcp, false),
            ("142.250.1.109", 995, Tcp, true),
            ("142.250.1.109", 993, Tcp, false),
            ("142.250.1.110", 993, Tcp, true),
            ("142.250.1.110", 995, Tcp, false),
            ("142.250.1.111", 465, Tcp, false),
        ];
        for &(addr, port, t, want) in table {
            assert_eq!(allows(a(addr), port, t, &r), want, "{addr}:{port}/{t}");
        }
    }

    #[test]
    fn names_resolved_only_on_their_ports() {
        let r = resolver();
        for port in [80, 443, 53, 25, 0, 65535] {
            let _ = allows(a("142.250.1.108"), port, Transport::Tcp, &r);
        }
        assert_eq!(r.calls(), 0);
        let _ = allows(a("142.250.1.108"), 465, Transport::Tcp, &r);
        assert_eq!(r.calls(), 1);
    }

    #[test]
    fn failed_lookup_does_not_match() {
        let r = FixedResolver::new().with_error(
            "smtp.gmail.com",
            ResolveError::Failed {
                name: "smtp.gmail.com".into(),
                detail: "SERVFAIL".into(),
            },
        );
        assert!(!allows(a("142.250.1.108"), 465, Transport::Tcp, &r));
        assert!(!allows(
            a("142.250.1.108"),
            587,
            Transport::Tcp,
            &FixedResolver::new()
        ));
    }

    #[test]
    fn description() {
        assert_eq!(
            describe(),
            [
                "8.8.8.8:53/tcp+udp",
                "8.8.4.4:53/tcp+udp",
                "[2001:4860:4860::8888]:53/tcp+udp",
                "[2001:4860:4860::8844]:53/tcp+udp",
                "smtp.gmail.com:465",
                "smtp.gmail.com:587",
                "pop.gmail.com:995",
                "imap.gmail.com:993",
            ]
        );
    }
}

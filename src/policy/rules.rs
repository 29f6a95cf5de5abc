//! Operator rules: the `sockguard.allow` and `sockguard.deny` settings.
//!
//! A setting is a comma-separated list of items (whitespace around items is
//! ignored, empty items are skipped, an empty string has no rules):
//!
//! | item | matches |
//! |---|---|
//! | `10.0.0.1:80` | that IPv4 address (any spelling `inet_aton` accepts) on port 80 |
//! | `10.0.0.0/8:*` | the block on every port |
//! | `[2001:db8::/32]:443`, `[::1]:1000-2000` | IPv6 addresses and blocks, always in brackets |
//! | `db.internal:3306` | any address `db.internal` resolves to, on port 3306 |
//! | `*.example.com:443` | any name under `example.com` the app asks for (`api.example.com`, `a.b.example.com`; not `example.com` itself), on port 443 |
//! | `unix:/run/mysqld/mysqld.sock` | that unix stream socket path, exactly (`unix:///path` also accepted) |
//! | `udg:/run/x.sock` | that unix datagram socket path, exactly |
//!
//! Ports are `*` (every port, including 0), `n` or `n-m` with
//! `1 <= n <= m <= 65535`. An item without a port is an error. A CIDR block
//! with host bits set (`10.1.2.3/8`) means the block (`10.0.0.0/8`).
//!
//! Address rules are indexed per family as sorted disjoint spans mapping to
//! the distinct blocks that contain them (most specific first; at most 33 or
//! 129 deep), and each block maps ports to rules through a second sorted
//! index: a lookup is O(log n) whatever the number of rules. Host rules are
//! checked by resolving the rule's name (only when the port matches).
//! Domain rules (`*.`) are matched on the name the app asked for, never
//! resolved: they cannot name an address. This module does not know the
//! order of checks, nor what a domain allow opens; see `Policy::check_addr`
//! and `Policy::decide`.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use super::index::{key4, key6, net_block, Block, NetIndex};
use super::target::{escape_truncated, parse_host, Host, TargetError, Transport};
use super::{ResolveError, Resolver};

/// How much of a rule an error message quotes.
const QUOTE_MAX: usize = 64;

/// An inclusive port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRange {
    /// First port.
    pub lo: u16,
    /// Last port (inclusive).
    pub hi: u16,
}

impl PortRange {
    /// Every port, 0 to 65535 (`*`).
    pub const ALL: PortRange = PortRange {
        lo: 0,
        hi: u16::MAX,
    };

    /// Whether `port` is in the range.
    #[must_use]
    pub fn contains(self, port: u16) -> bool {
        self.lo <= port && port <= self.hi
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == PortRange::ALL {
            f.write_str("*")
        } else if self.lo == self.hi {
            write!(f, "{}", self.lo)
        } else {
            write!(f, "{}-{}", self.lo, self.hi)
        }
    }
}

/// What a rule names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RuleTarget {
    /// An address block (a single address is a /32 or /128).
    Net(IpNet),
    /// A DNS name (lowercased), matched by resolving it.
    Host(String),
    /// `*.suffix`: every name under `suffix` (lowercased, without the
    /// `*.`), matched on the name the app asked for; not `suffix` itself.
    Domain(String),
    /// A unix socket path for one transport (`Unix` or `Udg`).
    Path {
        /// `Transport::Unix` for `unix:`, `Transport::Udg` for `udg:`.
        transport: Transport,
        /// The path, exactly.
        path: String,
    },
}

/// One parsed rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    /// The item as written (trimmed), quoted in denial messages.
    pub text: String,
    /// What it names.
    pub target: RuleTarget,
    /// Which ports it covers ([`PortRange::ALL`] for paths).
    pub ports: PortRange,
}

/// Why a rule does not parse. Every variant quotes the rule (escaped, cut
/// to 64 characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// No `:port` part.
    #[error("rule \"{rule}\" has no port (write \"{rule}:*\" for every port)")]
    MissingPort {
        /// The rule.
        rule: String,
    },
    /// A port that is not `*`, `n` or `n-m`.
    #[error(
        "rule \"{rule}\": invalid port \"{port}\" (expected *, n or n-m with 1 <= n <= m <= 65535)"
    )]
    InvalidPort {
        /// The rule.
        rule: String,
        /// The port part.
        port: String,
    },
    /// An IPv6 address or block without brackets.
    #[error("rule \"{rule}\": IPv6 addresses must be in brackets, e.g. [2001:db8::/32]:443")]
    Ipv6NeedsBrackets {
        /// The rule.
        rule: String,
    },
    /// Brackets around something that is not IPv6, or not followed by `:port`.
    #[error(
        "rule \"{rule}\": brackets must hold an IPv6 address or block and be followed by :port"
    )]
    Brackets {
        /// The rule.
        rule: String,
    },
    /// A `/len` block that does not parse.
    #[error("rule \"{rule}\": invalid address block")]
    InvalidBlock {
        /// The rule.
        rule: String,
    },
    /// A host part that is neither an address nor a DNS name.
    #[error("rule \"{rule}\": {error}")]
    InvalidHost {
        /// The rule.
        rule: String,
        /// Why the host does not parse.
        error: TargetError,
    },
    /// A `*` that is not a whole first label followed by a DNS name.
    #[error(
        "rule \"{rule}\": a wildcard is \"*.\" followed by a DNS name, e.g. *.example.com:443"
    )]
    Wildcard {
        /// The rule.
        rule: String,
    },
    /// `unix:` or `udg:` without a path.
    #[error("rule \"{rule}\": empty socket path")]
    EmptyPath {
        /// The rule.
        rule: String,
    },
}

/// Parses one rule item (see the module docs for the grammar).
///
/// # Errors
/// [`RuleError`] describing the first problem found.
pub fn parse_rule(item: &str) -> Result<Rule, RuleError> {
    let text = item.trim();
    if let Some(rule) = parse_path_rule(text)? {
        return Ok(rule);
    }
    let quoted = || escape_truncated(text, QUOTE_MAX);
    let (host, port, bracketed) = split_rule(text)?;
    if port.is_empty() {
        return Err(RuleError::MissingPort { rule: quoted() });
    }
    let ports = parse_ports(port).ok_or_else(|| RuleError::InvalidPort {
        rule: quoted(),
        port: escape_truncated(port, QUOTE_MAX),
    })?;
    let target = parse_rule_host(text, host)?;
    // Brackets are for IPv6 only, and IPv6 needs brackets.
    let is_v6 = matches!(target, RuleTarget::Net(IpNet::V6(_)));
    if bracketed != is_v6 {
        return Err(if bracketed {
            RuleError::Brackets { rule: quoted() }
        } else {
            RuleError::Ipv6NeedsBrackets { rule: quoted() }
        });
    }
    Ok(Rule {
        text: text.to_owned(),
        target,
        ports,
    })
}

/// `unix:/path`, `unix:///path`, `udg:/path`; `Ok(None)` for other items.
fn parse_path_rule(text: &str) -> Result<Option<Rule>, RuleError> {
    for (prefix, transport) in [("unix:", Transport::Unix), ("udg:", Transport::Udg)] {
        let Some(head) = text.get(..prefix.len()) else {
            continue;
        };
        if head.eq_ignore_ascii_case(prefix) {
            let rest = &text[prefix.len()..];
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(RuleError::EmptyPath {
                    rule: escape_truncated(text, QUOTE_MAX),
                });
            }
            return Ok(Some(Rule {
                text: text.to_owned(),
                target: RuleTarget::Path {
                    transport,
                    path: path.to_owned(),
                },
                ports: PortRange::ALL,
            }));
        }
    }
    Ok(None)
}

/// Splits `host:port` (at the last colon) or `[v6]:port`; returns whether
/// the host was bracketed.
fn split_rule(text: &str) -> Result<(&str, &str, bool), RuleError> {
    let quoted = || escape_truncated(text, QUOTE_MAX);
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or_else(|| RuleError::Brackets { rule: quoted() })?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| RuleError::Brackets { rule: quoted() })?;
        return Ok((inside, port, true));
    }
    match text.rsplit_once(':') {
        Some((host, _)) if host.contains(':') => {
            Err(RuleError::Ipv6NeedsBrackets { rule: quoted() })
        }
        Some((host, port)) => Ok((host, port, false)),
        None => Err(RuleError::MissingPort { rule: quoted() }),
    }
}

/// The host part of an address or host rule.
fn parse_rule_host(text: &str, host: &str) -> Result<RuleTarget, RuleError> {
    let quoted = || escape_truncated(text, QUOTE_MAX);
    let invalid = |error| RuleError::InvalidHost {
        rule: quoted(),
        error,
    };
    if host.contains('/') {
        let net: IpNet = host
            .parse()
            .map_err(|_| RuleError::InvalidBlock { rule: quoted() })?;
        return Ok(RuleTarget::Net(net.trunc()));
    }
    if host.bytes().any(|c| c.is_ascii_whitespace() || c == 0x0b) {
        return Err(invalid(TargetError::InvalidName {
            why: "contains whitespace",
        }));
    }
    if host.contains('*') {
        return match host.strip_prefix("*.").map(parse_host) {
            Some(Ok((Host::Name(suffix), None))) if !suffix.contains('*') => {
                Ok(RuleTarget::Domain(suffix))
            }
            _ => Err(RuleError::Wildcard { rule: quoted() }),
        };
    }
    match parse_host(host) {
        Ok((_, Some(_))) => Err(invalid(TargetError::InvalidName {
            why: "a rule cannot have an IPv6 zone",
        })),
        Ok((Host::Ip(a), None)) => Ok(RuleTarget::Net(IpNet::from(a))),
        Ok((Host::Name(n), None)) => Ok(RuleTarget::Host(n)),
        Ok((Host::Path(_), None)) => Err(invalid(TargetError::EmptyHost)),
        Err(error) => Err(invalid(error)),
    }
}

/// `*`, `n` or `n-m` with `1 <= n <= m <= 65535`.
fn parse_ports(s: &str) -> Option<PortRange> {
    if s == "*" {
        return Some(PortRange::ALL);
    }
    let one = |p: &str| -> Option<u16> {
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        p.parse::<u16>().ok().filter(|&n| n >= 1)
    };
    let (lo, hi) = if let Some((a, b)) = s.split_once('-') {
        (one(a)?, one(b)?)
    } else {
        let n = one(s)?;
        (n, n)
    };
    (lo <= hi).then_some(PortRange { lo, hi })
}

/// Result of matching host rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostMatch<'a> {
    /// A host rule's name resolves to one of the candidate addresses.
    Matched(&'a Rule),
    /// No host rule matched.
    NoMatch,
    /// No rule matched, but this rule's name could not be resolved (other
    /// than "does not exist"), so it might have.
    Unresolved(&'a Rule, String, ResolveError),
}

/// The rules of one block: ports → rule ids.
#[derive(Debug, Clone, Default)]
struct NetRules {
    ports: NetIndex,
    rule_ids: Vec<u32>,
}

/// One family's address rules.
#[derive(Debug, Clone, Default)]
struct FamilyIndex {
    nets: NetIndex,
    rules: Vec<NetRules>,
}

impl FamilyIndex {
    fn build(nets: &[(IpNet, Vec<(PortRange, u32)>)]) -> FamilyIndex {
        let blocks: Vec<Block> = nets.iter().map(|(n, _)| net_block(n)).collect();
        let rules = nets
            .iter()
            .map(|(_, ports)| {
                let port_blocks: Vec<Block> = ports
                    .iter()
                    .map(|(p, _)| Block {
                        start: u128::from(p.lo),
                        end: u128::from(p.hi),
                        len: 0,
                    })
                    .collect();
                NetRules {
                    ports: NetIndex::build(&port_blocks),
                    rule_ids: ports.iter().map(|&(_, id)| id).collect(),
                }
            })
            .collect();
        FamilyIndex {
            nets: NetIndex::build(&blocks),
            rules,
        }
    }

    /// The rule id of the most specific block containing `key` that has a
    /// rule for `port` (earliest rule first).
    fn find(&self, key: u128, port: u16) -> Option<u32> {
        self.nets.lookup(key).iter().find_map(|&net| {
            let r = self.rules.get(net as usize)?;
            let pid = r.ports.first(u128::from(port))?;
            r.rule_ids.get(pid as usize).copied()
        })
    }
}

/// A parsed `sockguard.allow` or `sockguard.deny` setting.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    v4: FamilyIndex,
    v6: FamilyIndex,
    hosts: Vec<u32>,
    domains: Vec<u32>,
    paths: Vec<u32>,
}

/// Whether `name` is under `suffix`: ends with `.suffix`, with at least
/// one label before it.
#[must_use]
pub fn is_under(name: &str, suffix: &str) -> bool {
    name.len() > suffix.len() + 1
        && name.ends_with(suffix)
        && name.as_bytes().get(name.len() - suffix.len() - 1) == Some(&b'.')
}

impl RuleSet {
    /// Parses a comma-separated rule list.
    ///
    /// # Errors
    /// The first item that does not parse.
    pub fn parse(setting: &str) -> Result<RuleSet, RuleError> {
        let rules = setting
            .split(',')
            .filter(|item| !item.trim().is_empty())
            .map(parse_rule)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RuleSet::from_rules(rules))
    }

    /// Indexes already parsed rules.
    #[must_use]
    pub fn from_rules(rules: Vec<Rule>) -> RuleSet {
        let mut v4: Vec<(IpNet, Vec<(PortRange, u32)>)> = Vec::new();
        let mut v6: Vec<(IpNet, Vec<(PortRange, u32)>)> = Vec::new();
        let mut seen: HashMap<IpNet, usize> = HashMap::new();
        let mut hosts = Vec::new();
        let mut domains = Vec::new();
        let mut paths = Vec::new();
        for (id, rule) in (0u32..).zip(&rules) {
            match &rule.target {
                RuleTarget::Net(net) => {
                    let list = match net {
                        IpNet::V4(_) => &mut v4,
                        IpNet::V6(_) => &mut v6,
                    };
                    let i = *seen.entry(*net).or_insert_with(|| {
                        list.push((*net, Vec::new()));
                        list.len() - 1
                    });
                    if let Some((_, ports)) = list.get_mut(i) {
                        ports.push((rule.ports, id));
                    }
                }
                RuleTarget::Host(_) => hosts.push(id),
                RuleTarget::Domain(_) => domains.push(id),
                RuleTarget::Path { .. } => paths.push(id),
            }
        }
        RuleSet {
            v4: FamilyIndex::build(&v4),
            v6: FamilyIndex::build(&v6),
            rules,
            hosts,
            domains,
            paths,
        }
    }

    /// Whether there are rules an address can match (address and host
    /// rules): domain and path rules match only names and paths.
    #[must_use]
    pub fn has_address_rules(&self) -> bool {
        self.rules.len() > self.domains.len() + self.paths.len()
    }

    /// Whether there are domain rules.
    #[must_use]
    pub fn has_domain_rules(&self) -> bool {
        !self.domains.is_empty()
    }

    /// The first domain rule covering `port` that `name` (lowercased, no
    /// trailing dot, as [`parse_host`] gives it) is under.
    #[must_use]
    pub fn match_domain(&self, name: &str, port: u16) -> Option<&Rule> {
        self.domains
            .iter()
            .filter_map(|&id| self.rules.get(id as usize))
            .find(|r| match &r.target {
                RuleTarget::Domain(suffix) => r.ports.contains(port) && is_under(name, suffix),
                RuleTarget::Net(_) | RuleTarget::Host(_) | RuleTarget::Path { .. } => false,
            })
    }

    /// The rules, in the order written.
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether there are no rules.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The address rule matching `addr` on `port`: the most specific block
    /// containing it with a rule covering the port, earliest rule first.
    #[must_use]
    pub fn match_net(&self, addr: IpAddr, port: u16) -> Option<&Rule> {
        let id = match addr {
            IpAddr::V4(a) => self.v4.find(key4(a), port),
            IpAddr::V6(a) => self.v6.find(key6(a), port),
        }?;
        self.rules.get(id as usize)
    }

    /// The first host rule covering `port` whose name resolves to one of
    /// `candidates`. Names are only resolved for rules whose port matches.
    pub(crate) fn match_host(
        &self,
        candidates: &[IpAddr],
        port: u16,
        resolver: &dyn Resolver,
    ) -> HostMatch<'_> {
        let mut unresolved = None;
        for &id in &self.hosts {
            let Some(rule) = self.rules.get(id as usize) else {
                continue;
            };
            let RuleTarget::Host(name) = &rule.target else {
                continue;
            };
            if !rule.ports.contains(port) {
                continue;
            }
            match resolver.lookup(name) {
                Ok(answer) => {
                    if answer.iter().any(|&a| {
                        candidates.contains(&super::canonical(a)) || candidates.contains(&a)
                    }) {
                        return HostMatch::Matched(rule);
                    }
                }
                Err(ResolveError::NotFound { .. }) => {}
                Err(e) => {
                    if unresolved.is_none() {
                        unresolved = Some((rule, name.clone(), e));
                    }
                }
            }
        }
        match unresolved {
            Some((rule, name, e)) => HostMatch::Unresolved(rule, name, e),
            None => HostMatch::NoMatch,
        }
    }

    /// The path rule naming exactly `path` for `transport`.
    #[must_use]
    pub fn match_path(&self, transport: Transport, path: &str) -> Option<&Rule> {
        self.paths
            .iter()
            .filter_map(|&id| self.rules.get(id as usize))
            .find(|r| match &r.target {
                RuleTarget::Path {
                    transport: t,
                    path: p,
                } => *t == transport && p == path,
                RuleTarget::Net(_) | RuleTarget::Host(_) | RuleTarget::Domain(_) => false,
            })
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
    use crate::policy::testing::a;
    use crate::policy::FixedResolver;
    use proptest::prelude::*;

    fn net(s: &str) -> RuleTarget {
        RuleTarget::Net(s.parse().unwrap())
    }
    fn pr(lo: u16, hi: u16) -> PortRange {
        PortRange { lo, hi }
    }

    #[test]
    fn parse_good_rules() {
        let table: Vec<(&str, RuleTarget, PortRange)> = vec![
            ("10.0.0.1:80", net("10.0.0.1/32"), pr(80, 80)),
            (" 10.0.0.0/8:* ", net("10.0.0.0/8"), PortRange::ALL),
            ("10.1.2.3/8:1-1024", net("10.0.0.0/8"), pr(1, 1024)),
            ("0.0.0.0/0:25", net("0.0.0.0/0"), pr(25, 25)),
            ("127.1:6379", net("127.0.0.1/32"), pr(6379, 6379)),
            ("[2001:db8::/32]:443", net("2001:db8::/32"), pr(443, 443)),
            ("[::1]:*", net("::1/128"), PortRange::ALL),
            (
                "[::ffff:10.0.0.1]:80",
                net("::ffff:10.0.0.1/128"),
                pr(80, 80),
            ),
            ("[::/0]:65535", net("::/0"), pr(65535, 65535)),
            (
                "db.internal:3306",
                RuleTarget::Host("db.internal".into()),
                pr(3306, 3306),
            ),
            (
                "DB.Internal.:3306",
                RuleTarget::Host("db.internal".into()),
                pr(3306, 3306),
            ),
            ("h:1-65535", RuleTarget::Host("h".into()), pr(1, 65535)),
            ("h:5-5", RuleTarget::Host("h".into()), pr(5, 5)),
            (
                "unix:/run/mysqld/mysqld.sock",
                RuleTarget::Path {
                    transport: Transport::Unix,
                    path: "/run/mysqld/mysqld.sock".into(),
                },
                PortRange::ALL,
            ),
            (
                "unix:///run/a.sock",
                RuleTarget::Path {
                    transport: Transport::Unix,
                    path: "/run/a.sock".into(),
                },
                PortRange::ALL,
            ),
            (
                "UDG:/tmp/x:1",
                RuleTarget::Path {
                    transport: Transport::Udg,
                    path: "/tmp/x:1".into(),
                },
                PortRange::ALL,
            ),
        ];
        for (input, target, ports) in table {
            let rule = parse_rule(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(rule.target, target, "{input}");
            assert_eq!(rule.ports, ports, "{input}");
            assert_eq!(rule.text, input.trim());
        }
    }

    #[test]
    fn domain_rules_parse_and_match_names_under_the_domain() {
        let set = RuleSet::parse("*.Example.COM:443, *.a.test.:*").unwrap();
        assert_eq!(
            set.rules()[0].target,
            RuleTarget::Domain("example.com".into())
        );
        assert_eq!(set.rules()[1].target, RuleTarget::Domain("a.test".into()));
        assert!(!set.has_address_rules());
        // (name, port, matched rule)
        let table: &[(&str, u16, Option<&str>)] = &[
            ("api.example.com", 443, Some("*.Example.COM:443")),
            ("a.b.example.com", 443, Some("*.Example.COM:443")),
            ("x.example.com", 443, Some("*.Example.COM:443")),
            // The apex is not under itself; a lookalike is not under it.
            ("example.com", 443, None),
            ("badexample.com", 443, None),
            ("example.com.evil", 443, None),
            // Just outside the port.
            ("api.example.com", 444, None),
            ("api.example.com", 442, None),
            ("x.a.test", 25, Some("*.a.test.:*")),
            ("a.test", 25, None),
        ];
        for &(name, port, want) in table {
            assert_eq!(
                set.match_domain(name, port).map(|r| r.text.as_str()),
                want,
                "{name}:{port}"
            );
        }
        // A domain rule never matches an address.
        assert_eq!(set.match_net(a("93.184.216.34"), 443), None);
        let mixed = RuleSet::parse("*.example.com:443,10.0.0.1:80").unwrap();
        assert!(mixed.has_address_rules());
        assert!(RuleSet::parse("unix:/x")
            .map(|s| !s.has_address_rules())
            .unwrap());
    }

    #[test]
    fn bad_wildcards_are_errors() {
        for rule in [
            "*:443",
            "*.:443",
            "a.*.com:443",
            "*a.example.com:443",
            "*.*.example.com:443",
            "**.example.com:443",
            "*.10.0.0.1:443",
            "example.*:443",
        ] {
            let err = parse_rule(rule).expect_err(rule);
            assert!(matches!(err, RuleError::Wildcard { .. }), "{rule}: {err:?}");
        }
        assert_eq!(
            parse_rule("a.*.com:443").unwrap_err().to_string(),
            "rule \"a.*.com:443\": a wildcard is \"*.\" followed by a DNS name, e.g. *.example.com:443"
        );
        // Without a port, the port is what is missing.
        assert!(matches!(
            parse_rule("*.example.com"),
            Err(RuleError::MissingPort { .. })
        ));
    }

    #[test]
    fn parse_bad_rules() {
        let table: &[(&str, &str)] = &[
            (
                "10.0.0.1",
                "rule \"10.0.0.1\" has no port (write \"10.0.0.1:*\" for every port)",
            ),
            ("10.0.0.0/8", "rule \"10.0.0.0/8\" has no port"),
            ("example.com", "rule \"example.com\" has no port"),
            ("10.0.0.1:", "rule \"10.0.0.1:\" has no port"),
            ("[::1]:", "rule \"[::1]:\" has no port"),
            ("10.0.0.1:0", "rule \"10.0.0.1:0\": invalid port \"0\""),
            ("10.0.0.1:65536", "invalid port \"65536\""),
            ("10.0.0.1:100000", "invalid port \"100000\""),
            ("10.0.0.1:-1", "invalid port \"-1\""),
            ("10.0.0.1:80-79", "invalid port \"80-79\""),
            ("10.0.0.1:0-80", "invalid port \"0-80\""),
            ("10.0.0.1:80-", "invalid port \"80-\""),
            ("10.0.0.1:-80", "invalid port \"-80\""),
            ("10.0.0.1:1-2-3", "invalid port \"1-2-3\""),
            ("10.0.0.1: 80", "invalid port \" 80\""),
            ("10.0.0.1:**", "invalid port \"**\""),
            ("10.0.0.1:http", "invalid port \"http\""),
            ("2001:db8::1:443", "IPv6 addresses must be in brackets"),
            ("2001:db8::/32:443", "IPv6 addresses must be in brackets"),
            ("::1", "IPv6 addresses must be in brackets"),
            ("[10.0.0.1]:80", "brackets must hold an IPv6"),
            ("[example.com]:80", "brackets must hold an IPv6"),
            ("[::1]80", "brackets must hold an IPv6"),
            ("[::1:80", "brackets must hold an IPv6"),
            ("10.0.0.0/33:80", "invalid address block"),
            ("10.0.0/8:80", "invalid address block"),
            ("example.com/8:80", "invalid address block"),
            ("[2001:db8::/129]:80", "invalid address block"),
            ("ex ample.com:80", "contains whitespace"),
            ("10.0.0.1 x:80", "contains whitespace"),
            ("exa$mple.com:80", "contains a character other than"),
            (":80", "empty host"),
            ("[fe80::1%eth0]:80", "cannot have an IPv6 zone"),
            ("unix:", "empty socket path"),
            ("unix://", "empty socket path"),
            ("udg:", "empty socket path"),
        ];
        for &(input, want) in table {
            let err = parse_rule(input).unwrap_err().to_string();
            assert!(err.contains(want), "{input}: {err}");
        }
    }

    #[test]
    fn rule_error_quotes_are_escaped_and_cut() {
        let long = format!("\"{}", "a".repeat(100));
        let err = parse_rule(&long).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("rule \"\\\"{}...\"", "a".repeat(63))),
            "{err}"
        );
    }

    #[test]
    fn rule_sets() {
        assert!(RuleSet::parse("").unwrap().is_empty());
        assert!(RuleSet::parse("  ").unwrap().is_empty());
        assert!(RuleSet::parse(" , ,").unwrap().is_empty());
        let rs = RuleSet::parse("10.0.0.0/8:80, [::1]:* ,db:5432,,unix:/s").unwrap();
        let texts: Vec<&str> = rs.rules().iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["10.0.0.0/8:80", "[::1]:*", "db:5432", "unix:/s"]);
        let err = RuleSet::parse("10.0.0.0/8:80, bad").unwrap_err();
        assert_eq!(err, RuleError::MissingPort { rule: "bad".into() });
    }

    #[test]
    fn net_matching() {
        let rs = RuleSet::parse(
            "10.0.0.0/8:80, 10.1.0.0/16:443, 10.1.2.3:22, 10.0.0.0/8:1000-2000, \
             [2001:db8::/32]:*, [2001:db8:1::1]:53, 0.0.0.0/0:25",
        )
        .unwrap();
        let table: &[(&str, u16, Option<&str>)] = &[
            ("10.1.2.3", 80, Some("10.0.0.0/8:80")),
            ("10.1.2.3", 81, None),
            ("10.1.2.3", 443, Some("10.1.0.0/16:443")),
            ("10.2.0.0", 443, None),
            ("10.1.2.3", 22, Some("10.1.2.3:22")),
            ("10.1.2.4", 22, None),
            ("10.1.2.3", 1500, Some("10.0.0.0/8:1000-2000")),
            ("10.255.255.255", 2000, Some("10.0.0.0/8:1000-2000")),
            ("11.0.0.0", 2000, None),
            ("9.255.255.255", 80, None),
            ("8.8.8.8", 25, Some("0.0.0.0/0:25")),
            ("10.1.2.3", 25, Some("0.0.0.0/0:25")),
            ("2001:db8::1", 1, Some("[2001:db8::/32]:*")),
            ("2001:db8:1::1", 53, Some("[2001:db8:1::1]:53")),
            ("2001:db8:1::1", 54, Some("[2001:db8::/32]:*")),
            ("2001:db9::", 1, None),
            ("::ffff:10.1.2.3", 80, None),
        ];
        for &(addr, port, want) in table {
            let got = rs.match_net(a(addr), port).map(|r| r.text.as_str());
            assert_eq!(got, want, "{addr}:{port}");
        }
    }

    #[test]
    fn host_matching() {
        let r = FixedResolver::new()
            .with("db.internal", &[a("10.0.0.5"), a("fd00::5")])
            .with("other", &[a("10.0.0.6")])
            .with_error(
                "flaky",
                ResolveError::Timeout {
                    name: "flaky".into(),
                },
            );
        let rs = RuleSet::parse("db.internal:5432, other:1-100, missing:5432").unwrap();
        let table: &[(&[&str], u16, Option<&str>)] = &[
            (&["10.0.0.5"], 5432, Some("db.internal:5432")),
            (&["fd00::5"], 5432, Some("db.internal:5432")),
            (
                &["::ffff:10.0.0.5", "10.0.0.5"],
                5432,
                Some("db.internal:5432"),
            ),
            (&["10.0.0.5"], 5433, None),
            (&["10.0.0.6"], 5432, None),
            (&["10.0.0.6"], 100, Some("other:1-100")),
        ];
        for &(cands, port, want) in table {
            let cands: Vec<IpAddr> = cands.iter().map(|s| a(s)).collect();
            let got = match rs.match_host(&cands, port, &r) {
                HostMatch::Matched(rule) => Some(rule.text.as_str()),
                HostMatch::NoMatch => None,
                HostMatch::Unresolved(..) => panic!("unexpected"),
            };
            assert_eq!(got, want, "{cands:?}:{port}");
        }
        // Names are only resolved when the port matches.
        let before = r.calls();
        let _ = rs.match_host(&[a("1.2.3.4")], 9999, &r);
        assert_eq!(r.calls(), before);

        let rs = RuleSet::parse("flaky:80, db.internal:80").unwrap();
        match rs.match_host(&[a("10.0.0.5")], 80, &r) {
            HostMatch::Matched(rule) => assert_eq!(rule.text, "db.internal:80"),
            other => panic!("{other:?}"),
        }
        match rs.match_host(&[a("10.0.0.9")], 80, &r) {
            HostMatch::Unresolved(rule, name, ResolveError::Timeout { .. }) => {
                assert_eq!(rule.text, "flaky:80");
                assert_eq!(name, "flaky");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn path_matching() {
        let rs = RuleSet::parse("unix:/run/a.sock, udg:/run/b.sock").unwrap();
        let table: &[(Transport, &str, bool)] = &[
            (Transport::Unix, "/run/a.sock", true),
            (Transport::Udg, "/run/a.sock", false),
            (Transport::Udg, "/run/b.sock", true),
            (Transport::Unix, "/run/b.sock", false),
            (Transport::Unix, "/run/a.sock2", false),
            (Transport::Unix, "/run/./a.sock", false),
            (Transport::Unix, "", false),
        ];
        for &(t, p, want) in table {
            assert_eq!(rs.match_path(t, p).is_some(), want, "{t} {p}");
        }
    }

    #[test]
    fn port_range_display() {
        assert_eq!(PortRange::ALL.to_string(), "*");
        assert_eq!(pr(80, 80).to_string(), "80");
        assert_eq!(pr(1, 2).to_string(), "1-2");
    }

    /// Naive reference: most specific block first, then earliest rule.
    fn naive(rules: &[Rule], addr: IpAddr, port: u16) -> Option<usize> {
        rules
            .iter()
            .enumerate()
            .filter(|(_, r)| match &r.target {
                RuleTarget::Net(n) => n.contains(&addr) && r.ports.contains(port),
                RuleTarget::Host(_) | RuleTarget::Domain(_) | RuleTarget::Path { .. } => false,
            })
            .max_by(|(i, x), (j, y)| {
                let len = |r: &Rule| match &r.target {
                    RuleTarget::Net(n) => n.prefix_len(),
                    RuleTarget::Host(_) | RuleTarget::Domain(_) | RuleTarget::Path { .. } => 0,
                };
                len(x).cmp(&len(y)).then(j.cmp(i))
            })
            .map(|(i, _)| i)
    }

    fn arb_rule() -> impl Strategy<Value = String> {
        // Clustered so that blocks nest and overlap often.
        let v4 = (0u8..4, any::<u16>(), 8u8..=32).prop_map(|(a, rest, len)| {
            let [b, c] = rest.to_be_bytes();
            format!("10.{a}.{b}.{c}/{len}")
        });
        let v6 = (0u16..4, any::<u16>(), 16u8..=128)
            .prop_map(|(a, b, len)| format!("[2001:db8:{a:x}:{b:x}::/{len}]"));
        let port = prop_oneof![
            Just("*".to_owned()),
            (1u16..100).prop_map(|p| p.to_string()),
            (1u16..100, 0u16..50).prop_map(|(p, w)| format!("{p}-{}", p + w)),
        ];
        (prop_oneof![3 => v4, 1 => v6], port).prop_map(|(h, p)| format!("{h}:{p}"))
    }

    fn arb_addr() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            3 => (0u8..4, any::<u16>()).prop_map(|(a, rest)| {
                let [b, c] = rest.to_be_bytes();
                IpAddr::from([10, a, b, c])
            }),
            1 => (0u16..4, any::<u16>(), any::<u16>())
                .prop_map(|(a, b, c)| IpAddr::from([0x2001, 0xdb8, a, b, 0, 0, 0, c])),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        #[test]
        fn thousand_rules_agree_with_linear_scan(
            items in proptest::collection::vec(arb_rule(), 1000),
            probes in proptest::collection::vec((arb_addr(), 0u16..160), 300),
        ) {
            let rs = RuleSet::parse(&items.join(",")).unwrap();
            prop_assert_eq!(rs.rules().len(), 1000);
            for (addr, port) in probes {
                let got = rs.match_net(addr, port);
                let want = naive(rs.rules(), addr, port).map(|i| &rs.rules()[i]);
                prop_assert_eq!(got, want, "{}:{}", addr, port);
            }
        }

        #[test]
        fn parse_rule_never_panics(s in ".{0,60}") {
            let _ = RuleSet::parse(&s);
        }

        /// A name is under `*.suffix` exactly when it is one or more labels
        /// followed by `.suffix`.
        #[test]
        fn domain_match_is_label_suffix(
            labels in proptest::collection::vec("[a-z0-9]{1,8}", 1..4),
            suffix in proptest::collection::vec("[a-z][a-z0-9]{0,7}", 1..3),
        ) {
            let suffix = suffix.join(".");
            let set = RuleSet::parse(&format!("*.{suffix}:*")).unwrap();
            let name = format!("{}.{suffix}", labels.join("."));
            prop_assert!(set.match_domain(&name, 1).is_some());
            prop_assert!(set.match_domain(&suffix, 1).is_none());
            let glued = format!("{}{suffix}", labels.join("."));
            prop_assert!(set.match_domain(&glued, 1).is_none());
        }
    }
}

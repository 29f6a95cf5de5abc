//! The outbound-socket policy: pure Rust, no PHP, no I/O, no globals beyond
//! immutable tables built once.
//!
//! A [`Policy`] is built once from the php.ini [`Settings`]; [`Policy::decide`]
//! answers "may this host be reached on this port over this transport?" with
//! a [`Decision`]: the addresses to connect to (checked and pinned), or a
//! [`Reason`] that carries a stable code, a message and an errno. Names are
//! resolved through the caller's [`Resolver`], exactly once per decision.
//!
//! The order of checks for one address is documented on
//! [`Policy::check_addr`]. This module does not hook PHP, open sockets,
//! read files, log, or apply report mode: the caller does that with the
//! decision.

pub mod allowlist;
pub mod embedded;
pub mod google;
mod index;
pub mod ranges;
pub mod rules;
pub mod target;

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub use embedded::{embedded_v4, Embedded, Embedding};
pub use google::{GoogleRanges, RangesError};
pub use ranges::{RowKind, SpecialRange};
pub use rules::{PortRange, Rule, RuleError, RuleSet, RuleTarget};
pub use target::{parse_host, parse_target, Host, Target, TargetError, Transport};

use rules::HostMatch;
use target::escape_truncated;

/// php.ini name of the allow rules.
pub const SETTING_ALLOW: &str = "sockguard.allow";
/// php.ini name of the deny rules.
pub const SETTING_DENY: &str = "sockguard.deny";
/// php.ini name of the ranges file.
pub const SETTING_RANGES_FILE: &str = "sockguard.ranges_file";

/// How many characters of an invalid target a message quotes.
const TARGET_QUOTE_MAX: usize = 64;

/// Name resolution as seen by the policy (implemented in `src/resolve.rs`,
/// with caching). Implementations must not be asked to resolve anything but
/// DNS names; the policy never passes address literals.
pub trait Resolver {
    /// The addresses `name` resolves to, in the resolver's order.
    ///
    /// # Errors
    /// [`ResolveError`] when the name does not exist, the lookup failed or
    /// timed out.
    fn lookup(&self, name: &str) -> Result<Vec<IpAddr>, ResolveError>;
}

impl<F> Resolver for F
where
    F: Fn(&str) -> Result<Vec<IpAddr>, ResolveError>,
{
    fn lookup(&self, name: &str) -> Result<Vec<IpAddr>, ResolveError> {
        self(name)
    }
}

/// Why a name could not be resolved.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResolveError {
    /// The name does not exist or has no addresses.
    #[error("{name} does not resolve")]
    NotFound {
        /// The name looked up.
        name: String,
    },
    /// The lookup failed (SERVFAIL, refused, malformed answer, ...).
    #[error("lookup of {name} failed: {detail}")]
    Failed {
        /// The name looked up.
        name: String,
        /// What went wrong.
        detail: String,
    },
    /// No answer in time.
    #[error("lookup of {name} timed out")]
    Timeout {
        /// The name looked up.
        name: String,
    },
}

/// A resolver that answers from a fixed map and never touches the network:
/// for tests, benchmarks and dry runs. Unknown names are
/// [`ResolveError::NotFound`]. It counts its lookups.
#[derive(Debug, Default)]
pub struct FixedResolver {
    answers: HashMap<String, Result<Vec<IpAddr>, ResolveError>>,
    calls: AtomicUsize,
}

impl FixedResolver {
    /// An empty resolver: every name is [`ResolveError::NotFound`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an answer for `name` (matched case-insensitively).
    #[must_use]
    pub fn with(mut self, name: &str, addrs: &[IpAddr]) -> Self {
        self.answers
            .insert(name.to_ascii_lowercase(), Ok(addrs.to_vec()));
        self
    }

    /// Makes lookups of `name` fail with `error`.
    #[must_use]
    pub fn with_error(mut self, name: &str, error: ResolveError) -> Self {
        self.answers.insert(name.to_ascii_lowercase(), Err(error));
        self
    }

    /// How many lookups were made.
    #[must_use]
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
}

impl Resolver for FixedResolver {
    fn lookup(&self, name: &str) -> Result<Vec<IpAddr>, ResolveError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        match self.answers.get(&name.to_ascii_lowercase()) {
            Some(answer) => answer.clone(),
            None => Err(ResolveError::NotFound {
                name: name.to_owned(),
            }),
        }
    }
}

/// Why a socket operation is denied. Each reason has a stable
/// [`code`](Reason::code), a message ([`Display`](fmt::Display)) and an
/// [`errno`](Reason::errno).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The address is in a special-purpose block.
    BlockedRange {
        /// The blocked address (the embedded IPv4 address when `via` is set).
        addr: IpAddr,
        /// The IPv6 address that embedded `addr`, if any.
        via: Option<IpAddr>,
        /// The block's name, e.g. "private-use".
        name: &'static str,
        /// The block.
        prefix: ipnet::IpNet,
    },
    /// The address is in Google's published ranges.
    GoogleRange {
        /// The address (the embedded IPv4 address when `via` is set).
        addr: IpAddr,
        /// The IPv6 address that embedded `addr`, if any.
        via: Option<IpAddr>,
        /// The published prefix containing it.
        prefix: ipnet::IpNet,
    },
    /// Port 25 is denied on every destination.
    Port25,
    /// The transport (unix, udg, raw, icmp, ...) is not allowed.
    Transport {
        /// The transport's name as given.
        name: String,
    },
    /// Listening sockets are not allowed.
    Listen,
    /// Binding to a specific address or port is not allowed.
    Bind {
        /// The address as given.
        addr: String,
        /// The port.
        port: u16,
    },
    /// A socket option that is neither mocked nor passed through.
    Option {
        /// The option's name, e.g. `SO_BROADCAST`.
        name: String,
    },
    /// The socket was idle too long and was closed.
    Reclaimed {
        /// How long it was idle, in seconds.
        idle_secs: u64,
    },
    /// The Sockets API needs `sockguard.paid_app=1`.
    NotPaid,
    /// Descriptors cannot be sent to another process.
    ForeignSocket,
    /// The host name could not be resolved (fail closed).
    Dns {
        /// The name.
        host: String,
        /// The resolver's error.
        error: ResolveError,
    },
    /// An operator deny rule matched.
    Rule {
        /// The rule as written.
        rule: String,
    },
    /// The target does not parse (fail closed).
    Target {
        /// The target as given (at most 65 characters are kept).
        input: String,
        /// Why it does not parse.
        error: String,
    },
    /// A setting is invalid, so everything is denied (fail closed).
    Config {
        /// The setting's php.ini name, e.g. "sockguard.allow".
        setting: &'static str,
        /// What is wrong with it.
        error: String,
    },
}

impl Reason {
    /// The stable kebab-case code, as returned by `sockguard_check()` and
    /// written to the audit log.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Reason::BlockedRange { .. } => "blocked-range",
            Reason::GoogleRange { .. } => "google-range",
            Reason::Port25 => "port-25",
            Reason::Transport { .. } => "transport",
            Reason::Listen => "listen",
            Reason::Bind { .. } => "bind",
            Reason::Option { .. } => "option",
            Reason::Reclaimed { .. } => "reclaimed",
            Reason::NotPaid => "not-paid",
            Reason::ForeignSocket => "foreign-socket",
            Reason::Dns { .. } => "dns",
            Reason::Rule { .. } => "rule",
            Reason::Target { .. } => "target",
            Reason::Config { .. } => "config",
        }
    }

    /// The errno PHP reports for the denial: `EACCES` for every reason.
    #[must_use]
    pub fn errno(&self) -> i32 {
        match self {
            Reason::BlockedRange { .. }
            | Reason::GoogleRange { .. }
            | Reason::Port25
            | Reason::Transport { .. }
            | Reason::Listen
            | Reason::Bind { .. }
            | Reason::Option { .. }
            | Reason::Reclaimed { .. }
            | Reason::NotPaid
            | Reason::ForeignSocket
            | Reason::Dns { .. }
            | Reason::Rule { .. }
            | Reason::Target { .. }
            | Reason::Config { .. } => libc::EACCES,
        }
    }

    /// A [`Reason::Target`] for `input` that failed to parse with `error`;
    /// keeps at most 65 characters of the input (the message shows 64).
    #[must_use]
    pub fn target(input: &str, error: &TargetError) -> Reason {
        Reason::Target {
            input: input.chars().take(TARGET_QUOTE_MAX + 1).collect(),
            error: error.to_string(),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::BlockedRange {
                addr,
                via,
                name,
                prefix,
            } => {
                if let Some(v) = via {
                    write!(f, "{v} embeds {addr}, which")?;
                } else {
                    write!(f, "{addr}")?;
                }
                write!(f, " is in a blocked range: {name} {prefix}")
            }
            Reason::GoogleRange { addr, via, prefix } => {
                if let Some(v) = via {
                    write!(f, "{v} embeds {addr}, which")?;
                } else {
                    write!(f, "{addr}")?;
                }
                write!(f, " is in a Google range: {prefix}")
            }
            Reason::Port25 => f.write_str("port 25 is blocked"),
            Reason::Transport { name } => write!(f, "transport {name} is not allowed"),
            Reason::Listen => f.write_str("listening sockets are not allowed"),
            Reason::Bind { addr, port } => {
                if addr.contains(':') && !addr.starts_with('[') {
                    write!(f, "binding to [{addr}]:{port} is not allowed")
                } else {
                    write!(f, "binding to {addr}:{port} is not allowed")
                }
            }
            Reason::Option { name } => write!(f, "option {name} is not supported"),
            Reason::Reclaimed { idle_secs } => {
                write!(f, "socket was reclaimed after {idle_secs} s idle")
            }
            Reason::NotPaid => f.write_str("sockets are available only to paid apps"),
            Reason::ForeignSocket => f.write_str("descriptors cannot be passed to another process"),
            Reason::Dns { host, error } => write!(f, "cannot resolve {host}: {error}"),
            Reason::Rule { rule } => write!(f, "denied by rule {rule}"),
            Reason::Target { input, error } => write!(
                f,
                "invalid target \"{}\": {error}",
                escape_truncated(input, TARGET_QUOTE_MAX)
            ),
            Reason::Config { setting, error } => write!(f, "invalid {setting}: {error}"),
        }
    }
}

/// The outcome of [`Policy::decide`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed: connect to these checked addresses (in resolver order; empty
    /// for unix paths). Connecting to anything else would bypass the check.
    Allow {
        /// The checked addresses.
        addrs: Vec<IpAddr>,
    },
    /// Denied.
    Deny(Reason),
}

impl Decision {
    /// Whether the decision allows.
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        match self {
            Decision::Allow { .. } => true,
            Decision::Deny(_) => false,
        }
    }

    /// The reason, if denied.
    #[must_use]
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Decision::Allow { .. } => None,
            Decision::Deny(r) => Some(r),
        }
    }
}

/// Raw settings as strings from php.ini (the hook side fills this).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `sockguard.allow`: operator allow rules.
    pub allow: String,
    /// `sockguard.deny`: operator deny rules.
    pub deny: String,
    /// Contents of `sockguard.ranges_file`; `None` uses the embedded snapshot.
    pub ranges_json: Option<String>,
}

/// The effective policy, for phpinfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInfo {
    /// Built-in allowlist entries ("8.8.8.8:53/tcp+udp", "smtp.gmail.com:465", ...).
    pub allowlist: Vec<String>,
    /// Operator allow rules as written.
    pub allow_rules: Vec<String>,
    /// Operator deny rules as written.
    pub deny_rules: Vec<String>,
    /// Where the Google ranges come from: "embedded" or `sockguard.ranges_file`.
    pub ranges_source: &'static str,
    /// `creationTime` of the ranges file ("" when absent).
    pub ranges_creation_time: String,
    /// `syncToken` of the ranges file ("" when absent).
    pub ranges_sync_token: String,
    /// Number of IPv4 prefixes in the ranges file.
    pub google_prefixes_v4: usize,
    /// Number of IPv6 prefixes in the ranges file.
    pub google_prefixes_v6: usize,
    /// Number of IPv4 special-purpose blocks.
    pub special_blocks_v4: usize,
    /// Number of IPv6 special-purpose blocks (including the "reserved"
    /// blocks outside `2000::/3`).
    pub special_blocks_v6: usize,
}

/// The policy built from the settings. Cheap to clone (the ranges are shared).
#[derive(Debug, Clone)]
pub struct Policy {
    allow: RuleSet,
    deny: RuleSet,
    google: Arc<GoogleRanges>,
    ranges_from_file: bool,
}

/// An IPv4-mapped IPv6 address as its IPv4 address; anything else unchanged.
#[must_use]
#[inline]
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        IpAddr::V4(_) => addr,
    }
}

/// Up to three addresses to match rules against: an address and what it
/// embeds. Kept on the stack.
struct Candidates {
    buf: [IpAddr; 3],
    len: usize,
}

impl Candidates {
    /// `addr`, then the embedded addresses (`all`: every one, including a
    /// Teredo server; else only the destination).
    fn new(addr: IpAddr, embedded: Option<Embedded>, all: bool) -> Self {
        let mut c = Candidates {
            buf: [addr; 3],
            len: 1,
        };
        if let Some(e) = embedded {
            for v4 in e.all().take(if all { 2 } else { 1 }) {
                if let Some(slot) = c.buf.get_mut(c.len) {
                    *slot = IpAddr::V4(v4);
                    c.len += 1;
                }
            }
        }
        c
    }

    fn as_slice(&self) -> &[IpAddr] {
        &self.buf[..self.len.min(3)]
    }
}

/// A [`Reason::Config`] for `setting`.
fn config_error(setting: &'static str, error: &dyn fmt::Display) -> Reason {
    Reason::Config {
        setting,
        error: error.to_string(),
    }
}

impl Policy {
    /// Builds the policy.
    ///
    /// # Errors
    /// [`Reason::Config`] naming the setting when a rule or the ranges file
    /// is invalid; the caller then denies everything with that reason.
    pub fn new(settings: &Settings) -> Result<Policy, Reason> {
        let allow = RuleSet::parse(&settings.allow).map_err(|e| config_error(SETTING_ALLOW, &e))?;
        let deny = RuleSet::parse(&settings.deny).map_err(|e| config_error(SETTING_DENY, &e))?;
        let google = match &settings.ranges_json {
            Some(json) => GoogleRanges::parse(json).map(Arc::new),
            None => GoogleRanges::embedded(),
        }
        .map_err(|e| config_error(SETTING_RANGES_FILE, &e))?;
        Ok(Policy {
            allow,
            deny,
            google,
            ranges_from_file: settings.ranges_json.is_some(),
        })
    }

    /// Decision for connecting (or sending) to `host` on `port` over
    /// `transport`.
    ///
    /// - Raw: always [`Reason::Transport`].
    /// - Unix/udg: allowed (with no addresses) only if a `unix:/path` (or
    ///   `udg:/path`) allow rule names exactly that path and no deny rule
    ///   does; else [`Reason::Rule`] or [`Reason::Transport`].
    /// - TCP/UDP to an address: [`Policy::check_addr`].
    /// - TCP/UDP to a name: resolved once through `resolver` (a failure or an
    ///   empty answer is [`Reason::Dns`]); every address is checked and the
    ///   first denial denies; otherwise the addresses are returned, in the
    ///   resolver's order, to be connected to (pinned).
    pub fn decide(
        &self,
        host: &Host,
        port: u16,
        transport: Transport,
        resolver: &dyn Resolver,
    ) -> Decision {
        match transport {
            Transport::Raw => {
                return Decision::Deny(Reason::Transport {
                    name: transport.name().to_owned(),
                })
            }
            Transport::Unix | Transport::Udg => return self.decide_path(host, transport),
            Transport::Tcp | Transport::Udp => {}
        }
        match host {
            Host::Ip(addr) => match self.check_addr(*addr, port, transport, resolver) {
                Ok(()) => Decision::Allow { addrs: vec![*addr] },
                Err(r) => Decision::Deny(r),
            },
            Host::Name(name) => {
                let addrs = match resolver.lookup(name) {
                    Ok(addrs) if !addrs.is_empty() => addrs,
                    Ok(_) => {
                        return Decision::Deny(Reason::Dns {
                            host: name.clone(),
                            error: ResolveError::NotFound { name: name.clone() },
                        })
                    }
                    Err(error) => {
                        return Decision::Deny(Reason::Dns {
                            host: name.clone(),
                            error,
                        })
                    }
                };
                for &addr in &addrs {
                    if let Err(r) = self.check_addr(addr, port, transport, resolver) {
                        return Decision::Deny(r);
                    }
                }
                Decision::Allow { addrs }
            }
            Host::Path(path) => Decision::Deny(Reason::Target {
                input: path.chars().take(TARGET_QUOTE_MAX + 1).collect(),
                error: format!("a socket path needs the unix or udg transport, not {transport}"),
            }),
        }
    }

    /// Unix and udg: only operator-named paths.
    fn decide_path(&self, host: &Host, transport: Transport) -> Decision {
        let denied = || {
            Decision::Deny(Reason::Transport {
                name: transport.name().to_owned(),
            })
        };
        let Host::Path(path) = host else {
            return denied();
        };
        if let Some(rule) = self.deny.match_path(transport, path) {
            return Decision::Deny(Reason::Rule {
                rule: rule.text.clone(),
            });
        }
        if self.allow.match_path(transport, path).is_some() {
            return Decision::Allow { addrs: Vec::new() };
        }
        denied()
    }

    /// The same check for one already-resolved address (used by curl and
    /// `socket_connect` after libc resolution). In order:
    ///
    /// 0. Only TCP and UDP carry addresses; anything else is
    ///    [`Reason::Transport`].
    /// 1. Operator deny rules, on the address and on every IPv4 address it
    ///    embeds (including a Teredo server) → [`Reason::Rule`]. A deny host
    ///    rule whose name fails to resolve (other than "does not exist")
    ///    denies with [`Reason::Dns`]: it might have matched.
    /// 2. Operator allow rules, on the address and the IPv4 address it
    ///    embeds (for Teredo, the client) → allowed.
    /// 3. Port 25 → [`Reason::Port25`].
    /// 4. The built-in allowlist (an IPv4-mapped address counts as its IPv4
    ///    address) → allowed.
    /// 5. Special-purpose blocks → [`Reason::BlockedRange`]. IPv4: the most
    ///    specific row. IPv6 containers (IPv4-mapped, IPv4-compatible,
    ///    NAT64 /96 and /48): the embedded IPv4 address's verdict, steps 5
    ///    and 6. 6to4 and Teredo: denied as their own blocks, but an
    ///    embedded IPv4 address in a blocked range is reported instead.
    ///    Anything else outside `2000::/3` has a row and is denied.
    /// 6. Google's ranges (for containers, on the embedded address) →
    ///    [`Reason::GoogleRange`].
    /// 7. Allowed.
    ///
    /// # Errors
    /// The [`Reason`] for the first check that denies.
    pub fn check_addr(
        &self,
        addr: IpAddr,
        port: u16,
        transport: Transport,
        resolver: &dyn Resolver,
    ) -> Result<(), Reason> {
        match transport {
            Transport::Tcp | Transport::Udp => {}
            Transport::Unix | Transport::Udg | Transport::Raw => {
                return Err(Reason::Transport {
                    name: transport.name().to_owned(),
                })
            }
        }
        let embedded = match addr {
            IpAddr::V6(a) => embedded_v4(a),
            IpAddr::V4(_) => None,
        };

        // 1. Operator deny rules.
        if !self.deny.is_empty() {
            let cands = Candidates::new(addr, embedded, true);
            for &c in cands.as_slice() {
                if let Some(rule) = self.deny.match_net(c, port) {
                    return Err(Reason::Rule {
                        rule: rule.text.clone(),
                    });
                }
            }
            match self.deny.match_host(cands.as_slice(), port, resolver) {
                HostMatch::Matched(rule) => {
                    return Err(Reason::Rule {
                        rule: rule.text.clone(),
                    })
                }
                HostMatch::Unresolved(_, host, error) => return Err(Reason::Dns { host, error }),
                HostMatch::NoMatch => {}
            }
        }

        // 2. Operator allow rules.
        if !self.allow.is_empty() {
            let cands = Candidates::new(addr, embedded, false);
            if cands
                .as_slice()
                .iter()
                .any(|&c| self.allow.match_net(c, port).is_some())
            {
                return Ok(());
            }
            match self.allow.match_host(cands.as_slice(), port, resolver) {
                HostMatch::Matched(_) => return Ok(()),
                HostMatch::NoMatch | HostMatch::Unresolved(..) => {}
            }
        }

        // 3. Port 25.
        if port == 25 {
            return Err(Reason::Port25);
        }

        // 4. Built-in allowlist.
        if allowlist::allows(addr, port, transport, resolver) {
            return Ok(());
        }

        // 5 and 6. Special-purpose blocks, then Google's ranges.
        self.check_ranges(addr, embedded)
    }

    /// Steps 5 and 6 of [`Policy::check_addr`].
    fn check_ranges(&self, addr: IpAddr, embedded: Option<Embedded>) -> Result<(), Reason> {
        let blocked = |a: IpAddr, via: Option<IpAddr>, row: &SpecialRange| Reason::BlockedRange {
            addr: a,
            via,
            name: row.name,
            prefix: row.prefix,
        };
        let google = |a: IpAddr, via: Option<IpAddr>| match self.google.lookup(a) {
            Some(prefix) => Err(Reason::GoogleRange {
                addr: a,
                via,
                prefix,
            }),
            None => Ok(()),
        };
        match addr {
            IpAddr::V4(a) => {
                if let Some(row) = ranges::special_v4(a) {
                    return Err(blocked(addr, None, row));
                }
                google(addr, None)
            }
            IpAddr::V6(a) => {
                if let Some(e) = embedded {
                    if e.kind().is_container() {
                        let v4 = e.primary();
                        if let Some(row) = ranges::special_v4(v4) {
                            return Err(blocked(IpAddr::V4(v4), Some(addr), row));
                        }
                        return google(IpAddr::V4(v4), Some(addr));
                    }
                    for v4 in e.all() {
                        if let Some(row) = ranges::special_v4(v4) {
                            return Err(blocked(IpAddr::V4(v4), Some(addr), row));
                        }
                    }
                }
                // Includes 6to4, Teredo and malformed containers.
                if let Some(row) = ranges::special_v6(a) {
                    return Err(blocked(addr, None, row));
                }
                google(addr, None)
            }
        }
    }

    /// Describes the effective policy for phpinfo.
    #[must_use]
    pub fn describe(&self) -> PolicyInfo {
        let texts = |rs: &RuleSet| rs.rules().iter().map(|r| r.text.clone()).collect();
        let (google_prefixes_v4, google_prefixes_v6) = self.google.counts();
        let (special_blocks_v4, special_blocks_v6) = ranges::special_counts();
        PolicyInfo {
            allowlist: allowlist::describe(),
            allow_rules: texts(&self.allow),
            deny_rules: texts(&self.deny),
            ranges_source: if self.ranges_from_file {
                SETTING_RANGES_FILE
            } else {
                "embedded"
            },
            ranges_creation_time: self.google.creation_time().to_owned(),
            ranges_sync_token: self.google.sync_token().to_owned(),
            google_prefixes_v4,
            google_prefixes_v6,
            special_blocks_v4,
            special_blocks_v6,
        }
    }
}

//! The outbound-socket policy: pure Rust, no PHP, no I/O, no globals beyond
//! immutable tables built once.
//!
//! A [`Policy`] is built once from the php.ini [`Settings`]; [`Policy::decide`]
//! is the one decision for every [`Operation`] on a socket (create, pair,
//! connect or send, bind, listen, accept, option, descriptor passing) made
//! through any layer of PHP (the [`Caller`]). It answers with a
//! [`Decision`]: allowed (for a connect, the addresses to connect to,
//! checked and pinned), a mocked option value, or a [`Reason`] that carries
//! a stable code, a message and an errno. Names are resolved through the
//! caller's [`Resolver`], exactly once per decision; the dry run
//! `sockguard_check()` asks the same function.
//!
//! The order of checks for one address is documented on
//! [`Policy::check_addr`]. This module does not hook PHP, open sockets,
//! read files, log, or apply report mode: the caller does that with the
//! decision.

pub mod allowlist;
mod clear;
pub mod embedded;
pub mod google;
mod index;
mod operation;
pub mod options;
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
pub use operation::{Addrs, Caller, Decision, Kind, Operation, SOCKET_TYPE_FLAGS};
pub use options::{Access, MockValue, SockOpt};
pub use ranges::{RowKind, SpecialRange};
pub use rules::{PortRange, Rule, RuleError, RuleSet, RuleTarget};
pub use target::{
    atoi_port, format_host, format_host_port, parse_host, parse_host_port, parse_host_port_spelled,
    parse_target, plain_ipv4, plain_ipv4_port, split_address_with_port, split_host_port, Host,
    HostPort, Target, TargetError, Transport,
};

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
    /// PHP's FFI is not allowed (`sockguard.allow_ffi`).
    Ffi,
    /// sockguard could not decide (an internal failure), so it denies.
    Internal {
        /// What failed.
        what: String,
    },
}

impl Reason {
    /// Every code [`Reason::code`] gives, in the order of
    /// [`Reason::code_index`]: the metrics label them with a small index.
    pub const CODES: [&'static str; 16] = [
        "blocked-range",
        "google-range",
        "port-25",
        "transport",
        "listen",
        "bind",
        "option",
        "reclaimed",
        "not-paid",
        "foreign-socket",
        "dns",
        "rule",
        "target",
        "config",
        "ffi",
        "internal",
    ];

    /// The stable kebab-case code, as returned by `sockguard_check()` and
    /// written to the audit log.
    #[must_use]
    pub fn code(&self) -> &'static str {
        Reason::CODES[self.code_index()]
    }

    /// The position of this reason's code in [`Reason::CODES`].
    #[must_use]
    pub fn code_index(&self) -> usize {
        match self {
            Reason::BlockedRange { .. } => 0,
            Reason::GoogleRange { .. } => 1,
            Reason::Port25 => 2,
            Reason::Transport { .. } => 3,
            Reason::Listen => 4,
            Reason::Bind { .. } => 5,
            Reason::Option { .. } => 6,
            Reason::Reclaimed { .. } => 7,
            Reason::NotPaid => 8,
            Reason::ForeignSocket => 9,
            Reason::Dns { .. } => 10,
            Reason::Rule { .. } => 11,
            Reason::Target { .. } => 12,
            Reason::Config { .. } => 13,
            Reason::Ffi => 14,
            Reason::Internal { .. } => 15,
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
            | Reason::Config { .. }
            | Reason::Ffi
            | Reason::Internal { .. } => libc::EACCES,
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
            Reason::Ffi => f.write_str(
                "FFI can call any C function and write any memory, past every check; it is \
                 disabled (sockguard.allow_ffi = 1 allows it)",
            ),
            Reason::Internal { what } => write!(f, "internal error ({what}); denied"),
        }
    }
}

/// The settings a policy is built from (the configuration fills this from
/// php.ini and the system).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `sockguard.allow`: operator allow rules.
    pub allow: String,
    /// `sockguard.deny`: operator deny rules.
    pub deny: String,
    /// Contents of `sockguard.ranges_file`; `None` uses the embedded snapshot.
    pub ranges_json: Option<String>,
    /// `sockguard.paid_app`: whether the Sockets API is available.
    pub paid_app: bool,
    /// `sockguard.allow_ffi`: whether PHP's FFI may be used.
    pub allow_ffi: bool,
    /// `sockguard.passthrough_options`: socket options handed to the OS.
    pub passthrough: Vec<SockOpt>,
    /// The system resolver's nameservers (`/etc/resolv.conf`), which
    /// libraries may query on port 53.
    pub nameservers: Vec<IpAddr>,
}

impl Default for Settings {
    /// The production defaults: no operator rules, the embedded ranges, a
    /// paid app, no pass-through options, no nameservers.
    fn default() -> Self {
        Settings {
            allow: String::new(),
            deny: String::new(),
            ranges_json: None,
            paid_app: true,
            allow_ffi: false,
            passthrough: Vec::new(),
            nameservers: Vec::new(),
        }
    }
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
    /// Whether the Sockets API is available (`sockguard.paid_app`).
    pub paid_app: bool,
    /// Whether PHP's FFI may be used (`sockguard.allow_ffi`).
    pub allow_ffi: bool,
    /// The socket options handed to the OS.
    pub passthrough: Vec<String>,
    /// The nameservers libraries may query on port 53.
    pub nameservers: Vec<String>,
}

/// The policy built from the settings. Cheap to clone (the ranges are shared).
#[derive(Debug, Clone)]
pub struct Policy {
    allow: RuleSet,
    deny: RuleSet,
    google: Arc<GoogleRanges>,
    /// The /16s that neither a special-purpose block nor a Google range
    /// touches (the common connect's short way to an allow).
    clear_v4: Arc<clear::ClearV4>,
    ranges_from_file: bool,
    paid_app: bool,
    allow_ffi: bool,
    passthrough: Vec<SockOpt>,
    nameservers: Vec<IpAddr>,
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

/// Whether `caller` may make a socket of `kind`: TCP and UDP for everyone,
/// unix sockets below the Sockets API (a library's unix socket is judged
/// when it connects). The rule of [`Operation::Create`]; no setting changes
/// it (`sockguard.paid_app` aside), so it is also the floor's cheap answer
/// for every `socket(2)`.
#[must_use]
#[inline]
pub fn may_create(kind: Kind<'_>, caller: Caller) -> bool {
    match kind.transport() {
        Some(Transport::Tcp | Transport::Udp) => true,
        Some(Transport::Unix | Transport::Udg) => caller != Caller::SocketsApi,
        Some(Transport::Raw) | None => false,
    }
}

/// Whether a pair of sockets of `kind` may be made: unix pairs, a channel
/// inside the process. The rule of [`Operation::Pair`].
#[must_use]
#[inline]
pub fn may_pair(kind: Kind<'_>) -> bool {
    matches!(kind.transport(), Some(Transport::Unix | Transport::Udg))
}

/// An allowed connect of an IPv4 socket to `name`, with its IPv6
/// addresses dropped (the socket cannot be pinned to them); denied when
/// none is left.
fn only_ipv4(decision: Decision, name: &str) -> Decision {
    let Decision::Allow(addrs) = decision else {
        return decision;
    };
    let v4: Vec<IpAddr> = addrs
        .as_slice()
        .iter()
        .copied()
        .filter(IpAddr::is_ipv4)
        .collect();
    if v4.is_empty() {
        Decision::Deny(Reason::Dns {
            host: name.to_owned(),
            error: ResolveError::NotFound {
                name: format!("{name} (no IPv4 address)"),
            },
        })
    } else {
        Decision::Allow(Addrs::from(v4))
    }
}

/// Whether the name the app asked for matched a domain allow rule
/// (`*.example.com:443`), for the checks of its addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    /// No name, or no domain allow rule matched it.
    No,
    /// A domain allow rule matched: port 25 and Google's ranges are open
    /// to its addresses; special-purpose blocks are not.
    ByDomainRule,
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
    /// is invalid, or the ranges file has no prefixes (it would silently
    /// unblock every Google range); the caller then denies everything with
    /// that reason.
    pub fn new(settings: &Settings) -> Result<Policy, Reason> {
        let allow = RuleSet::parse(&settings.allow).map_err(|e| config_error(SETTING_ALLOW, &e))?;
        let deny = RuleSet::parse(&settings.deny).map_err(|e| config_error(SETTING_DENY, &e))?;
        let google = match &settings.ranges_json {
            Some(json) => GoogleRanges::parse(json).map(Arc::new),
            None => GoogleRanges::embedded(),
        }
        .map_err(|e| config_error(SETTING_RANGES_FILE, &e))?;
        if google.counts() == (0, 0) {
            return Err(config_error(
                SETTING_RANGES_FILE,
                &"the file lists no prefixes, so no Google range would be blocked",
            ));
        }
        let clear_v4 = Arc::new(clear::ClearV4::build(
            ranges::SPECIAL_V4
                .iter()
                .map(|row| row.prefix)
                .chain(google.prefixes().iter().copied())
                .filter_map(|net| match net {
                    ipnet::IpNet::V4(v4) => Some(v4),
                    ipnet::IpNet::V6(_) => None,
                }),
        ));
        Ok(Policy {
            allow,
            deny,
            google,
            clear_v4,
            ranges_from_file: settings.ranges_json.is_some(),
            paid_app: settings.paid_app,
            allow_ffi: settings.allow_ffi,
            passthrough: settings.passthrough.clone(),
            nameservers: settings
                .nameservers
                .iter()
                .copied()
                .map(canonical)
                .collect(),
        })
    }

    /// The one decision: may `caller` perform `op`?
    ///
    /// In order:
    /// - The Sockets API of an app that is not paid: [`Reason::NotPaid`],
    ///   whatever the operation.
    /// - Create: TCP and UDP sockets; unix sockets too, except through the
    ///   Sockets API (App Engine had none; a library's unix socket is
    ///   judged when it connects, by the `unix:` rules). Everything else is
    ///   [`Reason::Transport`].
    /// - Pair: a unix socket pair is a local channel that reaches nothing
    ///   outside the process: allowed on every API; other families are
    ///   [`Reason::Transport`].
    /// - Connect (or send to an address): the socket's transport, then
    ///   [`Policy::check_addr`] for every address (names resolved once),
    ///   or the `unix:`/`udg:` rules for a path. A library may also reach
    ///   the system's nameservers on port 53.
    /// - Bind: the wildcard address with port 0 only (a no-op)
    ///   [`Reason::Bind`] otherwise.
    /// - Listen and accept: [`Reason::Listen`].
    /// - Bind, listen and accept by a library outside a request: allowed
    ///   (the server's own sockets: php-fpm, Apache, `php -S`).
    /// - Option: App Engine's table ([`options`]): pass-through, a mocked
    ///   value, or [`Reason::Option`].
    /// - Passing descriptors: [`Reason::ForeignSocket`].
    /// - FFI: only with `sockguard.allow_ffi` ([`Reason::Ffi`]): it calls C
    ///   functions and writes memory directly, so nothing here could stand
    ///   in front of it.
    pub fn decide(&self, op: &Operation<'_>, caller: Caller, resolver: &dyn Resolver) -> Decision {
        if let Some(addrs) = self.allows_at_once(op, caller) {
            return Decision::Allow(addrs);
        }
        if caller == Caller::SocketsApi && !self.paid_app {
            return Decision::Deny(Reason::NotPaid);
        }
        let server_outside_request = caller == Caller::Library { serving: false };
        match *op {
            Operation::Create(kind) if may_create(kind, caller) => Decision::Allow(Addrs::none()),
            Operation::Pair(kind) if may_pair(kind) => Decision::Allow(Addrs::none()),
            // What the two rules above leave is refused: raw sockets, unknown
            // families and types, unix sockets on the Sockets API, pairs of
            // anything but unix sockets.
            Operation::Create(kind) => Decision::Deny(match kind.transport() {
                None => kind.refusal(),
                Some(t) => Reason::Transport {
                    name: t.name().to_owned(),
                },
            }),
            Operation::Pair(kind) => Decision::Deny(match kind.transport() {
                None => kind.refusal(),
                Some(_) => Reason::Transport {
                    name: "socket pair".to_owned(),
                },
            }),
            Operation::Connect { host, port, kind } => match kind.transport() {
                None => Decision::Deny(kind.refusal()),
                Some(transport) => {
                    let decision = self.decide_connect(host, port, transport, caller, resolver);
                    match (host, kind) {
                        // An IPv4 socket can only be pinned to an IPv4 address.
                        (
                            Host::Name(name),
                            Kind::Socket {
                                family: libc::AF_INET,
                                ..
                            },
                        ) => only_ipv4(decision, name),
                        _ => decision,
                    }
                }
            },
            Operation::Bind { .. } | Operation::Listen | Operation::Accept
                if server_outside_request =>
            {
                Decision::Allow(Addrs::none())
            }
            Operation::Bind { host, port } => match host {
                Host::Ip(ip) if ip.is_unspecified() && port == 0 => Decision::Allow(Addrs::none()),
                Host::Ip(_) | Host::Name(_) | Host::Path(_) => Decision::Deny(Reason::Bind {
                    addr: host.to_string(),
                    port,
                }),
            },
            Operation::Listen | Operation::Accept => Decision::Deny(Reason::Listen),
            Operation::Option { option, access } => {
                match options::classify(option, access, &self.passthrough) {
                    options::Handling::Os => Decision::Allow(Addrs::none()),
                    options::Handling::Mock(value) => Decision::Mock(value),
                    options::Handling::Refuse => Decision::Deny(Reason::Option {
                        name: option.to_string(),
                    }),
                }
            }
            Operation::PassDescriptors => Decision::Deny(Reason::ForeignSocket),
            Operation::Ffi if self.allow_ffi => Decision::Allow(Addrs::none()),
            Operation::Ffi => Decision::Deny(Reason::Ffi),
        }
    }

    /// The domain deny rule (`*.example.com:443`) that `name` (lowercased,
    /// no trailing dot) on `port` is under, as a [`Reason::Rule`]: for a
    /// hook that knows the name the app asked for but not the addresses it
    /// resolved to (curl resolves names itself).
    #[must_use]
    pub fn denies_name(&self, name: &str, port: u16) -> Option<Reason> {
        self.deny.match_domain(name, port).map(|rule| Reason::Rule {
            rule: rule.text.clone(),
        })
    }

    /// Whether there is a domain deny rule: a hook that decides by address
    /// must then ask [`Policy::denies_name`] first.
    #[must_use]
    pub fn has_domain_denials(&self) -> bool {
        self.deny.has_domain_rules()
    }

    /// Whether the Sockets API is available (`sockguard.paid_app`): when it
    /// is, who asks for a connect changes nothing.
    #[must_use]
    pub fn paid_app(&self) -> bool {
        self.paid_app
    }

    /// The common operations, which [`Policy::decide`] answers before its
    /// general steps: making a socket its caller may make, and the common
    /// connect: TCP or UDP to an IPv4 address whose /16 neither a
    /// special-purpose block nor a Google range touches, on a port other
    /// than 25, with no operator deny rule. `Some(addresses)` when `op` is
    /// one: `decide` allows it, with these addresses; `None` for every other
    /// operation (ask `decide`). The hooks ask this first, to skip building
    /// a decision. Always inlined: small, and a caller that only asks
    /// whether (most do) then drops the addresses unbuilt.
    #[must_use]
    #[inline(always)]
    pub fn allows_at_once(&self, op: &Operation<'_>, caller: Caller) -> Option<Addrs> {
        if caller == Caller::SocketsApi && !self.paid_app {
            return None;
        }
        match *op {
            Operation::Connect {
                host: &Host::Ip(addr @ IpAddr::V4(v4)),
                port,
                kind,
            } => {
                let clear = port != 25
                    && !self.deny.has_address_rules()
                    && self.clear_v4.is_clear(v4)
                    && matches!(kind.transport(), Some(Transport::Tcp | Transport::Udp));
                clear.then(|| Addrs::from(addr))
            }
            Operation::Create(kind) if may_create(kind, caller) => Some(Addrs::none()),
            Operation::Pair(kind) if may_pair(kind) => Some(Addrs::none()),
            _ => None,
        }
    }

    /// Connecting (or sending) to `host` on `port` over `transport`.
    ///
    /// - Raw: always [`Reason::Transport`].
    /// - Unix/udg: allowed (with no addresses) only if a `unix:/path` (or
    ///   `udg:/path`) allow rule names exactly that path and no deny rule
    ///   does; else [`Reason::Rule`] or [`Reason::Transport`].
    /// - TCP/UDP to an address: [`Policy::check_addr`].
    /// - TCP/UDP to a name: a domain deny rule (`*.example.com:443`) the name
    ///   is under is [`Reason::Rule`], before any lookup; then the name is
    ///   resolved once through `resolver` (a failure or an
    ///   empty answer is [`Reason::Dns`]); every address is checked and the
    ///   first denial denies; otherwise the addresses are returned, in the
    ///   resolver's order, to be connected to (pinned).
    fn decide_connect(
        &self,
        host: &Host,
        port: u16,
        transport: Transport,
        caller: Caller,
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
            Host::Ip(addr) => {
                match self.check_addr_for(*addr, port, transport, caller, Named::No, resolver) {
                    Ok(()) => Decision::Allow(Addrs::from(*addr)),
                    Err(r) => Decision::Deny(r),
                }
            }
            Host::Name(name) => {
                // Domain rules, on the name asked for: a deny denies before
                // any lookup; an allow widens the checks of its addresses.
                if let Some(reason) = self.denies_name(name, port) {
                    return Decision::Deny(reason);
                }
                let named = if self.allow.match_domain(name, port).is_some() {
                    Named::ByDomainRule
                } else {
                    Named::No
                };
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
                    if let Err(r) =
                        self.check_addr_for(addr, port, transport, caller, named, resolver)
                    {
                        return Decision::Deny(r);
                    }
                }
                Decision::Allow(Addrs::from(addrs))
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
            return Decision::Allow(Addrs::none());
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
    /// 3. Port 25 → [`Reason::Port25`], unless the app asked for a name
    ///    that a domain allow rule (`*.example.com:25`) matched.
    /// 4. The built-in allowlist (an IPv4-mapped address counts as its IPv4
    ///    address) → allowed. For a library (the floor), also the system
    ///    resolver's nameservers on port 53 → allowed.
    /// 5. Special-purpose blocks → [`Reason::BlockedRange`]. IPv4: the most
    ///    specific row. IPv6 containers (IPv4-mapped, IPv4-compatible,
    ///    NAT64 /96 and /48): the embedded IPv4 address's verdict, steps 5
    ///    and 6. 6to4 and Teredo: denied as their own blocks, but an
    ///    embedded IPv4 address in a blocked range is reported instead.
    ///    Anything else outside `2000::/3` has a row and is denied.
    /// 6. Google's ranges (for containers, on the embedded address) →
    ///    [`Reason::GoogleRange`], unless the app asked for a name that a
    ///    domain allow rule matched. Step 5 has no such exception: a
    ///    wildcard never opens a private, loopback, link-local or other
    ///    special-purpose address; only an address or host rule does.
    /// 7. Allowed.
    ///
    /// # Errors
    /// The [`Reason`] for the first check that denies.
    #[cfg(test)]
    fn check_addr(
        &self,
        addr: IpAddr,
        port: u16,
        transport: Transport,
        resolver: &dyn Resolver,
    ) -> Result<(), Reason> {
        self.check_addr_for(addr, port, transport, Caller::Client, Named::No, resolver)
    }

    /// [`Policy::check_addr`] for `caller`, for an address of a name that
    /// a domain allow rule may have matched (`named`).
    fn check_addr_for(
        &self,
        addr: IpAddr,
        port: u16,
        transport: Transport,
        caller: Caller,
        named: Named,
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
        // The common connect: nothing the operator denies, not port 25,
        // and an address whose /16 no blocked prefix touches. Every later
        // step could then only allow it.
        if let IpAddr::V4(a) = addr {
            if !self.deny.has_address_rules() && port != 25 && self.clear_v4.is_clear(a) {
                return Ok(());
            }
        }
        let embedded = match addr {
            IpAddr::V6(a) => embedded_v4(a),
            IpAddr::V4(_) => None,
        };

        // 1. Operator deny rules.
        if self.deny.has_address_rules() {
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
        if self.allow.has_address_rules() {
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

        // 3. Port 25 (a domain allow rule naming the port opens it).
        if port == 25 && named == Named::No {
            return Err(Reason::Port25);
        }

        // 4. Built-in allowlist, and the system's nameservers for libraries.
        if allowlist::allows(addr, port, transport, resolver) {
            return Ok(());
        }
        if port == allowlist::DNS_PORT
            && matches!(caller, Caller::Library { .. })
            && self.nameservers.contains(&canonical(addr))
        {
            return Ok(());
        }

        // 5 and 6. Special-purpose blocks, then Google's ranges: a domain
        // allow rule opens Google's ranges (public services) to its names,
        // never a special-purpose block.
        match self.check_ranges(addr, embedded) {
            Err(Reason::GoogleRange { .. }) if named == Named::ByDomainRule => Ok(()),
            checked => checked,
        }
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
            paid_app: self.paid_app,
            allow_ffi: self.allow_ffi,
            passthrough: self.passthrough.iter().map(ToString::to_string).collect(),
            nameservers: self.nameservers.iter().map(ToString::to_string).collect(),
        }
    }
}

/// Helpers the policy modules' tests share.
#[cfg(test)]
pub(crate) mod testing {
    use std::net::IpAddr;

    /// An IP literal (a typo in a test panics).
    pub fn a(s: &str) -> IpAddr {
        s.parse().expect("an IP literal")
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
    use super::testing::a;
    use super::*;
    use ipnet::IpNet;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn n(s: &str) -> IpNet {
        s.parse().unwrap()
    }
    fn policy() -> Policy {
        Policy::new(&Settings::default()).unwrap()
    }

    impl Policy {
        /// A connect by PHP's own clients, as most tests ask.
        fn connect(
            &self,
            host: &Host,
            port: u16,
            transport: Transport,
            resolver: &dyn Resolver,
        ) -> Decision {
            self.decide_connect(host, port, transport, Caller::Client, resolver)
        }
    }
    fn with_rules(allow: &str, deny: &str) -> Policy {
        Policy::new(&Settings {
            allow: allow.into(),
            deny: deny.into(),
            ..Settings::default()
        })
        .unwrap()
    }
    fn check(p: &Policy, addr: &str, port: u16) -> Result<(), Reason> {
        p.check_addr(a(addr), port, Transport::Tcp, &FixedResolver::new())
    }
    fn blocked(addr: &str, via: Option<&str>, name: &'static str, prefix: &str) -> Reason {
        Reason::BlockedRange {
            addr: a(addr),
            via: via.map(a),
            name,
            prefix: n(prefix),
        }
    }
    fn google(addr: &str, via: Option<&str>, prefix: &str) -> Reason {
        Reason::GoogleRange {
            addr: a(addr),
            via: via.map(a),
            prefix: n(prefix),
        }
    }

    // ---- reasons ----

    #[test]
    fn reason_codes_and_messages() {
        let long = "x".repeat(10_000);
        let table: Vec<(Reason, &str, String)> = vec![
            (
                blocked("10.0.0.1", None, "private-use", "10.0.0.0/8"),
                "blocked-range",
                "10.0.0.1 is in a blocked range: private-use 10.0.0.0/8".into(),
            ),
            (
                blocked("10.0.0.1", Some("::ffff:10.0.0.1"), "private-use", "10.0.0.0/8"),
                "blocked-range",
                "::ffff:10.0.0.1 embeds 10.0.0.1, which is in a blocked range: private-use 10.0.0.0/8"
                    .into(),
            ),
            (
                google("142.250.1.108", None, "142.250.0.0/15"),
                "google-range",
                "142.250.1.108 is in a Google range: 142.250.0.0/15".into(),
            ),
            (
                google("142.250.1.108", Some("64:ff9b::8efa:16c"), "142.250.0.0/15"),
                "google-range",
                "64:ff9b::8efa:16c embeds 142.250.1.108, which is in a Google range: 142.250.0.0/15"
                    .into(),
            ),
            (Reason::Port25, "port-25", "port 25 is blocked".into()),
            (
                Reason::Transport {
                    name: "unix".into(),
                },
                "transport",
                "transport unix is not allowed".into(),
            ),
            (
                Reason::Listen,
                "listen",
                "listening sockets are not allowed".into(),
            ),
            (
                Reason::Bind {
                    addr: "10.0.0.1".into(),
                    port: 80,
                },
                "bind",
                "binding to 10.0.0.1:80 is not allowed".into(),
            ),
            (
                Reason::Bind {
                    addr: "::1".into(),
                    port: 80,
                },
                "bind",
                "binding to [::1]:80 is not allowed".into(),
            ),
            (
                Reason::Bind {
                    addr: "[::1]".into(),
                    port: 80,
                },
                "bind",
                "binding to [::1]:80 is not allowed".into(),
            ),
            (
                Reason::Option {
                    name: "SO_BROADCAST".into(),
                },
                "option",
                "option SO_BROADCAST is not supported".into(),
            ),
            (
                Reason::Reclaimed { idle_secs: 120 },
                "reclaimed",
                "socket was reclaimed after 120 s idle".into(),
            ),
            (
                Reason::NotPaid,
                "not-paid",
                "sockets are available only to paid apps".into(),
            ),
            (
                Reason::ForeignSocket,
                "foreign-socket",
                "descriptors cannot be passed to another process".into(),
            ),
            (
                Reason::Dns {
                    host: "example.test".into(),
                    error: ResolveError::NotFound {
                        name: "example.test".into(),
                    },
                },
                "dns",
                "cannot resolve example.test: example.test does not resolve".into(),
            ),
            (
                Reason::Dns {
                    host: "example.test".into(),
                    error: ResolveError::Failed {
                        name: "example.test".into(),
                        detail: "SERVFAIL".into(),
                    },
                },
                "dns",
                "cannot resolve example.test: lookup of example.test failed: SERVFAIL".into(),
            ),
            (
                Reason::Dns {
                    host: "example.test".into(),
                    error: ResolveError::Timeout {
                        name: "example.test".into(),
                    },
                },
                "dns",
                "cannot resolve example.test: lookup of example.test timed out".into(),
            ),
            (
                Reason::Rule {
                    rule: "10.0.0.0/8:*".into(),
                },
                "rule",
                "denied by rule 10.0.0.0/8:*".into(),
            ),
            (
                Reason::target("a\"b\0:80", &TargetError::NulByte),
                "target",
                "invalid target \"a\\\"b\\u{0}:80\": contains a NUL byte".into(),
            ),
            (
                Reason::target(&long, &TargetError::MissingPort),
                "target",
                format!("invalid target \"{}...\": missing port", "x".repeat(64)),
            ),
            (
                Reason::Target {
                    input: long.clone(),
                    error: "e".into(),
                },
                "target",
                format!("invalid target \"{}...\": e", "x".repeat(64)),
            ),
            (
                Reason::Config {
                    setting: SETTING_ALLOW,
                    error: "bad".into(),
                },
                "config",
                "invalid sockguard.allow: bad".into(),
            ),
            (
                Reason::Ffi,
                "ffi",
                "FFI can call any C function and write any memory, past every check; it is disabled (sockguard.allow_ffi = 1 allows it)".into(),
            ),
            (
                Reason::Internal {
                    what: "stream factory failed".into(),
                },
                "internal",
                "internal error (stream factory failed); denied".into(),
            ),
        ];
        for (reason, code, message) in table {
            assert_eq!(reason.code(), code, "{reason:?}");
            assert_eq!(reason.to_string(), message, "{reason:?}");
            assert_eq!(reason.errno(), libc::EACCES);
            assert_eq!(reason.errno(), 13);
        }
    }

    #[test]
    fn reason_target_keeps_65_chars() {
        let r = Reason::target(&"y".repeat(1000), &TargetError::EmptyHost);
        let Reason::Target { input, .. } = r else {
            panic!()
        };
        assert_eq!(input.len(), 65);
    }

    // ---- operations and callers ----

    fn sock(family: i32, sotype: i32, protocol: i32) -> Kind<'static> {
        Kind::Socket {
            family,
            sotype,
            protocol,
        }
    }

    const SOCKETS: Caller = Caller::SocketsApi;
    const CLIENT: Caller = Caller::Client;
    const SERVING: Caller = Caller::Library { serving: true };
    const SERVER: Caller = Caller::Library { serving: false };

    fn transport(name: &str) -> Decision {
        Decision::Deny(Reason::Transport { name: name.into() })
    }
    fn bind_denied(addr: &str, port: u16) -> Decision {
        Decision::Deny(Reason::Bind {
            addr: addr.into(),
            port,
        })
    }
    fn allowed() -> Decision {
        Decision::Allow(Addrs::none())
    }

    #[test]
    fn every_operation_is_decided_by_the_policy() {
        use libc::{AF_INET, AF_INET6, AF_PACKET, AF_UNIX, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM};
        let unpaid = Policy::new(&Settings {
            paid_app: false,
            ..Settings::default()
        })
        .unwrap();
        let paid = policy();
        let any4 = Host::Ip(a("0.0.0.0"));
        let any6 = Host::Ip(a("::"));
        let local = Host::Ip(a("127.0.0.1"));
        let public = Host::Ip(a("93.184.216.34"));
        let path = Host::Path("/run/app.sock".into());
        let keepalive = SockOpt {
            level: i64::from(libc::SOL_SOCKET),
            option: i64::from(libc::SO_KEEPALIVE),
        };
        let broadcast = SockOpt {
            level: i64::from(libc::SOL_SOCKET),
            option: i64::from(libc::SO_BROADCAST),
        };
        let error = SockOpt {
            level: i64::from(libc::SOL_SOCKET),
            option: i64::from(libc::SO_ERROR),
        };
        let tcp = Kind::Transport(Transport::Tcp);
        let table: Vec<(&Policy, Operation<'_>, Caller, Decision)> = vec![
            // Creation: TCP and UDP for everyone; unix only below the Sockets API.
            (
                &paid,
                Operation::Create(sock(AF_INET, SOCK_STREAM, 0)),
                SOCKETS,
                allowed(),
            ),
            (
                &paid,
                Operation::Create(sock(AF_INET6, SOCK_DGRAM, 17)),
                SOCKETS,
                allowed(),
            ),
            (
                &paid,
                Operation::Create(sock(AF_UNIX, SOCK_STREAM, 0)),
                SOCKETS,
                transport("unix"),
            ),
            (
                &paid,
                Operation::Create(sock(AF_UNIX, SOCK_DGRAM, 0)),
                SOCKETS,
                transport("udg"),
            ),
            (
                &paid,
                Operation::Create(sock(AF_UNIX, SOCK_STREAM, 0)),
                SERVING,
                allowed(),
            ),
            (
                &paid,
                Operation::Create(sock(AF_UNIX, SOCK_DGRAM, 0)),
                CLIENT,
                allowed(),
            ),
            (
                &paid,
                Operation::Create(sock(AF_INET, SOCK_RAW, 1)),
                SERVING,
                transport("raw"),
            ),
            (
                &paid,
                Operation::Create(sock(AF_INET, SOCK_RAW, 1)),
                SERVER,
                transport("raw"),
            ),
            (
                &paid,
                Operation::Create(sock(AF_PACKET, SOCK_RAW, 0)),
                SERVING,
                transport("packet"),
            ),
            // Pairs: a local channel on every API; no TCP pairs.
            (
                &paid,
                Operation::Pair(sock(AF_UNIX, SOCK_STREAM, 0)),
                SOCKETS,
                allowed(),
            ),
            (
                &paid,
                Operation::Pair(sock(AF_UNIX, SOCK_DGRAM, 0)),
                SERVING,
                allowed(),
            ),
            (
                &paid,
                Operation::Pair(sock(AF_INET, SOCK_STREAM, 0)),
                SOCKETS,
                transport("socket pair"),
            ),
            // Not paid: the Sockets API and nothing else.
            (
                &unpaid,
                Operation::Create(sock(AF_INET, SOCK_STREAM, 0)),
                SOCKETS,
                Decision::Deny(Reason::NotPaid),
            ),
            (
                &unpaid,
                Operation::Pair(sock(AF_UNIX, SOCK_STREAM, 0)),
                SOCKETS,
                Decision::Deny(Reason::NotPaid),
            ),
            (
                &unpaid,
                Operation::Listen,
                SOCKETS,
                Decision::Deny(Reason::NotPaid),
            ),
            (
                &unpaid,
                Operation::Connect {
                    host: &public,
                    port: 80,
                    kind: tcp,
                },
                SOCKETS,
                Decision::Deny(Reason::NotPaid),
            ),
            (
                &unpaid,
                Operation::Connect {
                    host: &public,
                    port: 80,
                    kind: tcp,
                },
                CLIENT,
                Decision::Allow(Addrs::from(a("93.184.216.34"))),
            ),
            (
                &unpaid,
                Operation::Connect {
                    host: &public,
                    port: 80,
                    kind: tcp,
                },
                SERVING,
                Decision::Allow(Addrs::from(a("93.184.216.34"))),
            ),
            // Bind: the wildcard with port 0, nothing more.
            (
                &paid,
                Operation::Bind {
                    host: &any4,
                    port: 0,
                },
                SOCKETS,
                allowed(),
            ),
            (
                &paid,
                Operation::Bind {
                    host: &any6,
                    port: 0,
                },
                CLIENT,
                allowed(),
            ),
            (
                &paid,
                Operation::Bind {
                    host: &any4,
                    port: 1,
                },
                SOCKETS,
                bind_denied("0.0.0.0", 1),
            ),
            (
                &paid,
                Operation::Bind {
                    host: &local,
                    port: 0,
                },
                SERVING,
                bind_denied("127.0.0.1", 0),
            ),
            (
                &paid,
                Operation::Bind {
                    host: &path,
                    port: 0,
                },
                CLIENT,
                bind_denied("/run/app.sock", 0),
            ),
            // Listening: never, but a server outside a request tends its own sockets.
            (
                &paid,
                Operation::Listen,
                SOCKETS,
                Decision::Deny(Reason::Listen),
            ),
            (
                &paid,
                Operation::Accept,
                CLIENT,
                Decision::Deny(Reason::Listen),
            ),
            (
                &paid,
                Operation::Listen,
                SERVING,
                Decision::Deny(Reason::Listen),
            ),
            (&paid, Operation::Listen, SERVER, allowed()),
            (&paid, Operation::Accept, SERVER, allowed()),
            (
                &paid,
                Operation::Bind {
                    host: &local,
                    port: 9000,
                },
                SERVER,
                allowed(),
            ),
            // Options: the App Engine table.
            (
                &paid,
                Operation::Option {
                    option: keepalive,
                    access: Access::Get,
                },
                SOCKETS,
                Decision::Mock(MockValue::Int(0)),
            ),
            (
                &paid,
                Operation::Option {
                    option: error,
                    access: Access::Get,
                },
                SOCKETS,
                allowed(),
            ),
            (
                &paid,
                Operation::Option {
                    option: error,
                    access: Access::Set,
                },
                SOCKETS,
                Decision::Deny(Reason::Option {
                    name: "SO_ERROR".into(),
                }),
            ),
            (
                &paid,
                Operation::Option {
                    option: broadcast,
                    access: Access::Set,
                },
                SOCKETS,
                Decision::Deny(Reason::Option {
                    name: "SO_BROADCAST".into(),
                }),
            ),
            (
                &paid,
                Operation::PassDescriptors,
                SOCKETS,
                Decision::Deny(Reason::ForeignSocket),
            ),
            // A connect over a socket that is no transport at all.
            (
                &paid,
                Operation::Connect {
                    host: &public,
                    port: 80,
                    kind: sock(AF_INET, SOCK_RAW, 6),
                },
                SERVING,
                transport("raw"),
            ),
            (
                &paid,
                Operation::Connect {
                    host: &public,
                    port: 80,
                    kind: Kind::Stream("sctp"),
                },
                CLIENT,
                transport("sctp"),
            ),
        ];
        let r = FixedResolver::new();
        for (policy, op, caller, want) in table {
            assert_eq!(policy.decide(&op, caller, &r), want, "{op:?} by {caller:?}");
        }
        let with_passthrough = Policy::new(&Settings {
            passthrough: vec![broadcast],
            ..Settings::default()
        })
        .unwrap();
        let op = Operation::Option {
            option: broadcast,
            access: Access::Set,
        };
        assert_eq!(with_passthrough.decide(&op, SOCKETS, &r), allowed());
        let with_ffi = Policy::new(&Settings {
            allow_ffi: true,
            ..Settings::default()
        })
        .unwrap();
        assert_eq!(with_ffi.decide(&Operation::Ffi, CLIENT, &r), allowed());
    }

    #[test]
    fn libraries_may_reach_the_system_nameservers_on_port_53_only() {
        let p = Policy::new(&Settings {
            nameservers: vec![a("127.0.0.53"), a("10.0.0.2")],
            ..Settings::default()
        })
        .unwrap();
        let r = FixedResolver::new();
        let ask = |addr: &str, port: u16, t: Transport, caller: Caller| {
            let host = Host::Ip(a(addr));
            p.decide(
                &Operation::Connect {
                    host: &host,
                    port,
                    kind: Kind::Transport(t),
                },
                caller,
                &r,
            )
            .is_allowed()
        };
        assert!(ask("127.0.0.53", 53, Transport::Udp, SERVING));
        assert!(ask("127.0.0.53", 53, Transport::Tcp, SERVER));
        assert!(ask("10.0.0.2", 53, Transport::Udp, SERVING));
        assert!(ask("::ffff:10.0.0.2", 53, Transport::Udp, SERVING));
        // Just outside: another port, another address, PHP code itself.
        assert!(!ask("127.0.0.53", 54, Transport::Udp, SERVING));
        assert!(!ask("127.0.0.54", 53, Transport::Udp, SERVING));
        assert!(!ask("127.0.0.53", 53, Transport::Udp, CLIENT));
        assert!(!ask("127.0.0.53", 53, Transport::Udp, SOCKETS));
        // Operator deny rules still win.
        let denied = Policy::new(&Settings {
            nameservers: vec![a("10.0.0.2")],
            deny: "10.0.0.0/8:*".into(),
            ..Settings::default()
        })
        .unwrap();
        let host = Host::Ip(a("10.0.0.2"));
        let op = Operation::Connect {
            host: &host,
            port: 53,
            kind: Kind::Transport(Transport::Udp),
        };
        assert_eq!(
            denied.decide(&op, SERVING, &r),
            Decision::Deny(Reason::Rule {
                rule: "10.0.0.0/8:*".into()
            })
        );
    }

    #[test]
    fn an_ipv4_socket_is_pinned_to_ipv4_addresses_only() {
        let r = FixedResolver::new()
            .with("dual.test", &[a("2606:4700::1"), a("1.2.3.4")])
            .with("six.test", &[a("2606:4700::1")]);
        let p = policy();
        let ask = |name: &str, family: i32| {
            let host = Host::Name(name.into());
            p.decide(
                &Operation::Connect {
                    host: &host,
                    port: 443,
                    kind: sock(family, libc::SOCK_STREAM, 0),
                },
                SOCKETS,
                &r,
            )
        };
        assert_eq!(
            ask("dual.test", libc::AF_INET),
            Decision::Allow(Addrs::from(a("1.2.3.4")))
        );
        assert_eq!(
            ask("dual.test", libc::AF_INET6),
            Decision::Allow(Addrs::from(vec![a("2606:4700::1"), a("1.2.3.4")]))
        );
        assert_eq!(
            ask("six.test", libc::AF_INET).reason().map(Reason::code),
            Some("dns")
        );
    }

    // ---- special-purpose blocks ----

    fn neighbours(net: &IpNet) -> Vec<IpAddr> {
        match net {
            IpNet::V4(v) => {
                let (lo, hi) = (u32::from(v.network()), u32::from(v.broadcast()));
                [lo.checked_sub(1), hi.checked_add(1)]
                    .into_iter()
                    .flatten()
                    .map(|x| IpAddr::V4(Ipv4Addr::from(x)))
                    .collect()
            }
            IpNet::V6(v) => {
                let (lo, hi) = (u128::from(v.network()), u128::from(v.broadcast()));
                [lo.checked_sub(1), hi.checked_add(1)]
                    .into_iter()
                    .flatten()
                    .map(|x| IpAddr::V6(Ipv6Addr::from(x)))
                    .collect()
            }
        }
    }

    #[test]
    fn every_block_denied_at_both_ends_and_neighbours_allowed() {
        let p = policy();
        let g = GoogleRanges::embedded().unwrap();
        let mut allowed_neighbours = 0;
        for row in ranges::SPECIAL_V4.iter().chain(ranges::SPECIAL_V6) {
            for addr in [row.prefix.network(), row.prefix.broadcast()] {
                let got = p.check_addr(addr, 80, Transport::Tcp, &FixedResolver::new());
                let Err(Reason::BlockedRange {
                    addr: got_addr,
                    via,
                    name,
                    prefix,
                }) = got
                else {
                    panic!("{addr} ({}) not blocked: {got:?}", row.prefix);
                };
                // Embedded or not, the reported address is in the reported row.
                if let Some(v) = via {
                    assert_eq!(v, addr);
                } else {
                    assert_eq!(got_addr, addr);
                }
                let row = ranges::special(got_addr).unwrap();
                assert_eq!((row.name, row.prefix), (name, prefix), "{addr}");
            }
            for nb in neighbours(&row.prefix) {
                let got = p.check_addr(nb, 80, Transport::Tcp, &FixedResolver::new());
                if ranges::special(nb).is_none() && g.lookup(nb).is_none() {
                    assert_eq!(got, Ok(()), "neighbour {nb} of {}", row.prefix);
                    allowed_neighbours += 1;
                } else {
                    assert!(got.is_err(), "neighbour {nb} of {}", row.prefix);
                }
            }
        }
        assert!(allowed_neighbours > 30, "{allowed_neighbours}");
    }

    #[test]
    fn blocked_ranges_table() {
        let p = policy();
        let table: &[(&str, Result<(), Reason>)] = &[
            (
                "10.0.0.1",
                Err(blocked("10.0.0.1", None, "private-use", "10.0.0.0/8")),
            ),
            (
                "172.31.255.255",
                Err(blocked(
                    "172.31.255.255",
                    None,
                    "private-use",
                    "172.16.0.0/12",
                )),
            ),
            ("172.32.0.0", Ok(())),
            (
                "192.168.1.1",
                Err(blocked(
                    "192.168.1.1",
                    None,
                    "private-use",
                    "192.168.0.0/16",
                )),
            ),
            (
                "127.0.0.1",
                Err(blocked("127.0.0.1", None, "loopback", "127.0.0.0/8")),
            ),
            (
                "169.254.169.254",
                Err(blocked(
                    "169.254.169.254",
                    None,
                    "link-local",
                    "169.254.0.0/16",
                )),
            ),
            (
                "100.64.0.1",
                Err(blocked(
                    "100.64.0.1",
                    None,
                    "shared address space (CGNAT)",
                    "100.64.0.0/10",
                )),
            ),
            (
                "0.0.0.0",
                Err(blocked(
                    "0.0.0.0",
                    None,
                    "this host on this network",
                    "0.0.0.0/32",
                )),
            ),
            (
                "192.0.0.9",
                Err(blocked(
                    "192.0.0.9",
                    None,
                    "port control protocol anycast",
                    "192.0.0.9/32",
                )),
            ),
            (
                "192.0.2.1",
                Err(blocked(
                    "192.0.2.1",
                    None,
                    "documentation (TEST-NET-1)",
                    "192.0.2.0/24",
                )),
            ),
            (
                "198.19.0.1",
                Err(blocked("198.19.0.1", None, "benchmarking", "198.18.0.0/15")),
            ),
            (
                "224.0.0.1",
                Err(blocked("224.0.0.1", None, "multicast", "224.0.0.0/4")),
            ),
            (
                "255.255.255.255",
                Err(blocked(
                    "255.255.255.255",
                    None,
                    "limited broadcast",
                    "255.255.255.255/32",
                )),
            ),
            ("1.1.1.1", Ok(())),
            ("::1", Err(blocked("::1", None, "loopback", "::1/128"))),
            ("::", Err(blocked("::", None, "unspecified", "::/128"))),
            (
                "fd00::1",
                Err(blocked("fd00::1", None, "unique-local", "fc00::/7")),
            ),
            (
                "fe80::1",
                Err(blocked("fe80::1", None, "link-local", "fe80::/10")),
            ),
            (
                "fec0::1",
                Err(blocked("fec0::1", None, "site-local", "fec0::/10")),
            ),
            (
                "ff02::1",
                Err(blocked("ff02::1", None, "multicast", "ff00::/8")),
            ),
            (
                "100::1",
                Err(blocked("100::1", None, "discard-only", "100::/64")),
            ),
            (
                "2001:db8::1",
                Err(blocked(
                    "2001:db8::1",
                    None,
                    "documentation",
                    "2001:db8::/32",
                )),
            ),
            (
                "3fff::1",
                Err(blocked("3fff::1", None, "documentation", "3fff::/20")),
            ),
            (
                "5f00::1",
                Err(blocked(
                    "5f00::1",
                    None,
                    "segment routing (SRv6) SIDs",
                    "5f00::/16",
                )),
            ),
            (
                "4000::1",
                Err(blocked("4000::1", None, "reserved", "4000::/3")),
            ),
            ("2606:4700:4700::1111", Ok(())),
            (
                "142.250.1.108",
                Err(google("142.250.1.108", None, "142.250.0.0/15")),
            ),
            ("8.8.8.8", Err(google("8.8.8.8", None, "8.8.8.0/24"))),
            (
                "2001:4860:4860::8888",
                Err(google("2001:4860:4860::8888", None, "2001:4860::/32")),
            ),
        ];
        for (addr, want) in table {
            assert_eq!(&check(&p, addr, 80), want, "{addr}");
        }
    }

    // ---- embedded IPv4 ----

    #[test]
    fn embedded_forms() {
        let p = policy();
        let pv = "private-use";
        let table: &[(&str, u16, Result<(), Reason>)] = &[
            // IPv4-mapped
            (
                "::ffff:10.0.0.1",
                80,
                Err(blocked(
                    "10.0.0.1",
                    Some("::ffff:10.0.0.1"),
                    pv,
                    "10.0.0.0/8",
                )),
            ),
            ("::ffff:1.2.3.4", 80, Ok(())),
            (
                "::ffff:127.0.0.1",
                80,
                Err(blocked(
                    "127.0.0.1",
                    Some("::ffff:127.0.0.1"),
                    "loopback",
                    "127.0.0.0/8",
                )),
            ),
            ("::ffff:8.8.8.8", 53, Ok(())),
            (
                "::ffff:8.8.8.8",
                80,
                Err(google("8.8.8.8", Some("::ffff:8.8.8.8"), "8.8.8.0/24")),
            ),
            // IPv4-compatible
            (
                "::10.0.0.1",
                80,
                Err(blocked("10.0.0.1", Some("::10.0.0.1"), pv, "10.0.0.0/8")),
            ),
            ("::1.2.3.4", 80, Ok(())),
            (
                "::2",
                80,
                Err(blocked("0.0.0.2", Some("::2"), "this network", "0.0.0.0/8")),
            ),
            // NAT64 /96
            (
                "64:ff9b::10.0.0.1",
                80,
                Err(blocked(
                    "10.0.0.1",
                    Some("64:ff9b::10.0.0.1"),
                    pv,
                    "10.0.0.0/8",
                )),
            ),
            ("64:ff9b::1.2.3.4", 80, Ok(())),
            (
                "64:ff9b::142.250.1.108",
                80,
                Err(google(
                    "142.250.1.108",
                    Some("64:ff9b::142.250.1.108"),
                    "142.250.0.0/15",
                )),
            ),
            // NAT64 local-use /48
            (
                "64:ff9b:1:a00:0:100::",
                80,
                Err(blocked(
                    "10.0.0.1",
                    Some("64:ff9b:1:a00:0:100::"),
                    pv,
                    "10.0.0.0/8",
                )),
            ),
            ("64:ff9b:1:102:3:400::", 80, Ok(())),
            (
                "64:ff9b:1::a00:1",
                80,
                Err(blocked(
                    "64:ff9b:1::a00:1",
                    None,
                    "IPv4-IPv6 translation (local-use NAT64)",
                    "64:ff9b:1::/48",
                )),
            ),
            // 6to4
            (
                "2002:a00:1::1",
                80,
                Err(blocked("10.0.0.1", Some("2002:a00:1::1"), pv, "10.0.0.0/8")),
            ),
            (
                "2002:102:304::1",
                80,
                Err(blocked("2002:102:304::1", None, "6to4", "2002::/16")),
            ),
            // Teredo: client 10.0.0.1 / server 1.2.3.4; client 1.2.3.4 / server 10.0.0.1; both public
            (
                "2001:0:102:304::f5ff:fffe",
                80,
                Err(blocked(
                    "10.0.0.1",
                    Some("2001:0:102:304::f5ff:fffe"),
                    pv,
                    "10.0.0.0/8",
                )),
            ),
            (
                "2001:0:a00:1::fefd:fcfb",
                80,
                Err(blocked(
                    "10.0.0.1",
                    Some("2001:0:a00:1::fefd:fcfb"),
                    pv,
                    "10.0.0.0/8",
                )),
            ),
            (
                "2001:0:102:304::fefd:fcfb",
                80,
                Err(blocked(
                    "2001:0:102:304::fefd:fcfb",
                    None,
                    "teredo",
                    "2001::/32",
                )),
            ),
        ];
        for (addr, port, want) in table {
            assert_eq!(&check(&p, addr, *port), want, "{addr}:{port}");
        }
    }

    // ---- allowlist ----

    fn gmail() -> FixedResolver {
        FixedResolver::new()
            .with(
                "smtp.gmail.com",
                &[a("142.250.1.108"), a("2607:f8b0:4023:c0b::6c")],
            )
            .with("pop.gmail.com", &[a("142.250.1.109")])
            .with("imap.gmail.com", &[a("142.250.1.110")])
    }

    #[test]
    fn allowlist_entries() {
        let p = policy();
        let r = gmail();
        let g8 = "8.8.8.0/24";
        let table: &[(&str, u16, Transport, Result<(), Reason>)] = &[
            ("8.8.8.8", 53, Transport::Tcp, Ok(())),
            ("8.8.8.8", 53, Transport::Udp, Ok(())),
            ("8.8.4.4", 53, Transport::Tcp, Ok(())),
            ("8.8.4.4", 53, Transport::Udp, Ok(())),
            ("2001:4860:4860::8888", 53, Transport::Udp, Ok(())),
            ("2001:4860:4860::8844", 53, Transport::Tcp, Ok(())),
            (
                "8.8.8.8",
                80,
                Transport::Tcp,
                Err(google("8.8.8.8", None, g8)),
            ),
            (
                "8.8.8.8",
                54,
                Transport::Udp,
                Err(google("8.8.8.8", None, g8)),
            ),
            (
                "8.8.4.4",
                443,
                Transport::Tcp,
                Err(google("8.8.4.4", None, "8.8.4.0/24")),
            ),
            (
                "2001:4860:4860::8888",
                443,
                Transport::Tcp,
                Err(google("2001:4860:4860::8888", None, "2001:4860::/32")),
            ),
            ("8.8.8.8", 25, Transport::Tcp, Err(Reason::Port25)),
            ("142.250.1.108", 465, Transport::Tcp, Ok(())),
            ("142.250.1.108", 587, Transport::Tcp, Ok(())),
            ("2607:f8b0:4023:c0b::6c", 587, Transport::Tcp, Ok(())),
            ("142.250.1.109", 995, Transport::Tcp, Ok(())),
            ("142.250.1.110", 993, Transport::Tcp, Ok(())),
            ("142.250.1.108", 25, Transport::Tcp, Err(Reason::Port25)),
            (
                "142.250.1.108",
                443,
                Transport::Tcp,
                Err(google("142.250.1.108", None, "142.250.0.0/15")),
            ),
            (
                "142.250.1.108",
                465,
                Transport::Udp,
                Err(google("142.250.1.108", None, "142.250.0.0/15")),
            ),
            (
                "142.250.1.111",
                465,
                Transport::Tcp,
                Err(google("142.250.1.111", None, "142.250.0.0/15")),
            ),
            (
                "142.250.1.109",
                993,
                Transport::Tcp,
                Err(google("142.250.1.109", None, "142.250.0.0/15")),
            ),
            (
                "10.0.0.1",
                465,
                Transport::Tcp,
                Err(blocked("10.0.0.1", None, "private-use", "10.0.0.0/8")),
            ),
        ];
        for (addr, port, t, want) in table {
            assert_eq!(
                &p.check_addr(a(addr), *port, *t, &r),
                want,
                "{addr}:{port}/{t}"
            );
        }
    }

    #[test]
    fn allowlisted_host_via_decide() {
        let p = policy();
        let r = gmail();
        let d = p.connect(
            &Host::Name("smtp.gmail.com".into()),
            465,
            Transport::Tcp,
            &r,
        );
        assert_eq!(
            d,
            Decision::Allow(Addrs::from(vec![
                a("142.250.1.108"),
                a("2607:f8b0:4023:c0b::6c")
            ]))
        );
        // On a port that is not its entry's, the same name is a Google range.
        let d = p.connect(
            &Host::Name("smtp.gmail.com".into()),
            443,
            Transport::Tcp,
            &r,
        );
        assert_eq!(
            d,
            Decision::Deny(google("142.250.1.108", None, "142.250.0.0/15"))
        );
    }

    #[test]
    fn ordinary_connects_never_resolve_allowlist_names() {
        let p = policy();
        let r = FixedResolver::new();
        for port in [80, 443, 53, 8080] {
            let _ = p.connect(&Host::Ip(a("1.2.3.4")), port, Transport::Tcp, &r);
        }
        assert_eq!(r.calls(), 0);
    }

    // ---- port 25 and order ----

    #[test]
    fn port_25() {
        let p = policy();
        for addr in ["1.2.3.4", "10.0.0.1", "2606:4700::1", "8.8.8.8"] {
            assert_eq!(check(&p, addr, 25), Err(Reason::Port25), "{addr}");
        }
        assert_eq!(check(&p, "1.2.3.4", 587), Ok(()));
        assert_eq!(
            p.check_addr(a("1.2.3.4"), 25, Transport::Udp, &FixedResolver::new()),
            Err(Reason::Port25)
        );
        let p = with_rules("smtp.internal:25, 10.0.0.0/8:25", "");
        let r = FixedResolver::new().with("smtp.internal", &[a("1.2.3.4")]);
        assert_eq!(p.check_addr(a("1.2.3.4"), 25, Transport::Tcp, &r), Ok(()));
        assert_eq!(p.check_addr(a("10.9.9.9"), 25, Transport::Tcp, &r), Ok(()));
        assert_eq!(
            p.check_addr(a("1.2.3.5"), 25, Transport::Tcp, &r),
            Err(Reason::Port25)
        );
    }

    // ---- operator rules ----

    #[test]
    fn operator_rules() {
        let rule = |s: &str| Err(Reason::Rule { rule: s.to_owned() });
        let r = FixedResolver::new()
            .with("db.internal", &[a("10.0.0.5")])
            .with("evil.example", &[a("1.2.3.4"), a("2606:4700::6")]);
        let p = with_rules(
            "10.0.0.0/8:80, db.internal:5432, [fd00::/8]:443, 1.2.3.0/24:*, [::1]:*",
            "10.9.0.0/16:*, 1.2.3.4:80, evil.example:1000-2000, 8.8.8.8:53",
        );
        let table: &[(&str, u16, Result<(), Reason>)] = &[
            ("10.1.2.3", 80, Ok(())),
            (
                "10.1.2.3",
                81,
                Err(blocked("10.1.2.3", None, "private-use", "10.0.0.0/8")),
            ),
            ("::ffff:10.1.2.3", 80, Ok(())),
            ("10.9.0.1", 80, rule("10.9.0.0/16:*")),
            ("::ffff:10.9.0.1", 80, rule("10.9.0.0/16:*")),
            ("64:ff9b::10.9.0.1", 80, rule("10.9.0.0/16:*")),
            ("2002:a09:1::", 80, rule("10.9.0.0/16:*")),
            ("1.2.3.4", 80, rule("1.2.3.4:80")),
            ("1.2.3.4", 81, Ok(())),
            ("1.2.3.4", 1500, rule("evil.example:1000-2000")),
            ("2606:4700::6", 1000, rule("evil.example:1000-2000")),
            ("::ffff:1.2.3.4", 1500, rule("evil.example:1000-2000")),
            ("2606:4700::6", 999, Ok(())),
            ("10.0.0.5", 5432, Ok(())),
            (
                "10.0.0.6",
                5432,
                Err(blocked("10.0.0.6", None, "private-use", "10.0.0.0/8")),
            ),
            ("fd12::1", 443, Ok(())),
            (
                "fd12::1",
                80,
                Err(blocked("fd12::1", None, "unique-local", "fc00::/7")),
            ),
            ("::1", 6379, Ok(())),
            ("1.2.3.9", 25, Ok(())),
            ("8.8.8.8", 53, rule("8.8.8.8:53")),
            ("8.8.4.4", 53, Ok(())),
        ];
        for (addr, port, want) in table {
            assert_eq!(
                &p.check_addr(a(addr), *port, Transport::Tcp, &r),
                want,
                "{addr}:{port}"
            );
        }
    }

    #[test]
    fn deny_wins_over_allow() {
        let p = with_rules(
            "10.0.0.0/8:*, 1.2.3.4:80, h:80",
            "10.0.0.0/8:80, 1.2.3.4:*, h:80",
        );
        let r = FixedResolver::new().with("h", &[a("5.6.7.8")]);
        let table: &[(&str, u16, Result<(), Reason>)] = &[
            (
                "10.0.0.1",
                80,
                Err(Reason::Rule {
                    rule: "10.0.0.0/8:80".into(),
                }),
            ),
            ("10.0.0.1", 81, Ok(())),
            (
                "1.2.3.4",
                80,
                Err(Reason::Rule {
                    rule: "1.2.3.4:*".into(),
                }),
            ),
            (
                "5.6.7.8",
                80,
                Err(Reason::Rule {
                    rule: "h:80".into(),
                }),
            ),
        ];
        for (addr, port, want) in table {
            assert_eq!(
                &p.check_addr(a(addr), *port, Transport::Tcp, &r),
                want,
                "{addr}:{port}"
            );
        }
    }

    #[test]
    fn deny_host_rule_fails_closed_on_lookup_failure() {
        let p = with_rules("", "flaky.example:443, gone.example:443");
        let r = FixedResolver::new().with_error(
            "flaky.example",
            ResolveError::Timeout {
                name: "flaky.example".into(),
            },
        );
        assert_eq!(
            p.check_addr(a("1.2.3.4"), 443, Transport::Tcp, &r),
            Err(Reason::Dns {
                host: "flaky.example".into(),
                error: ResolveError::Timeout {
                    name: "flaky.example".into()
                },
            })
        );
        // NotFound (gone.example) cannot match; other ports never resolve.
        let p = with_rules("", "gone.example:443");
        assert_eq!(p.check_addr(a("1.2.3.4"), 443, Transport::Tcp, &r), Ok(()));
        let p = with_rules("", "flaky.example:443");
        assert_eq!(p.check_addr(a("1.2.3.4"), 80, Transport::Tcp, &r), Ok(()));
    }

    #[test]
    fn allow_host_rule_lookup_failure_falls_through() {
        let p = with_rules("flaky.example:443", "");
        let r = FixedResolver::new().with_error(
            "flaky.example",
            ResolveError::Timeout {
                name: "flaky.example".into(),
            },
        );
        assert_eq!(
            p.check_addr(a("10.0.0.1"), 443, Transport::Tcp, &r),
            Err(blocked("10.0.0.1", None, "private-use", "10.0.0.0/8"))
        );
        assert_eq!(p.check_addr(a("1.2.3.4"), 443, Transport::Tcp, &r), Ok(()));
    }

    // ---- domain rules ----

    #[test]
    fn domain_rules_on_the_name_asked_for() {
        let r = FixedResolver::new()
            .with("api.example.com", &[a("93.184.216.34")])
            .with("gmail.example.com", &[a("142.250.1.108")])
            .with("mail.example.com", &[a("93.184.216.35")])
            .with("internal.example.com", &[a("10.0.0.5")])
            .with("meta.example.com", &[a("169.254.169.254")])
            .with("loop.example.com", &[a("127.0.0.1"), a("93.184.216.34")])
            .with("example.com", &[a("142.250.1.108")])
            .with("other.test", &[a("142.250.1.108")]);
        let name = |s: &str| Host::Name(s.into());
        let p = with_rules("*.example.com:*", "");
        let g = |addr: &str| google(addr, None, "142.250.0.0/15");
        // (host, port, decision)
        let table: Vec<(Host, u16, Decision)> = vec![
            // Public addresses, pinned as always.
            (
                name("api.example.com"),
                443,
                Decision::Allow(Addrs::from(a("93.184.216.34"))),
            ),
            // A name under the domain reaches Google's ranges and port 25.
            (
                name("gmail.example.com"),
                443,
                Decision::Allow(Addrs::from(a("142.250.1.108"))),
            ),
            (
                name("mail.example.com"),
                25,
                Decision::Allow(Addrs::from(a("93.184.216.35"))),
            ),
            // Never a special-purpose block, for any of the name's addresses.
            (
                name("internal.example.com"),
                443,
                Decision::Deny(blocked("10.0.0.5", None, "private-use", "10.0.0.0/8")),
            ),
            (
                name("meta.example.com"),
                80,
                Decision::Deny(blocked(
                    "169.254.169.254",
                    None,
                    "link-local",
                    "169.254.0.0/16",
                )),
            ),
            (
                name("loop.example.com"),
                80,
                Decision::Deny(blocked("127.0.0.1", None, "loopback", "127.0.0.0/8")),
            ),
            // The apex and other names: the built-in rules.
            (name("example.com"), 443, Decision::Deny(g("142.250.1.108"))),
            (name("other.test"), 443, Decision::Deny(g("142.250.1.108"))),
            // An address literal matches no domain rule.
            (
                Host::Ip(a("142.250.1.108")),
                443,
                Decision::Deny(g("142.250.1.108")),
            ),
            (
                Host::Ip(a("93.184.216.35")),
                25,
                Decision::Deny(Reason::Port25),
            ),
        ];
        for (host, port, want) in table {
            assert_eq!(
                p.connect(&host, port, Transport::Tcp, &r),
                want,
                "{host}:{port}"
            );
        }
        // Only on the rule's ports.
        let p443 = with_rules("*.example.com:443", "");
        assert_eq!(
            p443.connect(&name("mail.example.com"), 25, Transport::Tcp, &r),
            Decision::Deny(Reason::Port25)
        );
        // An address rule still opens a private address to the name.
        let both = with_rules("*.example.com:443,10.0.0.5:443", "");
        assert_eq!(
            both.connect(&name("internal.example.com"), 443, Transport::Tcp, &r),
            Decision::Allow(Addrs::from(a("10.0.0.5")))
        );
    }

    #[test]
    fn domain_deny_rules_deny_before_any_lookup_and_win() {
        let r = FixedResolver::new().with("api.example.com", &[a("93.184.216.34")]);
        let p = with_rules("*.example.com:443,93.184.216.34:443", "*.example.com:443");
        let rule = Decision::Deny(Reason::Rule {
            rule: "*.example.com:443".into(),
        });
        assert_eq!(
            p.connect(
                &Host::Name("api.example.com".into()),
                443,
                Transport::Tcp,
                &r
            ),
            rule
        );
        // Not resolved at all: a name that does not exist is denied by the rule.
        assert_eq!(
            p.connect(
                &Host::Name("gone.example.com".into()),
                443,
                Transport::Tcp,
                &r
            ),
            rule
        );
        assert_eq!(r.calls(), 0);
        // Other ports, the apex and addresses: as without the rule.
        assert_eq!(
            p.connect(
                &Host::Name("api.example.com".into()),
                80,
                Transport::Tcp,
                &r
            ),
            Decision::Allow(Addrs::from(a("93.184.216.34")))
        );
        assert_eq!(check(&p, "93.184.216.34", 443), Ok(()));
        // A deny setting of domain rules only keeps the common connect fast.
        let only = with_rules("", "*.example.com:443");
        let op = Operation::Connect {
            host: &Host::Ip(a("93.184.216.34")),
            port: 443,
            kind: Kind::Transport(Transport::Tcp),
        };
        assert!(only.allows_at_once(&op, Caller::Client).is_some());
    }

    // ---- hostnames ----

    #[test]
    fn hostnames() {
        let r = FixedResolver::new()
            .with("public.test", &[a("1.2.3.4"), a("2606:4700::1")])
            .with("mixed.test", &[a("1.2.3.4"), a("10.0.0.1"), a("5.6.7.8")])
            .with("empty.test", &[])
            .with_error(
                "broken.test",
                ResolveError::Failed {
                    name: "broken.test".into(),
                    detail: "SERVFAIL".into(),
                },
            );
        let p = policy();
        let name = |s: &str| Host::Name(s.into());
        let dns = |host: &str, error| {
            Decision::Deny(Reason::Dns {
                host: host.into(),
                error,
            })
        };
        let table: Vec<(Host, Decision)> = vec![
            (
                name("public.test"),
                Decision::Allow(Addrs::from(vec![a("1.2.3.4"), a("2606:4700::1")])),
            ),
            (
                name("mixed.test"),
                Decision::Deny(blocked("10.0.0.1", None, "private-use", "10.0.0.0/8")),
            ),
            (
                name("missing.test"),
                dns(
                    "missing.test",
                    ResolveError::NotFound {
                        name: "missing.test".into(),
                    },
                ),
            ),
            (
                name("empty.test"),
                dns(
                    "empty.test",
                    ResolveError::NotFound {
                        name: "empty.test".into(),
                    },
                ),
            ),
            (
                name("broken.test"),
                dns(
                    "broken.test",
                    ResolveError::Failed {
                        name: "broken.test".into(),
                        detail: "SERVFAIL".into(),
                    },
                ),
            ),
        ];
        for (host, want) in table {
            let before = r.calls();
            assert_eq!(p.connect(&host, 443, Transport::Tcp, &r), want, "{host}");
            assert_eq!(r.calls() - before, 1, "{host} resolved once");
        }
    }

    #[test]
    fn closure_resolver() {
        let p = policy();
        let r = |name: &str| -> Result<Vec<IpAddr>, ResolveError> {
            match name {
                "x.test" => Ok(vec![a("9.9.9.9")]),
                _ => Err(ResolveError::NotFound { name: name.into() }),
            }
        };
        assert!(p
            .connect(&Host::Name("x.test".into()), 443, Transport::Tcp, &r)
            .is_allowed());
    }

    // ---- transports ----

    #[test]
    fn transports() {
        let p = with_rules(
            "unix:/run/mysqld/mysqld.sock, udg:/run/log.sock, unix:/run/denied.sock",
            "unix:/run/denied.sock",
        );
        let r = FixedResolver::new();
        let path = |s: &str| Host::Path(s.into());
        let transport = |s: &str| Decision::Deny(Reason::Transport { name: s.into() });
        let table: Vec<(Host, Transport, Decision)> = vec![
            (Host::Ip(a("1.2.3.4")), Transport::Raw, transport("raw")),
            (
                path("/run/mysqld/mysqld.sock"),
                Transport::Unix,
                Decision::Allow(Addrs::from(vec![])),
            ),
            (
                path("/run/mysqld/mysqld.sock"),
                Transport::Udg,
                transport("udg"),
            ),
            (
                path("/run/log.sock"),
                Transport::Udg,
                Decision::Allow(Addrs::from(vec![])),
            ),
            (path("/run/other.sock"), Transport::Unix, transport("unix")),
            (
                path("/run/denied.sock"),
                Transport::Unix,
                Decision::Deny(Reason::Rule {
                    rule: "unix:/run/denied.sock".into(),
                }),
            ),
            (Host::Ip(a("1.2.3.4")), Transport::Unix, transport("unix")),
            (Host::Name("x".into()), Transport::Udg, transport("udg")),
            (
                path("/run/x"),
                Transport::Tcp,
                Decision::Deny(Reason::Target {
                    input: "/run/x".into(),
                    error: "a socket path needs the unix or udg transport, not tcp".into(),
                }),
            ),
            (
                Host::Ip(a("1.2.3.4")),
                Transport::Udp,
                Decision::Allow(Addrs::from(vec![a("1.2.3.4")])),
            ),
        ];
        for (host, t, want) in table {
            assert_eq!(p.connect(&host, 80, t, &r), want, "{host}/{t}");
        }
        assert!(policy()
            .connect(&path("/run/mysqld/mysqld.sock"), 0, Transport::Unix, &r)
            .reason()
            .is_some());
        for t in [Transport::Unix, Transport::Udg, Transport::Raw] {
            assert_eq!(
                p.check_addr(a("1.2.3.4"), 80, t, &r),
                Err(Reason::Transport {
                    name: t.name().into()
                })
            );
        }
    }

    // ---- settings ----

    #[test]
    fn bad_settings_name_the_setting() {
        let table: Vec<(Settings, &str, &str)> = vec![
            (
                Settings {
                    allow: "10.0.0.1".into(),
                    ..Settings::default()
                },
                "sockguard.allow",
                "invalid sockguard.allow: rule \"10.0.0.1\" has no port",
            ),
            (
                Settings {
                    deny: "1.2.3.4:99999".into(),
                    ..Settings::default()
                },
                "sockguard.deny",
                "invalid sockguard.deny: rule \"1.2.3.4:99999\": invalid port",
            ),
            (
                Settings {
                    ranges_json: Some("{".into()),
                    ..Settings::default()
                },
                "sockguard.ranges_file",
                "invalid sockguard.ranges_file: not a goog.json file",
            ),
            (
                Settings {
                    ranges_json: Some(r#"{"prefixes":[{"ipv4Prefix":"x"}]}"#.into()),
                    ..Settings::default()
                },
                "sockguard.ranges_file",
                "invalid sockguard.ranges_file: prefix entry 0: invalid ipv4Prefix \"x\"",
            ),
        ];
        for (settings, name, message) in table {
            let err = Policy::new(&settings).unwrap_err();
            assert!(
                matches!(&err, Reason::Config { setting, .. } if *setting == name),
                "{err:?}"
            );
            assert_eq!(err.code(), "config");
            assert!(err.to_string().starts_with(message), "{err}");
        }
    }

    #[test]
    fn ranges_file_replaces_snapshot() {
        let p = Policy::new(&Settings {
            ranges_json: Some(
                r#"{"creationTime":"t","prefixes":[{"ipv4Prefix":"1.2.3.0/24"}]}"#.into(),
            ),
            ..Settings::default()
        })
        .unwrap();
        assert_eq!(
            check(&p, "1.2.3.4", 80),
            Err(google("1.2.3.4", None, "1.2.3.0/24"))
        );
        assert_eq!(check(&p, "142.250.1.108", 80), Ok(()));
        assert_eq!(
            check(&p, "10.0.0.1", 80),
            Err(blocked("10.0.0.1", None, "private-use", "10.0.0.0/8"))
        );
        let info = p.describe();
        assert_eq!(info.ranges_source, "sockguard.ranges_file");
        assert_eq!((info.google_prefixes_v4, info.google_prefixes_v6), (1, 0));
    }

    #[test]
    fn describe() {
        let p = with_rules(" 10.0.0.0/8:80 , unix:/s", "1.2.3.4:*");
        let info = p.describe();
        assert_eq!(info.allowlist, allowlist::describe());
        assert_eq!(info.allowlist[0], "8.8.8.8:53/tcp+udp");
        assert_eq!(info.allow_rules, ["10.0.0.0/8:80", "unix:/s"]);
        assert_eq!(info.deny_rules, ["1.2.3.4:*"]);
        assert_eq!(info.ranges_source, "embedded");
        assert_eq!(info.ranges_creation_time, "2024-04-25T07:05:03.68994");
        assert_eq!(info.ranges_sync_token, "1714053903689");
        assert_eq!((info.google_prefixes_v4, info.google_prefixes_v6), (73, 11));
        assert_eq!(info.special_blocks_v4, ranges::SPECIAL_V4.len());
        assert_eq!(info.special_blocks_v6, ranges::SPECIAL_V6.len());
    }

    #[test]
    fn parsed_targets_end_to_end() {
        let p = policy();
        let r = FixedResolver::new();
        let table: &[(&str, bool)] = &[
            ("tcp://127.1:80", false),
            ("0x7f.1:80", false),
            ("017700000001:80", false),
            ("2130706433:80", false),
            ("127.0.0.1.:80", false),
            ("127.0.0.1 :80", false),
            ("[::ffff:127.0.0.1]:80", false),
            ("[::ffff:7f00:1]:80", false),
            ("[64:ff9b::7f00:1]:80", false),
            ("udp://10.1:53", false),
            ("tls://1.2.3.4:443", true),
            ("udp://8.8.8.8:53", true),
            ("[2606:4700::1111]:443", true),
        ];
        for &(input, want) in table {
            let t = parse_target(input).unwrap();
            let d = p.connect(&t.host, t.port.unwrap(), t.transport, &r);
            assert_eq!(d.is_allowed(), want, "{input}: {d:?}");
        }
    }

    // ---- properties ----

    /// Spells an IPv4 address in `parts` parts, each in a base.
    fn spell_v4(addr: u32, parts: usize, bases: [u8; 4]) -> String {
        let b = addr.to_be_bytes();
        let vals: Vec<u32> = match parts {
            1 => vec![addr],
            2 => vec![u32::from(b[0]), addr & 0x00ff_ffff],
            3 => vec![u32::from(b[0]), u32::from(b[1]), addr & 0xffff],
            _ => b.iter().map(|&x| u32::from(x)).collect(),
        };
        vals.iter()
            .zip(bases.iter())
            .map(|(&v, &base)| match base {
                0 => v.to_string(),
                1 => format!("0{v:o}"),
                2 => format!("0x{v:x}"),
                _ => format!("0X{v:X}"),
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    fn addr_in(net: &IpNet, offset: u128) -> IpAddr {
        match net {
            IpNet::V4(v) => {
                let size = u128::from(u32::from(v.hostmask())) + 1;
                let x = u128::from(u32::from(v.network())) + offset % size;
                IpAddr::V4(Ipv4Addr::from(u32::try_from(x).unwrap()))
            }
            IpNet::V6(v) => {
                let mask = u128::from(v.hostmask());
                IpAddr::V6(Ipv6Addr::from(u128::from(v.network()) | (offset & mask)))
            }
        }
    }

    /// The policy without the clear-/16 map: every address takes the indexes.
    fn without_clear_map(mut p: Policy) -> Policy {
        p.clear_v4 = Arc::new(clear::ClearV4::build(
            [n("0.0.0.0/0")].into_iter().filter_map(|net| match net {
                IpNet::V4(v4) => Some(v4),
                IpNet::V6(_) => None,
            }),
        ));
        p
    }

    #[test]
    fn the_clear_map_changes_no_answer_at_the_edges_of_blocked_ranges() {
        let (fast, slow) = (policy(), without_clear_map(policy()));
        let edges = ranges::SPECIAL_V4
            .iter()
            .map(|row| row.prefix)
            .chain(fast.google.prefixes().iter().copied())
            .filter_map(|net| match net {
                IpNet::V4(v4) => Some(v4),
                IpNet::V6(_) => None,
            })
            .flat_map(|net| {
                let (lo, hi) = (u32::from(net.network()), u32::from(net.broadcast()));
                [lo.wrapping_sub(1), lo, hi, hi.wrapping_add(1)]
            });
        for x in edges {
            for port in [25, 53, 80, 465] {
                let addr = IpAddr::V4(Ipv4Addr::from(x));
                let r = FixedResolver::new();
                assert_eq!(
                    fast.check_addr(addr, port, Transport::Tcp, &r),
                    slow.check_addr(addr, port, Transport::Tcp, &r),
                    "{addr}:{port}"
                );
            }
        }
        // The map is used at all: a public address outside Google is clear.
        assert!(fast.clear_v4.is_clear(Ipv4Addr::new(93, 184, 216, 34)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn an_answer_at_once_is_the_general_answer(
            x in any::<u32>(),
            port in prop_oneof![Just(25u16), Just(53), Just(80), any::<u16>()],
            kind in 0usize..8,
            which in 0usize..3,
            caller in 0usize..4,
            paid in any::<bool>(),
            deny in prop_oneof![Just(""), Just("10.0.0.0/8:*"), Just("93.184.0.0/16:80")],
        ) {
            let settings = Settings { paid_app: paid, deny: deny.into(), ..Settings::default() };
            let fast = Policy::new(&settings).unwrap();
            let slow = without_clear_map(fast.clone());
            let host = Host::Ip(IpAddr::V4(Ipv4Addr::from(x)));
            let kind = [
                Kind::Transport(Transport::Tcp),
                Kind::Transport(Transport::Udp),
                Kind::Stream("tls"),
                Kind::Socket { family: libc::AF_INET, sotype: libc::SOCK_STREAM, protocol: 0 },
                Kind::Socket { family: libc::AF_INET6, sotype: libc::SOCK_DGRAM, protocol: 0 },
                Kind::Socket { family: libc::AF_INET, sotype: libc::SOCK_RAW, protocol: 1 },
                Kind::Socket { family: libc::AF_UNIX, sotype: libc::SOCK_STREAM, protocol: 0 },
                Kind::Socket { family: libc::AF_PACKET, sotype: libc::SOCK_DGRAM, protocol: 0 },
            ][kind];
            let caller = [Caller::Client, Caller::SocketsApi, Caller::Library { serving: true },
                Caller::Library { serving: false }][caller];
            let op = [
                Operation::Connect { host: &host, port, kind },
                Operation::Create(kind),
                Operation::Pair(kind),
            ][which];
            let r = FixedResolver::new();
            let general = slow.decide(&op, caller, &r);
            match fast.allows_at_once(&op, caller) {
                Some(addrs) => prop_assert_eq!(&general, &Decision::Allow(addrs)),
                // Making a socket is answered at once whenever it is allowed.
                None if which > 0 => prop_assert!(!matches!(general, Decision::Allow(_))),
                None => {}
            }
            if which == 0 {
                // Without the map, every connect takes the general steps.
                prop_assert_eq!(slow.allows_at_once(&op, caller), None);
            }
            prop_assert_eq!(fast.decide(&op, caller, &r), general);
        }

        #[test]
        fn the_clear_map_changes_no_answer(x in any::<u32>(), port in any::<u16>(), udp in any::<bool>()) {
            let (fast, slow) = (policy(), without_clear_map(policy()));
            let (addr, r) = (IpAddr::V4(Ipv4Addr::from(x)), FixedResolver::new());
            let t = if udp { Transport::Udp } else { Transport::Tcp };
            prop_assert_eq!(fast.check_addr(addr, port, t, &r), slow.check_addr(addr, port, t, &r));
        }

        #[test]
        fn blocked_ipv4_denied_in_every_spelling(
            row in 0..ranges::SPECIAL_V4.len(),
            offset in any::<u128>(),
            parts in 1usize..=4,
            bases in any::<[u8; 4]>(),
            form in 0u8..9,
            port in any::<u16>(),
        ) {
            let p = policy();
            let IpAddr::V4(v4) = addr_in(&ranges::SPECIAL_V4[row].prefix, offset) else {
                unreachable!()
            };
            let x = u32::from(v4);
            let bases = bases.map(|b| b % 4);
            let o = v4.octets();
            let target = match form {
                0 => format!("{}:{port}", spell_v4(x, parts, bases)),
                1 => format!("tcp://{}.:{port}", spell_v4(x, parts, bases)),
                2 => format!("udp://{} junk:{port}", spell_v4(x, parts, bases)),
                3 => format!("[::ffff:{v4}]:{port}"),
                4 => format!("[::ffff:{:x}:{:x}]:{port}", x >> 16, x & 0xffff),
                5 => format!("[64:ff9b::{v4}]:{port}"),
                6 => format!("[::{v4}]:{port}"),
                7 => format!("[2002:{:x}:{:x}::1]:{port}", x >> 16, x & 0xffff),
                _ => format!(
                    "[64:ff9b:1:{:x}:{:x}:{:x}::]:{port}",
                    u16::from_be_bytes([o[0], o[1]]),
                    o[2],
                    u16::from(o[3]) << 8
                ),
            };
            let t = parse_target(&target).unwrap();
            let d = p.connect(&t.host, t.port.unwrap(), t.transport, &FixedResolver::new());
            prop_assert!(!d.is_allowed(), "{} -> {:?}", target, d);
        }

        #[test]
        fn blocked_ipv6_denied(
            row in 0..ranges::SPECIAL_V6.len(),
            offset in any::<u128>(),
            port in any::<u16>(),
        ) {
            let r = &ranges::SPECIAL_V6[row];
            prop_assume!(r.kind == RowKind::Block);
            let addr = addr_in(&r.prefix, offset);
            let d = policy().connect(&Host::Ip(addr), port, Transport::Tcp, &FixedResolver::new());
            prop_assert!(!d.is_allowed(), "{} -> {:?}", addr, d);
        }

        #[test]
        /// A wildcard allow never opens a special-purpose block: for any
        /// address a name under it resolves to, the decision is the one
        /// without the rule, except that port 25 and Google's ranges open.
        #[test]
        fn wildcard_allow_never_opens_blocked_ranges(addr in any::<IpAddr>(), port in any::<u16>()) {
            let r = FixedResolver::new().with("x.example.com", &[addr]);
            let host = Host::Name("x.example.com".into());
            let without = policy().connect(&host, port, Transport::Tcp, &r);
            let with = with_rules("*.example.com:*", "").connect(&host, port, Transport::Tcp, &r);
            match &without {
                Decision::Deny(Reason::Port25 | Reason::GoogleRange { .. }) => {
                    // Opened, unless a special-purpose block also applies.
                    prop_assert!(
                        matches!(with, Decision::Allow(_) | Decision::Deny(Reason::BlockedRange { .. })),
                        "{without:?} -> {with:?}"
                    );
                }
                _ => prop_assert_eq!(&with, &without),
            }
            if matches!(with, Decision::Allow(_)) {
                // And then the address is not in a special-purpose block.
                let embedded = match addr {
                    IpAddr::V6(v6) => embedded_v4(v6),
                    IpAddr::V4(_) => None,
                };
                let ranges = policy().check_ranges(addr, embedded);
                prop_assert!(
                    matches!(ranges, Ok(()) | Err(Reason::GoogleRange { .. })),
                    "{addr}: {ranges:?}"
                );
            }
        }

        #[test]
        fn decide_agrees_with_check_addr(addr in any::<IpAddr>(), port in any::<u16>(), udp in any::<bool>()) {
            let p = policy();
            let r = FixedResolver::new();
            let t = if udp { Transport::Udp } else { Transport::Tcp };
            let d = p.connect(&Host::Ip(addr), port, t, &r);
            match p.check_addr(addr, port, t, &r) {
                Ok(()) => prop_assert_eq!(d, Decision::Allow(Addrs::from(vec![addr]))),
                Err(reason) => prop_assert_eq!(d, Decision::Deny(reason)),
            }
        }

        #[test]
        fn any_target_string_never_panics(s in ".{0,64}", port in any::<u16>()) {
            let p = policy();
            if let Ok(t) = parse_target(&s) {
                let _ = p.connect(&t.host, t.port.unwrap_or(port), t.transport, &FixedResolver::new());
            }
        }
    }
}

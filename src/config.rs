//! The php.ini settings (names, defaults, documentation) and the effective
//! configuration built from their values. Pure: the hook side reads the ini
//! strings and hands them over, and what is read from the system (the
//! ranges file, `/etc/resolv.conf`, whether the audit log can be written)
//! comes through [`System`]; nothing here touches the engine.
//!
//! A setting that cannot be parsed never widens what is allowed: an empty
//! or unknown mode means enforce (only the word `off` turns sockguard off),
//! an unreadable `paid_app` means not paid, and a bad rule list, resolver
//! or ranges file makes the policy deny every connection with a `config`
//! reason that names the setting. Each such problem is reported.

use std::{fmt, io, net::IpAddr, time::Duration};

use std::sync::{Arc, Mutex, PoisonError};

use crate::{
    policy::{Caller, Decision, Operation, Policy, Reason, Settings, SockOpt},
    resolve::{parse_resolver_spec, AnyLookup, CachingResolver, DnsLookup, SystemLookup},
    stats,
};

/// What building a configuration reads from the system, injected so that
/// [`Config::from_ini`] stays testable.
pub trait System {
    /// The contents of a file (`sockguard.ranges_file`, `/etc/resolv.conf`).
    ///
    /// # Errors
    /// The I/O error.
    fn read_file(&self, path: &str) -> io::Result<String>;

    /// Whether records can be appended to `path` (`sockguard.audit_log`).
    ///
    /// # Errors
    /// The I/O error that appending would meet.
    fn can_append(&self, path: &str) -> io::Result<()>;
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealSystem;

impl System for RealSystem {
    fn read_file(&self, path: &str) -> io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn can_append(&self, path: &str) -> io::Result<()> {
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map(drop)
    }
}

/// Where the system resolver's configuration lives.
pub const RESOLV_CONF: &str = "/etc/resolv.conf";

/// The nameservers of a resolv.conf: its `nameserver` lines, or the local
/// machine when there are none (as glibc's resolver does).
pub fn nameservers(resolv_conf: &str) -> Vec<IpAddr> {
    let listed: Vec<IpAddr> = resolv_conf
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("nameserver"))
                .then(|| words.next())
                .flatten()
        })
        .filter_map(|addr| addr.split('%').next()?.parse().ok())
        .collect();
    if listed.is_empty() {
        vec![IpAddr::from([127, 0, 0, 1])]
    } else {
        listed
    }
}

/// One php.ini setting: its name, its default and what it means.
#[derive(Debug, Clone, Copy)]
pub struct IniSetting {
    /// Full name, e.g. `sockguard.mode`.
    pub name: &'static str,
    /// Default value as php.ini would spell it.
    pub default: &'static str,
    /// One line for phpinfo and the docs.
    pub doc: &'static str,
}

/// `sockguard.mode`: enforce, report or off.
pub const MODE: IniSetting = IniSetting {
    name: "sockguard.mode",
    default: "enforce",
    doc: "enforce: deny; report: allow and log what would be denied; \"off\" (quoted in php.ini): no checks",
};
/// `sockguard.paid_app`: 0 denies the Sockets API.
pub const PAID_APP: IniSetting = IniSetting {
    name: "sockguard.paid_app",
    default: "1",
    doc: "0: fsockopen, stream_socket_client and socket_create* are denied",
};
/// `sockguard.app_id`: owner of sockets and persistent ids.
pub const APP_ID: IniSetting = IniSetting {
    name: "sockguard.app_id",
    default: "",
    doc: "owner of sockets and persistent ids; empty: $GAE_APPLICATION or \"default\"",
};
/// `sockguard.idle_timeout`: seconds before an idle socket is reclaimed.
pub const IDLE_TIMEOUT: IniSetting = IniSetting {
    name: "sockguard.idle_timeout",
    default: "120",
    doc: "seconds a socket may stay unused before it is reclaimed; 0 disables",
};
/// `sockguard.allow`: operator allow rules.
pub const ALLOW: IniSetting = IniSetting {
    name: "sockguard.allow",
    default: "",
    doc: "extra allow rules: host:port, ip:port, cidr:port, [v6]:port, unix:/path",
};
/// `sockguard.deny`: operator deny rules (win over allow).
pub const DENY: IniSetting = IniSetting {
    name: "sockguard.deny",
    default: "",
    doc: "extra deny rules, same syntax as sockguard.allow; deny wins",
};
/// `sockguard.ranges_file`: replaces the embedded Google ranges snapshot.
pub const RANGES_FILE: IniSetting = IniSetting {
    name: "sockguard.ranges_file",
    default: "",
    doc: "goog.json-format file replacing the embedded Google ranges snapshot",
};
/// `sockguard.resolver`: system, or dns:IP[,IP].
pub const RESOLVER: IniSetting = IniSetting {
    name: "sockguard.resolver",
    default: "system",
    doc: "system (getaddrinfo), or dns:IP[,IP]",
};
/// `sockguard.passthrough_options`: socket options handed to the OS.
pub const PASSTHROUGH_OPTIONS: IniSetting = IniSetting {
    name: "sockguard.passthrough_options",
    default: "",
    doc: "comma-separated socket options passed to the OS instead of mocked or refused",
};
/// `sockguard.audit_log`: path, `stderr` or `syslog`.
pub const AUDIT_LOG: IniSetting = IniSetting {
    name: "sockguard.audit_log",
    default: "",
    doc: "path, stderr or syslog: one JSON record per denial",
};
/// `sockguard.syslog_facility`: the facility of `audit_log = syslog`.
pub const SYSLOG_FACILITY: IniSetting = IniSetting {
    name: "sockguard.syslog_facility",
    default: "user",
    doc: "syslog facility of audit_log = syslog: user, daemon, auth, authpriv, local0..local7, ...",
};
/// `sockguard.syslog_ident`: the ident of `audit_log = syslog`.
pub const SYSLOG_IDENT: IniSetting = IniSetting {
    name: "sockguard.syslog_ident",
    default: "sockguard",
    doc: "syslog ident (journald's SYSLOG_IDENTIFIER) of audit_log = syslog",
};

/// `sockguard.allow_ffi`: FFI may be used.
pub const ALLOW_FFI: IniSetting = IniSetting {
    name: "sockguard.allow_ffi",
    default: "0",
    doc: "1: PHP's FFI may be used (it can call any C function, past every check)",
};

/// Every setting, in the order phpinfo shows them.
pub const ALL: [IniSetting; 13] = [
    MODE,
    PAID_APP,
    APP_ID,
    IDLE_TIMEOUT,
    ALLOW,
    DENY,
    RANGES_FILE,
    RESOLVER,
    PASSTHROUGH_OPTIONS,
    AUDIT_LOG,
    SYSLOG_FACILITY,
    SYSLOG_IDENT,
    ALLOW_FFI,
];

/// The raw values of [`ALL`], in the same order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IniValues(pub [String; ALL.len()]);

impl IniValues {
    /// The defaults, as if no php.ini line set anything.
    pub fn defaults() -> Self {
        Self(ALL.map(|s| s.default.to_owned()))
    }

    fn get(&self, setting: IniSetting) -> &str {
        ALL.iter()
            .position(|s| s.name == setting.name)
            .map_or("", |i| self.0[i].as_str())
    }
}

/// What the hooks do with a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Deny what the policy denies.
    Enforce,
    /// Allow everything; log what enforce would deny.
    Report,
    /// Every hook passes straight through.
    Off,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Enforce => "enforce",
            Mode::Report => "report",
            Mode::Off => "off",
        })
    }
}

/// Reads `sockguard.mode`. php.ini's parser turns the bare words
/// off/no/false/none/null into "" (and on/yes/true into "1"), and so does
/// an unset `${VAR}` or a line with no value: an empty value therefore
/// cannot be told apart from a mistake, and enforces. Only the word `off`
/// itself, which survives the parser when quoted (`sockguard.mode =
/// "off"`), turns sockguard off.
///
/// # Errors
/// The problem to report when the value is not a mode; enforce is then in
/// force.
pub fn parse_mode(value: &str) -> Result<Mode, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "enforce" | "1" => Ok(Mode::Enforce),
        "report" => Ok(Mode::Report),
        "off" => Ok(Mode::Off),
        "" => Err(format!(
            "{} is empty (php.ini turns a bare off into an empty value); enforcing. \
             Write {} = \"off\" to turn sockguard off",
            MODE.name, MODE.name
        )),
        other => Err(format!(
            "{}: unknown mode \"{other}\" (enforce, report or \"off\"); enforcing",
            MODE.name
        )),
    }
}

/// What a hook should do after the policy and the mode had their say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Go ahead, connecting to these checked addresses (empty: nothing to pin).
    Allow(crate::policy::Addrs),
    /// Answer a socket option with App Engine's fixed value.
    Mock(crate::policy::MockValue),
    /// Fail the call with this reason.
    Deny(Reason),
    /// Report mode: log this reason, then run the call untouched.
    Report(Reason),
}

/// The effective configuration of this process (or FPM pool).
#[derive(Debug)]
pub struct Config {
    /// enforce, report or off.
    pub mode: Mode,
    /// Owner of sockets and persistent ids.
    pub app_id: String,
    /// Idle time after which a socket is reclaimed; `None` disables.
    pub idle_timeout: Option<Duration>,
    /// Where denials are logged as JSON lines, if anywhere (`syslog`: to
    /// the host's log, as [`Config::syslog`] says).
    pub audit_log: Option<String>,
    /// Facility and ident of `audit_log = syslog`.
    pub syslog: crate::audit::Syslog,
    /// The policy, or the configuration error that makes every check deny.
    pub policy: Result<Policy, Reason>,
    /// Problems found in the settings, to be shown as warnings.
    pub problems: Vec<String>,
    /// The resolver `sockguard.resolver` names, with its cache.
    pub resolver: Arc<CachingResolver<AnyLookup>>,
    /// `app_id` interned in the metrics table, once.
    metrics_app: std::sync::OnceLock<crate::metrics::Label>,
    /// Where the allowed calls of the functions with hooks of their own are
    /// counted.
    allowed_counters: crate::metrics::AllowedCounters,
}

/// The process-wide resolver for a server list (empty: the system
/// resolver), so that every configuration naming the same servers shares
/// one cache.
fn resolver_for(servers: Vec<IpAddr>) -> Arc<CachingResolver<AnyLookup>> {
    type Shared = Arc<CachingResolver<AnyLookup>>;
    static RESOLVERS: Mutex<Vec<(Vec<IpAddr>, Shared)>> = Mutex::new(Vec::new());
    // The list only ever holds complete entries: a panic elsewhere while it
    // was locked leaves nothing half-written.
    let mut resolvers = RESOLVERS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, r)) = resolvers.iter().find(|(s, _)| *s == servers) {
        return Arc::clone(r);
    }
    let r = Arc::new(CachingResolver::new(if servers.is_empty() {
        AnyLookup::System(SystemLookup)
    } else {
        AnyLookup::Dns(DnsLookup::new(servers.clone()))
    }));
    resolvers.push((servers, Arc::clone(&r)));
    r
}

/// Reads a php.ini boolean the way `zend_ini_parse_bool` does, or `None`
/// when it is not one: "1", "0", on/yes/true, off/no/false/none, "" (what
/// the parser makes of a bare off), and integers.
fn ini_bool(value: &str) -> Option<bool> {
    let v = value.trim();
    if ["true", "yes", "on"]
        .iter()
        .any(|w| v.eq_ignore_ascii_case(w))
    {
        return Some(true);
    }
    if v.is_empty()
        || ["false", "no", "off", "none"]
            .iter()
            .any(|w| v.eq_ignore_ascii_case(w))
    {
        return Some(false);
    }
    v.parse::<i64>().ok().map(|n| n != 0)
}

impl Config {
    /// Builds the configuration from raw ini values, reading what it needs
    /// from `system`.
    pub fn from_ini(values: &IniValues, system: &dyn System) -> Self {
        let mut problems = Vec::new();

        let mode = parse_mode(values.get(MODE)).unwrap_or_else(|problem| {
            problems.push(problem);
            Mode::Enforce
        });

        let paid_app = ini_bool(values.get(PAID_APP)).unwrap_or_else(|| {
            problems.push(format!(
                "{}: \"{}\" is not a boolean (1 or 0); the Sockets API is denied",
                PAID_APP.name,
                values.get(PAID_APP)
            ));
            false
        });

        let allow_ffi = ini_bool(values.get(ALLOW_FFI)).unwrap_or_else(|| {
            problems.push(format!(
                "{}: \"{}\" is not a boolean (1 or 0); FFI is denied",
                ALLOW_FFI.name,
                values.get(ALLOW_FFI)
            ));
            false
        });

        let app_id = match values.get(APP_ID).trim() {
            "" => std::env::var("GAE_APPLICATION")
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "default".to_owned()),
            id => id.to_owned(),
        };

        let idle_timeout = match values.get(IDLE_TIMEOUT).trim().parse::<u64>() {
            Ok(0) => None,
            Ok(secs) => Some(Duration::from_secs(secs)),
            Err(_) => {
                problems.push(format!(
                    "{}: \"{}\" is not a number of seconds; using {}",
                    IDLE_TIMEOUT.name,
                    values.get(IDLE_TIMEOUT),
                    IDLE_TIMEOUT.default
                ));
                Some(Duration::from_secs(120))
            }
        };

        let mut passthrough = Vec::new();
        for name in values
            .get(PASSTHROUGH_OPTIONS)
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            match crate::policy::options::by_name(name) {
                Some(opt) => passthrough.push(opt),
                None => problems.push(format!(
                    "{}: unknown socket option \"{name}\" ignored",
                    PASSTHROUGH_OPTIONS.name
                )),
            }
        }

        let audit_log = Some(values.get(AUDIT_LOG).trim())
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        let syslog = crate::audit::Syslog {
            facility: crate::audit::facility(values.get(SYSLOG_FACILITY)).unwrap_or_else(|| {
                problems.push(format!(
                    "{}: \"{}\" is not a syslog facility; using user",
                    SYSLOG_FACILITY.name,
                    values.get(SYSLOG_FACILITY)
                ));
                libc::LOG_USER
            }),
            ident: match values.get(SYSLOG_IDENT).trim() {
                "" => SYSLOG_IDENT.default.to_owned(),
                ident => ident.to_owned(),
            },
        };
        if let Some(path) = audit_log
            .as_deref()
            .filter(|p| *p != "stderr" && *p != "syslog")
        {
            if let Err(e) = system.can_append(path) {
                problems.push(format!(
                    "{}: cannot write {path}: {e}; denials are enforced but not logged",
                    AUDIT_LOG.name
                ));
            }
        }

        let policy = Self::build_policy(values, paid_app, allow_ffi, passthrough, system);
        if let Err(reason) = &policy {
            problems.push(format!("{reason}; every connection is denied"));
        }

        let servers = parse_resolver_spec(values.get(RESOLVER)).unwrap_or_default();
        Config {
            resolver: resolver_for(servers),
            mode,
            app_id,
            idle_timeout,
            audit_log,
            syslog,
            policy,
            problems,
            metrics_app: std::sync::OnceLock::new(),
            allowed_counters: crate::metrics::AllowedCounters::new(),
        }
    }

    /// A configuration that denies everything with `reason` (used when the
    /// settings could not even be read).
    pub fn deny_all(reason: Reason) -> Self {
        Config {
            mode: Mode::Enforce,
            app_id: "default".to_owned(),
            idle_timeout: Some(Duration::from_secs(120)),
            audit_log: None,
            syslog: crate::audit::Syslog::default(),
            problems: vec![format!("{reason}; every connection is denied")],
            policy: Err(reason),
            resolver: resolver_for(Vec::new()),
            metrics_app: std::sync::OnceLock::new(),
            allowed_counters: crate::metrics::AllowedCounters::new(),
        }
    }

    /// The metrics label of `app_id`, interned the first time it is asked
    /// for (after MINIT has made the shared table).
    #[inline]
    pub fn metrics_app(&self) -> crate::metrics::Label {
        *self
            .metrics_app
            .get_or_init(|| crate::metrics::app(&self.app_id))
    }

    /// Counts an allowed call of `function` on `transport` for this app.
    #[inline]
    pub fn count_allowed(
        &self,
        function: crate::metrics::OwnFunction,
        transport: crate::metrics::TransportLabel,
    ) {
        self.allowed_counters
            .count(function, transport, || self.metrics_app());
    }

    fn build_policy(
        values: &IniValues,
        paid_app: bool,
        allow_ffi: bool,
        passthrough: Vec<SockOpt>,
        system: &dyn System,
    ) -> Result<Policy, Reason> {
        let ranges_file = values.get(RANGES_FILE).trim();
        let ranges_json = if ranges_file.is_empty() {
            None
        } else {
            Some(system.read_file(ranges_file).map_err(|e| Reason::Config {
                setting: RANGES_FILE.name,
                error: format!("cannot read {ranges_file}: {e}"),
            })?)
        };
        parse_resolver_spec(values.get(RESOLVER)).map_err(|error| Reason::Config {
            setting: RESOLVER.name,
            error,
        })?;
        Policy::new(&Settings {
            allow: values.get(ALLOW).to_owned(),
            deny: values.get(DENY).to_owned(),
            ranges_json,
            paid_app,
            allow_ffi,
            passthrough,
            nameservers: nameservers(&system.read_file(RESOLV_CONF).unwrap_or_default()),
        })
    }

    /// Whether the Sockets API is available (a configuration that denies
    /// everything: no).
    #[inline]
    pub fn paid_app(&self) -> bool {
        self.policy.as_ref().is_ok_and(Policy::paid_app)
    }

    /// [`Policy::denies_name`] (a configuration error denies everything
    /// in [`Config::decide`] anyway).
    pub fn denies_name(&self, name: &str, port: u16) -> Option<Reason> {
        self.policy.as_ref().ok()?.denies_name(name, port)
    }

    /// [`Policy::has_domain_denials`].
    #[inline]
    pub fn has_domain_denials(&self) -> bool {
        self.policy.as_ref().is_ok_and(Policy::has_domain_denials)
    }

    /// [`Policy::allows_at_once`] under this configuration (never while
    /// it denies everything). Always inlined, as the policy's: a caller
    /// that only asks whether drops the addresses unbuilt.
    #[inline(always)]
    pub fn allows_at_once(
        &self,
        op: &Operation<'_>,
        caller: Caller,
    ) -> Option<crate::policy::Addrs> {
        self.policy.as_ref().ok()?.allows_at_once(op, caller)
    }

    /// The policy's decision on `op` by `caller`; a configuration error
    /// denies everything with its reason.
    pub fn decide(&self, op: &Operation<'_>, caller: Caller) -> Decision {
        match &self.policy {
            Ok(policy) => policy.decide(op, caller, &*self.resolver),
            Err(reason) => Decision::Deny(reason.clone()),
        }
    }

    /// Applies the mode to a decision and counts it. This is the one place
    /// where report mode turns a denial into a logged pass (and a mocked
    /// option into the real one: report mode is stock PHP plus a log).
    pub fn enforce(&self, decision: Decision) -> Outcome {
        stats::record(&decision);
        match (decision, self.mode) {
            (Decision::Allow(addrs), _) => Outcome::Allow(addrs),
            (Decision::Mock(_), Mode::Report) => Outcome::Allow(crate::policy::Addrs::none()),
            (Decision::Mock(value), Mode::Enforce | Mode::Off) => Outcome::Mock(value),
            (Decision::Deny(reason), Mode::Report) => Outcome::Report(reason),
            (Decision::Deny(reason), Mode::Enforce | Mode::Off) => Outcome::Deny(reason),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::policy::{Host, Kind, Transport};

    /// A system with a few files and an audit log that can or cannot be written.
    struct FakeSystem {
        files: Vec<(&'static str, &'static str)>,
        writable: bool,
    }

    impl System for FakeSystem {
        fn read_file(&self, path: &str) -> io::Result<String> {
            self.files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, text)| (*text).to_owned())
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
        }
        fn can_append(&self, _path: &str) -> io::Result<()> {
            if self.writable {
                Ok(())
            } else {
                Err(io::Error::from(io::ErrorKind::NotFound))
            }
        }
    }

    const NO_FILES: FakeSystem = FakeSystem {
        files: Vec::new(),
        writable: true,
    };

    fn with(setting: IniSetting, value: &str) -> Config {
        with_system(setting, value, &NO_FILES)
    }

    fn with_system(setting: IniSetting, value: &str, system: &dyn System) -> Config {
        let mut v = IniValues::defaults();
        let i = ALL
            .iter()
            .position(|s| s.name == setting.name)
            .expect("setting");
        v.0[i] = value.to_owned();
        Config::from_ini(&v, system)
    }

    fn paid(c: &Config) -> bool {
        c.policy.as_ref().expect("policy").describe().paid_app
    }

    #[test]
    fn defaults_enforce_with_the_embedded_policy() {
        let c = with(MODE, "enforce");
        assert_eq!(c.mode, Mode::Enforce);
        assert!(paid(&c));
        assert_eq!(c.idle_timeout, Some(Duration::from_secs(120)));
        assert!(c.policy.is_ok());
        assert!(c.problems.is_empty(), "{:?}", c.problems);
    }

    #[test]
    fn only_the_word_off_turns_sockguard_off() {
        let table: Vec<(&str, Mode, bool)> = vec![
            ("enforce", Mode::Enforce, false),
            ("ENFORCE", Mode::Enforce, false),
            ("report", Mode::Report, false),
            (" Report ", Mode::Report, false),
            ("off", Mode::Off, false),
            ("OFF", Mode::Off, false),
            // What php.ini hands over for a bare `on`/`true`/`yes`.
            ("1", Mode::Enforce, false),
            // A bare off/none/false, an unset ${VAR}, `sockguard.mode =`.
            ("", Mode::Enforce, true),
            ("  ", Mode::Enforce, true),
            // Just outside the words.
            ("0", Mode::Enforce, true),
            ("of", Mode::Enforce, true),
            ("offf", Mode::Enforce, true),
            ("none", Mode::Enforce, true),
            ("disabled", Mode::Enforce, true),
            ("permissive", Mode::Enforce, true),
        ];
        for (value, mode, problem) in table {
            let c = with(MODE, value);
            assert_eq!(c.mode, mode, "{value:?}");
            assert_eq!(
                c.problems.len(),
                usize::from(problem),
                "{value:?}: {:?}",
                c.problems
            );
        }
        assert!(with(MODE, "").problems[0].contains("sockguard.mode = \"off\""));
    }

    #[test]
    fn paid_app_follows_php_booleans_and_garbage_is_not_paid() {
        for (v, want, problem) in [
            ("1", true, false),
            ("0", false, false),
            ("", false, false),
            ("On", true, false),
            ("off", false, false),
            ("yes", true, false),
            ("no", false, false),
            ("2", true, false),
            ("-1", true, false),
            ("maybe", false, true),
            ("1x", false, true),
            ("paid", false, true),
        ] {
            let c = with(PAID_APP, v);
            assert_eq!(paid(&c), want, "{v:?}");
            assert_eq!(c.problems.len(), usize::from(problem), "{v:?}");
        }
    }

    #[test]
    fn a_bad_rule_denies_everything() {
        let c = with(DENY, "not a rule");
        assert!(matches!(c.policy, Err(Reason::Config { .. })));
        assert_eq!(c.problems.len(), 1);
        let host = Host::Ip(IpAddr::from([93, 184, 216, 34]));
        let op = Operation::Connect {
            host: &host,
            port: 80,
            kind: Kind::Transport(Transport::Tcp),
        };
        assert_eq!(
            c.decide(&op, Caller::Client).reason().map(Reason::code),
            Some("config")
        );
    }

    #[test]
    fn an_unreadable_ranges_file_denies_everything() {
        let c = with(RANGES_FILE, "/nonexistent/goog.json");
        assert!(
            matches!(c.policy, Err(Reason::Config { setting, .. }) if setting == RANGES_FILE.name)
        );
    }

    #[test]
    fn a_ranges_file_without_prefixes_denies_everything() {
        let system = FakeSystem {
            files: vec![
                ("/empty.json", r#"{"syncToken":"1","prefixes":[]}"#),
                ("/one.json", r#"{"prefixes":[{"ipv4Prefix":"1.2.3.0/24"}]}"#),
            ],
            writable: true,
        };
        let c = with_system(RANGES_FILE, "/empty.json", &system);
        let Err(Reason::Config { setting, error }) = &c.policy else {
            panic!("{:?}", c.policy)
        };
        assert_eq!(*setting, RANGES_FILE.name);
        assert!(error.contains("no prefixes"), "{error}");
        assert!(with_system(RANGES_FILE, "/one.json", &system)
            .policy
            .is_ok());
    }

    #[test]
    fn syslog_facility_and_ident_are_read() {
        let c = with(SYSLOG_FACILITY, "local5");
        assert_eq!(c.syslog.facility, libc::LOG_LOCAL5);
        assert!(c.problems.is_empty());
        let c = with(SYSLOG_FACILITY, "bogus");
        assert_eq!(c.syslog.facility, libc::LOG_USER);
        assert_eq!(
            c.problems,
            vec!["sockguard.syslog_facility: \"bogus\" is not a syslog facility; using user"]
        );
        assert_eq!(with(SYSLOG_IDENT, " shop ").syslog.ident, "shop");
        assert_eq!(with(SYSLOG_IDENT, "").syslog.ident, "sockguard");
        // syslog is not a file to check.
        let unwritable = FakeSystem {
            files: Vec::new(),
            writable: false,
        };
        assert!(with_system(AUDIT_LOG, "syslog", &unwritable)
            .problems
            .is_empty());
    }

    #[test]
    fn an_audit_log_that_cannot_be_written_is_a_problem_at_startup() {
        let unwritable = FakeSystem {
            files: Vec::new(),
            writable: false,
        };
        let c = with_system(AUDIT_LOG, "/missing/dir/audit.log", &unwritable);
        assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
        assert!(c.problems[0].contains("/missing/dir/audit.log"));
        assert!(with_system(AUDIT_LOG, "stderr", &unwritable)
            .problems
            .is_empty());
        assert!(with(AUDIT_LOG, "/tmp/audit.log").problems.is_empty());
    }

    #[test]
    fn nameservers_come_from_resolv_conf() {
        let text = "# comment\nsearch example\nnameserver 10.0.0.2\nnameserver fe80::1%eth0\n\
                    options ndots:2\nnameserver  192.168.1.1 \nnameserver bogus\n";
        assert_eq!(
            nameservers(text),
            vec![
                IpAddr::from([10, 0, 0, 2]),
                "fe80::1".parse::<IpAddr>().unwrap(),
                IpAddr::from([192, 168, 1, 1]),
            ]
        );
        // No nameserver line: glibc asks the local machine.
        assert_eq!(
            nameservers("search x\n"),
            vec![IpAddr::from([127, 0, 0, 1])]
        );
    }

    #[test]
    fn idle_timeout_zero_disables_and_garbage_keeps_the_default() {
        assert_eq!(with(IDLE_TIMEOUT, "0").idle_timeout, None);
        assert_eq!(
            with(IDLE_TIMEOUT, "1").idle_timeout,
            Some(Duration::from_secs(1))
        );
        let bad = with(IDLE_TIMEOUT, "soon");
        assert_eq!(bad.idle_timeout, Some(Duration::from_secs(120)));
        assert_eq!(bad.problems.len(), 1);
    }

    #[test]
    fn passthrough_options_are_looked_up_by_name() {
        let c = with(PASSTHROUGH_OPTIONS, "SO_RCVTIMEO, SO_BROADCAST,NOPE");
        assert_eq!(
            c.policy.as_ref().expect("policy").describe().passthrough,
            ["SO_RCVTIMEO", "SO_BROADCAST"]
        );
        assert_eq!(c.problems.len(), 1);
    }

    #[test]
    fn report_mode_turns_a_denial_into_a_report_and_a_mock_into_the_real_option() {
        let c = with(MODE, "report");
        assert_eq!(
            c.enforce(Decision::Deny(Reason::Port25)),
            Outcome::Report(Reason::Port25)
        );
        let mock = crate::policy::MockValue::Int(0);
        assert_eq!(
            c.enforce(Decision::Mock(mock)),
            Outcome::Allow(crate::policy::Addrs::none())
        );
        let c = with(MODE, "enforce");
        assert_eq!(
            c.enforce(Decision::Deny(Reason::Port25)),
            Outcome::Deny(Reason::Port25)
        );
        assert_eq!(c.enforce(Decision::Mock(mock)), Outcome::Mock(mock));
    }
}

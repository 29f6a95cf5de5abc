//! The php.ini settings (names, defaults, documentation) and the effective
//! configuration built from their values. Pure: the hook side reads the ini
//! strings and hands them over; nothing here touches the engine.
//!
//! A setting that cannot be parsed never widens what is allowed: a bad mode
//! means enforce, and a bad rule list or ranges file makes the policy deny
//! every connection with a `config` reason that names the setting.

use std::{fmt, net::IpAddr, time::Duration};

use std::sync::{Arc, Mutex};

use crate::{
    policy::{Policy, Reason, Settings},
    resolve::{parse_resolver_spec, AnyLookup, CachingResolver, DnsLookup, SystemLookup},
    sockopts::{self, SockOpt},
    stats,
};

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
    doc: "enforce: deny; report: allow and log what would be denied; off: no checks",
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
/// `sockguard.audit_log`: path or `stderr`.
pub const AUDIT_LOG: IniSetting = IniSetting {
    name: "sockguard.audit_log",
    default: "",
    doc: "path or stderr: one JSON line per denial",
};

/// Every setting, in the order phpinfo shows them.
pub const ALL: [IniSetting; 10] = [
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

/// What a hook should do after the policy and the mode had their say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Go ahead, connecting to these checked addresses (empty: nothing to pin).
    Allow(Vec<IpAddr>),
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
    /// Whether the Sockets API is available.
    pub paid_app: bool,
    /// Owner of sockets and persistent ids.
    pub app_id: String,
    /// Idle time after which a socket is reclaimed; `None` disables.
    pub idle_timeout: Option<Duration>,
    /// Socket options handed to the OS.
    pub passthrough: Vec<SockOpt>,
    /// Where denials are logged as JSON lines, if anywhere.
    pub audit_log: Option<String>,
    /// The policy, or the configuration error that makes every check deny.
    pub policy: Result<Policy, Reason>,
    /// Problems found in the settings, to be shown as warnings.
    pub problems: Vec<String>,
    /// The resolver `sockguard.resolver` names, with its cache.
    pub resolver: Arc<CachingResolver<AnyLookup>>,
}

/// The process-wide resolver for a server list (empty: the system
/// resolver), so that every configuration naming the same servers shares
/// one cache.
fn resolver_for(servers: Vec<std::net::IpAddr>) -> Arc<CachingResolver<AnyLookup>> {
    type Shared = Arc<CachingResolver<AnyLookup>>;
    static RESOLVERS: Mutex<Vec<(Vec<std::net::IpAddr>, Shared)>> = Mutex::new(Vec::new());
    let make = |servers: &Vec<std::net::IpAddr>| {
        Arc::new(CachingResolver::new(if servers.is_empty() {
            AnyLookup::System(SystemLookup)
        } else {
            AnyLookup::Dns(DnsLookup::new(servers.clone()))
        }))
    };
    let Ok(mut resolvers) = RESOLVERS.lock() else {
        return make(&servers);
    };
    if let Some((_, r)) = resolvers.iter().find(|(s, _)| *s == servers) {
        return Arc::clone(r);
    }
    let r = make(&servers);
    resolvers.push((servers, Arc::clone(&r)));
    r
}

/// Parses a php.ini boolean the way `zend_ini_parse_bool` does.
fn ini_bool(value: &str) -> bool {
    let v = value.trim();
    if ["true", "yes", "on"]
        .iter()
        .any(|w| v.eq_ignore_ascii_case(w))
    {
        return true;
    }
    let digits: String = v
        .chars()
        .enumerate()
        .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+')))
        .map(|(_, c)| c)
        .collect();
    digits.parse::<i64>().is_ok_and(|n| n != 0)
}

impl Config {
    /// Builds the configuration from raw ini values. `read_file` loads
    /// `sockguard.ranges_file` (injected so that this stays testable).
    pub fn from_ini(
        values: &IniValues,
        read_file: impl Fn(&str) -> std::io::Result<String>,
    ) -> Self {
        let mut problems = Vec::new();

        // php.ini's parser turns the bare words off/no/false/none into "" and
        // on/yes/true into "1", so `sockguard.mode = off` arrives as "".
        let mode = match values.get(MODE).trim().to_ascii_lowercase().as_str() {
            "enforce" | "1" => Mode::Enforce,
            "report" => Mode::Report,
            "off" | "" | "0" => Mode::Off,
            other => {
                problems.push(format!(
                    "{}: unknown mode \"{other}\" (enforce, report or off); enforcing",
                    MODE.name
                ));
                Mode::Enforce
            }
        };

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
            match sockopts::by_name(name) {
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

        let policy = Self::build_policy(values, &read_file);
        if let Err(reason) = &policy {
            problems.push(format!("{reason}; every connection is denied"));
        }

        let servers = parse_resolver_spec(values.get(RESOLVER)).unwrap_or_default();
        Config {
            resolver: resolver_for(servers),
            mode,
            paid_app: ini_bool(values.get(PAID_APP)),
            app_id,
            idle_timeout,
            passthrough,
            audit_log,
            policy,
            problems,
        }
    }

    fn build_policy(
        values: &IniValues,
        read_file: &impl Fn(&str) -> std::io::Result<String>,
    ) -> Result<Policy, Reason> {
        let ranges_file = values.get(RANGES_FILE).trim();
        let ranges_json = if ranges_file.is_empty() {
            None
        } else {
            Some(read_file(ranges_file).map_err(|e| Reason::Config {
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
        })
    }

    /// Applies the mode to a policy verdict and counts it. This is the one
    /// place where report mode turns a denial into a logged pass.
    pub fn enforce(&self, verdict: Result<Vec<IpAddr>, Reason>) -> Outcome {
        stats::record(&verdict);
        match (verdict, self.mode) {
            (Ok(addrs), _) => Outcome::Allow(addrs),
            (Err(reason), Mode::Report) => Outcome::Report(reason),
            (Err(reason), Mode::Enforce | Mode::Off) => Outcome::Deny(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(setting: IniSetting, value: &str) -> Config {
        let mut v = IniValues::defaults();
        let i = ALL
            .iter()
            .position(|s| s.name == setting.name)
            .expect("setting");
        v.0[i] = value.to_owned();
        Config::from_ini(&v, |_| Err(std::io::Error::other("no file")))
    }

    #[test]
    fn defaults_enforce_with_the_embedded_policy() {
        let c = with(MODE, "enforce");
        assert_eq!(c.mode, Mode::Enforce);
        assert!(c.paid_app);
        assert_eq!(c.idle_timeout, Some(Duration::from_secs(120)));
        assert!(c.policy.is_ok());
        assert!(c.problems.is_empty(), "{:?}", c.problems);
    }

    #[test]
    fn modes_parse_and_a_bad_mode_enforces() {
        assert_eq!(with(MODE, "report").mode, Mode::Report);
        assert_eq!(with(MODE, "OFF").mode, Mode::Off);
        // What php.ini hands over for `sockguard.mode = off` and `= on`.
        assert_eq!(with(MODE, "").mode, Mode::Off);
        assert_eq!(with(MODE, "1").mode, Mode::Enforce);
        let bad = with(MODE, "permissive");
        assert_eq!(bad.mode, Mode::Enforce);
        assert_eq!(bad.problems.len(), 1);
    }

    #[test]
    fn paid_app_follows_php_boolean_rules() {
        for (v, want) in [
            ("1", true),
            ("0", false),
            ("", false),
            ("On", true),
            ("off", false),
            ("yes", true),
            ("2", true),
        ] {
            assert_eq!(with(PAID_APP, v).paid_app, want, "{v:?}");
        }
    }

    #[test]
    fn a_bad_rule_denies_everything() {
        let c = with(DENY, "not a rule");
        assert!(matches!(c.policy, Err(Reason::Config { .. })));
        assert_eq!(c.problems.len(), 1);
    }

    #[test]
    fn an_unreadable_ranges_file_denies_everything() {
        let c = with(RANGES_FILE, "/nonexistent/goog.json");
        assert!(
            matches!(c.policy, Err(Reason::Config { setting, .. }) if setting == RANGES_FILE.name)
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
        assert_eq!(c.passthrough.len(), 2);
        assert_eq!(c.problems.len(), 1);
    }

    #[test]
    fn report_mode_turns_a_denial_into_a_report() {
        let c = with(MODE, "report");
        assert_eq!(
            c.enforce(Err(Reason::Port25)),
            Outcome::Report(Reason::Port25)
        );
        let c = with(MODE, "enforce");
        assert_eq!(
            c.enforce(Err(Reason::Port25)),
            Outcome::Deny(Reason::Port25)
        );
    }
}

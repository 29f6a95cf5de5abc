//! Name resolution for the policy: the system resolver (getaddrinfo through
//! std) or hickory-resolver against the operator's DNS servers
//! (`sockguard.resolver = dns:IP[,IP]`), behind a process-wide cache.
//! Entries live for their TTL (60 s for the system resolver, which reports
//! none) and the cache is bounded. A lookup never waits longer than
//! [`DNS_TIMEOUT`].
//!
//! It does not decide anything: the policy asks it for addresses and checks
//! every one of them.

use std::{
    collections::HashMap,
    net::{IpAddr, ToSocketAddrs},
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex, PoisonError,
    },
    time::{Duration, Instant},
};

use crate::policy::{ResolveError, Resolver};

/// How long an answer from the system resolver is trusted: getaddrinfo does
/// not report TTLs.
pub const SYSTEM_TTL: Duration = Duration::from_secs(60);

/// Most names kept at once; past that the oldest answers are dropped.
pub const CACHE_CAPACITY: usize = 4096;

/// A resolver that returns addresses together with how long they stay valid.
pub trait Lookup: Send + Sync {
    /// Resolves `name` to its addresses.
    ///
    /// # Errors
    /// [`ResolveError`] when the name has no address or the lookup failed.
    fn lookup_with_ttl(&self, name: &str) -> Result<(Vec<IpAddr>, Duration), ResolveError>;
}

/// getaddrinfo(3), as PHP itself resolves names.
#[derive(Debug, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup_with_ttl(&self, name: &str) -> Result<(Vec<IpAddr>, Duration), ResolveError> {
        let answers = (name, 0u16).to_socket_addrs().map_err(|e| {
            // std folds getaddrinfo's EAI_* codes into the message only.
            let detail = e.to_string();
            if detail.contains("not known") || detail.contains("No address associated") {
                ResolveError::NotFound {
                    name: name.to_owned(),
                }
            } else {
                ResolveError::Failed {
                    name: name.to_owned(),
                    detail,
                }
            }
        })?;
        let mut addrs: Vec<IpAddr> = Vec::new();
        for sa in answers {
            if !addrs.contains(&sa.ip()) {
                addrs.push(sa.ip());
            }
        }
        if addrs.is_empty() {
            return Err(ResolveError::NotFound {
                name: name.to_owned(),
            });
        }
        Ok((addrs, SYSTEM_TTL))
    }
}

/// Longest a `dns:` lookup may take before it fails (and the connect with it).
pub const DNS_TIMEOUT: Duration = Duration::from_secs(2);

/// hickory-resolver asking the given servers over UDP, with TCP fallback.
/// The runtime and resolver are made on first use, so a forking SAPI
/// (php-fpm) builds them in each worker, after the fork.
pub struct DnsLookup {
    servers: Vec<IpAddr>,
    state: std::sync::OnceLock<Option<(tokio::runtime::Runtime, hickory_resolver::TokioResolver)>>,
}

impl DnsLookup {
    /// A resolver for `servers` (port 53).
    pub fn new(servers: Vec<IpAddr>) -> Self {
        Self {
            servers,
            state: std::sync::OnceLock::new(),
        }
    }

    fn state(&self) -> Option<&(tokio::runtime::Runtime, hickory_resolver::TokioResolver)> {
        self.state
            .get_or_init(|| {
                use hickory_resolver::{
                    config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts},
                    net::runtime::TokioRuntimeProvider,
                    Resolver,
                };
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                let config = ResolverConfig::from_name_servers(
                    self.servers
                        .iter()
                        .map(|ip| NameServerConfig::udp_and_tcp(*ip))
                        .collect(),
                );
                let mut opts = ResolverOpts::default();
                opts.timeout = DNS_TIMEOUT;
                opts.attempts = 1;
                opts.cache_size = 0; // CachingResolver caches, bounded and shared
                opts.use_hosts_file = ResolveHosts::Never;
                let resolver = {
                    let _guard = runtime.enter();
                    Resolver::builder_with_config(config, TokioRuntimeProvider::default())
                        .with_options(opts)
                        .build()
                        .ok()?
                };
                Some((runtime, resolver))
            })
            .as_ref()
    }
}

impl Lookup for DnsLookup {
    fn lookup_with_ttl(&self, name: &str) -> Result<(Vec<IpAddr>, Duration), ResolveError> {
        let failed = |detail: String| ResolveError::Failed {
            name: name.to_owned(),
            detail,
        };
        let (runtime, resolver) = self
            .state()
            .ok_or_else(|| failed("the DNS resolver could not start".to_owned()))?;
        // A trailing dot makes the name absolute: no search domains.
        let fqdn = if name.ends_with('.') {
            name.to_owned()
        } else {
            format!("{name}.")
        };
        let answer = runtime
            .block_on(async {
                tokio::time::timeout(DNS_TIMEOUT, resolver.lookup_ip(fqdn.as_str())).await
            })
            .map_err(|_| ResolveError::Timeout {
                name: name.to_owned(),
            })?;
        let lookup = match answer {
            Ok(lookup) => lookup,
            Err(e) if e.is_no_records_found() || e.is_nx_domain() => {
                return Err(ResolveError::NotFound {
                    name: name.to_owned(),
                })
            }
            Err(e) => return Err(failed(e.to_string())),
        };
        let addrs: Vec<IpAddr> = lookup.iter().collect();
        if addrs.is_empty() {
            return Err(ResolveError::NotFound {
                name: name.to_owned(),
            });
        }
        let ttl = lookup
            .valid_until()
            .saturating_duration_since(std::time::Instant::now());
        Ok((addrs, ttl))
    }
}

/// The resolver `sockguard.resolver` names. One exists per server list for
/// the life of the process, so the size difference between the variants
/// does not matter.
#[allow(clippy::large_enum_variant)]
pub enum AnyLookup {
    /// `system`
    System(SystemLookup),
    /// `dns:IP[,IP]`
    Dns(DnsLookup),
}

impl Lookup for AnyLookup {
    fn lookup_with_ttl(&self, name: &str) -> Result<(Vec<IpAddr>, Duration), ResolveError> {
        match self {
            AnyLookup::System(l) => l.lookup_with_ttl(name),
            AnyLookup::Dns(l) => l.lookup_with_ttl(name),
        }
    }
}

/// Parses a `sockguard.resolver` value: `system` (or empty), or
/// `dns:IP[,IP]` with IPv6 addresses bare or in brackets.
///
/// # Errors
/// A message naming what is wrong.
pub fn parse_resolver_spec(spec: &str) -> Result<Vec<IpAddr>, String> {
    let spec = spec.trim();
    if spec.is_empty() || spec.eq_ignore_ascii_case("system") {
        return Ok(Vec::new());
    }
    let Some(list) = spec.strip_prefix("dns:") else {
        return Err(format!("\"{spec}\" is neither system nor dns:IP[,IP]"));
    };
    let servers: Result<Vec<IpAddr>, String> = list
        .split(',')
        .map(str::trim)
        .map(|ip| {
            ip.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .map_err(|_| format!("\"{ip}\" is not an IP address"))
        })
        .collect();
    let servers = servers?;
    if servers.is_empty() {
        return Err("dns: needs at least one server".to_owned());
    }
    Ok(servers)
}

/// Cache counters, read by sockguard_stats().
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Answers served from the cache.
    pub hits: AtomicU64,
    /// Lookups that went to the resolver.
    pub misses: AtomicU64,
}

struct Entry {
    answer: Result<Vec<IpAddr>, ResolveError>,
    valid_until: Instant,
}

/// A [`Lookup`] with a bounded TTL cache in front of it. Failures are cached
/// for a short time too, so a dead resolver is not asked again on every call.
pub struct CachingResolver<L> {
    inner: L,
    entries: Mutex<HashMap<String, Entry>>,
    /// Hit and miss counters.
    pub stats: CacheStats,
}

/// How long a failed lookup is remembered.
const NEGATIVE_TTL: Duration = Duration::from_secs(5);

impl<L> std::fmt::Debug for CachingResolver<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingResolver")
            .field("hits", &self.stats.hits)
            .field("misses", &self.stats.misses)
            .finish_non_exhaustive()
    }
}

impl<L: Lookup> CachingResolver<L> {
    /// Wraps `inner` with an empty cache.
    pub fn new(inner: L) -> Self {
        Self {
            inner,
            entries: Mutex::new(HashMap::new()),
            stats: CacheStats::default(),
        }
    }

    /// Number of names cached now.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The cached answer for `name`, if there is a live one; never looks
    /// anything up (phpinfo shows this, and an info page must not send DNS
    /// queries).
    pub fn peek(&self, name: &str) -> Option<Result<Vec<IpAddr>, ResolveError>> {
        self.cached(name, Instant::now())
    }

    /// Whether the cache holds no name.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn cached(&self, name: &str, now: Instant) -> Option<Result<Vec<IpAddr>, ResolveError>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(name)?;
        (entry.valid_until > now).then(|| entry.answer.clone())
    }

    fn store(
        &self,
        name: &str,
        answer: Result<Vec<IpAddr>, ResolveError>,
        ttl: Duration,
        now: Instant,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CACHE_CAPACITY && !entries.contains_key(name) {
            entries.retain(|_, e| e.valid_until > now);
            if entries.len() >= CACHE_CAPACITY {
                // Still full of live answers: drop the one closest to expiry.
                if let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, e)| e.valid_until)
                    .map(|(k, _)| k.clone())
                {
                    entries.remove(&oldest);
                }
            }
        }
        entries.insert(
            name.to_owned(),
            Entry {
                answer,
                valid_until: now + ttl,
            },
        );
    }
}

impl<L: Lookup> Resolver for CachingResolver<L> {
    fn lookup(&self, name: &str) -> Result<Vec<IpAddr>, ResolveError> {
        let now = Instant::now();
        if let Some(answer) = self.cached(name, now) {
            self.stats.hits.fetch_add(1, Ordering::Relaxed);
            return answer;
        }
        self.stats.misses.fetch_add(1, Ordering::Relaxed);
        let (answer, ttl) = match self.inner.lookup_with_ttl(name) {
            Ok((addrs, ttl)) => (Ok(addrs), ttl),
            Err(e) => (Err(e), NEGATIVE_TTL),
        };
        self.store(name, answer.clone(), ttl, now);
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    struct Counting {
        calls: AtomicUsize,
        ttl: Duration,
    }

    impl Lookup for Counting {
        fn lookup_with_ttl(&self, name: &str) -> Result<(Vec<IpAddr>, Duration), ResolveError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            if name == "missing.test" {
                return Err(ResolveError::NotFound { name: name.into() });
            }
            Ok((vec![IpAddr::from([192, 0, 2, 1])], self.ttl))
        }
    }

    fn counting(ttl: Duration) -> CachingResolver<Counting> {
        CachingResolver::new(Counting {
            calls: AtomicUsize::new(0),
            ttl,
        })
    }

    #[test]
    fn answers_are_cached_until_their_ttl() {
        let r = counting(Duration::from_secs(60));
        assert_eq!(r.lookup("a.test"), Ok(vec![IpAddr::from([192, 0, 2, 1])]));
        assert_eq!(r.lookup("a.test"), Ok(vec![IpAddr::from([192, 0, 2, 1])]));
        assert_eq!(r.inner.calls.load(Ordering::Relaxed), 1);
        assert_eq!(r.stats.hits.load(Ordering::Relaxed), 1);
        assert_eq!(r.stats.misses.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn peek_shows_the_cache_without_looking_up() {
        let r = counting(Duration::from_secs(60));
        assert_eq!(r.peek("a.test"), None);
        assert_eq!(r.inner.calls.load(Ordering::Relaxed), 0);
        r.lookup("a.test").ok();
        assert_eq!(
            r.peek("a.test"),
            Some(Ok(vec![IpAddr::from([192, 0, 2, 1])]))
        );
        assert_eq!(r.inner.calls.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn expired_answers_are_looked_up_again() {
        let r = counting(Duration::ZERO);
        r.lookup("a.test").ok();
        r.lookup("a.test").ok();
        assert_eq!(r.inner.calls.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn failures_are_cached_and_returned() {
        let r = counting(Duration::from_secs(60));
        assert!(matches!(
            r.lookup("missing.test"),
            Err(ResolveError::NotFound { .. })
        ));
        assert!(matches!(
            r.lookup("missing.test"),
            Err(ResolveError::NotFound { .. })
        ));
        assert_eq!(r.inner.calls.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let r = counting(Duration::from_secs(60));
        for i in 0..CACHE_CAPACITY + 10 {
            r.lookup(&format!("h{i}.test")).ok();
        }
        assert_eq!(r.len(), CACHE_CAPACITY);
    }

    #[test]
    fn resolver_settings_parse() {
        assert_eq!(parse_resolver_spec("system"), Ok(vec![]));
        assert_eq!(parse_resolver_spec(""), Ok(vec![]));
        assert_eq!(
            parse_resolver_spec("dns:8.8.8.8, [2001:4860:4860::8888]"),
            Ok(vec![
                IpAddr::from([8, 8, 8, 8]),
                "2001:4860:4860::8888".parse().expect("v6")
            ])
        );
        assert!(parse_resolver_spec("dns:").is_err());
        assert!(parse_resolver_spec("dns:resolver.example").is_err());
        assert!(parse_resolver_spec("doh:https://x").is_err());
    }

    #[test]
    fn system_lookup_of_a_literal_needs_no_network() {
        let (addrs, ttl) = SystemLookup.lookup_with_ttl("127.0.0.1").expect("literal");
        assert_eq!(addrs, vec![IpAddr::from([127, 0, 0, 1])]);
        assert_eq!(ttl, SYSTEM_TTL);
    }
}

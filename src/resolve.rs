//! Name resolution for the policy: the system resolver (getaddrinfo through
//! std) behind a process-wide cache. Entries live for their TTL (60 s for the
//! system resolver, which reports none) and the cache is bounded.
//!
//! It does not decide anything: the policy asks it for addresses and checks
//! every one of them.

use std::{
    collections::HashMap,
    net::{IpAddr, ToSocketAddrs},
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
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
        self.entries.lock().map_or(0, |e| e.len())
    }

    /// Whether the cache holds no name.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn cached(&self, name: &str, now: Instant) -> Option<Result<Vec<IpAddr>, ResolveError>> {
        let entries = self.entries.lock().ok()?;
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
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
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
    fn system_lookup_of_a_literal_needs_no_network() {
        let (addrs, ttl) = SystemLookup.lookup_with_ttl("127.0.0.1").expect("literal");
        assert_eq!(addrs, vec![IpAddr::from([127, 0, 0, 1])]);
        assert_eq!(ttl, SYSTEM_TTL);
    }
}

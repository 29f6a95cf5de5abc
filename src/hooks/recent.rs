//! The plain IPv4 targets each thread's policy allowed at once last, so
//! that the next connect to one neither reads nor decides it again: an
//! application connects to the same few backends (its database, its cache,
//! an API or two) over and over, and reading `a.b.c.d:port` costs more than
//! the rest of the decision.
//!
//! An entry is found only by everything its answer depends on: the
//! configuration (immutable and never freed, so its address names it), the
//! target's text exactly as given, and what else the caller packs into
//! `also` (its lane, the port argument, the socket type, the caller). Only
//! allowed answers are kept; anything else is decided in full every time.

use std::{cell::RefCell, net::SocketAddrV4, ptr};

use crate::{config::Config, metrics::TransportLabel};

/// The lanes, told apart in `also`: the same text may mean another
/// target to another lane ("a.b.c.d:port" to a stream, "a.b.c.d" and a port
/// argument to ext/sockets, an address and port in bytes to libcurl's
/// open-socket callback).
pub const STREAM_LANE: u64 = 1 << 63;
pub const SOCKETS_LANE: u64 = 1 << 62;
pub const CURL_LANE: u64 = 1 << 61;

/// How many targets a thread keeps (the oldest makes room).
const KEPT: usize = 4;

/// The longest text kept ("255.255.255.255:65535" is 21).
const TEXT_MAX: usize = 24;

/// What a lane needs to allow a target again: where it connects, and the
/// transport its decision is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    pub target: SocketAddrV4,
    pub transport: TransportLabel,
}

#[derive(Clone, Copy)]
struct Entry {
    config: *const Config,
    also: u64,
    len: usize,
    text: [u8; TEXT_MAX],
    allowed: Allowed,
}

const EMPTY: Entry = Entry {
    config: ptr::null(),
    also: 0,
    len: 0,
    text: [0; TEXT_MAX],
    allowed: Allowed {
        target: SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, 0),
        transport: TransportLabel::NONE,
    },
};

/// One thread's targets, and the entry the next one takes.
struct Recent {
    entries: [Entry; KEPT],
    next: usize,
}

thread_local! {
    static RECENT: RefCell<Recent> = const {
        RefCell::new(Recent {
            entries: [EMPTY; KEPT],
            next: 0,
        })
    };
}

/// Whether `kept` starts with `text` (at most [`TEXT_MAX`] bytes): three
/// overlapping eight-byte compares for the common lengths, where a call to
/// memcmp would cost more than the rest of the lookup.
#[inline]
fn same(kept: &[u8; TEXT_MAX], text: &[u8]) -> bool {
    let n = text.len();
    if !(8..=TEXT_MAX).contains(&n) {
        return kept.get(..n) == Some(text);
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_ne_bytes(w)
    };
    // For n <= 16 the middle word is the last one.
    let middle = n.min(16) - 8;
    [0, middle, n - 8]
        .into_iter()
        .all(|at| word(kept, at) == word(text, at))
}

/// The destination `decide` allows for `text` (with `also`) under
/// `config`: the remembered one when this thread allowed the same target
/// lately, else `decide`'s answer, remembered when it allows.
#[inline]
pub fn allowed(
    config: &Config,
    text: &[u8],
    also: u64,
    decide: impl FnOnce() -> Option<Allowed>,
) -> Option<Allowed> {
    let config = ptr::from_ref(config);
    let hit = RECENT
        .try_with(|recent| {
            let r = recent.try_borrow().ok()?;
            r.entries
                .iter()
                .find(|e| {
                    e.config == config
                        && e.also == also
                        && e.len == text.len()
                        && same(&e.text, text)
                })
                .map(|e| e.allowed)
        })
        .ok()
        .flatten();
    if hit.is_some() {
        return hit;
    }
    let allowed = decide()?;
    if text.len() <= TEXT_MAX {
        let _ = RECENT.try_with(|recent| {
            if let Ok(mut r) = recent.try_borrow_mut() {
                let mut e = Entry {
                    config,
                    also,
                    len: text.len(),
                    allowed,
                    ..EMPTY
                };
                e.text[..text.len()].copy_from_slice(text);
                let at = r.next % KEPT;
                r.entries[at] = e;
                r.next = (at + 1) % KEPT;
            }
        });
    }
    Some(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Reason;
    use std::cell::Cell;

    fn target(s: &str) -> Allowed {
        Allowed {
            target: s.parse().expect("address"),
            transport: TransportLabel::NONE,
        }
    }

    #[test]
    fn same_is_slice_equality_at_every_length() {
        let kept: [u8; TEXT_MAX] = *b"255.255.255.255:65535xyz";
        for n in 0..=TEXT_MAX {
            let text = kept[..n].to_vec();
            assert!(same(&kept, &text), "{n}");
            for i in 0..n {
                let mut other = text.clone();
                other[i] ^= 1;
                assert!(!same(&kept, &other), "{n} {i}");
            }
        }
    }

    #[test]
    fn only_the_same_key_finds_the_answer() {
        let config = Config::deny_all(Reason::Internal {
            what: "test".into(),
        });
        let other = Config::deny_all(Reason::Internal {
            what: "test".into(),
        });
        let asked = Cell::new(0);
        let decide = |a: &str| {
            asked.set(asked.get() + 1);
            Some(target(a))
        };
        let text = b"93.184.216.34:80";
        assert_eq!(
            allowed(&config, text, 1, || decide("93.184.216.34:80")),
            Some(target("93.184.216.34:80"))
        );
        // The same key: answered without deciding.
        assert_eq!(
            allowed(&config, text, 1, || None),
            Some(target("93.184.216.34:80"))
        );
        assert_eq!(asked.get(), 1);
        // Any part of the key different: decided again.
        assert_eq!(allowed(&config, text, 2, || None), None);
        assert_eq!(allowed(&other, text, 1, || None), None);
        assert_eq!(allowed(&config, b"93.184.216.34:81", 1, || None), None);
        assert_eq!(allowed(&config, b"93.184.216.3:80", 1, || None), None);
        // A refusal is not kept: the allowed answer still is.
        assert_eq!(
            allowed(&config, text, 1, || None),
            Some(target("93.184.216.34:80"))
        );
        // A few targets in turn are all kept; one more pushes out the oldest.
        let texts: Vec<String> = (0..=KEPT)
            .map(|i| format!("93.184.216.34:{}", 8000 + i))
            .collect();
        for t in &texts[..KEPT] {
            assert!(allowed(&config, t.as_bytes(), 1, || decide("1.2.3.4:5")).is_some());
        }
        let before = asked.get();
        for t in &texts[..KEPT] {
            assert!(allowed(&config, t.as_bytes(), 1, || None).is_some(), "{t}");
        }
        assert_eq!(asked.get(), before);
        assert!(allowed(&config, texts[KEPT].as_bytes(), 1, || decide("1.2.3.4:5")).is_some());
        assert_eq!(allowed(&config, texts[0].as_bytes(), 1, || None), None);
        // A longer text than is kept is decided every time.
        let long = b"93.184.216.34:80000000000";
        assert_eq!(
            allowed(&config, long, 1, || decide("1.2.3.4:5")),
            Some(target("1.2.3.4:5"))
        );
        assert_eq!(allowed(&config, long, 1, || None), None);
    }
}

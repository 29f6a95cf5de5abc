//! Process-wide counters for sockguard_stats(): cheap relaxed atomics.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Mutex, PoisonError,
};

use crate::policy::Decision;

/// Checks that allowed (a mocked option counts).
pub static ALLOWED: AtomicU64 = AtomicU64::new(0);
/// Checks that denied (or would have, in report mode).
pub static DENIED: AtomicU64 = AtomicU64::new(0);

/// Sockets reclaimed after being idle too long.
pub static RECLAIMED: AtomicU64 = AtomicU64::new(0);

/// Counts one reclaimed socket.
pub fn record_reclaim() {
    RECLAIMED.fetch_add(1, Ordering::Relaxed);
}

static DENIED_BY_CODE: Mutex<Vec<(&'static str, u64)>> = Mutex::new(Vec::new());

/// Counts one allowed call: a plain load and store, not a locked
/// read-modify-write (every allowed call passes here). Only threads racing
/// on the counter (ZTS) could lose a count; a count is never made up.
#[inline]
pub fn record_allowed() {
    ALLOWED.store(ALLOWED.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// Counts one policy decision.
pub fn record(decision: &Decision) {
    match decision {
        Decision::Allow(_) | Decision::Mock(_) => record_allowed(),
        Decision::Deny(reason) => {
            DENIED.fetch_add(1, Ordering::Relaxed);
            // Entries are whole at every moment: a poisoned lock still
            // holds good counts.
            let mut by_code = DENIED_BY_CODE
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let code = reason.code();
            match by_code.iter_mut().find(|(c, _)| *c == code) {
                Some((_, n)) => *n += 1,
                None => by_code.push((code, 1)),
            }
        }
    }
}

/// Decisions made: allowed plus denied.
pub fn checked() -> u64 {
    ALLOWED.load(Ordering::Relaxed) + DENIED.load(Ordering::Relaxed)
}

/// Denials so far, per reason code.
pub fn denied_by_code() -> Vec<(&'static str, u64)> {
    DENIED_BY_CODE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

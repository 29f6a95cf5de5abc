//! Process-wide counters for sockguard_stats(): cheap relaxed atomics.

use std::{
    net::IpAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
};

use crate::policy::Reason;

/// Checks made.
/// Checks that allowed.
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

/// Counts one policy verdict.
pub fn record(verdict: &Result<Vec<IpAddr>, Reason>) {
    match verdict {
        // Every allowed call passes here: a plain load and store, not a
        // locked read-modify-write. Only threads racing on one counter
        // (ZTS) could lose a count; a count is never made up.
        Ok(_) => ALLOWED.store(ALLOWED.load(Ordering::Relaxed) + 1, Ordering::Relaxed),
        Err(reason) => {
            DENIED.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut by_code) = DENIED_BY_CODE.lock() {
                let code = reason.code();
                match by_code.iter_mut().find(|(c, _)| *c == code) {
                    Some((_, n)) => *n += 1,
                    None => by_code.push((code, 1)),
                }
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
    DENIED_BY_CODE.lock().map(|v| v.clone()).unwrap_or_default()
}

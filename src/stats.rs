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
pub static CHECKED: AtomicU64 = AtomicU64::new(0);
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
    CHECKED.fetch_add(1, Ordering::Relaxed);
    match verdict {
        Ok(_) => {
            ALLOWED.fetch_add(1, Ordering::Relaxed);
        }
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

/// Denials so far, per reason code.
pub fn denied_by_code() -> Vec<(&'static str, u64)> {
    DENIED_BY_CODE.lock().map(|v| v.clone()).unwrap_or_default()
}

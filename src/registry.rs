//! Idle reclaim: the last activity of every socket sockguard let through,
//! by descriptor. A socket used again after more than
//! `sockguard.idle_timeout` of silence is reclaimed at that moment (App
//! Engine closed idle sockets; the app sees it at its next use), and stays
//! reclaimed until it is closed. Pure bookkeeping: the hooks close the
//! descriptor and fail the call.
//!
//! This runs on every read and write of a tracked stream, so a slot is one
//! relaxed atomic per descriptor number: no lock, no hashing, no
//! allocation. Descriptors are process-wide, so one table serves every
//! thread.

use std::sync::atomic::{AtomicU64, Ordering};

/// Milliseconds on a monotonic clock (the hooks read a coarse one).
pub type Millis = u64;

/// Descriptors tracked; a socket with a higher number is never reclaimed.
pub const MAX_FDS: usize = 1 << 14;

/// Slot value meaning "not a socket of ours".
const UNTRACKED: u64 = 0;
/// Top bit: reclaimed; the rest then holds the idle seconds.
const RECLAIMED: u64 = 1 << 63;

/// What a use of a socket finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Not a socket sockguard tracks: leave it alone.
    Untracked,
    /// In use; its clock was reset.
    Fresh,
    /// Idle past the timeout just now: reclaim it (close the descriptor).
    Reclaim {
        /// Whole seconds it was idle.
        idle_secs: u64,
    },
    /// Reclaimed earlier: the call fails.
    Reclaimed {
        /// Whole seconds it was idle when reclaimed.
        idle_secs: u64,
    },
}

/// Sockets by descriptor number.
pub struct Registry {
    slots: [AtomicU64; MAX_FDS],
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// An empty table (all zero: a static of it costs nothing until used).
    pub const fn new() -> Self {
        Self {
            slots: [const { AtomicU64::new(UNTRACKED) }; MAX_FDS],
        }
    }

    fn slot(&self, fd: i32) -> Option<&AtomicU64> {
        usize::try_from(fd).ok().and_then(|i| self.slots.get(i))
    }

    /// Starts tracking `fd` (a new socket gets a fresh slot even if an old
    /// one with the same number was never forgotten).
    pub fn register(&self, fd: i32, now: Millis) {
        if let Some(slot) = self.slot(fd) {
            // Millisecond 0 would read as untracked.
            slot.store(now.clamp(1, RECLAIMED - 1), Ordering::Relaxed);
        }
    }

    /// Stops tracking `fd` (it is being closed).
    pub fn forget(&self, fd: i32) {
        if let Some(slot) = self.slot(fd) {
            slot.store(UNTRACKED, Ordering::Relaxed);
        }
    }

    /// Records a use of `fd` at `now`; `timeout` `None` never reclaims.
    /// Integer milliseconds throughout: this runs on every read and write.
    #[inline]
    pub fn touch(&self, fd: i32, now: Millis, timeout: Option<Millis>) -> Use {
        let Some(slot) = self.slot(fd) else {
            return Use::Untracked;
        };
        let value = slot.load(Ordering::Relaxed);
        let found = classify(value, now, timeout);
        match found {
            Use::Reclaim { idle_secs } => slot.store(RECLAIMED | idle_secs, Ordering::Relaxed),
            Use::Fresh => restart(slot, value, now),
            Use::Untracked | Use::Reclaimed { .. } => {}
        }
        found
    }

    /// [`Registry::touch`] when the use finds the socket untracked or fresh
    /// (true); a socket idle past the timeout, or reclaimed, is left as it
    /// is (false), for a `touch` to deal with.
    #[inline]
    pub fn touch_if_fresh(&self, fd: i32, now: Millis, timeout: Option<Millis>) -> bool {
        let Some(slot) = self.slot(fd) else {
            return true;
        };
        let value = slot.load(Ordering::Relaxed);
        match classify(value, now, timeout) {
            Use::Untracked => true,
            Use::Fresh => {
                restart(slot, value, now);
                true
            }
            Use::Reclaim { .. } | Use::Reclaimed { .. } => false,
        }
    }
}

/// What a use at `now` finds in a slot holding `value`.
#[inline]
fn classify(value: u64, now: Millis, timeout: Option<Millis>) -> Use {
    if value == UNTRACKED {
        return Use::Untracked;
    }
    if value & RECLAIMED != 0 {
        return Use::Reclaimed {
            idle_secs: value & !RECLAIMED,
        };
    }
    let idle = now.saturating_sub(value);
    match timeout {
        Some(t) if idle > t => Use::Reclaim {
            idle_secs: idle / 1000,
        },
        _ => Use::Fresh,
    }
}

/// Restarts the clock of a fresh slot that held `value`.
#[inline]
fn restart(slot: &AtomicU64, value: u64, now: Millis) {
    if now > value {
        slot.store(now.min(RECLAIMED - 1), Ordering::Relaxed);
    }
}

/// The process's table.
static TABLE: Registry = Registry::new();

fn table() -> &'static Registry {
    &TABLE
}

/// Tracks a new socket.
pub fn register(fd: i32, now: Millis) {
    table().register(fd, now);
}

/// Forgets a socket being closed.
pub fn forget(fd: i32) {
    table().forget(fd);
}

/// Records a use of a socket under the timeout in force.
#[inline]
pub fn touch(fd: i32, now: Millis, timeout: Option<Millis>) -> Use {
    table().touch(fd, now, timeout)
}

/// [`touch`] only for a use that finds the socket untracked or fresh.
#[inline]
pub fn touch_if_fresh(fd: i32, now: Millis, timeout: Option<Millis>) -> bool {
    table().touch_if_fresh(fd, now, timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_resets_the_clock_and_idleness_reclaims_once() {
        let t0: Millis = 1_000_000;
        let one = Some(1000);
        let r = Registry::new();
        assert_eq!(r.touch(5, t0, one), Use::Untracked);
        r.register(5, t0);
        assert_eq!(r.touch(5, t0 + 900, one), Use::Fresh);
        // 0.9 s after the last use, not 1.8 s after registration.
        assert_eq!(r.touch(5, t0 + 1800, one), Use::Fresh);
        assert_eq!(r.touch(5, t0 + 4000, one), Use::Reclaim { idle_secs: 2 });
        assert_eq!(r.touch(5, t0 + 5000, one), Use::Reclaimed { idle_secs: 2 });
        r.forget(5);
        assert_eq!(r.touch(5, t0 + 6000, one), Use::Untracked);
    }

    #[test]
    fn a_use_only_if_fresh_leaves_an_idle_socket_to_touch() {
        let (t0, one) = (1_000_000, Some(1000));
        let r = Registry::new();
        assert!(r.touch_if_fresh(5, t0, one));
        r.register(5, t0);
        assert!(r.touch_if_fresh(5, t0 + 900, one));
        // The clock restarted at t0 + 900: still fresh at t0 + 1800.
        assert!(r.touch_if_fresh(5, t0 + 1800, one));
        assert!(!r.touch_if_fresh(5, t0 + 4000, one));
        // Left idle, not marked: the next touch reclaims it.
        assert_eq!(r.touch(5, t0 + 4000, one), Use::Reclaim { idle_secs: 2 });
        assert!(!r.touch_if_fresh(5, t0 + 4001, one));
        assert_eq!(r.touch(5, t0 + 4001, one), Use::Reclaimed { idle_secs: 2 });
    }

    #[test]
    fn no_timeout_never_reclaims_and_reuse_of_a_number_starts_fresh() {
        let t0: Millis = 5;
        let one = Some(1000);
        let r = Registry::new();
        r.register(7, t0);
        assert_eq!(r.touch(7, t0 + 3_600_000, None), Use::Fresh);
        r.register(8, t0);
        assert_eq!(r.touch(8, t0 + 10_000, one), Use::Reclaim { idle_secs: 10 });
        r.register(8, t0 + 10_000);
        assert_eq!(r.touch(8, t0 + 10_000, one), Use::Fresh);
        // Negative or out-of-table descriptors are never tracked.
        r.register(-1, t0);
        assert_eq!(r.touch(-1, t0, one), Use::Untracked);
        r.register(1 << 20, t0);
        assert_eq!(r.touch(1 << 20, t0, one), Use::Untracked);
    }
}

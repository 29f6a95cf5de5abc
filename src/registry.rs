//! Idle reclaim: the last activity of every socket sockguard let through,
//! by descriptor. A socket used again after more than
//! `sockguard.idle_timeout` of silence is reclaimed at that moment (App
//! Engine closed idle sockets; the app sees it at its next use), and stays
//! reclaimed until it is closed. Pure bookkeeping: the hooks close the
//! descriptor and fail the call.

use std::{
    cell::RefCell,
    collections::HashMap,
    time::{Duration, Instant},
};

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

#[derive(Debug, Clone, Copy)]
struct Slot {
    last: Instant,
    reclaimed_after: Option<u64>,
}

/// Sockets by descriptor.
#[derive(Debug, Default)]
pub struct Registry {
    slots: HashMap<i32, Slot>,
}

impl Registry {
    /// Starts tracking `fd` (a new socket gets a fresh slot even if an old
    /// one with the same number was never forgotten).
    pub fn register(&mut self, fd: i32, now: Instant) {
        self.slots.insert(
            fd,
            Slot {
                last: now,
                reclaimed_after: None,
            },
        );
    }

    /// Stops tracking `fd` (it is being closed).
    pub fn forget(&mut self, fd: i32) {
        self.slots.remove(&fd);
    }

    /// Records a use of `fd` at `now`; `timeout` `None` never reclaims.
    pub fn touch(&mut self, fd: i32, now: Instant, timeout: Option<Duration>) -> Use {
        let Some(slot) = self.slots.get_mut(&fd) else {
            return Use::Untracked;
        };
        if let Some(idle_secs) = slot.reclaimed_after {
            return Use::Reclaimed { idle_secs };
        }
        let idle = now.saturating_duration_since(slot.last);
        if timeout.is_some_and(|t| idle > t) {
            let idle_secs = idle.as_secs();
            slot.reclaimed_after = Some(idle_secs);
            return Use::Reclaim { idle_secs };
        }
        slot.last = now;
        Use::Fresh
    }
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::default());
}

/// Tracks a new socket.
pub fn register(fd: i32) {
    REGISTRY.with(|r| r.borrow_mut().register(fd, Instant::now()));
}

/// Forgets a socket being closed.
pub fn forget(fd: i32) {
    REGISTRY.with(|r| r.borrow_mut().forget(fd));
}

/// Records a use of a socket under the timeout in force.
pub fn touch(fd: i32, timeout: Option<Duration>) -> Use {
    REGISTRY.with(|r| r.borrow_mut().touch(fd, Instant::now(), timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_resets_the_clock_and_idleness_reclaims_once() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut r = Registry::default();
        assert_eq!(r.touch(5, t0, Some(s(1))), Use::Untracked);
        r.register(5, t0);
        assert_eq!(
            r.touch(5, t0 + Duration::from_millis(900), Some(s(1))),
            Use::Fresh
        );
        // 0.9 s after the last use, not 1.8 s after registration.
        assert_eq!(
            r.touch(5, t0 + Duration::from_millis(1800), Some(s(1))),
            Use::Fresh
        );
        assert_eq!(
            r.touch(5, t0 + s(4), Some(s(1))),
            Use::Reclaim { idle_secs: 2 }
        );
        assert_eq!(
            r.touch(5, t0 + s(5), Some(s(1))),
            Use::Reclaimed { idle_secs: 2 }
        );
        r.forget(5);
        assert_eq!(r.touch(5, t0 + s(6), Some(s(1))), Use::Untracked);
    }

    #[test]
    fn no_timeout_never_reclaims_and_reuse_of_a_number_starts_fresh() {
        let t0 = Instant::now();
        let mut r = Registry::default();
        r.register(7, t0);
        assert_eq!(r.touch(7, t0 + Duration::from_secs(3600), None), Use::Fresh);
        r.register(8, t0);
        assert_eq!(
            r.touch(
                8,
                t0 + Duration::from_secs(10),
                Some(Duration::from_secs(1))
            ),
            Use::Reclaim { idle_secs: 10 }
        );
        r.register(8, t0 + Duration::from_secs(10));
        assert_eq!(
            r.touch(
                8,
                t0 + Duration::from_secs(10),
                Some(Duration::from_secs(1))
            ),
            Use::Fresh
        );
    }
}

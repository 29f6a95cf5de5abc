//! Idle reclaim on the Zend side, for ext/sockets and streams alike
//! (bookkeeping in [`crate::registry`], the clock in [`super::clock`]): a
//! use of a socket idle past `sockguard.idle_timeout` reclaims it (its
//! connection is dropped) and fails; report mode logs instead.

use super::{clock, engine};
use crate::{
    config::Mode,
    policy::Reason,
    registry::{self, Use},
    runtime,
};

/// Replaces the connection behind `fd` with an unconnected socket: the
/// peer sees the connection close, and the descriptor number stays valid
/// for PHP, which closes it itself later.
pub fn drop_connection(fd: i32) {
    // SAFETY: plain socket/dup2/close on descriptors this process owns.
    unsafe {
        let dead = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if dead >= 0 {
            libc::dup2(dead, fd);
            libc::close(dead);
        }
    }
}

/// Starts the idle clock of a socket.
pub fn register_fd(fd: i32) {
    registry::register(fd, clock::checked_now());
}

/// Records a use of the socket behind `fd`; `Err` with the reason when the
/// socket is (now) reclaimed. Report mode logs and lets the call through.
/// Inlined into every read and write: the common outcome costs one clock
/// read and one slot; the rest is out of line.
#[inline]
pub fn use_fd(fd: i32) -> Result<(), Reason> {
    settle(fd, touch(fd))
}

/// The fast path of [`use_fd`]: records a use of `fd` and tells what it
/// found; a result other than `Untracked` or `Fresh` goes to [`settle`].
/// Atomics only: it cannot panic.
#[inline]
pub fn touch(fd: i32) -> Use {
    registry::touch(fd, clock::now_millis(), runtime::idle_timeout_ms())
}

/// Records a use of the socket behind `fd` when it is untracked or fresh
/// under `timeout` (the configuration's, in ms: true); otherwise changes
/// nothing (false), and [`use_fd`] deals with it.
#[inline]
pub fn use_if_fresh(fd: i32, timeout: Option<u64>) -> bool {
    registry::touch_if_fresh(fd, clock::now_millis(), timeout)
}

/// Acts on what [`touch`] found: `Err` with the reason when the socket is
/// (now) reclaimed; report mode logs and lets the call through.
pub fn settle(fd: i32, found: Use) -> Result<(), Reason> {
    match found {
        Use::Untracked | Use::Fresh => Ok(()),
        idle => idle_use(fd, idle),
    }
}

/// A use that found the socket idle past the timeout, or reclaimed earlier.
#[cold]
#[inline(never)]
fn idle_use(fd: i32, found: Use) -> Result<(), Reason> {
    match found {
        Use::Untracked | Use::Fresh => Ok(()),
        Use::Reclaim { idle_secs } if runtime::current().mode == Mode::Report => {
            engine::log_detached(format!(
                "sockguard: would reclaim a socket in {}() after {idle_secs} s idle [reclaimed]",
                engine::active_function()
            ));
            register_fd(fd);
            Ok(())
        }
        Use::Reclaim { idle_secs } => {
            drop_connection(fd);
            crate::stats::record_reclaim();
            super::counting::reclaimed(runtime::current());
            Err(Reason::Reclaimed { idle_secs })
        }
        Use::Reclaimed { idle_secs } => Err(Reason::Reclaimed { idle_secs }),
    }
}

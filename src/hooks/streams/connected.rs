//! Connected client streams under idle reclaim: after a connect that
//! succeeded (and with `sockguard.idle_timeout` set), the stream's ops
//! become the set's connected copy, whose reads, writes, liveness checks
//! and casts run the idle check first; closing forgets the descriptor.
//!
//! Reads and writes run for every chunk of a transfer, so they stay lean:
//! the idle check, then the original's own function, called with the
//! connected copy left in place (xp_socket.c and ext/openssl compare ops
//! pointers only in set_option paths) so that the call is a tail call.

use std::ffi::{c_char, c_int, c_void};

use ext_php_rs::ffi::{php_stream, php_stream_ops};

use super::ops::{set_of_guard, GuardSet};
use crate::hooks::{
    engine,
    entry::entry,
    ffi::{
        _php_stream_xport_param_STREAM_XPORT_OP_CONNECT as OP_CONNECT,
        _php_stream_xport_param_STREAM_XPORT_OP_CONNECT_ASYNC as OP_CONNECT_ASYNC,
        php_stream_xport_param, PHP_STREAM_OPTION_CHECK_LIVENESS, PHP_STREAM_OPTION_RETURN_ERR,
        PHP_STREAM_OPTION_RETURN_OK,
    },
    idle,
};
use crate::{
    policy::Reason,
    registry::{self, Use},
    runtime,
};

const RETURN_OK: c_int = PHP_STREAM_OPTION_RETURN_OK as c_int;
const RETURN_ERR: c_int = PHP_STREAM_OPTION_RETURN_ERR;
const CHECK_LIVENESS: c_int = PHP_STREAM_OPTION_CHECK_LIVENESS as c_int;

/// After a connect that succeeded, puts the stream under idle reclaim
/// (when `sockguard.idle_timeout` is set): its descriptor starts a clock
/// and its ops become the connected copy.
///
/// # Safety
/// `stream` must be the live stream the connect ran on, with its original
/// ops in place.
#[inline]
pub unsafe fn track_if_connected(
    stream: *mut php_stream,
    set: &'static GuardSet,
    op: u32,
    result: c_int,
    xparam: &php_stream_xport_param,
) {
    let connected = (op == OP_CONNECT || op == OP_CONNECT_ASYNC)
        && result == RETURN_OK
        && xparam.outputs.returncode == 0;
    if !connected || runtime::idle_timeout_ms().is_none() {
        return;
    }
    // SAFETY: forwarded; socket streams keep their descriptor first in
    // `abstract` (php_netstream_data_t, also first in ext/openssl's data).
    unsafe {
        let Some(fd) = stream_fd(stream) else { return };
        idle::register_fd(fd);
        (*stream).ops = &set.connected.ops;
    }
}

/// The descriptor of a socket stream.
///
/// # Safety
/// `stream` must be a live socket stream (xp_socket.c or ext/openssl).
unsafe fn stream_fd(stream: *mut php_stream) -> Option<i32> {
    // SAFETY: see the caller; php_netstream_data_t starts with the socket.
    unsafe {
        let data = (*stream).abstract_.cast::<i32>();
        (!data.is_null()).then(|| *data).filter(|fd| *fd >= 0)
    }
}

/// The original ops behind a connected copy.
///
/// # Safety
/// `stream` must be a live stream whose ops are a connected copy.
#[inline]
unsafe fn original_of(stream: *mut php_stream) -> Option<&'static php_stream_ops> {
    // SAFETY: forwarded; original tables are static.
    unsafe { set_of_guard((*stream).ops).and_then(|set| set.original.as_ref()) }
}

/// Runs `call` with the stream's original ops in place, then puts the
/// connected copy back (php-src compares ops pointers inside its calls).
///
/// # Safety
/// `stream` must be a live stream whose ops are a connected copy.
unsafe fn with_original<R>(
    stream: *mut php_stream,
    call: impl FnOnce(&php_stream_ops) -> R,
) -> Option<R> {
    // SAFETY: forwarded.
    unsafe {
        let guard = (*stream).ops;
        let original = original_of(stream)?;
        (*stream).ops = original;
        let r = call(original);
        (*stream).ops = guard;
        Some(r)
    }
}

/// The idle check of a connected stream: `Err` with the reason if it is
/// (now) reclaimed.
///
/// # Safety
/// `stream` must be a live socket stream.
#[inline]
unsafe fn stream_in_use(stream: *mut php_stream) -> Result<(), Reason> {
    // SAFETY: forwarded.
    match unsafe { stream_fd(stream) } {
        Some(fd) => idle::use_fd(fd),
        None => Ok(()),
    }
}

/// Fails a read or write of a reclaimed stream the way xp_socket.c reports
/// an EPIPE ("Read of N bytes failed with errno=32 Broken pipe"). The
/// notice text moves to the engine first: nothing of ours is alive if a
/// user error handler bails out.
#[cold]
#[inline(never)]
fn reclaimed_io(what: &str, count: usize, reason: &Reason) -> isize {
    let text = format!(
        "{what} of {count} bytes failed with errno=32 {} (sockguard: {reason})",
        engine::strerror(libc::EPIPE)
    );
    engine::notice_detached(text);
    -1
}

/// `read` of a connected copy. The common case is a tail call into the
/// original after an idle check made of atomics and pointer reads (it
/// cannot panic); a socket found idle is dealt with under [`entry`].
pub unsafe extern "C" fn connected_read(
    stream: *mut php_stream,
    buf: *mut c_char,
    count: usize,
) -> isize {
    // SAFETY: forwarded from the engine.
    let found = unsafe { touch(stream, "stream read") };
    if !matches!(found, Use::Untracked | Use::Fresh) {
        let failed = entry(
            "stream read",
            |_| Ok(Some(-1)),
            || {
                // SAFETY: forwarded from the engine.
                let settled = unsafe { settle(stream, found) };
                Ok(settled.err().map(|r| reclaimed_io("Read", count, &r)))
            },
        );
        if let Some(failed) = failed {
            return failed;
        }
    }
    // SAFETY: the engine passes a live stream whose ops are a connected
    // copy.
    match unsafe { original_of(stream).and_then(|o| o.read) } {
        // SAFETY: forwarded from the engine to the original read.
        Some(read) => unsafe { read(stream, buf, count) },
        None => -1,
    }
}

/// `write` of a connected copy (as [`connected_read`]).
pub unsafe extern "C" fn connected_write(
    stream: *mut php_stream,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: forwarded from the engine.
    let found = unsafe { touch(stream, "stream write") };
    if !matches!(found, Use::Untracked | Use::Fresh) {
        let failed = entry(
            "stream write",
            |_| Ok(Some(-1)),
            || {
                // SAFETY: forwarded from the engine.
                let settled = unsafe { settle(stream, found) };
                Ok(settled.err().map(|r| reclaimed_io("Send", count, &r)))
            },
        );
        if let Some(failed) = failed {
            return failed;
        }
    }
    // SAFETY: as in `connected_read`.
    match unsafe { original_of(stream).and_then(|o| o.write) } {
        // SAFETY: forwarded from the engine to the original write.
        Some(write) => unsafe { write(stream, buf, count) },
        None => -1,
    }
}

/// A use of a connected stream: what the idle clock found (the fast path
/// of every read and write). A fault injected at `site` sends every use
/// to the slow path, where the entry of `site` panics.
///
/// # Safety
/// `stream` must be a live socket stream.
#[inline]
unsafe fn touch(stream: *mut php_stream, site: &str) -> Use {
    if crate::hooks::entry::fault_at(site) {
        return Use::Reclaimed { idle_secs: 0 };
    }
    // SAFETY: forwarded.
    match unsafe { stream_fd(stream) } {
        Some(fd) => idle::touch(fd),
        None => Use::Untracked,
    }
}

/// Acts on what [`touch`] found.
///
/// # Safety
/// `stream` must be a live socket stream.
unsafe fn settle(stream: *mut php_stream, found: Use) -> Result<(), Reason> {
    // SAFETY: forwarded.
    match unsafe { stream_fd(stream) } {
        Some(fd) => idle::settle(fd, found),
        None => Ok(()),
    }
}

/// `set_option` of a connected copy: a reclaimed stream is dead (feof()
/// says so, and a persistent one is closed instead of being handed out
/// again); everything else goes to the original.
pub unsafe extern "C" fn connected_set_option(
    stream: *mut php_stream,
    option: c_int,
    value: c_int,
    ptrparam: *mut c_void,
) -> c_int {
    entry(
        "stream option",
        |_| Ok(RETURN_ERR),
        || {
            // SAFETY: forwarded from the engine.
            let dead = unsafe { stream_in_use(stream) }.is_err();
            if option == CHECK_LIVENESS {
                if dead {
                    return Ok(RETURN_ERR);
                }
                // feof() asks this between reads: a tail call, as in
                // connected_read (the liveness check compares no ops pointers).
                // SAFETY: the engine passes a live stream whose ops are a connected copy.
                return Ok(
                    match unsafe { original_of(stream).and_then(|o| o.set_option) } {
                        // SAFETY: forwarded from the engine to the original set_option.
                        Some(set) => unsafe { set(stream, option, value, ptrparam) },
                        None => RETURN_ERR,
                    },
                );
            }
            // SAFETY: forwarded from the engine to the original set_option.
            Ok(unsafe {
                with_original(stream, |o| {
                    o.set_option
                        .map_or(RETURN_ERR, |set| set(stream, option, value, ptrparam))
                })
            }
            .unwrap_or(RETURN_ERR))
        },
    )
}

/// `cast` of a connected copy: stream_select() and socket_import_stream()
/// reach the descriptor here; inclusion in a select counts as use.
pub unsafe extern "C" fn connected_cast(
    stream: *mut php_stream,
    castas: c_int,
    ret: *mut *mut c_void,
) -> c_int {
    entry(
        "stream cast",
        |_| Ok(-1),
        || {
            // SAFETY: forwarded from the engine.
            let _ = unsafe { stream_in_use(stream) };
            // SAFETY: forwarded from the engine to the original cast.
            Ok(unsafe {
                with_original(stream, |o| {
                    o.cast.map_or(-1, |cast| cast(stream, castas, ret))
                })
            }
            .unwrap_or(-1))
        },
    )
}

/// `close` of a connected copy: the descriptor is forgotten and the
/// stream closes with its original ops (whatever else happens: a stream
/// that cannot close would leak its socket).
pub unsafe extern "C" fn connected_close(stream: *mut php_stream, close_handle: c_int) -> c_int {
    // SAFETY: forwarded from the engine.
    let original = entry(
        "stream close",
        |_| Ok(None),
        || {
            // SAFETY: forwarded from the engine.
            unsafe {
                if let Some(fd) = stream_fd(stream) {
                    registry::forget(fd);
                }
                Ok(original_of(stream))
            }
        },
    );
    let Some(original) = original else {
        return 0;
    };
    // SAFETY: the stream is closing, so its original ops stay in place for
    // the rest of its teardown.
    unsafe {
        (*stream).ops = original;
        original
            .close
            .map_or(0, |close| close(stream, close_handle))
    }
}

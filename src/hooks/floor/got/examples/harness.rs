//! Test harness: a shared library that embeds `got.rs` the way the PHP extension does.
//!
//! Loaded by tests/fixtures/main.c (built PIE and non-PIE by tests/got.rs). The replacement
//! below calls libc's `connect` through this library's own GOT, which the patcher must never
//! rewrite (otherwise it would call itself forever).
#![deny(clippy::unwrap_used)]

use std::ffi::c_int;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::Mutex;

use sockguard_got::{is_system_object, Patcher, Reroute};

static PATCHER: Mutex<Patcher> = Mutex::new(Patcher::new());
static CONNECTS: AtomicUsize = AtomicUsize::new(0);
static SOCKETS: AtomicUsize = AtomicUsize::new(0);
static BLOCKED_PORT: AtomicU16 = AtomicU16::new(0);

unsafe extern "C" fn guarded_connect(
    fd: c_int,
    addr: *const libc::sockaddr,
    len: libc::socklen_t,
) -> c_int {
    CONNECTS.fetch_add(1, Ordering::SeqCst);
    if !addr.is_null() && len as usize >= std::mem::size_of::<libc::sockaddr_in>() {
        // SAFETY: the caller passed `len` readable bytes at `addr`.
        let sin = unsafe { std::ptr::read_unaligned(addr.cast::<libc::sockaddr_in>()) };
        if i32::from(sin.sin_family) == libc::AF_INET
            && u32::from_be(sin.sin_addr.s_addr) == u32::from(std::net::Ipv4Addr::LOCALHOST)
            && u16::from_be(sin.sin_port) == BLOCKED_PORT.load(Ordering::SeqCst)
        {
            // SAFETY: __errno_location returns this thread's errno.
            unsafe { *libc::__errno_location() = libc::EACCES };
            return -1;
        }
    }
    // SAFETY: forwarding the caller's arguments to libc.
    unsafe { libc::connect(fd, addr, len) }
}

extern "C" fn guarded_socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int {
    SOCKETS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: plain socket(2) call.
    unsafe { libc::socket(domain, ty, protocol) }
}

fn patcher() -> std::sync::MutexGuard<'static, Patcher> {
    PATCHER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Patches every object except libc, the loader and the vDSO; returns the slots written.
#[no_mangle]
pub extern "C" fn harness_patch(blocked_port: u16) -> usize {
    BLOCKED_PORT.store(blocked_port, Ordering::SeqCst);
    let reroutes = [
        Reroute {
            symbol: c"connect",
            replacement: guarded_connect as *const () as usize,
        },
        Reroute {
            symbol: c"socket",
            replacement: guarded_socket as *const () as usize,
        },
    ];
    let report = patcher().patch_loaded(&reroutes, &|o| is_system_object(o));
    if !report.failures.is_empty() || report.unusable().next().is_some() {
        eprintln!("harness: {report:#?}");
    }
    report.slots_written
}

/// Slots written in the main executable (`""`).
#[no_mangle]
pub extern "C" fn harness_main_slots() -> usize {
    patcher()
        .patched_slots()
        .filter(|s| s.object.is_empty())
        .count()
}

/// Restores everything; returns the slots restored.
#[no_mangle]
pub extern "C" fn harness_restore() -> usize {
    patcher().restore().restored
}

/// Calls that reached `guarded_connect`.
#[no_mangle]
pub extern "C" fn harness_connects() -> usize {
    CONNECTS.load(Ordering::SeqCst)
}

/// Calls that reached `guarded_socket`.
#[no_mangle]
pub extern "C" fn harness_sockets() -> usize {
    SOCKETS.load(Ordering::SeqCst)
}

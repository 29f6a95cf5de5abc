//! Where the pool-wide counters of [`crate::metrics`] live and what a hook
//! counts: the shared mapping made at MINIT (before php-fpm forks its
//! workers), each process's stripe, and the labels of the running PHP
//! function, interned once per function and thread (a hook that is one
//! function's alone counts into its configuration's counters instead).
//!
//! It does not decide anything, and counts only what the hooks hand it:
//! every decision is counted where `sockguard_stats()` counts it.

use std::{
    cell::Cell,
    ptr,
    sync::atomic::{AtomicU64, Ordering},
};

use ext_php_rs::ffi::{zend_function, ZEND_INTERNAL_FUNCTION};

use crate::{
    config::{Config, Outcome},
    metrics::{self, Action, Label, OwnFunction, Series, Table, TransportLabel},
};

/// Maps an all-zero [`Table`] shared with every process forked from now on
/// and makes it the one counted into; this process's own table stays in
/// use if the mapping cannot be had. Registers the fork handler that gives
/// each child its stripe.
pub fn share_at_startup() {
    metrics::set_stripe(std::process::id());
    if metrics::is_shared() {
        return;
    }
    let size = std::mem::size_of::<Table>();
    // SAFETY: a fresh anonymous mapping; no existing memory is touched.
    let p = unsafe {
        libc::mmap(
            ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return;
    }
    // SAFETY: the mapping is `size` bytes of zeroes, page-aligned (more than
    // Table's alignment), never unmapped, and an all-zero Table (atomics
    // only) is the empty one.
    let table: &'static Table = unsafe { &*p.cast::<Table>() };
    metrics::share(table);
    // SAFETY: `child` is a plain function, safe to run in a forked child
    // (it reads the pid and stores an atomic).
    unsafe { libc::pthread_atfork(None, None, Some(child)) };
}

extern "C" fn child() {
    metrics::set_stripe(std::process::id());
    // The counters cached so far are the parent's stripe; the forking
    // thread is the child's only one, so its cache is the only one to drop.
    let _ = FUNCTIONS.try_with(|cache| cache.iter().for_each(|c| c.set(FREE)));
}

/// Entries of the per-thread function cache (a power of two).
const CACHED: usize = 32;
/// Slots a function's address may take, from its home slot on.
const WAYS: usize = 4;

/// What this thread knows of one internal function.
#[derive(Clone, Copy)]
struct Cached {
    /// The zend_function's address (0: a free slot).
    address: usize,
    /// Its interned name.
    label: Label,
    /// The configuration (0: none yet) and transport of the allowed series
    /// counted last for it, and this process's counter of that series: the
    /// next allowed decision under the same configuration (so the same app)
    /// and transport is one compare and one atomic add. Configurations are
    /// never freed, so an address names one.
    config: usize,
    transport: TransportLabel,
    counter: Option<&'static AtomicU64>,
}

const FREE: Cached = Cached {
    address: 0,
    label: Label::OVERFLOW,
    config: 0,
    transport: TransportLabel::NONE,
    counter: None,
};

thread_local! {
    /// Internal functions counted on this thread, by a hash of the
    /// function's address: each takes one of [`WAYS`] slots from its home
    /// slot, so a few functions used in turn (socket_create and
    /// socket_connect) always find theirs, whatever their addresses.
    static FUNCTIONS: [Cell<Cached>; CACHED] = const { [const { Cell::new(FREE) }; CACHED] };
}

/// The cache slot of a function's address.
#[inline]
fn slot_of(address: usize) -> usize {
    (address as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) as usize
        >> (usize::BITS - CACHED.trailing_zeros())
}

/// The PHP function running now, if any.
#[inline]
fn running_function() -> Option<&'static zend_function> {
    // SAFETY: the executor globals exist from engine startup; outside a call
    // `current_execute_data` is null; a running frame's function outlives it.
    unsafe {
        crate::hooks::engine::executor_globals()
            .as_ref()
            .and_then(|eg| eg.current_execute_data.as_ref())
            .and_then(|frame| frame.func.as_ref())
    }
}

/// Interns the name of `func` ("fsockopen", "PDO::__construct") without
/// allocating.
fn intern_name(func: &zend_function) -> Label {
    let mut name = [0u8; metrics::NAME_MAX + 1];
    let mut len = 0;
    let mut push = |bytes: &[u8]| {
        for &b in bytes {
            if let Some(slot) = name.get_mut(len) {
                *slot = b;
                len += 1;
            }
        }
    };
    // SAFETY: a function's scope, when set, is a live class entry with a
    // name; its own name is a live zend_string (or null for a pseudo-main).
    unsafe {
        if let Some(name) = func.common.scope.as_ref().and_then(|ce| ce.name.as_ref()) {
            push(name.as_bytes());
            push(b"::");
        }
        if let Some(name) = func.common.function_name.as_ref() {
            push(name.as_bytes());
        }
    }
    metrics::function(name.get(..len).unwrap_or_default())
}

/// The cache entries a function's address may take, from its home slot on.
#[inline]
fn ways(cache: &[Cell<Cached>; CACHED], address: usize) -> impl Iterator<Item = &Cell<Cached>> {
    let home = slot_of(address);
    (0..WAYS).filter_map(move |way| cache.get((home + way) % CACHED))
}

/// Runs `f` on this thread's cache entry of `func` (an internal function),
/// filling it on first use.
#[inline]
fn with_cached<R>(func: &zend_function, f: impl FnOnce(&Cell<Cached>) -> R) -> Option<R> {
    let address = ptr::from_ref(func) as usize;
    FUNCTIONS
        .try_with(|cache| {
            let entry = ways(cache, address)
                .find(|c| c.get().address == address)
                .or_else(|| {
                    // The first free slot, or the home slot.
                    let entry = ways(cache, address)
                        .find(|c| c.get().address == 0)
                        .or_else(|| ways(cache, address).next())?;
                    entry.set(Cached {
                        address,
                        label: intern_name(func),
                        ..FREE
                    });
                    Some(entry)
                })?;
            Some(f(entry))
        })
        .ok()
        .flatten()
}

/// Whether `func` is an internal function (whose address is stable).
#[inline]
fn is_internal(func: &zend_function) -> bool {
    // SAFETY: `type_` is the first byte of every zend_function.
    u32::from(unsafe { func.type_ }) == ZEND_INTERNAL_FUNCTION
}

/// The label of the PHP function running now ("fsockopen",
/// "PDO::__construct"; "" outside one). An internal function is interned
/// once per thread and then found by its address; nothing is allocated.
#[inline]
pub fn function_label() -> Label {
    let Some(func) = running_function() else {
        return metrics::function(b"");
    };
    if is_internal(func) {
        if let Some(label) = with_cached(func, |c| c.get().label) {
            return label;
        }
    }
    intern_name(func)
}

/// Counts an allowed decision of the PHP function running now: for an
/// internal function counted before under this configuration (so this
/// app) and transport, one compare and one atomic add.
///
/// The thread's cache is found here, inlined into the hook: a hook that
/// also reads the other thread-locals (the recent targets, the approvals)
/// then finds them all with one `__tls_get_addr` call.
#[inline]
pub fn allowed(config: &Config, transport: TransportLabel) {
    if FUNCTIONS
        .try_with(|cache| allowed_in(cache, config, transport))
        .is_err()
    {
        allowed_first(
            config,
            running_function().filter(|f| is_internal(f)),
            transport,
        );
    }
}

/// Counts an allowed call of `function`, whose hook is its own: into the
/// configuration's counter, with no thread-local and no lookup of the
/// running function. Out of line, as [`allowed_in`].
#[inline(never)]
pub fn own_allowed(config: &Config, function: OwnFunction, transport: TransportLabel) {
    config.count_allowed(function, transport);
}

/// [`allowed`] with this thread's cache. Out of line, so that callgrind
/// can count its instructions (`--toggle-collect`).
#[inline(never)]
fn allowed_in(cache: &[Cell<Cached>; CACHED], config: &Config, transport: TransportLabel) {
    let config_at = ptr::from_ref(config) as usize;
    // The common case first: the function found, counted before under
    // this configuration and transport.
    let func = running_function().filter(|func| is_internal(func));
    let counted_before = func.and_then(|func| {
        let address = ptr::from_ref(func) as usize;
        ways(cache, address)
            .map(Cell::get)
            .find(|e| e.address == address)
            .filter(|e| e.config == config_at && e.transport == transport)
            .and_then(|e| e.counter)
    });
    match counted_before {
        Some(counter) => {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        None => allowed_first(config, func, transport),
    }
}

/// [`allowed`] when the function's entry has to be found or filled in.
#[cold]
#[inline(never)]
fn allowed_first(config: &Config, func: Option<&zend_function>, transport: TransportLabel) {
    let table = metrics::table();
    let config_at = ptr::from_ref(config) as usize;
    let counted = func
        .and_then(|func| {
            with_cached(func, |entry| {
                let mut e = entry.get();
                // (An entry's configuration is set only with its counter.)
                if e.config != config_at || e.transport != transport {
                    let series = Series::allowed(config.metrics_app(), e.label, transport);
                    let slot = table.slot(series).ok()?;
                    e.counter = Some(table.counter(slot)?);
                    (e.config, e.transport) = (config_at, transport);
                    entry.set(e);
                }
                e.counter?.fetch_add(1, Ordering::Relaxed);
                Some(())
            })
        })
        .flatten()
        .is_some();
    if !counted {
        table.count(Series::allowed(
            config.metrics_app(),
            function_label(),
            transport,
        ));
    }
}

/// Counts an outcome of `function` (out of line, as [`allowed`]).
#[inline(never)]
pub fn outcome(config: &Config, outcome: &Outcome, function: Label, transport: TransportLabel) {
    let app = config.metrics_app();
    let series = match outcome {
        Outcome::Allow(_) | Outcome::Mock(_) => Series::allowed(app, function, transport),
        Outcome::Deny(r) => Series::refused(app, function, transport, Action::Denied, r),
        Outcome::Report(r) => Series::refused(app, function, transport, Action::WouldDeny, r),
    };
    metrics::table().count(series);
}

/// Counts a socket reclaimed for the app of `config`.
pub fn reclaimed(config: &Config) {
    metrics::table().count_reclaimed(config.metrics_app());
}

/// The library label of a floor origin ("libpq.so.5 (connect)" →
/// "libpq.so.5").
pub fn library_label(library: &str) -> Label {
    let name = library.split(" (").next().unwrap_or_default();
    metrics::function(name.as_bytes())
}

//! The one way in from C. Every `extern "C"` function sockguard hands to the
//! engine or to a library (function handlers, stream factories and ops,
//! libcurl callbacks, the C-library floor, module lifecycle) runs its body
//! through [`entry`]:
//!
//! - A panic never crosses the boundary. It is caught, and the entry's
//!   `fail` closure makes the call fail the way a refused operation fails
//!   (a warning and `false`, `-1` and `EACCES`, `CURL_SOCKET_BAD`, ...):
//!   sockguard fails closed, it never lets an undecided call through.
//! - A bailout (the engine's `longjmp` on a fatal error or an exhausted
//!   memory limit) never skips a Rust destructor. Engine calls made while
//!   Rust values are alive go through [`engine`], which catches the bailout
//!   in a `zend_try` and returns it as [`Bailout`]; `?` carries it up the
//!   Rust stack, dropping everything on the way, and [`entry`] re-raises it
//!   once nothing of ours is left. An engine call with no Rust value alive
//!   (the original handler, called last) needs no `zend_try`.
//!
//! Also here: fault injection for the tests of these failure paths
//! (`SOCKGUARD_FAULT`).

use std::{
    cell::RefCell,
    panic::{catch_unwind, AssertUnwindSafe, PanicHookInfo},
    sync::{
        atomic::{AtomicBool, Ordering},
        OnceLock,
    },
};

use ext_php_rs::zend::{try_catch, CatchError};

use crate::policy::Reason;

/// The engine bailed out (`longjmp`) during a call sockguard made into it.
/// Carried up the Rust stack as a value so that every destructor runs, and
/// re-raised by [`entry`].
#[derive(Debug)]
#[must_use]
pub struct Bailout;

/// Makes a call into the engine that may bail out, while Rust values are
/// alive in the caller: a bailout comes back as `Err(Bailout)`.
///
/// # Errors
/// [`Bailout`] when the engine bailed out; the caller returns it (`?`).
pub fn engine<R>(call: impl FnOnce() -> R) -> Result<R, Bailout> {
    match try_catch(AssertUnwindSafe(call)) {
        Ok(r) => Ok(r),
        Err(CatchError::Bailout) => Err(Bailout),
        // Our own code panicked inside the call: let the entry's
        // catch_unwind see it (frames inside have already unwound).
        Err(e) => std::panic::resume_unwind(Box::new(e.to_string())),
    }
}

/// Runs the body of an `extern "C"` function named `site`.
///
/// `body` returns the function's result, or a [`Bailout`] to re-raise. If
/// it panics (or `SOCKGUARD_FAULT` names `site`), `fail` runs with a
/// [`Reason::Internal`] and returns what the function returns on a refusal.
/// `fail` must not panic itself; if it does, the process aborts rather than
/// unwind into C.
pub fn entry<R>(
    site: &'static str,
    fail: impl FnOnce(Reason) -> Result<R, Bailout>,
    body: impl FnOnce() -> Result<R, Bailout>,
) -> R {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        inject_fault(site);
        body()
    }));
    let result = match outcome {
        Ok(result) => result,
        Err(payload) => {
            drop(payload);
            let what = match PANIC_MESSAGE.with(|m| m.borrow_mut().take()) {
                Some(message) => format!("{site}: {message}"),
                None => format!("{site} failed"),
            };
            catch_unwind(AssertUnwindSafe(|| fail(Reason::Internal { what })))
                .unwrap_or_else(|_| std::process::abort())
        }
    };
    match result {
        Ok(r) => r,
        // SAFETY: every Rust value of this call has been dropped: `body`
        // and `fail` returned, and `result` holds only the unit marker.
        Err(Bailout) => unsafe { ext_php_rs::zend::bailout() },
    }
}

thread_local! {
    /// The message of the last panic on this thread, for its reason.
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs a panic hook (MINIT) that keeps each panic's message for the
/// reason of the call it denies, then lets the hook that was there before
/// report it as usual (stderr, or the SAPI's log). Nothing of it runs
/// unless something panics.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        PANIC_MESSAGE.with(|m| {
            if let Ok(mut m) = m.try_borrow_mut() {
                *m = Some(message);
            }
        });
        previous(info);
    }));
}

/// Whether any fault is configured (checked first, so that an entry pays
/// one load when none is).
static FAULTS_ON: AtomicBool = AtomicBool::new(false);
static FAULTS: OnceLock<Vec<String>> = OnceLock::new();

/// Reads `SOCKGUARD_FAULT` once (MINIT): a comma-separated list of entry
/// sites that panic, or `*` for all. For the tests of the failure paths.
pub fn read_faults() {
    let faults = FAULTS.get_or_init(|| {
        std::env::var("SOCKGUARD_FAULT")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    });
    FAULTS_ON.store(!faults.is_empty(), Ordering::Relaxed);
}

/// Whether `SOCKGUARD_FAULT` names `site`.
pub fn fault_at(site: &str) -> bool {
    FAULTS_ON.load(Ordering::Relaxed)
        && FAULTS
            .get()
            .is_some_and(|f| f.iter().any(|s| s == "*" || s == site))
}

/// A named point inside an entry where `SOCKGUARD_FAULT` can make the
/// body panic (for the rollback of a step half done).
#[inline]
pub fn fault_point(site: &str) {
    inject_fault(site);
}

#[inline]
fn inject_fault(site: &str) {
    if fault_at(site) {
        injected_panic(site);
    }
}

#[cold]
#[inline(never)]
fn injected_panic(site: &str) -> ! {
    panic!("fault injected at {site} (SOCKGUARD_FAULT)");
}

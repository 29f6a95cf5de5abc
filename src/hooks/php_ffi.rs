//! PHP's FFI: FFI::cdef, FFI::load, FFI::scope and every other method of
//! the FFI class go through one guard. FFI calls C functions and writes
//! process memory directly (it can call connect, or rewrite the floor's
//! entries), so no check can stand in front of it: in enforce mode it is
//! denied unless `sockguard.allow_ffi = 1`, with the FFI\Exception that FFI
//! itself throws when it cannot proceed. Report mode logs and lets it run.

use std::sync::{Mutex, PoisonError};

use ext_php_rs::{
    exception::PhpException,
    ffi::{zend_function, ZEND_INTERNAL_FUNCTION},
    types::Zval,
    zend::{ClassEntry, ExecuteData},
};

use super::{
    engine::{self, find_class},
    originals::Handler,
    verdict::{self, report_line},
};
use crate::{
    config::Outcome,
    policy::{Caller, Operation},
    runtime,
};

/// The FFI methods swapped: (function, its original handler).
static ORIGINALS: Mutex<Vec<(usize, Handler)>> = Mutex::new(Vec::new());

fn originals() -> std::sync::MutexGuard<'static, Vec<(usize, Handler)>> {
    ORIGINALS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Puts the guard in front of every method of the FFI class (MINIT).
pub fn install() {
    // SAFETY: a registered class entry lives as long as its module; MINIT
    // runs before any request.
    let Some(ce) = (unsafe { find_class("ffi").as_mut() }) else {
        return;
    };
    let mut saved = originals();
    let table: &ext_php_rs::types::ZendHashTable = &ce.function_table;
    for (_, slot) in table.iter() {
        // SAFETY: a class's function table holds IS_PTR zvals pointing to
        // its zend_functions, which live as long as the class.
        let Some(func) = (unsafe { slot.value.ptr.cast::<zend_function>().as_mut() }) else {
            continue;
        };
        // SAFETY: `type_` is the common first byte of every variant.
        if u32::from(unsafe { func.type_ }) != ZEND_INTERNAL_FUNCTION {
            continue;
        }
        let key = std::ptr::from_mut(func) as usize;
        // SAFETY: internal functions use the `internal_function` variant.
        let handler = unsafe { &mut func.internal_function.handler };
        if let Some(original) = *handler {
            if original as usize != guard as *const () as usize {
                saved.push((key, original));
                *handler = Some(guard);
            }
        }
    }
}

/// Puts FFI's own handlers back (MSHUTDOWN).
pub fn uninstall() {
    for (func, original) in originals().drain(..) {
        // SAFETY: the function table entry saved by `install`, alive as long
        // as ext/ffi, which outlives our MSHUTDOWN (we load after it).
        unsafe {
            let func = func as *mut zend_function;
            (*func).internal_function.handler = Some(original);
        }
    }
}

/// The handler of every FFI method.
unsafe extern "C" fn guard(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: the engine passes the frame of the method being called.
    let func = unsafe { (*ex).func } as usize;
    let original = originals()
        .iter()
        .find(|(f, _)| *f == func)
        .map(|(_, h)| *h);
    let Some(original) = original else {
        return;
    };
    let run = super::entry::entry(
        "FFI",
        |reason| {
            PhpException::new(format!("sockguard: {reason}"), 0, ffi_exception()).throw();
            Ok(false)
        },
        || {
            if runtime::is_off() {
                return Ok(true);
            }
            let config = runtime::current();
            match verdict::decide(config, &Operation::Ffi, Caller::Client, || "FFI".into()) {
                Outcome::Allow(_) | Outcome::Mock(_) => Ok(true),
                Outcome::Report(reason) => {
                    engine::log(&report_line("FFI", &reason))?;
                    Ok(true)
                }
                Outcome::Deny(reason) => {
                    PhpException::new(format!("sockguard: {reason}"), 0, ffi_exception()).throw();
                    Ok(false)
                }
            }
        },
    );
    if run {
        // SAFETY: the engine's frame and return slot, for the handler they
        // were meant for; nothing of ours is alive.
        unsafe { original(ex, rv) };
    }
}

/// FFI\Exception, as FFI itself throws when it cannot proceed.
fn ffi_exception() -> &'static ClassEntry {
    // SAFETY: a registered class entry lives as long as its module.
    unsafe { find_class("ffi\\exception").as_ref() }.unwrap_or_else(ext_php_rs::zend::ce::exception)
}

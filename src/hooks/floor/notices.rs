//! Warnings from the floor. A denial inside a library's own connect happens
//! in the middle of that library's work: a PHP warning right there could
//! run a user error handler (PHP code) inside libpq. So the message waits
//! in a per-thread queue, the engine is asked to interrupt the VM
//! (`EG(vm_interrupt)`, as ext/pcntl does for signals), and sockguard's
//! interrupt function emits the warnings when the VM next checks: right
//! after the PHP function that called the library returns, in PHP's own
//! words (`Warning: pg_connect(): sockguard: ...`).

use std::{
    cell::RefCell,
    ffi::CString,
    sync::atomic::{AtomicBool, AtomicUsize, Ordering},
};

use ext_php_rs::ffi::{zend_execute_data, E_WARNING};

use crate::hooks::{
    engine,
    entry::{engine, entry},
    ffi::zend_error,
};

type InterruptFunction = unsafe extern "C" fn(*mut zend_execute_data);

/// The interrupt function that was in place before ours (0: none).
static PREVIOUS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Warnings waiting for the VM, already in PHP's words.
    static QUEUE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Puts sockguard's interrupt function in place, chaining the one before
/// (MINIT).
pub fn install() {
    // SAFETY: MINIT runs before any request; the engine reads this global
    // only from the VM.
    unsafe {
        let previous = ext_php_rs::ffi::zend_interrupt_function;
        if previous.is_some_and(|p| p as usize == on_interrupt as *const () as usize) {
            return;
        }
        PREVIOUS.store(previous.map_or(0, |p| p as usize), Ordering::Relaxed);
        ext_php_rs::ffi::zend_interrupt_function = Some(on_interrupt);
    }
}

/// Puts the previous interrupt function back, if ours is still in place
/// (MSHUTDOWN).
pub fn uninstall() {
    // SAFETY: as in `install`; MSHUTDOWN runs after the last request.
    unsafe {
        if ext_php_rs::ffi::zend_interrupt_function
            .is_some_and(|p| p as usize == on_interrupt as *const () as usize)
        {
            let previous = PREVIOUS.swap(0, Ordering::Relaxed);
            ext_php_rs::ffi::zend_interrupt_function = match previous {
                0 => None,
                // SAFETY: only a live interrupt function was stored.
                p => Some(std::mem::transmute::<usize, InterruptFunction>(p)),
            };
        }
    }
}

/// Queues a warning (already in PHP's words, `"pg_connect(): ..."`) for
/// the thread serving this request, and asks the VM to interrupt.
pub fn warn(message: String) {
    QUEUE.with(|q| {
        // A library retrying (libcurl's DoH asks twice, A and AAAA) says it once.
        if let Ok(mut q) = q.try_borrow_mut() {
            if !q.contains(&message) {
                q.push(message);
            }
        }
    });
    interrupt();
}

/// Queues a line for PHP's error log (report mode), written at the VM's
/// next interrupt check.
pub fn log(line: String) {
    engine::log_later(line);
    interrupt();
}

/// Asks the VM of this thread to call the interrupt function soon.
fn interrupt() {
    // SAFETY: the executor globals of this thread, which serves a request;
    // vm_interrupt is a zend_atomic_bool, laid out as an atomic byte.
    unsafe {
        let eg = crate::hooks::engine::executor_globals();
        if let Some(eg) = eg.as_mut() {
            let flag = std::ptr::addr_of_mut!(eg.vm_interrupt).cast::<AtomicBool>();
            (*flag).store(true, Ordering::SeqCst);
        }
    }
}

/// What was queued but never shown (the request ended first) goes to the
/// error log instead.
pub fn flush_to_log() {
    for message in take() {
        engine::log_later(message);
    }
}

fn take() -> Vec<String> {
    QUEUE.with(|q| {
        q.try_borrow_mut()
            .map(|mut q| std::mem::take(&mut *q))
            .unwrap_or_default()
    })
}

/// The engine's interrupt function: sockguard's queued warnings, then
/// whatever interrupt function was there before.
unsafe extern "C" fn on_interrupt(execute_data: *mut zend_execute_data) {
    entry(
        "floor warnings",
        |_| Ok(()),
        || {
            engine::flush_logs()?;
            for message in take() {
                let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
                // SAFETY: a NUL-terminated message consumed by one `%s`; a
                // user error handler may run (we are between opcodes).
                engine(|| unsafe { zend_error(E_WARNING as i32, c"%s".as_ptr(), text.as_ptr()) })?;
            }
            Ok(())
        },
    );
    let previous = PREVIOUS.load(Ordering::Relaxed);
    if previous != 0 {
        // SAFETY: only a live interrupt function was stored; it gets the
        // engine's own argument.
        unsafe { std::mem::transmute::<usize, InterruptFunction>(previous)(execute_data) };
    }
}

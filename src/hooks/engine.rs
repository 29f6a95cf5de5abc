//! Thin wrappers over the Zend calls every hook makes: warnings, notices,
//! the error log, the running function and script line, class lookups. Calls that may
//! bail out go through [`entry::engine`], so callers keep their Rust values
//! safe with `?`.

use std::{
    ffi::{c_int, CString},
    ptr,
};

use ext_php_rs::ffi::{
    ext_php_rs_compiler_globals, php_error_docref, zend_class_entry, zend_executor_globals,
    zend_hash_str_find_ptr_lc, E_NOTICE, E_WARNING,
};

use super::{
    entry::{engine, Bailout},
    ffi::php_log_err_with_severity,
};

/// This thread's executor globals. Under NTS the php binary's own block,
/// read without a call (every decision reads the running function here);
/// under ZTS, this thread's.
#[inline]
pub fn executor_globals() -> *mut zend_executor_globals {
    // (Taking the address of the php binary's block reads nothing.)
    #[cfg(not(php_zts))]
    return ptr::addr_of_mut!(ext_php_rs::ffi::executor_globals);
    #[cfg(php_zts)]
    // SAFETY: ext-php-rs's accessor of this thread's block, from engine startup.
    return unsafe { ext_php_rs::ffi::ext_php_rs_executor_globals() };
}

/// `message` as a C string; NUL bytes are shown as `\0`.
fn c_text(message: &str) -> CString {
    CString::new(message.replace('\0', "\\0")).unwrap_or_default()
}

/// Emits `message` as an E_WARNING attributed to the running PHP function,
/// the way `php_error_docref(NULL, E_WARNING, ...)` does in php-src.
///
/// # Errors
/// [`Bailout`] if a user error handler bailed out.
pub fn warning(message: &str) -> Result<(), Bailout> {
    report(E_WARNING as c_int, message)
}

/// php_error_docref with one `%s` (a user error handler may run).
fn report(level: c_int, message: &str) -> Result<(), Bailout> {
    let text = c_text(message);
    // SAFETY: `text` is a NUL-terminated string alive across the call, and
    // the format consumes exactly one `%s`.
    engine(|| unsafe { php_error_docref(ptr::null(), level, c"%s".as_ptr(), text.as_ptr()) })
}

/// Writes `message` to PHP's error log (error_log ini, or the SAPI's log).
///
/// # Errors
/// [`Bailout`] if the engine bailed out while logging.
pub fn log(message: &str) -> Result<(), Bailout> {
    let text = c_text(message);
    // SAFETY: `text` is a NUL-terminated string alive across the call; the
    // engine only reads it. LOG_NOTICE is a valid syslog priority.
    engine(|| unsafe { php_log_err_with_severity(text.as_ptr(), libc::LOG_NOTICE) })
}

/// The C library's text for `errno`, as sockets_strerror gives it.
pub fn strerror(errno: i32) -> String {
    std::io::Error::from_raw_os_error(errno)
        .to_string()
        .split(" (os error")
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A C string from the engine, lossily as UTF-8 ("" for NULL).
fn engine_str(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the engine returns NUL-terminated strings it keeps alive.
    unsafe { std::ffi::CStr::from_ptr(p) }
        .to_string_lossy()
        .into_owned()
}

/// The PHP function running now (e.g. "fsockopen", "curl_exec").
pub fn active_function() -> String {
    // SAFETY: valid during a request; returns NULL outside one.
    engine_str(unsafe { super::ffi::get_active_function_name() })
}

/// The PHP function running now as PHP's own warnings name it:
/// "pg_connect", "PDO::__construct".
pub fn active_function_qualified() -> String {
    let mut space: *const std::ffi::c_char = ptr::null();
    // SAFETY: valid during a request; the engine returns its own strings
    // ("" when there is no class) and sets `space` to "" or "::".
    let class = engine_str(unsafe { super::ffi::get_active_class_name(&mut space) });
    let space = engine_str(space);
    format!("{class}{space}{}", active_function())
}

/// The script file and line being executed.
pub fn executed_location() -> (String, u32) {
    // SAFETY: valid during a request; the engine answers "[no active file]"
    // and 0 outside one.
    unsafe {
        (
            engine_str(super::ffi::zend_get_executed_filename()),
            super::ffi::zend_get_executed_lineno(),
        )
    }
}

thread_local! {
    /// Lines for the error log, waiting for a point where logging is safe.
    static LATER: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Queues `message` for the error log, for code that must not call into
/// the engine where it is (below a library's call, or while it holds
/// values a bailout would skip); [`flush_logs`] writes it.
pub fn log_later(message: String) {
    LATER.with(|l| {
        if let Ok(mut l) = l.try_borrow_mut() {
            l.push(message);
            LATER_SOMEWHERE.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
}

/// Whether any thread may have lines waiting: [`flush_logs`] runs after
/// every hook, and usually there is nothing to do.
static LATER_SOMEWHERE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes the lines [`log_later`] queued.
///
/// # Errors
/// [`Bailout`] if the engine bailed out while logging.
#[inline]
pub fn flush_logs() -> Result<(), Bailout> {
    if LATER_SOMEWHERE.load(std::sync::atomic::Ordering::Relaxed) {
        flush_queued_logs()
    } else {
        Ok(())
    }
}

#[cold]
#[inline(never)]
fn flush_queued_logs() -> Result<(), Bailout> {
    let lines = LATER.with(|l| {
        l.try_borrow_mut()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default()
    });
    for line in lines {
        log(&line)?;
    }
    Ok(())
}

/// [`log`] for a caller deep in a hot path that holds no Rust value: the
/// message moves to the engine's request heap first, so a bailout while
/// logging skips no destructor (the engine frees its heap at request end).
pub fn log_detached(message: String) {
    let text = ext_php_rs::alloc::estrdup(message.replace('\0', "\\0"));
    drop(message);
    // SAFETY: `text` is a NUL-terminated emalloc'd string; LOG_NOTICE is a
    // valid syslog priority; nothing of ours needs dropping past this point.
    unsafe {
        php_log_err_with_severity(text, libc::LOG_NOTICE);
        ext_php_rs::alloc::efree(text.cast());
    }
}

/// Emits `message` as an E_NOTICE (as xp_socket.c reports failed reads and
/// writes of socket streams), for a caller deep in a hot path that holds
/// no Rust value (see [`log_detached`]).
pub fn notice_detached(message: String) {
    let text = ext_php_rs::alloc::estrdup(message.replace('\0', "\\0"));
    drop(message);
    // SAFETY: `text` is a NUL-terminated emalloc'd string and the format
    // consumes exactly one `%s`; nothing of ours needs dropping past here.
    unsafe {
        php_error_docref(ptr::null(), E_NOTICE as c_int, c"%s".as_ptr(), text);
        ext_php_rs::alloc::efree(text.cast());
    }
}

/// Looks up a class by lowercase name in CG(class_table) (EG(class_table)
/// is not set yet during MINIT).
pub fn find_class(lcname: &str) -> *mut zend_class_entry {
    // SAFETY: compiler globals exist from engine startup; the class table
    // holds zend_class_entry pointers that live as long as their module, and
    // changes only at module (un)registration.
    unsafe {
        let cg = ext_php_rs_compiler_globals();
        let table = (*cg).class_table;
        if table.is_null() {
            return std::ptr::null_mut();
        }
        zend_hash_str_find_ptr_lc(table, lcname.as_ptr().cast(), lcname.len())
            .cast::<zend_class_entry>()
    }
}

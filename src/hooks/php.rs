//! Thin wrappers over the Zend calls every hook makes: warnings, the error
//! log, the ext/sockets object and its error slots. Each wrapper states what
//! it needs from the engine; callers stay free of raw pointer work.

use std::{
    ffi::c_int,
    ptr,
    sync::atomic::{AtomicPtr, Ordering},
};

use ext_php_rs::{
    alloc::{efree, estrdup},
    ffi::{php_error_docref, zend_class_entry, zend_object, E_WARNING},
    types::Zval,
};

use super::ffi::{php_log_err_with_severity, php_socket, zend_sockets_globals};

/// Replaces NUL bytes so a message survives the trip through a C string.
fn c_safe(message: &str) -> Vec<u8> {
    message.replace('\0', "\\0").into_bytes()
}

/// Emits `message` as an E_WARNING attributed to the running PHP function,
/// the way `php_error_docref(NULL, E_WARNING, ...)` does in php-src.
pub fn warning(message: &str) {
    report(E_WARNING as c_int, message);
}

/// Emits `message` as an E_NOTICE, as xp_socket.c reports failed reads and
/// writes of socket streams.
pub fn notice(message: &str) {
    report(ext_php_rs::ffi::E_NOTICE as c_int, message);
}

/// php_error_docref with one `%s`. The text is copied to the request heap
/// first: if a user error handler bails out, the engine frees it and no
/// Rust value is skipped.
fn report(level: c_int, message: &str) {
    let text = estrdup(c_safe(message));
    // SAFETY: `text` is a NUL-terminated emalloc'd string and the format
    // consumes exactly one `%s`.
    unsafe {
        php_error_docref(ptr::null(), level, c"%s".as_ptr(), text);
        efree(text.cast());
    }
}

/// Writes `message` to PHP's error log (error_log ini, or the SAPI's log).
pub fn log(message: &str) {
    let text = estrdup(c_safe(message));
    // SAFETY: `text` is a NUL-terminated emalloc'd string; LOG_NOTICE is a
    // valid syslog priority.
    unsafe {
        php_log_err_with_severity(text, libc::LOG_NOTICE);
        efree(text.cast());
    }
}

/// ext/sockets' `Socket` and `AddressInfo` classes and its module globals,
/// found once at startup (ext/sockets may be absent).
pub struct SocketsExt {
    socket_ce: AtomicPtr<zend_class_entry>,
    address_info_ce: AtomicPtr<zend_class_entry>,
    globals: AtomicPtr<zend_sockets_globals>,
}

/// The process's view of ext/sockets.
pub static SOCKETS: SocketsExt = SocketsExt {
    socket_ce: AtomicPtr::new(ptr::null_mut()),
    address_info_ce: AtomicPtr::new(ptr::null_mut()),
    globals: AtomicPtr::new(ptr::null_mut()),
};

impl SocketsExt {
    /// Records ext/sockets' classes and globals.
    pub fn init(
        &self,
        socket_ce: *mut zend_class_entry,
        address_info_ce: *mut zend_class_entry,
        globals: *mut zend_sockets_globals,
    ) {
        self.socket_ce.store(socket_ce, Ordering::Relaxed);
        self.address_info_ce
            .store(address_info_ce, Ordering::Relaxed);
        self.globals.store(globals, Ordering::Relaxed);
    }

    /// The `Socket` class entry (null if ext/sockets is not loaded).
    pub fn socket_ce(&self) -> *mut zend_class_entry {
        self.socket_ce.load(Ordering::Relaxed)
    }

    /// The `AddressInfo` class entry.
    pub fn address_info_ce(&self) -> *mut zend_class_entry {
        self.address_info_ce.load(Ordering::Relaxed)
    }

    /// Sets what `socket_last_error()` (without argument) returns.
    pub fn set_last_error(&self, errno: i32) {
        let globals = self.globals.load(Ordering::Relaxed);
        // SAFETY: `globals` is ext/sockets' NTS module globals block, alive for
        // the process, or null when it was not found.
        if let Some(g) = unsafe { globals.as_mut() } {
            g.last_error = errno;
        }
    }
}

/// A `Socket` object of ext/sockets, borrowed for the length of one call.
#[derive(Clone, Copy)]
pub struct Socket(*mut php_socket);

impl Socket {
    /// The socket behind `zv` if it is an instance of `Socket`.
    pub fn from_zval(zv: &Zval) -> Option<Socket> {
        let obj: &zend_object = zv.object()?;
        if obj.ce != SOCKETS.socket_ce() || obj.ce.is_null() {
            return None;
        }
        let offset = std::mem::offset_of!(php_socket, std);
        // SAFETY: objects of class Socket are allocated by ext/sockets as a
        // php_socket with the zend_object embedded at `offset` (socket_from_obj).
        let sock = unsafe { ptr::from_ref(obj).cast::<u8>().sub(offset) as *mut php_socket };
        Some(Socket(sock))
    }

    /// The descriptor, negative once the socket is closed.
    pub fn fd(self) -> i32 {
        // SAFETY: the object is alive for the whole call that passed it.
        unsafe { (*self.0).bsd_socket }
    }

    /// The address family the socket was made with (php_socket.type).
    pub fn family(self) -> i32 {
        // SAFETY: as in `fd`.
        unsafe { (*self.0).type_ }
    }

    /// The object's handle in the request's object store.
    pub fn handle(self) -> u32 {
        // SAFETY: as in `fd`.
        unsafe { (*self.0).std.handle }
    }

    /// Whether a stream is attached (socket_export_stream, or a Socket made
    /// by socket_import_stream): that stream can close the descriptor.
    pub fn has_stream(self) -> bool {
        // SAFETY: as in `fd`; zstream is a zval, UNDEF when there is none.
        unsafe { (*self.0).zstream.get_type() != ext_php_rs::flags::DataType::Undef }
    }

    /// Sets the socket's own error, as `socket_last_error($socket)` reports.
    pub fn set_error(self, errno: i32) {
        // SAFETY: as in `fd`; the field is a plain int.
        unsafe { (*self.0).error = errno }
    }
}

/// Fails a call the way ext/sockets' PHP_SOCKET_ERROR does: sets the
/// socket's error and `last_error`, then warns `"<msg> [13]: Permission
/// denied (sockguard: <reason>)"`.
pub fn socket_error(socket: Option<Socket>, msg: &str, errno: i32, reason: &str) {
    if let Some(s) = socket {
        s.set_error(errno);
    }
    SOCKETS.set_last_error(errno);
    warning(&format!(
        "{msg} [{errno}]: {} (sockguard: {reason})",
        strerror(errno)
    ));
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

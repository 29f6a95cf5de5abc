//! ext/sockets' `Socket` object, its `AddressInfo` class and module
//! globals, and failing a call the way ext/sockets' `PHP_SOCKET_ERROR`
//! does. Found once at MINIT (ext/sockets may be absent).

use std::{
    ptr,
    sync::atomic::{AtomicPtr, Ordering},
};

use ext_php_rs::{
    ffi::{zend_class_entry, zend_object, zval},
    types::Zval,
};

use super::{
    engine,
    entry::Bailout,
    ffi::{php_socket, zend_sockets_globals},
};

/// Where ext/sockets keeps its module globals: one block for the process
/// (NTS), or the TSRM resource id of each thread's block (ZTS).
#[cfg(not(php_zts))]
type Globals = zend_sockets_globals;
#[cfg(php_zts)]
type Globals = ext_php_rs::ffi::ts_rsrc_id;

/// ext/sockets' `Socket` and `AddressInfo` classes and its module globals.
pub struct SocketsExt {
    socket_ce: AtomicPtr<zend_class_entry>,
    address_info_ce: AtomicPtr<zend_class_entry>,
    globals: AtomicPtr<Globals>,
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
        globals: *mut Globals,
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

    /// Whether ext/sockets is loaded.
    pub fn loaded(&self) -> bool {
        !self.socket_ce().is_null()
    }

    /// Sets what `socket_last_error()` (without argument) returns.
    pub fn set_last_error(&self, errno: i32) {
        let g = self.globals();
        if !g.is_null() {
            // SAFETY: this thread's live globals block of ext/sockets.
            unsafe { (*g).last_error = errno };
        }
    }

    /// ext/sockets' globals block; null when it was not found.
    #[cfg(not(php_zts))]
    fn globals(&self) -> *mut zend_sockets_globals {
        // ext/sockets' NTS module globals block, alive for the process.
        self.globals.load(Ordering::Relaxed)
    }

    /// ext/sockets' globals block (of this thread, under ZTS); null when
    /// ext/sockets' globals were not found.
    #[cfg(php_zts)]
    fn globals(&self) -> *mut zend_sockets_globals {
        // SAFETY: the module's TSRM id, set by ext/sockets at its MINIT;
        // TSRMG_BULK: slot id - 1 of this thread's resource table holds the
        // thread's block (ext/sockets allocated every thread's at startup).
        let block = || unsafe {
            let id = *self.globals.load(Ordering::Relaxed).as_ref()?;
            let index = usize::try_from(id.checked_sub(1)?).ok()?;
            let table = *ext_php_rs::ffi::tsrm_get_ls_cache()
                .cast::<*mut *mut std::ffi::c_void>()
                .as_ref()?;
            Some((*table.add(index)).cast::<zend_sockets_globals>())
        };
        block().unwrap_or(ptr::null_mut())
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

    /// The `Socket` a ZPP "O" filled in, if it is still open. A closed
    /// socket goes to the original, which throws PHP's "has already been
    /// closed" Error.
    pub fn open_from(zv: *mut zval) -> Option<Socket> {
        // SAFETY: ZPP "O" stored a pointer to the live argument zval.
        let zv = unsafe { zv.as_ref()? };
        Socket::from_zval(zv).filter(|s| s.fd() >= 0)
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

    /// Whether a stream is attached (socket_export_stream, or a Socket made
    /// by socket_import_stream): that stream can close the descriptor.
    pub fn has_stream(self) -> bool {
        // SAFETY: as in `fd`; zstream is a zval, UNDEF when there is none.
        unsafe { (*self.0).zstream.u1.v.type_ != ext_php_rs::ffi::IS_UNDEF as u8 }
    }

    /// The word sockguard recorded in this object ([`Socket::record`]), 0
    /// if none: the `u2` of its `zstream` zval, which PHP neither reads nor
    /// writes for a zval that is a struct member (ZVAL_COPY and ZVAL_UNDEF
    /// set the value and type only) and which `zend_object_alloc` zeroed.
    pub fn recorded(self) -> u32 {
        // SAFETY: as in `fd`; every variant of the u2 union is a plain u32.
        unsafe { (*self.0).zstream.u2.extra }
    }

    /// Records a word in this object, for [`Socket::recorded`].
    pub fn record(self, word: u32) {
        // SAFETY: as in `recorded`; the object is live and ours to mark.
        unsafe { (*self.0).zstream.u2.extra = word }
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
///
/// # Errors
/// [`Bailout`] if a user error handler bailed out.
pub fn socket_error(
    socket: Option<Socket>,
    msg: &str,
    errno: i32,
    reason: &dyn std::fmt::Display,
) -> Result<(), Bailout> {
    if let Some(s) = socket {
        s.set_error(errno);
    }
    SOCKETS.set_last_error(errno);
    engine::warning(&format!(
        "{msg} [{errno}]: {} (sockguard: {reason})",
        engine::strerror(errno)
    ))
}

//! The PHP functions sockguard guards ([`Hook`]) and the original handlers
//! it replaced, saved at MINIT by [`super::install`]. A leaf: the hook
//! modules call the originals through here, and nothing here knows them.

use std::sync::atomic::{AtomicUsize, Ordering};

use ext_php_rs::{types::Zval, zend::ExecuteData};

/// The C signature of a PHP function's implementation.
pub type Handler = unsafe extern "C" fn(*mut ExecuteData, *mut Zval);

macro_rules! hooks {
    ($($(#[$doc:meta])* $hook:ident => [$($name:literal),+]),* $(,)?) => {
        /// Every PHP function sockguard guards.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(usize)]
        pub enum Hook {
            $($(#[$doc])* $hook,)*
        }

        impl Hook {
            /// Every hook, in declaration order.
            pub const ALL: &'static [Hook] = &[$(Hook::$hook,)*];

            /// The PHP names of the function: its own first, then aliases
            /// (lowercase; methods as "class::method").
            pub fn names(self) -> &'static [&'static str] {
                match self {
                    $(Hook::$hook => &[$($name),+],)*
                }
            }
        }
    };
}

hooks! {
    /// socket_create
    SocketCreate => ["socket_create"],
    /// socket_create_pair
    SocketCreatePair => ["socket_create_pair"],
    /// socket_create_listen
    SocketCreateListen => ["socket_create_listen"],
    /// socket_connect
    SocketConnect => ["socket_connect"],
    /// socket_bind
    SocketBind => ["socket_bind"],
    /// socket_listen
    SocketListen => ["socket_listen"],
    /// socket_accept
    SocketAccept => ["socket_accept"],
    /// socket_sendto
    SocketSendto => ["socket_sendto"],
    /// socket_sendmsg
    SocketSendmsg => ["socket_sendmsg"],
    /// socket_addrinfo_connect
    SocketAddrinfoConnect => ["socket_addrinfo_connect"],
    /// socket_addrinfo_bind
    SocketAddrinfoBind => ["socket_addrinfo_bind"],
    /// socket_get_option and its alias socket_getopt
    SocketGetOption => ["socket_get_option", "socket_getopt"],
    /// socket_set_option and its alias socket_setopt
    SocketSetOption => ["socket_set_option", "socket_setopt"],
    /// stream_socket_sendto
    StreamSocketSendto => ["stream_socket_sendto"],
    /// SoapClient::__doRequest
    SoapDoRequest => ["soapclient::__dorequest"],
    /// curl_copy_handle
    CurlCopyHandle => ["curl_copy_handle"],
    /// curl_reset
    CurlReset => ["curl_reset"],
    /// curl_exec
    CurlExec => ["curl_exec"],
    /// curl_multi_add_handle
    CurlMultiAddHandle => ["curl_multi_add_handle"],
    /// curl_error
    CurlError => ["curl_error"],
    /// ftp_connect
    FtpConnect => ["ftp_connect"],
    /// ftp_ssl_connect
    FtpSslConnect => ["ftp_ssl_connect"],
    /// socket_read
    SocketRead => ["socket_read"],
    /// socket_write
    SocketWrite => ["socket_write"],
    /// socket_send
    SocketSend => ["socket_send"],
    /// socket_recv
    SocketRecv => ["socket_recv"],
    /// socket_recvfrom
    SocketRecvfrom => ["socket_recvfrom"],
    /// socket_recvmsg
    SocketRecvmsg => ["socket_recvmsg"],
    /// socket_getpeername
    SocketGetpeername => ["socket_getpeername"],
    /// socket_getsockname
    SocketGetsockname => ["socket_getsockname"],
    /// socket_set_block
    SocketSetBlock => ["socket_set_block"],
    /// socket_set_nonblock
    SocketSetNonblock => ["socket_set_nonblock"],
    /// socket_shutdown
    SocketShutdown => ["socket_shutdown"],
    /// socket_atmark (PHP 8.3+)
    SocketAtmark => ["socket_atmark"],
    /// socket_close
    SocketClose => ["socket_close"],
    /// socket_import_stream
    SocketImportStream => ["socket_import_stream"],
}

/// The saved original handlers, indexed by `Hook as usize` (0: not hooked).
static ORIGINALS: [AtomicUsize; Hook::ALL.len()] = [const { AtomicUsize::new(0) }; Hook::ALL.len()];

impl Hook {
    /// The PHP name used in messages.
    pub fn name(self) -> &'static str {
        self.names()[0]
    }

    /// The handler this hook replaced.
    pub fn original(self) -> Option<Handler> {
        match ORIGINALS[self as usize].load(Ordering::Relaxed) {
            0 => None,
            // SAFETY: only values read from a live `Handler` are stored.
            addr => Some(unsafe { std::mem::transmute::<usize, Handler>(addr) }),
        }
    }

    /// Remembers the handler this hook replaces (MINIT).
    pub fn save_original(self, original: Handler) {
        ORIGINALS[self as usize].store(original as usize, Ordering::Relaxed);
    }

    /// Forgets the original (MSHUTDOWN, after it was put back).
    pub fn forget_original(self) {
        ORIGINALS[self as usize].store(0, Ordering::Relaxed);
    }
}

/// Runs the original implementation of `hook` on this call frame. The
/// caller holds no Rust value with a destructor across this call (the
/// original may bail out): it is the last thing a hook does.
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
pub unsafe fn call_original(hook: Hook, ex: *mut ExecuteData, rv: *mut Zval) {
    if let Some(original) = hook.original() {
        // SAFETY: the caller passes the engine's own frame; the original
        // handler expects exactly these.
        unsafe { original(ex, rv) };
    }
}

// `Hook::ALL` lists the hooks in declaration order, so `Hook as usize`
// indexes it and ORIGINALS.
const _: () = {
    let mut i = 0;
    while i < Hook::ALL.len() {
        assert!(Hook::ALL[i] as usize == i, "Hook::ALL is not in order");
        i += 1;
    }
};

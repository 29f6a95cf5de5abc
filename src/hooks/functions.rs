//! Swaps the `internal_function.handler` of guarded PHP functions at MINIT
//! and puts the originals back at MSHUTDOWN. Aliases (socket_getopt,
//! socket_setopt) are separate function-table entries with the same handler,
//! so every name is swapped.

use std::sync::atomic::{AtomicUsize, Ordering};

use ext_php_rs::{
    ffi::{
        ext_php_rs_compiler_globals, zend_class_entry, zend_function, zend_hash_str_find_ptr_lc,
        ZEND_INTERNAL_FUNCTION,
    },
    types::Zval,
    zend::ExecuteData,
};

use super::{curl, ftp, options, reclaim, soap, sockets, streams};

/// The C signature of a PHP function's implementation.
pub type Handler = unsafe extern "C" fn(*mut ExecuteData, *mut Zval);

/// Every function sockguard guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Hook {
    /// socket_create
    SocketCreate,
    /// socket_create_pair
    SocketCreatePair,
    /// socket_create_listen
    SocketCreateListen,
    /// socket_connect
    SocketConnect,
    /// socket_bind
    SocketBind,
    /// socket_listen
    SocketListen,
    /// socket_accept
    SocketAccept,
    /// socket_sendto
    SocketSendto,
    /// socket_sendmsg
    SocketSendmsg,
    /// socket_addrinfo_connect
    SocketAddrinfoConnect,
    /// socket_addrinfo_bind
    SocketAddrinfoBind,
    /// socket_get_option and its alias socket_getopt
    SocketGetOption,
    /// socket_set_option and its alias socket_setopt
    SocketSetOption,
    /// fsockopen
    Fsockopen,
    /// pfsockopen
    Pfsockopen,
    /// stream_socket_client
    StreamSocketClient,
    /// stream_socket_sendto
    StreamSocketSendto,
    /// SoapClient::__doRequest
    SoapDoRequest,
    /// curl_init
    CurlInit,
    /// curl_copy_handle
    CurlCopyHandle,
    /// curl_reset
    CurlReset,
    /// curl_exec
    CurlExec,
    /// curl_multi_add_handle
    CurlMultiAddHandle,
    /// curl_error
    CurlError,
    /// ftp_connect
    FtpConnect,
    /// ftp_ssl_connect
    FtpSslConnect,
    /// socket_read
    SocketRead,
    /// socket_write
    SocketWrite,
    /// socket_send
    SocketSend,
    /// socket_recv
    SocketRecv,
    /// socket_recvfrom
    SocketRecvfrom,
    /// socket_recvmsg
    SocketRecvmsg,
    /// socket_getpeername
    SocketGetpeername,
    /// socket_getsockname
    SocketGetsockname,
    /// socket_set_block
    SocketSetBlock,
    /// socket_set_nonblock
    SocketSetNonblock,
    /// socket_shutdown
    SocketShutdown,
    /// socket_close
    SocketClose,
    /// socket_import_stream
    SocketImportStream,
}

/// Handlers of the socket-using functions that only need the idle check.
macro_rules! socket_use_handlers {
    ($($name:ident => $hook:ident),* $(,)?) => {$(
        unsafe extern "C" fn $name(ex: *mut ExecuteData, rv: *mut Zval) {
            // SAFETY: forwarded from the engine.
            unsafe { reclaim::socket_use(Hook::$hook, ex, rv) }
        }
    )*};
}

socket_use_handlers! {
    socket_read => SocketRead,
    socket_write => SocketWrite,
    socket_send => SocketSend,
    socket_recv => SocketRecv,
    socket_recvfrom => SocketRecvfrom,
    socket_recvmsg => SocketRecvmsg,
    socket_getpeername => SocketGetpeername,
    socket_getsockname => SocketGetsockname,
    socket_set_block => SocketSetBlock,
    socket_set_nonblock => SocketSetNonblock,
    socket_shutdown => SocketShutdown,
}

unsafe extern "C" fn socket_close(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { reclaim::socket_close(ex, rv) }
}

unsafe extern "C" fn socket_import_stream(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe {
        call_original(Hook::SocketImportStream, ex, rv);
        if !super::is_off() {
            reclaim::register_returned(rv);
        }
    }
}

/// (hook, PHP names, replacement handler).
const TABLE: [(Hook, &[&str], Handler); 39] = [
    (
        Hook::SocketCreate,
        &["socket_create"],
        sockets::socket_create,
    ),
    (
        Hook::SocketCreatePair,
        &["socket_create_pair"],
        sockets::socket_create_pair,
    ),
    (
        Hook::SocketCreateListen,
        &["socket_create_listen"],
        sockets::socket_create_listen,
    ),
    (
        Hook::SocketConnect,
        &["socket_connect"],
        sockets::socket_connect,
    ),
    (Hook::SocketBind, &["socket_bind"], sockets::socket_bind),
    (
        Hook::SocketListen,
        &["socket_listen"],
        sockets::socket_listen,
    ),
    (
        Hook::SocketAccept,
        &["socket_accept"],
        sockets::socket_accept,
    ),
    (
        Hook::SocketSendto,
        &["socket_sendto"],
        sockets::socket_sendto,
    ),
    (
        Hook::SocketSendmsg,
        &["socket_sendmsg"],
        sockets::socket_sendmsg,
    ),
    (
        Hook::SocketAddrinfoConnect,
        &["socket_addrinfo_connect"],
        sockets::socket_addrinfo_connect,
    ),
    (
        Hook::SocketAddrinfoBind,
        &["socket_addrinfo_bind"],
        sockets::socket_addrinfo_bind,
    ),
    (
        Hook::SocketGetOption,
        &["socket_get_option", "socket_getopt"],
        options::socket_get_option,
    ),
    (
        Hook::SocketSetOption,
        &["socket_set_option", "socket_setopt"],
        options::socket_set_option,
    ),
    (Hook::Fsockopen, &["fsockopen"], fsockopen),
    (Hook::Pfsockopen, &["pfsockopen"], pfsockopen),
    (
        Hook::StreamSocketClient,
        &["stream_socket_client"],
        stream_socket_client,
    ),
    (
        Hook::StreamSocketSendto,
        &["stream_socket_sendto"],
        streams::stream_socket_sendto,
    ),
    (
        Hook::SoapDoRequest,
        &["soapclient::__dorequest"],
        soap::soap_do_request,
    ),
    (Hook::CurlInit, &["curl_init"], curl::curl_init),
    (
        Hook::CurlCopyHandle,
        &["curl_copy_handle"],
        curl::curl_copy_handle,
    ),
    (Hook::CurlReset, &["curl_reset"], curl::curl_reset),
    (Hook::CurlExec, &["curl_exec"], curl::curl_exec),
    (
        Hook::CurlMultiAddHandle,
        &["curl_multi_add_handle"],
        curl::curl_multi_add_handle,
    ),
    (Hook::CurlError, &["curl_error"], curl::curl_error),
    (Hook::FtpConnect, &["ftp_connect"], ftp::ftp_connect),
    (
        Hook::FtpSslConnect,
        &["ftp_ssl_connect"],
        ftp::ftp_ssl_connect,
    ),
    (Hook::SocketRead, &["socket_read"], socket_read),
    (Hook::SocketWrite, &["socket_write"], socket_write),
    (Hook::SocketSend, &["socket_send"], socket_send),
    (Hook::SocketRecv, &["socket_recv"], socket_recv),
    (Hook::SocketRecvfrom, &["socket_recvfrom"], socket_recvfrom),
    (Hook::SocketRecvmsg, &["socket_recvmsg"], socket_recvmsg),
    (
        Hook::SocketGetpeername,
        &["socket_getpeername"],
        socket_getpeername,
    ),
    (
        Hook::SocketGetsockname,
        &["socket_getsockname"],
        socket_getsockname,
    ),
    (
        Hook::SocketSetBlock,
        &["socket_set_block"],
        socket_set_block,
    ),
    (
        Hook::SocketSetNonblock,
        &["socket_set_nonblock"],
        socket_set_nonblock,
    ),
    (Hook::SocketShutdown, &["socket_shutdown"], socket_shutdown),
    (Hook::SocketClose, &["socket_close"], socket_close),
    (
        Hook::SocketImportStream,
        &["socket_import_stream"],
        socket_import_stream,
    ),
];

unsafe extern "C" fn fsockopen(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { streams::sockets_api_call(Hook::Fsockopen, ex, rv) }
}

unsafe extern "C" fn pfsockopen(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { streams::sockets_api_call(Hook::Pfsockopen, ex, rv) }
}

unsafe extern "C" fn stream_socket_client(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { streams::sockets_api_call(Hook::StreamSocketClient, ex, rv) }
}

/// The saved original handlers, indexed by `Hook as usize` (0: not hooked).
static ORIGINALS: [AtomicUsize; TABLE.len()] = [const { AtomicUsize::new(0) }; TABLE.len()];

impl Hook {
    /// The PHP name used in messages.
    pub fn name(self) -> &'static str {
        TABLE[self as usize].1[0]
    }

    /// The handler this hook replaced.
    pub fn original(self) -> Option<Handler> {
        match ORIGINALS[self as usize].load(Ordering::Relaxed) {
            0 => None,
            // SAFETY: only values read from a live `Handler` are stored.
            addr => Some(unsafe { std::mem::transmute::<usize, Handler>(addr) }),
        }
    }
}

/// Runs the original implementation of `hook` on this call frame.
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

/// Looks up an internal function by lowercase name in CG(function_table),
/// or a method as "class::method" in its class's function table.
fn find_internal(name: &str) -> Option<&'static mut zend_function> {
    let (table, name) = match name.split_once("::") {
        Some((class, method)) => {
            // SAFETY: a registered class entry lives as long as its module.
            let ce = unsafe { find_class(class).as_mut()? };
            (std::ptr::addr_of_mut!(ce.function_table), method)
        }
        // SAFETY: compiler globals exist from engine startup.
        None => (
            unsafe { (*ext_php_rs_compiler_globals()).function_table },
            name,
        ),
    };
    if table.is_null() {
        return None;
    }
    // SAFETY: the function tables are persistent and only change at module
    // (un)registration, which does not run concurrently with MINIT/MSHUTDOWN.
    let func = unsafe {
        zend_hash_str_find_ptr_lc(table, name.as_ptr().cast(), name.len()).cast::<zend_function>()
    };
    // SAFETY: entries of the function table are zend_function values that
    // live as long as their module.
    let func = unsafe { func.as_mut()? };
    // SAFETY: `type_` is the common first byte of every zend_function variant.
    (u32::from(unsafe { func.type_ }) == ZEND_INTERNAL_FUNCTION).then_some(func)
}

/// Looks up a class by lowercase name in CG(class_table) (EG(class_table)
/// is not set yet during MINIT).
pub fn find_class(lcname: &str) -> *mut zend_class_entry {
    // SAFETY: as in `find_internal`; the class table holds zend_class_entry
    // pointers that live as long as their module.
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

/// Swaps in every replacement whose function exists. Returns the names of
/// guarded functions that were not found (their extension is not loaded).
pub fn install() -> Vec<&'static str> {
    let mut missing = Vec::new();
    for (hook, names, replacement) in TABLE {
        for name in names {
            let Some(func) = find_internal(name) else {
                missing.push(*name);
                continue;
            };
            // SAFETY: internal functions use the `internal_function` variant;
            // MINIT runs before any request can call the function.
            let handler = unsafe { &mut func.internal_function.handler };
            let Some(original) = *handler else { continue };
            if original as usize == replacement as usize {
                continue;
            }
            ORIGINALS[hook as usize].store(original as usize, Ordering::Relaxed);
            *handler = Some(replacement);
        }
    }
    missing
}

/// Puts every original handler back.
pub fn uninstall() {
    for (hook, names, replacement) in TABLE {
        let Some(original) = hook.original() else {
            continue;
        };
        for name in names {
            if let Some(func) = find_internal(name) {
                // SAFETY: as in `install`; MSHUTDOWN runs after the last request.
                let handler = unsafe { &mut func.internal_function.handler };
                if handler.is_some_and(|h| h as usize == replacement as usize) {
                    *handler = Some(original);
                }
            }
        }
        ORIGINALS[hook as usize].store(0, Ordering::Relaxed);
    }
}

// `Hook::name` and ORIGINALS index TABLE by `Hook as usize`: the table must
// list the hooks in declaration order. Checked at compile time (a test
// would link every handler, and so the engine, into the test binary).
const _: () = {
    let mut i = 0;
    while i < TABLE.len() {
        assert!(TABLE[i].0 as usize == i, "TABLE is not in Hook order");
        i += 1;
    }
};

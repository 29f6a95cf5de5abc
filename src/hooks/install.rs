//! Swaps the `internal_function.handler` of every guarded PHP function at
//! MINIT and puts the originals back at MSHUTDOWN. Aliases (socket_getopt,
//! socket_setopt) are separate function-table entries with the same handler,
//! so every name is swapped. The top of the hook modules: it knows every
//! replacement handler; nothing below knows it.

use ext_php_rs::ffi::{
    ext_php_rs_compiler_globals, zend_function, zend_hash_str_find_ptr_lc, ZEND_INTERNAL_FUNCTION,
};

use super::{
    curl,
    engine::find_class,
    ftp,
    originals::{Handler, Hook},
    soap,
    sockets::{bind, connect, create, options, reclaim, sendmsg},
    streams,
};

/// The replacement handler of each hook.
fn replacement(hook: Hook) -> Handler {
    match hook {
        Hook::SocketCreate => create::socket_create,
        Hook::SocketCreatePair => create::socket_create_pair,
        Hook::SocketCreateListen => create::socket_create_listen,
        Hook::SocketConnect => connect::socket_connect,
        Hook::SocketBind => bind::socket_bind,
        Hook::SocketListen => bind::socket_listen,
        Hook::SocketAccept => bind::socket_accept,
        Hook::SocketSendto => connect::socket_sendto,
        Hook::SocketSendmsg => sendmsg::socket_sendmsg,
        Hook::SocketAddrinfoConnect => connect::socket_addrinfo_connect,
        Hook::SocketAddrinfoBind => connect::socket_addrinfo_bind,
        Hook::SocketGetOption => options::socket_get_option,
        Hook::SocketSetOption => options::socket_set_option,
        Hook::StreamSocketSendto => streams::sendto::stream_socket_sendto,
        Hook::SoapDoRequest => soap::soap_do_request,
        Hook::CurlCopyHandle => curl::curl_copy_handle,
        Hook::CurlReset => curl::curl_reset,
        Hook::CurlExec => curl::curl_exec,
        Hook::CurlMultiAddHandle => curl::curl_multi_add_handle,
        Hook::CurlError => curl::curl_error,
        Hook::FtpConnect => ftp::ftp_connect,
        Hook::FtpSslConnect => ftp::ftp_ssl_connect,
        Hook::SocketRead => reclaim::socket_read,
        Hook::SocketWrite => reclaim::socket_write,
        Hook::SocketSend => reclaim::socket_send,
        Hook::SocketRecv => reclaim::socket_recv,
        Hook::SocketRecvfrom => reclaim::socket_recvfrom,
        Hook::SocketRecvmsg => reclaim::socket_recvmsg,
        Hook::SocketGetpeername => reclaim::socket_getpeername,
        Hook::SocketGetsockname => reclaim::socket_getsockname,
        Hook::SocketSetBlock => reclaim::socket_set_block,
        Hook::SocketSetNonblock => reclaim::socket_set_nonblock,
        Hook::SocketShutdown => reclaim::socket_shutdown,
        Hook::SocketAtmark => reclaim::socket_atmark,
        Hook::SocketClose => reclaim::socket_close,
        Hook::SocketImportStream => reclaim::socket_import_stream,
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

/// Swaps in every replacement whose function exists. Returns the names of
/// guarded functions that were not found (their extension is not loaded).
pub fn install() -> Vec<&'static str> {
    let mut missing = Vec::new();
    for &hook in Hook::ALL {
        let replacement = replacement(hook);
        for name in hook.names() {
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
            hook.save_original(original);
            *handler = Some(replacement);
        }
    }
    missing
}

/// Puts every original handler back.
pub fn uninstall() {
    for &hook in Hook::ALL {
        let Some(original) = hook.original() else {
            continue;
        };
        let replacement = replacement(hook);
        for name in hook.names() {
            if let Some(func) = find_internal(name) {
                // SAFETY: as in `install`; MSHUTDOWN runs after the last request.
                let handler = unsafe { &mut func.internal_function.handler };
                if handler.is_some_and(|h| h as usize == replacement as usize) {
                    *handler = Some(original);
                }
            }
        }
        hook.forget_original();
    }
}

//! socket_bind, socket_listen and socket_accept: binding is allowed only to
//! the wildcard address with port 0 (a no-op), listening never.

use std::{ffi::c_char, ptr};

use ext_php_rs::{
    ffi::{zend_long, zval},
    types::Zval,
    zend::ExecuteData,
};

use super::{socket_ce, step_aside, target_text, Socket};
use crate::hooks::{
    args::{c_string_part, num_args, parsed, set_string_arg, wire_port, zpp_bytes},
    ffi::zend_parse_parameters,
    originals::{call_original, Hook},
    verdict::{self, handler, Action, Asked},
};
use crate::{
    policy::{parse_host, Caller, Host, Operation},
    runtime,
};

/// socket_bind(Socket $socket, string $address, int $port = 0)
pub unsafe extern "C" fn socket_bind(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketBind;
    if step_aside() {
        // SAFETY: forwarded.
        return unsafe { call_original(HOOK, ex, rv) };
    }
    let mut zsock: *mut zval = ptr::null_mut();
    let (mut addr, mut addr_len): (*mut c_char, usize) = (ptr::null_mut(), 0);
    let mut port: zend_long = 0;
    // SAFETY: "Os|l" takes zval**, ce, char**, size_t*, zend_long*.
    let ok = parsed(unsafe {
        zend_parse_parameters(
            num_args(ex),
            c"Os|l".as_ptr(),
            &mut zsock,
            socket_ce(),
            &mut addr,
            &mut addr_len,
            &mut port,
        )
    });
    if !ok {
        return;
    }
    // SAFETY: forwarded.
    unsafe {
        handler(HOOK, ex, rv, || {
            let Some(socket) = Socket::open_from(zsock) else {
                return Ok(Action::Original);
            };
            // SAFETY: from a successful ZPP "s".
            let address = zpp_bytes(addr, addr_len);
            let port = wire_port(port);
            let family = socket.family();
            let given = String::from_utf8_lossy(c_string_part(address)).into_owned();
            // What ext/sockets would bind to; a host it cannot read is
            // judged as given (it is not the wildcard, so it is denied).
            let host = match parse_host(&given) {
                Ok((Host::Ip(ip), _))
                    if family != libc::AF_UNIX && !(family == libc::AF_INET && ip.is_ipv6()) =>
                {
                    Host::Ip(ip)
                }
                _ => Host::Path(given.clone()),
            };
            let config = runtime::current();
            let outcome = verdict::decide(
                config,
                &Operation::Bind { host: &host, port },
                Caller::SocketsApi,
                || Asked {
                    target: target_text(address, Some(port)).into(),
                    port: Some(port),
                    transport: None,
                },
            );
            Ok(
                match Action::for_socket(outcome, Some(socket), "Unable to bind address", || {
                    target_text(address, Some(port))
                }) {
                    Ok(_) => {
                        // The wildcard in a spelling ext/sockets reads the
                        // same way: bound as the plain wildcard.
                        let wildcard = if family == libc::AF_INET6 {
                            "::"
                        } else {
                            "0.0.0.0"
                        };
                        // SAFETY: argument 2 exists (ZPP required it).
                        set_string_arg(ex, 2, wildcard);
                        Action::Original
                    }
                    Err(action) => action,
                },
            )
        });
    }
}

/// socket_listen(Socket $socket, int $backlog = 0)
pub unsafe extern "C" fn socket_listen(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe {
        deny_listening(
            Hook::SocketListen,
            Operation::Listen,
            ex,
            rv,
            c"O|l",
            "unable to listen on socket",
        )
    }
}

/// socket_accept(Socket $socket)
pub unsafe extern "C" fn socket_accept(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe {
        deny_listening(
            Hook::SocketAccept,
            Operation::Accept,
            ex,
            rv,
            c"O",
            "unable to accept incoming connection",
        )
    }
}

/// socket_listen and socket_accept. `spec` is php-src's ZPP spec for the
/// function ("O|l" or "O").
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
unsafe fn deny_listening(
    hook: Hook,
    op: Operation<'static>,
    ex: *mut ExecuteData,
    rv: *mut Zval,
    spec: &std::ffi::CStr,
    msg: &'static str,
) {
    if step_aside() {
        // SAFETY: forwarded.
        return unsafe { call_original(hook, ex, rv) };
    }
    let mut zsock: *mut zval = ptr::null_mut();
    let mut backlog: zend_long = 0;
    // SAFETY: both specs start with "O" (zval**, class entry); "O|l" also
    // fills `backlog`, and "O" leaves the extra vararg unread.
    let ok = parsed(unsafe {
        zend_parse_parameters(
            num_args(ex),
            spec.as_ptr(),
            &mut zsock,
            socket_ce(),
            &mut backlog,
        )
    });
    if !ok {
        return;
    }
    // SAFETY: forwarded.
    unsafe {
        handler(hook, ex, rv, || {
            let Some(socket) = Socket::open_from(zsock) else {
                return Ok(Action::Original);
            };
            let config = runtime::current();
            let outcome = verdict::decide(config, &op, Caller::SocketsApi, || "".into());
            Ok(
                match Action::for_socket(outcome, Some(socket), msg, String::new) {
                    Ok(_) => Action::Original,
                    Err(action) => action,
                },
            )
        });
    }
}

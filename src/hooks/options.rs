//! socket_get_option / socket_set_option (and the socket_getopt /
//! socket_setopt aliases) under the App Engine option rules of
//! [`crate::sockopts`]: mocked options answer from the table, SO_ERROR reads
//! and operator pass-through options reach the OS, the rest is refused the
//! way a refused setsockopt fails in ext/sockets.

use std::ptr;

use ext_php_rs::{
    ffi::{zend_long, zval},
    flags::DataType,
    types::{ZendHashTable, Zval},
    zend::ExecuteData,
};

use super::{
    ffi::zend_parse_parameters,
    functions::{call_original, Hook},
    php::{Socket, SOCKETS},
    run,
    sockets::{num_args, open_socket, parsed, step_aside},
    Action,
};
use crate::{
    config::{Mode, Outcome},
    policy::Reason,
    runtime,
    sockopts::{classify, Access, Handling, MockValue, SockOpt},
};

/// Sets the PHP return value of a mocked read.
fn return_mock(rv: &mut Zval, value: MockValue) {
    match value {
        MockValue::Int(n) => rv.set_long(n),
        MockValue::Linger { onoff, linger } => {
            let mut ht = ZendHashTable::new();
            let filled =
                ht.insert("l_onoff", onoff).is_ok() && ht.insert("l_linger", linger).is_ok();
            if filled {
                rv.set_hashtable(ht);
            } else {
                rv.set_bool(false);
            }
        }
    }
}

/// Whether a socket_set_option value is one PHP would accept for `value`'s
/// option without throwing (SO_LINGER needs both keys; others take any
/// scalar). Values PHP rejects go to the original for its ValueError.
fn php_accepts_value(mock: MockValue, value: &Zval) -> bool {
    match mock {
        MockValue::Int(_) => true,
        MockValue::Linger { .. } => match value.get_type() {
            DataType::Array => value
                .array()
                .is_some_and(|a| a.get("l_onoff").is_some() && a.get("l_linger").is_some()),
            DataType::Object(_) => true,
            _ => false,
        },
    }
}

/// Decides one option call.
fn decide(
    socket: Socket,
    opt: SockOpt,
    access: Access,
    value: Option<&Zval>,
    rv: *mut Zval,
) -> Action {
    let msg = match access {
        Access::Get => "Unable to retrieve socket option",
        Access::Set => "Unable to set socket option",
    };
    if let Some(reclaimed) = super::reclaim::use_socket(socket, msg) {
        return reclaimed;
    }
    let config = runtime::current();
    let handling = classify(opt, access, &config.passthrough);
    match handling {
        Handling::Os => Action::Original,
        // Report mode is stock PHP plus a log: mocks are not denials.
        Handling::Mock(_) if config.mode == Mode::Report => Action::Original,
        Handling::Mock(mock) => {
            if value.is_some_and(|v| !php_accepts_value(mock, v)) {
                return Action::Original;
            }
            // SAFETY: `rv` is the engine's return slot for this call.
            if let Some(rv) = unsafe { rv.as_mut() } {
                match access {
                    Access::Get => return_mock(rv, mock),
                    Access::Set => rv.set_bool(true),
                }
            }
            Action::Done
        }
        Handling::Refuse => match super::enforce(
            &config,
            Err(Reason::Option {
                name: opt.to_string(),
            }),
            || opt.to_string().into(),
        ) {
            Outcome::Allow(_) => Action::Original,
            Outcome::Deny(reason) => Action::SocketFail {
                socket: Some(socket),
                errno: libc::EACCES,
                msg,
                reason: reason.to_string(),
            },
            Outcome::Report(reason) => Action::Report {
                line: super::report_line(&opt.to_string(), &reason),
            },
        },
    }
}

/// socket_get_option(Socket $socket, int $level, int $option)
pub unsafe extern "C" fn socket_get_option(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { option_call(Hook::SocketGetOption, Access::Get, ex, rv) }
}

/// socket_set_option(Socket $socket, int $level, int $option, $value)
pub unsafe extern "C" fn socket_set_option(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { option_call(Hook::SocketSetOption, Access::Set, ex, rv) }
}

/// Parses the arguments with php-src's spec ("Oll" for get, "Ollz" for
/// set) and decides the call.
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
unsafe fn option_call(hook: Hook, access: Access, ex: *mut ExecuteData, rv: *mut Zval) {
    if step_aside() {
        // SAFETY: forwarded from the engine.
        return unsafe { call_original(hook, ex, rv) };
    }
    let spec = match access {
        Access::Get => c"Oll",
        Access::Set => c"Ollz",
    };
    let mut zsock: *mut zval = ptr::null_mut();
    let (mut level, mut option): (zend_long, zend_long) = (0, 0);
    let mut value: *mut zval = ptr::null_mut();
    // SAFETY: both specs take zval**, the class entry and two zend_long
    // pointers; "Ollz" also fills `value`, "Oll" leaves it unread.
    let ok = parsed(unsafe {
        zend_parse_parameters(
            num_args(ex),
            spec.as_ptr(),
            &mut zsock,
            SOCKETS.socket_ce(),
            &mut level,
            &mut option,
            &mut value,
        )
    });
    if !ok {
        return;
    }
    // SAFETY: forwarded from the engine.
    unsafe {
        run(hook, ex, rv, || {
            let Some(socket) = open_socket(zsock) else {
                return Action::Original;
            };
            // SAFETY: ZPP stored a pointer to the live argument (or none).
            let value = value.as_ref();
            decide(socket, SockOpt { level, option }, access, value, rv)
        });
    }
}

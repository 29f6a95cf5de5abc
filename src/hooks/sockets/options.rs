//! socket_get_option / socket_set_option (and the socket_getopt /
//! socket_setopt aliases) under the App Engine option rules of
//! [`crate::policy::options`]: mocked options answer from the table, SO_ERROR reads
//! and operator pass-through options reach the OS, the rest is refused the
//! way a refused setsockopt fails in ext/sockets.

use std::ptr;

use ext_php_rs::{
    ffi::{zend_long, zval},
    flags::DataType,
    types::{ZendHashTable, Zval},
    zend::ExecuteData,
};

use super::{socket_ce, step_aside, Socket};
use crate::hooks::{
    args::{num_args, parsed},
    ffi::zend_parse_parameters,
    originals::{call_original, Hook},
    verdict::{self, handler, Action},
};
use crate::{
    config::Outcome,
    policy::{Access, Caller, MockValue, Operation, SockOpt},
    runtime,
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
    option: SockOpt,
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
    let op = Operation::Option { option, access };
    match verdict::decide(config, &op, Caller::SocketsApi, || {
        option.to_string().into()
    }) {
        Outcome::Mock(mock) => {
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
        outcome => match Action::for_socket(outcome, Some(socket), msg, || option.to_string()) {
            Ok(_) => Action::Original,
            Err(action) => action,
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
            socket_ce(),
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
        handler(hook, ex, rv, || {
            let Some(socket) = Socket::open_from(zsock) else {
                return Ok(Action::Original);
            };
            // SAFETY: ZPP stored a pointer to the live argument (or none).
            let value = value.as_ref();
            Ok(decide(socket, SockOpt { level, option }, access, value, rv))
        });
    }
}

//! socket_sendmsg: the destination in `$message['name']` is checked and
//! pinned like socket_sendto's, and descriptors may not leave the process
//! (`SCM_RIGHTS` in `$message['control']`).

use ext_php_rs::{flags::DataType, types::Zval};

use super::Socket;
use crate::hooks::verdict::{self, Action};
use crate::{
    policy::{Caller, Operation, Reason},
    runtime,
};

/// A zval read as an integer the way ext/sockets' conversions accept one.
fn loose_long(zv: &Zval) -> Option<i64> {
    match zv.get_type() {
        DataType::Long => zv.long(),
        DataType::Double => zv.double().map(|d| d as i64),
        DataType::True => Some(1),
        DataType::False | DataType::Null => Some(0),
        DataType::String => zv.str().and_then(|s| s.trim().parse().ok()),
        _ => None,
    }
}

/// Whether a control message list passes descriptors (SOL_SOCKET/SCM_RIGHTS).
fn passes_descriptors(control: &Zval) -> bool {
    let Some(list) = control.array() else {
        return false;
    };
    list.values().any(|cmsg| {
        let Some(cmsg) = cmsg.array() else {
            return false;
        };
        let field = |k: &str| cmsg.get(k).and_then(loose_long);
        field("level") == Some(i64::from(libc::SOL_SOCKET))
            && field("type") == Some(i64::from(libc::SCM_RIGHTS))
    })
}

/// Decides a socket_sendmsg call; on allow, a destination name is replaced
/// in `message` by the checked address.
pub fn check(socket: Socket, message: &mut Zval) -> Action {
    const MSG: &str = "Error in sendmsg";
    let config = runtime::current();
    let deny = |reason: Reason, target: &str| {
        let outcome = verdict::refuse(config, reason, || target.into());
        Action::for_socket(outcome, Some(socket), MSG, || target.to_owned())
            .err()
            .unwrap_or(Action::Original)
    };
    let Some(msg) = message.array() else {
        return Action::Original;
    };
    if msg.get("control").is_some_and(passes_descriptors) {
        let outcome = verdict::decide(
            config,
            &Operation::PassDescriptors,
            Caller::SocketsApi,
            || "SCM_RIGHTS".into(),
        );
        if let Err(action) =
            Action::for_socket(outcome, Some(socket), MSG, || "SCM_RIGHTS".to_owned())
        {
            return action;
        }
    }
    let Some(name) = msg.get("name").filter(|n| !n.is_null()) else {
        return Action::Original; // connected socket: checked at connect
    };
    let Some(name_ht) = name.array() else {
        return Action::Original;
    };
    let family = match name_ht.get("family").filter(|f| !f.is_null()) {
        None => i64::from(socket.family()),
        Some(f) => match loose_long(f) {
            Some(f) => f,
            None => return Action::Original, // PHP rejects it
        },
    };
    let family = i32::try_from(family).unwrap_or(-1);
    let (key, address) = if family == libc::AF_UNIX {
        ("path", name_ht.get("path"))
    } else {
        ("addr", name_ht.get("addr"))
    };
    let address: String = match address.map(|a| (a.get_type(), a)) {
        None => return Action::Original, // nothing to send to
        Some((DataType::String, a)) => a.str().unwrap_or_default().to_owned(),
        Some((DataType::Long | DataType::Double, a)) => {
            loose_long(a).unwrap_or_default().to_string()
        }
        Some(_) => {
            return deny(
                Reason::Target {
                    input: format!("name[{key}]"),
                    error: "must be a string".to_owned(),
                },
                key,
            )
        }
    };
    let port = match name_ht.get("port") {
        None => 0,
        Some(p) => match loose_long(p) {
            Some(p @ 0..=65_535) => p as u16,
            _ => return Action::Original, // PHP rejects it: out of range
        },
    };
    let pinned = match super::connect::check_destination(
        socket,
        family,
        address.as_bytes(),
        Some(port),
        MSG,
    ) {
        Ok(pinned) => pinned,
        Err(action) => return action,
    };
    if let Some(pinned) = pinned {
        let mut new_name = name_ht.to_owned();
        let mut new_msg = msg.to_owned();
        if new_name.insert(key, pinned).is_err() || new_msg.insert("name", new_name).is_err() {
            return deny(
                Reason::Target {
                    input: address,
                    error: "cannot rewrite the destination".to_owned(),
                },
                key,
            );
        }
        message.set_hashtable(new_msg);
    }
    Action::Original
}

/// socket_sendmsg(Socket $socket, array $message, int $flags = 0)
pub unsafe extern "C" fn socket_sendmsg(ex: *mut ext_php_rs::zend::ExecuteData, rv: *mut Zval) {
    use crate::hooks::{
        args::{num_args, parsed},
        ffi::zend_parse_parameters,
        originals::{call_original, Hook},
        verdict::handler,
    };
    const HOOK: Hook = Hook::SocketSendmsg;
    if super::step_aside() {
        // SAFETY: forwarded.
        return unsafe { call_original(HOOK, ex, rv) };
    }
    let mut zsock: *mut ext_php_rs::ffi::zval = std::ptr::null_mut();
    let mut message: *mut ext_php_rs::ffi::zval = std::ptr::null_mut();
    let mut flags: ext_php_rs::ffi::zend_long = 0;
    // SAFETY: "Oa|l" takes zval**, ce, zval**, zend_long*.
    let ok = parsed(unsafe {
        zend_parse_parameters(
            num_args(ex),
            c"Oa|l".as_ptr(),
            &mut zsock,
            super::socket_ce(),
            &mut message,
            &mut flags,
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
            // SAFETY: ZPP "a" stored a pointer to the live array argument.
            let Some(message) = message.as_mut() else {
                return Ok(Action::Original);
            };
            Ok(check(socket, message))
        });
    }
}

//! socket_create, socket_create_pair and socket_create_listen: the
//! (domain, type, protocol) of a new socket is a policy operation.

use std::ptr;

use ext_php_rs::{
    ffi::{zend_long, zval},
    types::Zval,
    zend::ExecuteData,
};

use super::{guarding, step_aside, types, Socket};
use crate::hooks::{
    args::{arg, num_args, parsed},
    entry::entry,
    ffi::zend_parse_parameters,
    originals::{call_original, Hook},
    verdict::{self, handler, Action},
};
use crate::{
    metrics::{OwnFunction, TransportLabel},
    policy::{Caller, Kind, Operation},
    runtime,
};

/// Three int arguments, as "lll" takes them, when the call passed exactly
/// three ints: ZPP would neither coerce nor warn, so the common call skips
/// it.
///
/// # Safety
/// `ex` must be a live call frame.
unsafe fn longs_as_given(ex: *mut ExecuteData) -> Option<[zend_long; 3]> {
    // SAFETY: forwarded.
    if unsafe { num_args(ex) } != 3 {
        return None;
    }
    // SAFETY: the frame has three arguments.
    let long = |n| unsafe { arg(ex, n) }.filter(|z| z.is_long())?.long();
    Some([long(1)?, long(2)?, long(3)?])
}

/// The type flags this PHP's socket_create accepts in its type argument:
/// SOCK_NONBLOCK and SOCK_CLOEXEC from PHP 8.4 on, none before.
const ACCEPTED_TYPE_FLAGS: zend_long = if cfg!(php_socket_type_flags) {
    crate::policy::SOCKET_TYPE_FLAGS as zend_long
} else {
    0
};

/// The socket_create domains and types PHP accepts; anything else goes to
/// the original for its ValueError.
fn php_accepts(domain: zend_long, sotype: zend_long) -> bool {
    let base = sotype & !ACCEPTED_TYPE_FLAGS;
    [libc::AF_UNIX, libc::AF_INET, libc::AF_INET6]
        .iter()
        .any(|d| zend_long::from(*d) == domain)
        && (0..=10).contains(&base)
}

/// The kind of socket a (domain, type, protocol) call asks for. The values
/// fit an int once [`php_accepts`] passed them; the protocol is truncated
/// the way ext/sockets passes it to socket(2).
fn kind(domain: zend_long, sotype: zend_long, protocol: zend_long) -> Kind<'static> {
    Kind::Socket {
        family: domain as i32,
        sotype: sotype as i32,
        protocol: protocol as i32,
    }
}

/// socket_create(int $domain, int $type, int $protocol)
pub unsafe extern "C" fn socket_create(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketCreate;
    let Some(config) = guarding() else {
        // SAFETY: forwarded.
        return unsafe { call_original(HOOK, ex, rv) };
    };
    // SAFETY: the engine passes a live frame.
    if let Some([domain, sotype, protocol]) = unsafe { longs_as_given(ex) } {
        // The common call, a socket the app may make: nothing to decide
        // beyond the policy's first rule.
        let at_once = entry(
            HOOK.name(),
            |_| Ok(false),
            || {
                Ok(php_accepts(domain, sotype)
                    && config
                        .allows_at_once(
                            &Operation::Create(kind(domain, sotype, protocol)),
                            Caller::SocketsApi,
                        )
                        .is_some())
            },
        );
        if at_once {
            verdict::count_own_allowed_at_once(
                config,
                OwnFunction::SocketCreate,
                TransportLabel::of_kind(kind(domain, sotype, protocol)),
            );
            // SAFETY: forwarded; nothing of ours is alive.
            unsafe { call_original(HOOK, ex, rv) };
            // SAFETY: the call's return slot.
            return unsafe { after_create(rv, sotype) };
        }
    }
    // SAFETY: forwarded.
    unsafe { socket_create_checked(ex, rv) }
}

/// socket_create past its lane: its arguments as given (else parsed by
/// ZPP), decided. Out of line, so that the lane does not set up its frame
/// (nor keep what it read for this path: read again here).
///
/// # Safety
/// `ex` and `rv` are the engine's.
#[inline(never)]
unsafe fn socket_create_checked(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketCreate;
    let (mut domain, mut sotype, mut protocol): (zend_long, zend_long, zend_long) = (0, 0, 0);
    // SAFETY: the engine's live frame.
    if let Some(given) = unsafe { longs_as_given(ex) } {
        [domain, sotype, protocol] = given;
    } else {
        // SAFETY: "lll" takes three zend_long pointers.
        let ok = parsed(unsafe {
            zend_parse_parameters(
                num_args(ex),
                c"lll".as_ptr(),
                &mut domain,
                &mut sotype,
                &mut protocol,
            )
        });
        if !ok {
            return;
        }
    }
    // SAFETY: forwarded.
    unsafe {
        handler(HOOK, ex, rv, || {
            Ok(decide_creation(
                Operation::Create(kind(domain, sotype, protocol)),
                domain,
                sotype,
                protocol,
                "Unable to create socket",
            ))
        });
    }
    // SAFETY: the call's return slot.
    unsafe { after_create(rv, sotype) };
}

/// After socket_create made a Socket: its idle clock starts and its type is
/// known. Bookkeeping that cannot panic (atomics, a table that only grows):
/// no entry needed after the original.
///
/// # Safety
/// `rv` must be the call's return slot, after the original ran.
#[inline(always)]
unsafe fn after_create(rv: *mut Zval, sotype: zend_long) {
    // SAFETY: forwarded.
    if let Some(socket) = unsafe { rv.as_ref() }.and_then(Socket::from_zval) {
        super::reclaim::register(socket);
        types::record(socket, sotype as i32);
    }
}

/// Decides a socket creation call with the arguments PHP accepted.
fn decide_creation(
    op: Operation<'_>,
    domain: zend_long,
    sotype: zend_long,
    protocol: zend_long,
    msg: &'static str,
) -> Action {
    if !php_accepts(domain, sotype) {
        return Action::Original;
    }
    let config = runtime::current();
    let asked = || format!("{domain}, {sotype}, {protocol}").into();
    let outcome = verdict::decide(config, &op, Caller::SocketsApi, asked);
    match Action::for_socket(outcome, None, msg, || {
        format!("{domain}, {sotype}, {protocol}")
    }) {
        Ok(_) => Action::Original,
        Err(action) => action,
    }
}

/// socket_create_pair(int $domain, int $type, int $protocol, &$pair)
pub unsafe extern "C" fn socket_create_pair(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketCreatePair;
    if step_aside() {
        // SAFETY: forwarded.
        return unsafe { call_original(HOOK, ex, rv) };
    }
    let (mut domain, mut sotype, mut protocol): (zend_long, zend_long, zend_long) = (0, 0, 0);
    let mut pair: *mut zval = ptr::null_mut();
    // SAFETY: "lllz" takes three zend_long pointers and a zval pointer pointer.
    let ok = parsed(unsafe {
        zend_parse_parameters(
            num_args(ex),
            c"lllz".as_ptr(),
            &mut domain,
            &mut sotype,
            &mut protocol,
            &mut pair,
        )
    });
    if !ok {
        return;
    }
    // SAFETY: forwarded.
    unsafe {
        handler(HOOK, ex, rv, || {
            Ok(decide_creation(
                Operation::Pair(kind(domain, sotype, protocol)),
                domain,
                sotype,
                protocol,
                "Unable to create socket pair",
            ))
        });
    }
}

/// socket_create_listen(int $port, int $backlog = SOMAXCONN)
pub unsafe extern "C" fn socket_create_listen(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketCreateListen;
    if step_aside() {
        // SAFETY: forwarded.
        return unsafe { call_original(HOOK, ex, rv) };
    }
    let (mut port, mut backlog): (zend_long, zend_long) = (0, 128);
    // SAFETY: "l|l" takes two zend_long pointers.
    let ok = parsed(unsafe {
        zend_parse_parameters(num_args(ex), c"l|l".as_ptr(), &mut port, &mut backlog)
    });
    if !ok {
        return;
    }
    // SAFETY: forwarded.
    unsafe {
        handler(HOOK, ex, rv, || {
            let config = runtime::current();
            let outcome = verdict::decide(config, &Operation::Listen, Caller::SocketsApi, || {
                port.to_string().into()
            });
            Ok(
                match Action::for_socket(outcome, None, "unable to listen on socket", || {
                    port.to_string()
                }) {
                    Ok(_) => Action::Original,
                    Err(action) => action,
                },
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_accepts_its_own_domains_and_types() {
        assert!(php_accepts(2, 1));
        // The type flags exactly where this PHP takes them (8.4 and later).
        assert_eq!(php_accepts(2, 1 | 2048), cfg!(php_socket_type_flags));
        assert_eq!(php_accepts(10, 2 | 524_288), cfg!(php_socket_type_flags));
        assert!(php_accepts(1, 10));
        assert!(!php_accepts(1, 11));
        assert!(!php_accepts(3, 1));
        assert!(!php_accepts(2, -1));
    }
}

//! stream_socket_sendto with an address: the destination of the datagram
//! is checked like a connect and replaced by the checked address.

use std::{
    ffi::c_char,
    net::{IpAddr, SocketAddr},
    ptr,
};

use ext_php_rs::{
    ffi::{php_stream, zend_long, zval},
    types::Zval,
    zend::ExecuteData,
};

use super::{ops::set_of_any, stream_of};
use crate::hooks::{
    approvals,
    args::{arg, c_string_part, num_args, parsed},
    entry::entry,
    ffi::zend_parse_parameters,
    originals::{call_original, Hook},
    verdict::{self, handler, report_line, Action, Asked},
};
use crate::{
    config::Outcome,
    policy::{
        format_host_port, parse_host, plain_ipv4_port, split_address_with_port, Caller, Host,
        Operation, Reason,
    },
    runtime,
};

/// Decides a datagram from `stream` to `target`; `None` when the stream is
/// not a guarded socket stream or PHP cannot parse the target (the
/// original then fails as PHP does).
fn decide(stream: &php_stream, target: &[u8]) -> Option<Action> {
    let set = set_of_any(stream.ops)?;
    let target = String::from_utf8_lossy(c_string_part(target));
    let target = target.as_ref();
    let (host, port) = split_address_with_port(target)?;
    let config = runtime::current();
    let asked = || Asked {
        target: target.into(),
        port: Some(port),
        transport: set.transport().map(crate::policy::Transport::name),
    };
    let deny = |reason: Reason| Action::Fail {
        message: format!("Unable to send to {target} (sockguard: {reason})"),
    };
    let (host, zone) = match parse_host(host) {
        Ok(parsed) => parsed,
        Err(e) => {
            return Some(
                match verdict::refuse(config, Reason::target(host, &e), asked) {
                    Outcome::Report(reason) => Action::Report {
                        line: report_line(target, &reason),
                    },
                    Outcome::Deny(reason) => deny(reason),
                    Outcome::Allow(_) | Outcome::Mock(_) => Action::Original,
                },
            )
        }
    };
    let op = Operation::Connect {
        host: &host,
        port,
        kind: set.kind(),
    };
    Some(match verdict::decide(config, &op, Caller::Client, asked) {
        Outcome::Allow(addrs) => match addrs.first() {
            Some(first) => Action::Rewrite {
                arg: 4,
                value: format_host_port(first, zone.as_deref(), port),
            },
            None => Action::Original,
        },
        Outcome::Mock(_) => Action::Original,
        Outcome::Deny(reason) => deny(reason),
        Outcome::Report(reason) => Action::Report {
            line: report_line(target, &reason),
        },
    })
}

/// The common datagram, sent as given without the general steps of
/// [`decide`]: from a guarded socket stream to a plain `a.b.c.d:port` the
/// policy allows at once ([`crate::config::Config::allows_at_once`]),
/// approved for the floor. `false` for anything else.
fn sends_at_once(stream: &php_stream, target: &[u8]) -> bool {
    let Some((v4, port)) = plain_ipv4_port(c_string_part(target)) else {
        return false;
    };
    let Some(set) = set_of_any(stream.ops) else {
        return false;
    };
    let host = Host::Ip(IpAddr::V4(v4));
    let op = Operation::Connect {
        host: &host,
        port,
        kind: set.kind(),
    };
    let config = runtime::current();
    if config.allows_at_once(&op, Caller::Client).is_none() {
        return false;
    }
    verdict::count_allowed_at_once(config, crate::metrics::TransportLabel::of(&op));
    approvals::approve(-1, SocketAddr::new(IpAddr::V4(v4), port));
    true
}

/// The stream and address of the common call, whose arguments already have
/// exactly the types "rs|ls" takes: the original parses them anyway.
///
/// # Safety
/// `ex` must be a live call frame.
unsafe fn args_as_given<'a>(ex: *mut ExecuteData) -> Option<(&'a php_stream, &'a [u8])> {
    // SAFETY: forwarded.
    if unsafe { num_args(ex) } != 4 {
        return None;
    }
    // SAFETY: the frame has four arguments.
    let [stream, data, flags, address] = [1, 2, 3, 4].map(|n| unsafe { arg(ex, n) });
    let (stream, address) = (stream_of(stream?)?, address?);
    if !data?.is_string() || !flags?.is_long() {
        return None;
    }
    Some((stream, address.zend_str()?.as_bytes()))
}

/// stream_socket_sendto(resource $socket, string $data, int $flags = 0,
/// string $address = "")
pub unsafe extern "C" fn stream_socket_sendto(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::StreamSocketSendto;
    if runtime::is_off() {
        // SAFETY: forwarded from the engine.
        return unsafe { call_original(HOOK, ex, rv) };
    }
    // SAFETY: the engine passes a live frame.
    if let Some((stream, target)) = unsafe { args_as_given(ex) } {
        if !target.is_empty()
            && entry(
                HOOK.name(),
                |_| Ok(false),
                || Ok(sends_at_once(stream, target)),
            )
        {
            // SAFETY: forwarded; nothing of ours is alive.
            return unsafe { call_original(HOOK, ex, rv) };
        }
    }
    let mut zstream: *mut zval = ptr::null_mut();
    let (mut data, mut data_len): (*mut c_char, usize) = (ptr::null_mut(), 0);
    let mut flags: zend_long = 0;
    let (mut addr, mut addr_len): (*mut c_char, usize) = (ptr::null_mut(), 0);
    // SAFETY: "rs|ls" takes zval**, char**, size_t*, zend_long*, char**, size_t*.
    let ok = parsed(unsafe {
        zend_parse_parameters(
            num_args(ex),
            c"rs|ls".as_ptr(),
            &mut zstream,
            &mut data,
            &mut data_len,
            &mut flags,
            &mut addr,
            &mut addr_len,
        )
    });
    if !ok {
        return;
    }
    // SAFETY: forwarded from the engine.
    unsafe {
        handler(HOOK, ex, rv, || {
            if addr_len == 0 {
                return Ok(Action::Original);
            }
            // SAFETY: ZPP filled these from live arguments.
            let (Some(stream), target) = (
                zstream.as_ref().and_then(stream_of),
                std::slice::from_raw_parts(addr.cast::<u8>(), addr_len),
            ) else {
                return Ok(Action::Original);
            };
            Ok(decide(stream, target).unwrap_or(Action::Original))
        });
    }
}

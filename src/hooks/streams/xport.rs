//! The `set_option` of guarded client and server streams: the transport
//! operations (STREAM_XPORT_OP_CONNECT(_ASYNC), BIND, LISTEN, ACCEPT) are
//! decided here, for every stream path in PHP. A connect that is allowed
//! goes to the checked addresses in place of the name (tried in order when
//! one refuses, as php_network_connect_socket_to_host does); ext/openssl
//! took the name for SNI and peer verification at factory time, so TLS
//! still verifies it. Before delegating, the stream gets its original ops
//! back for good: php-src compares ops pointers (a udp stream must stay a
//! udp stream), and after the connect nothing is left to decide at this
//! layer. Denials fill in `outputs.error_text` and `error_code` as
//! xp_socket.c does, so each caller reports them its own way ("Unable to
//! connect to ... (sockguard: ...)").

use std::{
    borrow::Cow,
    ffi::{c_int, c_void, CStr, CString},
    net::{IpAddr, SocketAddr, SocketAddrV4},
    ptr,
};

use ext_php_rs::{
    ffi::{php_stream, php_stream_context},
    types::ZendStr,
};

use super::{
    connected, in_sockets_api,
    ops::{set_of_guard, GuardSet},
    record_denial, Role,
};
use crate::hooks::{
    approvals, engine,
    entry::{engine, entry, Bailout},
    ffi::{
        _php_stream_xport_param_STREAM_XPORT_OP_ACCEPT as OP_ACCEPT,
        _php_stream_xport_param_STREAM_XPORT_OP_BIND as OP_BIND,
        _php_stream_xport_param_STREAM_XPORT_OP_CONNECT as OP_CONNECT,
        _php_stream_xport_param_STREAM_XPORT_OP_CONNECT_ASYNC as OP_CONNECT_ASYNC,
        _php_stream_xport_param_STREAM_XPORT_OP_LISTEN as OP_LISTEN, php_stream_context_get_option,
        php_stream_xport_param, PHP_STREAM_OPTION_RETURN_ERR, PHP_STREAM_OPTION_RETURN_OK,
        PHP_STREAM_OPTION_XPORT_API,
    },
    recent::{self, Allowed},
    verdict::{self, report_line, Asked},
};
use crate::{
    config::{Config, Outcome},
    metrics::TransportLabel,
    policy::{
        atoi_port, format_host_port, parse_host, parse_host_port_spelled, plain_ipv4_port,
        split_host_port, Caller, Host, HostPort, Operation, Reason, Transport,
    },
    runtime,
};

const RETURN_OK: c_int = PHP_STREAM_OPTION_RETURN_OK as c_int;
const RETURN_ERR: c_int = PHP_STREAM_OPTION_RETURN_ERR;

/// The set_option of guarded client streams.
pub unsafe extern "C" fn client_set_option(
    stream: *mut php_stream,
    option: c_int,
    value: c_int,
    ptrparam: *mut c_void,
) -> c_int {
    // SAFETY: forwarded from the engine.
    unsafe { guarded_set_option(stream, option, value, ptrparam, Role::Client) }
}

/// The set_option of guarded server streams (stream_socket_server).
pub unsafe extern "C" fn server_set_option(
    stream: *mut php_stream,
    option: c_int,
    value: c_int,
    ptrparam: *mut c_void,
) -> c_int {
    // SAFETY: forwarded from the engine.
    unsafe { guarded_set_option(stream, option, value, ptrparam, Role::Server) }
}

/// Fills in a denial the way xp_socket.c reports a failed operation.
///
/// # Safety
/// `xparam` must be the engine's xport param of this call.
unsafe fn fail(xparam: *mut php_stream_xport_param, reason: &str) -> c_int {
    // SAFETY: forwarded; plain field writes.
    unsafe {
        if (*xparam).want_errortext() != 0 {
            (*xparam).outputs.error_text =
                ZendStr::new(format!("sockguard: {reason}"), false).into_raw();
        }
        (*xparam).outputs.error_code = libc::EACCES;
        (*xparam).outputs.returncode = -1;
    }
    RETURN_OK
}

/// What the guard does with one xport operation.
enum Step {
    /// Restore the original ops and delegate, trying these names in place
    /// of the requested one (none: the name as given).
    Delegate(Vec<CString>),
    /// Report mode: log, restore and delegate unchanged.
    Report(String),
    /// Fail the operation with this reason.
    Deny(Reason),
}

/// The guard's set_option. The stream and the xport param are used through
/// raw pointers only: the original set_option writes both through the
/// pointers it is given, so no Rust reference to them may be alive across
/// that call.
unsafe fn guarded_set_option(
    stream: *mut php_stream,
    option: c_int,
    value: c_int,
    ptrparam: *mut c_void,
    role: Role,
) -> c_int {
    let xparam: *mut php_stream_xport_param = if option == PHP_STREAM_OPTION_XPORT_API as c_int {
        ptrparam.cast()
    } else {
        ptr::null_mut()
    };
    entry(
        "stream transport operation",
        move |reason| {
            Ok(if xparam.is_null() {
                RETURN_ERR
            } else {
                // SAFETY: for XPORT_API, ptrparam is the caller's xport param.
                unsafe { fail(xparam, &reason.to_string()) }
            })
        },
        // SAFETY: forwarded.
        move || unsafe { set_option_checked(stream, option, value, ptrparam, xparam, role) },
    )
}

/// [`guarded_set_option`] inside its entry. Out of line, with the
/// arguments in registers: what the inliner makes of the closure otherwise
/// moves with every change around it.
///
/// # Safety
/// As [`guarded_set_option`]; `xparam` is `ptrparam` for an xport
/// operation, else null.
#[inline(never)]
unsafe fn set_option_checked(
    stream: *mut php_stream,
    option: c_int,
    value: c_int,
    ptrparam: *mut c_void,
    xparam: *mut php_stream_xport_param,
    role: Role,
) -> Result<c_int, Bailout> {
    if stream.is_null() {
        return Ok(RETURN_ERR);
    }
    // SAFETY: the engine passes the stream whose ops led here: a
    // guard copy (only guard copies hold this function).
    let Some(set) = (unsafe { set_of_guard((*stream).ops) }) else {
        return Ok(RETURN_ERR);
    };
    // SAFETY: original ops tables are static.
    let Some(original_set) = (unsafe { (*set.original).set_option }) else {
        return Ok(RETURN_ERR);
    };
    if xparam.is_null() {
        // Not an xport operation: delegate, keeping the guard.
        // SAFETY: a live stream; no Rust value of ours is alive
        // across the original, which gets the engine's arguments.
        return Ok(unsafe {
            let guard_ops = (*stream).ops;
            (*stream).ops = set.original;
            let r = original_set(stream, option, value, ptrparam);
            (*stream).ops = guard_ops;
            r
        });
    }
    // SAFETY: both are live for the call; the references end here,
    // before the original runs.
    if unsafe { connects_at_once(&*stream, set, &*xparam, role) } {
        // SAFETY: a live stream; forwarded to the original with
        // nothing of ours alive.
        let r = unsafe {
            (*stream).ops = set.original;
            original_set(stream, option, value, ptrparam)
        };
        // SAFETY: the stream and param outlive the call.
        unsafe { connected::track_if_connected(stream, set, (*xparam).op, r, &*xparam) };
        return Ok(r);
    }
    // SAFETY: as above.
    let (op, step) = unsafe { ((*xparam).op, decide_step(&*stream, set, &*xparam, role)) };
    engine::flush_logs()?;
    match step {
        Step::Deny(reason) => {
            let text = reason.to_string();
            // SAFETY: the caller's xport param.
            let r = unsafe { fail(xparam, &text) };
            record_denial(text);
            Ok(r)
        }
        Step::Report(line) => {
            engine::log(&line)?;
            drop(line);
            // SAFETY: a live stream; forwarded to the original with
            // nothing of ours alive.
            let r = unsafe {
                (*stream).ops = set.original;
                original_set(stream, option, value, ptrparam)
            };
            // SAFETY: the stream and param outlive the call.
            unsafe { connected::track_if_connected(stream, set, op, r, &*xparam) };
            Ok(r)
        }
        Step::Delegate(pinned) => {
            // SAFETY: a live stream.
            unsafe { (*stream).ops = set.original };
            // SAFETY: forwarded.
            let r = unsafe { delegate(stream, option, value, xparam, &pinned)? };
            drop(pinned);
            // SAFETY: the stream and param outlive the call.
            unsafe { connected::track_if_connected(stream, set, op, r, &*xparam) };
            Ok(r)
        }
    }
}

/// Runs the original set_option, once with the name as given, or once per
/// pinned name until one connects (the previous one's error is dropped, as
/// PHP itself falls back).
///
/// # Safety
/// `stream` has its original ops in place; `xparam` is the engine's xport
/// param of this call.
unsafe fn delegate(
    stream: *mut php_stream,
    option: c_int,
    value: c_int,
    xparam: *mut php_stream_xport_param,
    pinned: &[CString],
) -> Result<c_int, Bailout> {
    // SAFETY: the stream's ops are the static original table.
    let Some(original_set) = (unsafe { (*(*stream).ops).set_option }) else {
        return Ok(RETURN_ERR);
    };
    let ptrparam = xparam.cast::<c_void>();
    if pinned.is_empty() {
        // SAFETY: forwarded; nothing of ours with a destructor is alive
        // across the call (the caller's `pinned` is empty), so a bailout
        // skips nothing and needs no zend_try.
        return Ok(unsafe { original_set(stream, option, value, ptrparam) });
    }
    // SAFETY: the param is live for the whole call; read and written
    // through the raw pointer only, around the original's own writes.
    unsafe {
        let (name, namelen, op) = (
            (*xparam).inputs.name,
            (*xparam).inputs.namelen,
            (*xparam).op,
        );
        let mut r = RETURN_ERR;
        for (i, target) in pinned.iter().enumerate() {
            if i > 0 && !(*xparam).outputs.error_text.is_null() {
                // The error text is a zend_string xp_socket made for us.
                ext_php_rs::ffi::ext_php_rs_zend_string_release((*xparam).outputs.error_text);
                (*xparam).outputs.error_text = ptr::null_mut();
            }
            // xp_socket reads the port with atoi, past namelen: the name is
            // a C string, alive across the call.
            (*xparam).inputs.name = target.as_ptr().cast_mut();
            (*xparam).inputs.namelen = target.as_bytes().len();
            let result = engine(|| original_set(stream, option, value, ptrparam));
            (*xparam).inputs.name = name;
            (*xparam).inputs.namelen = namelen;
            r = result?;
            if r != RETURN_OK || (*xparam).outputs.returncode == 0 || op == OP_CONNECT_ASYNC {
                break;
            }
        }
        Ok(r)
    }
}

/// A context option as a string, if set to one.
fn context_string(stream: &php_stream, wrapper: &CStr, option: &CStr) -> Option<Option<String>> {
    // SAFETY: `ctx` is the stream's context resource or NULL.
    let ctx = unsafe { stream.ctx.as_ref()? };
    let context = ctx.ptr.cast::<php_stream_context>();
    // SAFETY: a context resource holds a php_stream_context.
    let options = unsafe { context.as_ref()? }.options.array()?;
    // The default context has no options: answered without a lookup.
    if options.nNumOfElements == 0 {
        return None;
    }
    // SAFETY: as above.
    let zv = unsafe {
        php_stream_context_get_option(context, wrapper.as_ptr(), option.as_ptr()).as_ref()?
    };
    Some(zv.str().map(str::to_owned))
}

/// The address a `bindto` context option makes xp_socket.c bind to, if
/// any: it splits "host:port" as it splits every address, reads the port
/// with atoi, and binds only to an IP address (a name or an empty host
/// binds nothing, and neither does a value without a port, such as
/// Symfony's default "0").
fn bindto_address(bindto: &str) -> Option<(Host, u16)> {
    let (host, port) = split_host_port(bindto).ok()?;
    let port = atoi_port(port?);
    match parse_host(host) {
        Ok((host @ Host::Ip(_), _)) => Some((host, port)),
        _ => None,
    }
}

/// The name of an xport operation, as bytes.
fn xport_name_bytes(xparam: &php_stream_xport_param) -> &[u8] {
    if xparam.inputs.name.is_null() {
        return &[];
    }
    // SAFETY: inputs.name holds namelen bytes for the name-taking ops.
    unsafe { std::slice::from_raw_parts(xparam.inputs.name.cast::<u8>(), xparam.inputs.namelen) }
}

/// A name as text, lossily as UTF-8.
fn text(bytes: &[u8]) -> Cow<'_, str> {
    // from_utf8 first: lossy conversion is slower even on valid input.
    std::str::from_utf8(bytes).map_or_else(|_| String::from_utf8_lossy(bytes), Cow::Borrowed)
}

/// The common stream connect, allowed without the general steps of
/// [`decide_step`]: a client's connect to a plain `a.b.c.d:port`, with no
/// `bindto`, that the policy allows at once ([`Config::allows_at_once`]);
/// approved for the floor. `false` for anything else, which takes the
/// general steps (and finds the same answer for what this lane allows).
fn connects_at_once(
    s: &php_stream,
    set: &GuardSet,
    xparam: &php_stream_xport_param,
    role: Role,
) -> bool {
    if role != Role::Client || !matches!(xparam.op, OP_CONNECT | OP_CONNECT_ASYNC) {
        return false;
    }
    // allows_at_once allows TCP and UDP only.
    let Some(transport @ (Transport::Tcp | Transport::Udp)) = set.transport() else {
        return false;
    };
    let config = runtime::current();
    if config.mode == crate::config::Mode::Off || context_string(s, c"socket", c"bindto").is_some()
    {
        return false;
    }
    // (Which API asks matters only to an app that is not paid.)
    let caller = if !config.paid_app() && in_sockets_api() {
        Caller::SocketsApi
    } else {
        Caller::Client
    };
    let name = xport_name_bytes(xparam);
    let also = recent::STREAM_LANE
        | u64::from(caller == Caller::SocketsApi)
        | u64::from(transport == Transport::Udp) << 1;
    let allowed = recent::allowed(config, name, also, || {
        let (v4, port) = plain_ipv4_port(name)?;
        let host = Host::Ip(IpAddr::V4(v4));
        let op = Operation::Connect {
            host: &host,
            port,
            kind: set.kind(),
        };
        config.allows_at_once(&op, caller)?;
        Some(Allowed {
            target: SocketAddrV4::new(v4, port),
            transport: TransportLabel::of_transport(Some(transport)),
        })
    });
    let Some(Allowed { target, transport }) = allowed else {
        return false;
    };
    verdict::count_allowed_at_once(config, transport);
    approvals::approve(-1, SocketAddr::V4(target));
    true
}

fn decide_step(
    s: &php_stream,
    set: &GuardSet,
    xparam: &php_stream_xport_param,
    role: Role,
) -> Step {
    let op = xparam.op;
    let config = runtime::current();
    if config.mode == crate::config::Mode::Off {
        return Step::Delegate(Vec::new());
    }
    let bytes = xport_name_bytes(xparam);
    let caller = match role {
        Role::Client if in_sockets_api() => Caller::SocketsApi,
        Role::Client | Role::Server => Caller::Client,
    };
    let asked = || {
        let name = text(bytes);
        Asked {
            port: split_host_port(&name)
                .ok()
                .and_then(|(_, p)| p?.parse().ok()),
            target: name,
            transport: set.transport().map(Transport::name),
        }
    };
    let to_step = |outcome: Outcome, pinned: Vec<CString>| match outcome {
        Outcome::Allow(_) | Outcome::Mock(_) => Step::Delegate(pinned),
        Outcome::Deny(reason) => Step::Deny(reason),
        Outcome::Report(reason) => Step::Report(report_line(&text(bytes), &reason)),
    };
    match (op, role) {
        (OP_CONNECT | OP_CONNECT_ASYNC, Role::Client) => {
            if let Some(step) = decide_bindto(config, s, caller, &to_step) {
                return step;
            }
            decide_connect(config, set, caller, bytes, asked, &to_step)
        }
        (OP_BIND | OP_LISTEN | OP_ACCEPT, Role::Server) | (OP_LISTEN | OP_ACCEPT, Role::Client) => {
            to_step(
                verdict::decide(config, &Operation::Listen, caller, asked),
                Vec::new(),
            )
        }
        (OP_BIND, Role::Client) => {
            let name = text(bytes);
            let (host, port) = bindto_address(&name).unwrap_or((Host::Path(name.into_owned()), 0));
            let op = Operation::Bind { host: &host, port };
            to_step(verdict::decide(config, &op, caller, asked), Vec::new())
        }
        _ => Step::Delegate(Vec::new()),
    }
}

/// The `bindto` context option of a connecting stream: `Some` step when it
/// binds to something the policy refuses.
fn decide_bindto(
    config: &Config,
    s: &php_stream,
    caller: Caller,
    to_step: &dyn Fn(Outcome, Vec<CString>) -> Step,
) -> Option<Step> {
    let bindto = context_string(s, c"socket", c"bindto")?.unwrap_or_default();
    let (host, port) = bindto_address(&bindto)?;
    let asked = || Asked {
        target: bindto.as_str().into(),
        port: Some(port),
        transport: None,
    };
    match verdict::decide(
        config,
        &Operation::Bind { host: &host, port },
        caller,
        asked,
    ) {
        Outcome::Allow(_) | Outcome::Mock(_) => None,
        denied => Some(to_step(denied, Vec::new())),
    }
}

/// A connect of a guarded stream to `name` ("host:port" or a path).
fn decide_connect<'a>(
    config: &Config,
    set: &GuardSet,
    caller: Caller,
    name: &[u8],
    asked: impl FnOnce() -> Asked<'a>,
    to_step: &dyn Fn(Outcome, Vec<CString>) -> Step,
) -> Step {
    let local = set.transport().is_some_and(Transport::is_local);
    let parsed = if local {
        Ok(HostPort {
            host: Host::Path(text(name).into_owned()),
            zone: None,
            port: None,
            plain: true,
        })
    } else if let Some((addr, port)) = plain_ipv4_port(name) {
        // The common case, read without the text of the name.
        Ok(HostPort {
            host: Host::Ip(IpAddr::V4(addr)),
            zone: None,
            port: Some(port),
            plain: true,
        })
    } else {
        parse_host_port_spelled(&text(name))
    };
    let HostPort {
        host,
        zone,
        port,
        plain,
    } = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            return to_step(
                verdict::refuse(config, Reason::target(&text(name), &e), asked),
                Vec::new(),
            )
        }
    };
    let port = port.unwrap_or(0);
    let op = Operation::Connect {
        host: &host,
        port,
        kind: set.kind(),
    };
    let outcome = verdict::decide(config, &op, caller, asked);
    match (&outcome, &host) {
        // The connect the transport makes next reaches the floor: decided
        // (report mode included, where it goes to the address as given).
        (Outcome::Allow(addrs), _) => {
            for addr in addrs.as_slice() {
                approvals::approve(-1, SocketAddr::new(*addr, port));
            }
        }
        (Outcome::Report(_), Host::Ip(ip)) => approvals::approve(-1, SocketAddr::new(*ip, port)),
        _ => {}
    }
    let pinned: Result<Vec<CString>, _> = match (&outcome, &host) {
        // Every resolver reads it as it is: nothing to rewrite.
        (Outcome::Allow(_), Host::Ip(_)) if plain => Ok(Vec::new()),
        (Outcome::Allow(addrs), Host::Ip(_) | Host::Name(_)) if !addrs.is_empty() => addrs
            .as_slice()
            .iter()
            .map(|a| CString::new(format_host_port(*a, zone.as_deref(), port)))
            .collect(),
        // A name must never reach the transport unpinned.
        (Outcome::Allow(_), Host::Ip(_) | Host::Name(_)) => {
            return Step::Deny(Reason::Internal {
                what: "an allowed name came without checked addresses".to_owned(),
            })
        }
        _ => Ok(Vec::new()),
    };
    match pinned {
        Ok(pinned) => to_step(outcome, pinned),
        Err(_) => Step::Deny(Reason::Internal {
            what: "a checked address does not fit a C string".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindto_binds_only_an_address_with_a_port() {
        let ip = |s: &str| Host::Ip(s.parse().expect("ip"));
        assert_eq!(bindto_address("0.0.0.0:0"), Some((ip("0.0.0.0"), 0)));
        assert_eq!(bindto_address("[::]:8080"), Some((ip("::"), 8080)));
        assert_eq!(bindto_address("10.0.0.1:0abc"), Some((ip("10.0.0.1"), 0)));
        assert_eq!(
            bindto_address("127.0.0.1:65561"),
            Some((ip("127.0.0.1"), 25))
        );
        // Symfony's default "0", a name, an empty host, no port: nothing bound.
        assert_eq!(bindto_address("0"), None);
        assert_eq!(bindto_address("localhost:80"), None);
        assert_eq!(bindto_address(":0"), None);
        assert_eq!(bindto_address("10.0.0.1"), None);
    }
}

//! Stream transports: every factory in PHP's transport table (tcp, udp,
//! unix, udg, and ext/openssl's ssl, tls, tlsv1.x, sslv*) is replaced by one
//! that calls the original and then gives the new stream a guard copy of its
//! ops whose `set_option` decides at STREAM_XPORT_OP_CONNECT(_ASYNC), BIND,
//! LISTEN and ACCEPT. Every stream path in PHP (fsockopen,
//! stream_socket_client/server, the http/ftp wrappers, mysqlnd, SoapClient)
//! creates its socket here.
//!
//! A connect that is allowed gets the checked address in place of the host
//! name (the name is never resolved a second time); ext/openssl took the name
//! for SNI and peer verification at factory time, so TLS still verifies it.
//! Before delegating, the stream gets its original ops back for good: php-src
//! compares ops pointers (a udp stream must stay a udp stream), and after the
//! connect nothing is left to decide at this layer. Denials fill in
//! `outputs.error_text` and `error_code` as xp_socket.c does, so each caller
//! reports them its own way ("Unable to connect to ... (sockguard: ...)").

use std::{
    cell::Cell,
    ffi::{c_char, c_int, c_void, CStr},
    net::IpAddr,
    ptr,
    sync::Mutex,
};

use ext_php_rs::{
    alloc::{efree, estrdup},
    ffi::{php_stream, php_stream_context, php_stream_ops, zend_hash_str_find},
    types::ZendStr,
};

use super::{
    ffi::{
        _php_stream_xport_param_STREAM_XPORT_OP_ACCEPT as OP_ACCEPT,
        _php_stream_xport_param_STREAM_XPORT_OP_BIND as OP_BIND,
        _php_stream_xport_param_STREAM_XPORT_OP_CONNECT as OP_CONNECT,
        _php_stream_xport_param_STREAM_XPORT_OP_CONNECT_ASYNC as OP_CONNECT_ASYNC,
        _php_stream_xport_param_STREAM_XPORT_OP_LISTEN as OP_LISTEN, php_file_le_pstream,
        php_file_le_stream, php_stream_context_get_option, php_stream_transport_factory,
        php_stream_xport_get_hash, php_stream_xport_param,
    },
    php,
};
use crate::{
    config::{Config, Mode, Outcome},
    policy::{Decision, Host, Reason, Transport},
    registry, runtime,
};

/// PHP_STREAM_OPTION_XPORT_API (php_streams.h).
const PHP_STREAM_OPTION_XPORT_API: c_int = 7;
/// PHP_STREAM_OPTION_RETURN_OK.
const RETURN_OK: c_int = 0;
/// STREAM_XPORT_SERVER (php_stream_transport.h): the factory makes a server.
const STREAM_XPORT_SERVER: c_int = 1;

type SetOption = unsafe extern "C" fn(*mut php_stream, c_int, c_int, *mut c_void) -> c_int;

/// One transport's original factory.
struct Factory {
    name: Vec<u8>,
    original: usize,
}

/// The guard ops made for one original ops table.
struct Guard {
    original: *const php_stream_ops,
    client: *const php_stream_ops,
    server: *const php_stream_ops,
    /// Connected client streams under idle reclaim: read, write, close and
    /// set_option go through sockguard first.
    connected: *const php_stream_ops,
    transport: Result<Transport, String>,
}
// SAFETY: the pointers are to static ops tables (php-src's, or leaked copies)
// that are never written after creation.
unsafe impl Send for Guard {}

static FACTORIES: Mutex<Vec<Factory>> = Mutex::new(Vec::new());

/// Owner (app id) of every persistent stream this process opened, by its
/// persistent id (pfsockopen, STREAM_CLIENT_PERSISTENT, mysqlnd p: hosts).
static PERSISTENT_OWNERS: Mutex<Vec<(Vec<u8>, String)>> = Mutex::new(Vec::new());

/// The persistent ids among `owners` that belong to another app than `app`.
fn foreign_ids(owners: &[(Vec<u8>, String)], app: &str) -> Vec<Vec<u8>> {
    owners
        .iter()
        .filter(|(_, owner)| owner != app)
        .map(|(id, _)| id.clone())
        .collect()
}

/// Closes the persistent streams of other apps before a request of `app`
/// starts, so a persistent socket is never handed to another app (a
/// process serves one app at a time; php-fpm pools never share processes,
/// mod_php virtual hosts may).
pub fn release_foreign_persistent(app: &str) {
    let Ok(mut owners) = PERSISTENT_OWNERS.lock() else {
        return;
    };
    let foreign = foreign_ids(&owners, app);
    if foreign.is_empty() {
        return;
    }
    // SAFETY: executor globals are live at request startup; deleting an
    // entry runs the persistent-list destructor, which closes the stream.
    unsafe {
        let eg = ext_php_rs::ffi::ext_php_rs_executor_globals();
        let list = std::ptr::addr_of_mut!((*eg).persistent_list);
        for id in &foreign {
            ext_php_rs::ffi::zend_hash_str_del(list, id.as_ptr().cast(), id.len());
        }
    }
    owners.retain(|(id, _)| !foreign.contains(id));
}
static GUARDS: Mutex<Vec<Guard>> = Mutex::new(Vec::new());

thread_local! {
    /// Set while fsockopen/pfsockopen/stream_socket_client run: the Sockets
    /// API, which `sockguard.paid_app=0` denies (URL wrappers stay allowed).
    static IN_SOCKETS_API: Cell<bool> = const { Cell::new(false) };
    /// The last stream denial, for callers that drop the error text
    /// (SoapClient reports only "Could not connect to host").
    static LAST_DENIAL: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Takes the reason of the last stream denial on this thread, if any.
pub fn take_last_denial() -> Option<String> {
    LAST_DENIAL.with(|d| d.borrow_mut().take())
}

/// Runs `f` with the Sockets API flag set.
pub fn as_sockets_api<R>(f: impl FnOnce() -> R) -> R {
    IN_SOCKETS_API.with(|c| c.set(true));
    let r = f();
    IN_SOCKETS_API.with(|c| c.set(false));
    r
}

/// Clears the Sockets API flag (a bailout may have skipped the reset).
pub fn reset_request_state() {
    IN_SOCKETS_API.with(|c| c.set(false));
    LAST_DENIAL.with(|d| d.borrow_mut().take());
}

/// The policy transport of a registered transport name.
fn transport_named(name: &str) -> Result<Transport, String> {
    match name.to_ascii_lowercase().as_str() {
        "tcp" | "ssl" | "tls" | "sslv2" | "sslv3" | "tlsv1.0" | "tlsv1.1" | "tlsv1.2"
        | "tlsv1.3" => Ok(Transport::Tcp),
        "udp" => Ok(Transport::Udp),
        "unix" => Ok(Transport::Unix),
        "udg" => Ok(Transport::Udg),
        other => Err(other.to_owned()),
    }
}

/// Replaces every registered transport factory. Call after ext/openssl has
/// registered its transports (the module entry depends on it).
pub fn install() {
    // SAFETY: the transport table is a persistent HashTable owned by the
    // engine; MINIT runs before any request uses it.
    let Some(table) = (unsafe { php_stream_xport_get_hash().as_mut() }) else {
        return;
    };
    let names: Vec<Vec<u8>> = table
        .iter()
        .filter_map(|(key, _)| match key {
            ext_php_rs::types::ArrayKey::String(s) => Some(s.into_bytes()),
            ext_php_rs::types::ArrayKey::Str(s) => Some(s.as_bytes().to_vec()),
            ext_php_rs::types::ArrayKey::ZendString(s) => Some(s.as_bytes().to_vec()),
            ext_php_rs::types::ArrayKey::Long(_) => None,
        })
        .collect();
    let Ok(mut factories) = FACTORIES.lock() else {
        return;
    };
    for name in names {
        // SAFETY: the key exists; the value is an IS_PTR zval holding the factory.
        let slot = unsafe { zend_hash_str_find(table, name.as_ptr().cast(), name.len()) };
        // SAFETY: as above.
        let Some(slot) = (unsafe { slot.as_mut() }) else {
            continue;
        };
        // SAFETY: transport table values are IS_PTR zvals.
        let current = unsafe { slot.value.ptr } as usize;
        if current == 0 || current == guarded_factory as *const () as usize {
            continue;
        }
        factories.retain(|f| f.name != name);
        factories.push(Factory {
            name,
            original: current,
        });
        slot.value.ptr = guarded_factory as *mut c_void;
    }
}

/// Puts the original factories back.
pub fn uninstall() {
    // SAFETY: as in `install`; MSHUTDOWN runs after the last request.
    let Some(table) = (unsafe { php_stream_xport_get_hash().as_mut() }) else {
        return;
    };
    let Ok(mut factories) = FACTORIES.lock() else {
        return;
    };
    for f in factories.drain(..) {
        let (name, len) = (f.name.as_ptr().cast(), f.name.len());
        // SAFETY: as in `install`.
        if let Some(slot) = unsafe { zend_hash_str_find(table, name, len).as_mut() } {
            // SAFETY: IS_PTR zval.
            let current = unsafe { slot.value.ptr };
            if std::ptr::eq(current.cast_const(), guarded_factory as *const c_void) {
                slot.value.ptr = f.original as *mut c_void;
            }
        }
    }
}

fn original_factory(proto: &[u8]) -> Option<php_stream_transport_factory> {
    let factories = FACTORIES.lock().ok()?;
    let f = factories
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(proto))?;
    // SAFETY: only live factory function pointers are stored.
    Some(unsafe { std::mem::transmute::<usize, php_stream_transport_factory>(f.original) })
}

/// The guard ops for `original` (made on first use, kept for the process).
fn guard_ops(
    original: *const php_stream_ops,
    transport_name: &str,
    server: bool,
) -> Option<*const php_stream_ops> {
    let mut guards = GUARDS.lock().ok()?;
    if let Some(g) = guards.iter().find(|g| g.original == original) {
        return Some(if server { g.server } else { g.client });
    }
    // SAFETY: `original` is the ops table the original factory installed.
    let base = unsafe { original.as_ref()? };
    let copy = |set_option: SetOption| {
        // SAFETY: php_stream_ops is plain data (function pointers and a label).
        let mut ops: php_stream_ops = unsafe { ptr::read(base) };
        ops.set_option = Some(set_option);
        Box::leak(Box::new(ops)) as *const php_stream_ops
    };
    // SAFETY: as above.
    let mut connected: php_stream_ops = unsafe { ptr::read(base) };
    connected.read = Some(connected_read);
    connected.write = Some(connected_write);
    connected.close = Some(connected_close);
    connected.set_option = Some(connected_set_option);
    connected.cast = Some(connected_cast);
    let connected = Box::leak(Box::new(ConnectedOps {
        ops: connected,
        original,
    }));
    let guard = Guard {
        original,
        client: copy(client_set_option),
        server: copy(server_set_option),
        connected: ptr::from_ref(&connected.ops),
        transport: transport_named(transport_name),
    };
    let ops = if server { guard.server } else { guard.client };
    guards.push(guard);
    Some(ops)
}

/// (original ops, transport) of a guarded stream.
fn guard_of(
    ops: *const php_stream_ops,
) -> Option<(*const php_stream_ops, Result<Transport, String>)> {
    let guards = GUARDS.lock().ok()?;
    guards
        .iter()
        .find(|g| g.client == ops || g.server == ops)
        .map(|g| (g.original, g.transport.clone()))
}

/// A connected guard and the ops it stands in for, together so that every
/// read and write finds the original without a lookup.
#[repr(C)]
struct ConnectedOps {
    /// Must stay first: streams point here.
    ops: php_stream_ops,
    original: *const php_stream_ops,
}

/// The original ops behind a connected guard.
///
/// # Safety
/// `ops` must be the `ops` field of a [`ConnectedOps`].
unsafe fn original_of_connected(ops: *const php_stream_ops) -> Option<*const php_stream_ops> {
    // SAFETY: `ops` is the first field of a leaked, never-freed ConnectedOps.
    unsafe { ops.cast::<ConnectedOps>().as_ref().map(|c| c.original) }
}

/// The transport of a stream with its original ops (after connect).
pub fn transport_of_stream(stream: &php_stream) -> Option<Transport> {
    let guards = GUARDS.lock().ok()?;
    let g = guards.iter().find(|g| {
        g.original == stream.ops || g.client == stream.ops || g.connected == stream.ops
    })?;
    g.transport.clone().ok()
}

unsafe extern "C" fn guarded_factory(
    proto: *const c_char,
    protolen: usize,
    resourcename: *const c_char,
    resourcenamelen: usize,
    persistent_id: *const c_char,
    options: c_int,
    flags: c_int,
    timeout: *mut libc::timeval,
    context: *mut php_stream_context,
) -> *mut php_stream {
    // SAFETY: the engine passes `protolen` readable bytes.
    let proto_bytes = unsafe { std::slice::from_raw_parts(proto.cast::<u8>(), protolen) };
    let Some(Some(original)) = original_factory(proto_bytes) else {
        return ptr::null_mut();
    };
    // SAFETY: the arguments are the engine's, passed on unchanged.
    let stream = unsafe {
        original(
            proto,
            protolen,
            resourcename,
            resourcenamelen,
            persistent_id,
            options,
            flags,
            timeout,
            context,
        )
    };
    if super::is_off() {
        return stream;
    }
    if !stream.is_null() && !persistent_id.is_null() {
        // SAFETY: a non-null persistent id is a NUL-terminated string.
        let id = unsafe { CStr::from_ptr(persistent_id) }.to_bytes().to_vec();
        if let Ok(mut owners) = PERSISTENT_OWNERS.lock() {
            owners.retain(|(known, _)| *known != id);
            owners.push((id, runtime::current().app_id.clone()));
        }
    }
    // SAFETY: the original factory returned a live stream or NULL.
    if let Some(s) = unsafe { stream.as_mut() } {
        let name = String::from_utf8_lossy(proto_bytes);
        if let Some(ops) = guard_ops(s.ops, &name, flags & STREAM_XPORT_SERVER != 0) {
            s.ops = ops;
        }
    }
    stream
}

/// Fills in a denial the way xp_socket.c reports a failed operation.
fn fail(xparam: &mut php_stream_xport_param, reason: &str) -> c_int {
    if xparam.want_errortext() != 0 {
        xparam.outputs.error_text = ZendStr::new(format!("sockguard: {reason}"), false).into_raw();
    }
    xparam.outputs.error_code = libc::EACCES;
    xparam.outputs.returncode = -1;
    RETURN_OK
}

/// A context option as a string, if set to one.
fn context_string(stream: &php_stream, wrapper: &CStr, option: &CStr) -> Option<Option<String>> {
    // SAFETY: `ctx` is the stream's context resource or NULL.
    let ctx = unsafe { stream.ctx.as_ref()? };
    let context = ctx.ptr.cast::<php_stream_context>();
    // SAFETY: a context resource holds a php_stream_context.
    let zv = unsafe {
        php_stream_context_get_option(context, wrapper.as_ptr(), option.as_ptr()).as_ref()?
    };
    Some(zv.str().map(str::to_owned))
}

/// Splits "host:port" or "[v6]:port" as xp_socket.c does (first colon);
/// the port is `None` when it is not a decimal number.
fn split_host_port(name: &str) -> (&str, Option<u16>) {
    let (host, port) = match name.strip_prefix('[').and_then(|r| r.split_once("]:")) {
        Some((host, port)) => (host, port),
        None => name.split_once(':').unwrap_or((name, "")),
    };
    // xp_socket.c reads the port with atoi: "0abc" is 0 there. Only plain
    // decimal is trusted here; anything else fails closed.
    (host, port.parse().ok())
}

/// Decides a connect of a guarded stream to `name` ("host:port" or a path).
fn decide_connect(
    config: &Config,
    stream: &php_stream,
    transport: Transport,
    name: &str,
) -> Result<(Vec<String>, Vec<IpAddr>), Reason> {
    let policy = config.policy.as_ref().map_err(Clone::clone)?;
    if !config.paid_app && IN_SOCKETS_API.with(Cell::get) {
        return Err(Reason::NotPaid);
    }
    if let Some(bindto) = context_string(stream, c"socket", c"bindto") {
        // Only the wildcard address with port 0 (a no-op) may be bound. A
        // value xp_socket.c cannot parse (no "host:port", e.g. Symfony's
        // default "0") binds nothing.
        let bindto = bindto.unwrap_or_default();
        let (host, port) = split_host_port(&bindto);
        let parsed_by_php = if bindto.starts_with('[') {
            bindto.contains("]:")
        } else {
            bindto.contains(':')
        };
        let wildcard = !parsed_by_php
            || port == Some(0)
                && (host.is_empty()
                    || crate::policy::parse_host(host)
                        .is_ok_and(|(h, _)| matches!(h, Host::Ip(ip) if ip.is_unspecified())));
        if !wildcard {
            return Err(Reason::Bind {
                addr: host.to_owned(),
                port: port.unwrap_or(0),
            });
        }
    }
    let (host, zone, port) = match transport {
        Transport::Unix | Transport::Udg => (Host::Path(name.to_owned()), None, None),
        Transport::Tcp | Transport::Udp | Transport::Raw => {
            crate::policy::parse_host_port(name).map_err(|e| Reason::target(name, &e))?
        }
    };
    let port = port.unwrap_or(0);
    let addrs = match policy.decide(&host, port, transport, &*config.resolver) {
        Decision::Deny(reason) => return Err(reason),
        Decision::Allow { addrs } => addrs,
    };
    let pinned = pinned_names(name, &host, zone.as_deref(), &addrs, port);
    Ok((pinned, addrs))
}

/// The "host:port" names to connect to in place of `name`, one per checked
/// address in resolver order (the caller falls back along them, as
/// php_network_connect_socket_to_host does), or none when `name` already is
/// a plain IP literal that every resolver reads the same way.
fn pinned_names(
    name: &str,
    host: &Host,
    zone: Option<&str>,
    addrs: &[IpAddr],
    port: u16,
) -> Vec<String> {
    if matches!(host, Host::Path(_)) {
        return Vec::new();
    }
    let literal = name
        .strip_prefix('[')
        .map_or_else(|| name.split(':').next(), |r| r.split(']').next())
        .and_then(|l| l.parse::<IpAddr>().ok());
    if literal.is_some() && addrs.len() == 1 && literal == addrs.first().copied() {
        return Vec::new();
    }
    addrs
        .iter()
        .map(|a| match (a, zone) {
            (IpAddr::V4(v4), _) => format!("{v4}:{port}"),
            (IpAddr::V6(v6), Some(z)) => format!("[{v6}%{z}]:{port}"),
            (IpAddr::V6(v6), None) => format!("[{v6}]:{port}"),
        })
        .collect()
}

/// The set_option of guarded client streams.
unsafe extern "C" fn client_set_option(
    stream: *mut php_stream,
    option: c_int,
    value: c_int,
    ptrparam: *mut c_void,
) -> c_int {
    // SAFETY: forwarded from the engine.
    unsafe { guarded_set_option(stream, option, value, ptrparam, false) }
}

/// The set_option of guarded server streams (stream_socket_server).
unsafe extern "C" fn server_set_option(
    stream: *mut php_stream,
    option: c_int,
    value: c_int,
    ptrparam: *mut c_void,
) -> c_int {
    // SAFETY: forwarded from the engine.
    unsafe { guarded_set_option(stream, option, value, ptrparam, true) }
}

/// What the guard does with one xport operation.
enum Step {
    /// Restore the original ops and delegate, with `name` in place of the
    /// requested one when set.
    Delegate(Vec<String>),
    /// Report mode: log, restore and delegate unchanged.
    Report(String),
    /// Fail the operation with this reason.
    Deny(String),
}

unsafe fn guarded_set_option(
    stream: *mut php_stream,
    option: c_int,
    value: c_int,
    ptrparam: *mut c_void,
    server: bool,
) -> c_int {
    // SAFETY: the engine passes the stream whose ops led here.
    let Some(s) = (unsafe { stream.as_mut() }) else {
        return -1;
    };
    let Some((original_ops, transport)) = guard_of(s.ops) else {
        return -1;
    };
    // SAFETY: original ops tables are static.
    let Some(original_set) = (unsafe { (*original_ops).set_option }) else {
        return -1;
    };
    let xparam = if option == PHP_STREAM_OPTION_XPORT_API {
        // SAFETY: for XPORT_API, ptrparam is a php_stream_xport_param.
        unsafe { ptrparam.cast::<php_stream_xport_param>().as_mut() }
    } else {
        None
    };
    let Some(xparam) = xparam else {
        // Not an xport operation: delegate, keeping the guard.
        let guard_ops = s.ops;
        s.ops = original_ops;
        // SAFETY: forwarded.
        let r = unsafe { original_set(stream, option, value, ptrparam) };
        // SAFETY: the stream is still alive after its own set_option.
        unsafe { (*stream).ops = guard_ops };
        return r;
    };
    let op = xparam.op;
    let step = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decide_step(s, xparam, op, transport, server)
    }))
    .unwrap_or_else(|_| Step::Deny("internal error; the connection is denied".to_owned()));
    match step {
        Step::Deny(reason) => {
            let r = fail(xparam, &reason);
            LAST_DENIAL.with(|d| *d.borrow_mut() = Some(reason));
            r
        }
        Step::Report(line) => {
            php::log(&line);
            drop(line);
            s.ops = original_ops;
            // SAFETY: forwarded.
            let r = unsafe { original_set(stream, option, value, ptrparam) };
            // SAFETY: the stream outlives its own set_option call.
            unsafe { track_if_connected(stream, op, r, xparam, original_ops) };
            r
        }
        Step::Delegate(pinned) => {
            s.ops = original_ops;
            let (name, namelen) = (xparam.inputs.name, xparam.inputs.namelen);
            let mut r = RETURN_ERR;
            if pinned.is_empty() {
                // SAFETY: forwarded.
                r = unsafe { original_set(stream, option, value, ptrparam) };
            }
            for (i, target) in pinned.iter().enumerate() {
                if i > 0 {
                    // The previous address refused: drop its error and try
                    // the next checked one, as PHP itself falls back.
                    if !xparam.outputs.error_text.is_null() {
                        // SAFETY: the error text is a zend_string xp_socket made for us.
                        unsafe {
                            ext_php_rs::ffi::ext_php_rs_zend_string_release(
                                xparam.outputs.error_text,
                            )
                        };
                        xparam.outputs.error_text = ptr::null_mut();
                    }
                }
                let copy = estrdup(target.as_bytes());
                xparam.inputs.name = copy;
                xparam.inputs.namelen = target.len();
                // SAFETY: forwarded, with our own name buffer alive across the call.
                r = unsafe { original_set(stream, option, value, ptrparam) };
                xparam.inputs.name = name;
                xparam.inputs.namelen = namelen;
                // SAFETY: `copy` came from estrdup above.
                unsafe { efree(copy.cast()) };
                if r != RETURN_OK || xparam.outputs.returncode == 0 || op == OP_CONNECT_ASYNC {
                    break;
                }
            }
            drop(pinned);
            // SAFETY: the stream outlives its own set_option call.
            unsafe { track_if_connected(stream, op, r, xparam, original_ops) };
            r
        }
    }
}

/// After a connect that succeeded, puts the stream under idle reclaim
/// (when `sockguard.idle_timeout` is set): its descriptor starts a clock
/// and its ops become the connected guard.
///
/// # Safety
/// `stream` must be the live stream the connect ran on.
unsafe fn track_if_connected(
    stream: *mut php_stream,
    op: u32,
    result: c_int,
    xparam: &php_stream_xport_param,
    original_ops: *const php_stream_ops,
) {
    let connected = (op == OP_CONNECT || op == OP_CONNECT_ASYNC)
        && result == RETURN_OK
        && xparam.outputs.returncode == 0;
    if !connected || runtime::idle_timeout_ms().is_none() {
        return;
    }
    let Some(guard) = GUARDS.lock().ok().and_then(|g| {
        g.iter()
            .find(|g| g.original == original_ops)
            .map(|g| g.connected)
    }) else {
        return;
    };
    // SAFETY: forwarded; socket streams keep their descriptor first in
    // `abstract` (php_netstream_data_t, also first in ext/openssl's data).
    unsafe {
        let Some(fd) = stream_fd(stream) else { return };
        super::reclaim::register_fd(fd);
        (*stream).ops = guard;
    }
}

/// The descriptor of a socket stream.
///
/// # Safety
/// `stream` must be a live socket stream (xp_socket.c or ext/openssl).
unsafe fn stream_fd(stream: *mut php_stream) -> Option<i32> {
    // SAFETY: see the caller; php_netstream_data_t starts with the socket.
    unsafe {
        let data = (*stream).abstract_.cast::<i32>();
        (!data.is_null()).then(|| *data).filter(|fd| *fd >= 0)
    }
}

/// Runs `call` with the stream's original ops in place, then puts the
/// connected guard back (php-src compares ops pointers inside its calls).
///
/// # Safety
/// `stream` must be a live stream whose ops are a connected guard.
unsafe fn with_original<R>(
    stream: *mut php_stream,
    call: impl FnOnce(&php_stream_ops) -> R,
) -> Option<R> {
    // SAFETY: forwarded.
    unsafe {
        let guard = (*stream).ops;
        let original = original_of_connected(guard)?;
        (*stream).ops = original;
        let r = call(&*original);
        (*stream).ops = guard;
        Some(r)
    }
}

/// The idle check of a connected stream: `Err` with the reason if it is
/// (now) reclaimed.
///
/// # Safety
/// `stream` must be a live socket stream.
#[inline]
unsafe fn stream_in_use(stream: *mut php_stream) -> Result<(), Reason> {
    // SAFETY: forwarded.
    match unsafe { stream_fd(stream) } {
        Some(fd) => super::reclaim::use_fd(fd),
        None => Ok(()),
    }
}

/// Fails a read or write of a reclaimed stream the way xp_socket.c reports
/// an EPIPE ("Read of N bytes failed with errno=32 Broken pipe").
#[cold]
#[inline(never)]
fn reclaimed_io(what: &str, count: usize, reason: &Reason) -> isize {
    php::notice(&format!(
        "{what} of {count} bytes failed with errno=32 {} (sockguard: {reason})",
        php::strerror(libc::EPIPE)
    ));
    -1
}

// Reads and writes run for every chunk of a transfer, so they stay lean:
// the idle check, then the original's own function, called with the
// connected guard left in place (xp_socket.c and ext/openssl compare ops
// pointers only in set_option paths) so that the call is a tail call.

unsafe extern "C" fn connected_read(
    stream: *mut php_stream,
    buf: *mut c_char,
    count: usize,
) -> isize {
    // SAFETY: forwarded from the engine.
    if let Err(reason) = unsafe { stream_in_use(stream) } {
        return reclaimed_io("Read", count, &reason);
    }
    // SAFETY: the engine passes a live stream whose ops are a connected guard.
    match unsafe { original_of_connected((*stream).ops).and_then(|o| (*o).read) } {
        // SAFETY: forwarded from the engine to the original read.
        Some(read) => unsafe { read(stream, buf, count) },
        None => -1,
    }
}

unsafe extern "C" fn connected_write(
    stream: *mut php_stream,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: forwarded from the engine.
    if let Err(reason) = unsafe { stream_in_use(stream) } {
        return reclaimed_io("Send", count, &reason);
    }
    // SAFETY: as in `connected_read`.
    match unsafe { original_of_connected((*stream).ops).and_then(|o| (*o).write) } {
        // SAFETY: forwarded from the engine to the original write.
        Some(write) => unsafe { write(stream, buf, count) },
        None => -1,
    }
}

/// PHP_STREAM_OPTION_CHECK_LIVENESS: feof(), and the reuse check of a
/// persistent stream.
const PHP_STREAM_OPTION_CHECK_LIVENESS: c_int = 12;
/// PHP_STREAM_OPTION_RETURN_ERR.
const RETURN_ERR: c_int = -1;

unsafe extern "C" fn connected_set_option(
    stream: *mut php_stream,
    option: c_int,
    value: c_int,
    ptrparam: *mut c_void,
) -> c_int {
    // A reclaimed stream is dead: feof() says so, and a persistent one is
    // closed instead of being handed out again.
    // SAFETY: forwarded from the engine.
    if unsafe { stream_in_use(stream) }.is_err() && option == PHP_STREAM_OPTION_CHECK_LIVENESS {
        return RETURN_ERR;
    }
    if option == PHP_STREAM_OPTION_CHECK_LIVENESS {
        // feof() asks this between reads: a tail call, as in connected_read
        // (the liveness check compares no ops pointers).
        // SAFETY: the engine passes a live stream whose ops are a connected guard.
        return match unsafe { original_of_connected((*stream).ops).and_then(|o| (*o).set_option) } {
            // SAFETY: forwarded from the engine to the original set_option.
            Some(set) => unsafe { set(stream, option, value, ptrparam) },
            None => RETURN_ERR,
        };
    }
    // SAFETY: forwarded from the engine to the original set_option.
    unsafe {
        with_original(stream, |o| {
            o.set_option
                .map_or(RETURN_ERR, |set| set(stream, option, value, ptrparam))
        })
    }
    .unwrap_or(RETURN_ERR)
}

/// cast: stream_select() and socket_import_stream() reach the descriptor
/// here; inclusion in a select counts as use.
unsafe extern "C" fn connected_cast(
    stream: *mut php_stream,
    castas: c_int,
    ret: *mut *mut c_void,
) -> c_int {
    // SAFETY: forwarded from the engine.
    let _ = unsafe { stream_in_use(stream) };
    // SAFETY: forwarded from the engine to the original cast.
    unsafe {
        with_original(stream, |o| {
            o.cast.map_or(-1, |cast| cast(stream, castas, ret))
        })
    }
    .unwrap_or(-1)
}

unsafe extern "C" fn connected_close(stream: *mut php_stream, close_handle: c_int) -> c_int {
    // SAFETY: forwarded from the engine; the stream is closing, so its
    // original ops stay in place for the rest of its teardown.
    unsafe {
        if let Some(fd) = stream_fd(stream) {
            registry::forget(fd);
        }
        let Some(original) = original_of_connected((*stream).ops) else {
            return 0;
        };
        (*stream).ops = original;
        (*original)
            .close
            .map_or(0, |close| close(stream, close_handle))
    }
}

fn decide_step(
    s: &php_stream,
    xparam: &php_stream_xport_param,
    op: u32,
    transport: Result<Transport, String>,
    server: bool,
) -> Step {
    let config = runtime::current();
    if config.mode == Mode::Off {
        return Step::Delegate(Vec::new());
    }
    let name = if xparam.inputs.name.is_null() {
        std::borrow::Cow::Borrowed("")
    } else {
        // SAFETY: inputs.name holds namelen bytes for the name-taking ops.
        let bytes = unsafe {
            std::slice::from_raw_parts(xparam.inputs.name.cast::<u8>(), xparam.inputs.namelen)
        };
        // from_utf8 first: lossy conversion is slower even on valid input.
        std::str::from_utf8(bytes).map_or_else(
            |_| String::from_utf8_lossy(bytes),
            std::borrow::Cow::Borrowed,
        )
    };
    let transport_label = transport.as_ref().ok().map(|t| t.name());
    let mut pinned = Vec::new();
    let verdict = match op {
        OP_CONNECT | OP_CONNECT_ASYNC => match transport {
            Ok(t) => decide_connect(&config, s, t, &name).map(|(p, addrs)| {
                pinned = p;
                addrs
            }),
            Err(name) => Err(Reason::Transport { name }),
        },
        OP_BIND | OP_LISTEN | OP_ACCEPT if server => Err(Reason::Listen),
        OP_LISTEN | OP_ACCEPT => Err(Reason::Listen),
        OP_BIND => {
            let (host, port) = split_host_port(&name);
            Err(Reason::Bind {
                addr: host.to_owned(),
                port: port.unwrap_or(0),
            })
        }
        _ => return Step::Delegate(Vec::new()),
    };
    let asked = || super::Asked {
        target: name.as_ref().into(),
        port: split_host_port(&name).1,
        transport: transport_label,
    };
    match super::enforce(&config, verdict, asked) {
        Outcome::Allow(_) => Step::Delegate(pinned),
        Outcome::Deny(reason) => Step::Deny(reason.to_string()),
        Outcome::Report(reason) => Step::Report(super::report_line(&name, &reason)),
    }
}

/// fsockopen, pfsockopen and stream_socket_client: the original runs with
/// the Sockets API flag set, so the transport guard can apply
/// `sockguard.paid_app` and report the denial in the function's own words.
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
pub unsafe fn sockets_api_call(
    hook: super::functions::Hook,
    ex: *mut ext_php_rs::zend::ExecuteData,
    rv: *mut ext_php_rs::types::Zval,
) {
    // SAFETY: forwarded.
    as_sockets_api(|| unsafe { super::functions::call_original(hook, ex, rv) });
}

/// `atoi` as php_network_parse_network_address_with_port applies it to a
/// port, stored in a `short` and sent with htons.
fn atoi_port(text: &str) -> u16 {
    let t = text.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = (n * 10 + i64::from(b - b'0')) % (1 << 32);
    }
    let n = if neg { -n } else { n };
    (n as i32 as i16) as u16
}

/// Splits a stream_socket_sendto target the way PHP does ("[v6]:port" or
/// "host:port", first colon); `None` where PHP would fail to parse it.
fn split_sendto_target(target: &str) -> Option<(&str, u16)> {
    if let Some(rest) = target.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return Some((host, atoi_port(after.strip_prefix(':')?)));
    }
    let (host, port) = target.split_once(':')?;
    Some((host, atoi_port(port)))
}

/// Decides a stream_socket_sendto target; `Ok(Some(pinned))` to send there.
pub fn decide_sendto(stream: &php_stream, target: &str) -> Option<Result<Option<String>, Reason>> {
    let transport = transport_of_stream(stream)?;
    let (host, port) = split_sendto_target(target)?;
    let config = runtime::current();
    let verdict = (|| {
        let policy = config.policy.as_ref().map_err(Clone::clone)?;
        let (host, zone) = crate::policy::parse_host(host).map_err(|e| Reason::target(host, &e))?;
        match policy.decide(&host, port, transport, &*config.resolver) {
            Decision::Deny(r) => Err(r),
            Decision::Allow { addrs } => Ok(addrs.first().map(|a| match (a, &zone) {
                (IpAddr::V4(v4), _) => format!("{v4}:{port}"),
                (IpAddr::V6(v6), Some(z)) => format!("[{v6}%{z}]:{port}"),
                (IpAddr::V6(v6), None) => format!("[{v6}]:{port}"),
            })),
        }
    })();
    Some(verdict)
}

/// The php_stream behind a resource zval, if it is a stream.
fn stream_of(zv: &ext_php_rs::types::Zval) -> Option<&php_stream> {
    // SAFETY: the type tag is checked before the resource is read; stream
    // resources hold a php_stream.
    unsafe {
        if zv.get_type() != ext_php_rs::flags::DataType::Resource {
            return None;
        }
        let res = zv.value.res.as_ref()?;
        if res.type_ != php_file_le_stream() && res.type_ != php_file_le_pstream() {
            return None;
        }
        res.ptr.cast::<php_stream>().as_ref()
    }
}

/// stream_socket_sendto(resource $socket, string $data, int $flags = 0, string $address = "")
pub unsafe extern "C" fn stream_socket_sendto(
    ex: *mut ext_php_rs::zend::ExecuteData,
    rv: *mut ext_php_rs::types::Zval,
) {
    use super::{ffi::zend_parse_parameters, functions::Hook, run, Action};
    const HOOK: Hook = Hook::StreamSocketSendto;
    if super::is_off() {
        // SAFETY: forwarded from the engine.
        return unsafe { super::functions::call_original(HOOK, ex, rv) };
    }
    let mut zstream: *mut ext_php_rs::ffi::zval = ptr::null_mut();
    let (mut data, mut data_len): (*mut c_char, usize) = (ptr::null_mut(), 0);
    let mut flags: ext_php_rs::ffi::zend_long = 0;
    let (mut addr, mut addr_len): (*mut c_char, usize) = (ptr::null_mut(), 0);
    // SAFETY: "rs|ls" takes zval**, char**, size_t*, zend_long*, char**, size_t*.
    let ok = unsafe {
        zend_parse_parameters(
            (*ex).This.u2.num_args,
            c"rs|ls".as_ptr(),
            &mut zstream,
            &mut data,
            &mut data_len,
            &mut flags,
            &mut addr,
            &mut addr_len,
        )
    } == 0;
    if !ok {
        return;
    }
    // SAFETY: forwarded from the engine.
    unsafe {
        run(HOOK, ex, rv, || {
            if addr_len == 0 {
                return Action::Original;
            }
            // SAFETY: ZPP filled these from live arguments.
            let (Some(stream), target) = (
                zstream.as_ref().and_then(stream_of),
                std::slice::from_raw_parts(addr.cast::<u8>(), addr_len),
            ) else {
                return Action::Original;
            };
            let target =
                String::from_utf8_lossy(target.split(|b| *b == 0).next().unwrap_or_default())
                    .into_owned();
            let Some(verdict) = decide_sendto(stream, &target) else {
                return Action::Original;
            };
            let mut pinned = None;
            let verdict = verdict.map(|p| {
                pinned = p;
                Vec::new()
            });
            let config = runtime::current();
            let asked = || super::Asked {
                target: target.as_str().into(),
                port: split_sendto_target(&target).map(|(_, p)| p),
                transport: None,
            };
            match super::enforce(&config, verdict, asked) {
                Outcome::Allow(_) => {
                    if let (Some(p), Some(slot)) = (pinned, (*ex).zend_call_arg(3)) {
                        let _ = slot.set_string(&p, false);
                    }
                    Action::Original
                }
                Outcome::Deny(reason) => Action::Fail {
                    message: format!("Unable to send to {target} (sockguard: {reason})"),
                },
                Outcome::Report(reason) => Action::Report {
                    line: super::report_line(&target, &reason),
                },
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sendto_targets_split_like_php() {
        assert_eq!(split_sendto_target("10.0.0.1:53"), Some(("10.0.0.1", 53)));
        assert_eq!(split_sendto_target("[::1]:53"), Some(("::1", 53)));
        assert_eq!(split_sendto_target("host:65561"), Some(("host", 25)));
        assert_eq!(split_sendto_target("host:-1"), Some(("host", 65535)));
        assert_eq!(split_sendto_target("host:53abc"), Some(("host", 53)));
        assert_eq!(split_sendto_target("nohost"), None);
        assert_eq!(split_sendto_target("[::1]53"), None);
    }

    #[test]
    fn bind_addresses_split_like_xp_socket() {
        assert_eq!(split_host_port("0.0.0.0:0"), ("0.0.0.0", Some(0)));
        assert_eq!(split_host_port("[::]:8080"), ("::", Some(8080)));
        assert_eq!(split_host_port("127.0.0.1"), ("127.0.0.1", None));
        assert_eq!(split_host_port(":0"), ("", Some(0)));
    }

    #[test]
    fn persistent_streams_of_other_apps_are_released() {
        let owners = vec![
            (b"pfsockopen__db:3306".to_vec(), "shop".to_owned()),
            (
                b"stream_socket_client__tcp://api:443".to_vec(),
                "blog".to_owned(),
            ),
        ];
        assert_eq!(
            foreign_ids(&owners, "shop"),
            vec![b"stream_socket_client__tcp://api:443".to_vec()]
        );
        assert_eq!(
            foreign_ids(&owners, "blog"),
            vec![b"pfsockopen__db:3306".to_vec()]
        );
        assert_eq!(foreign_ids(&owners, "other").len(), 2);
    }

    #[test]
    fn transport_names_map_to_tcp_udp_unix_udg() {
        assert_eq!(transport_named("tlsv1.3"), Ok(Transport::Tcp));
        assert_eq!(transport_named("udp"), Ok(Transport::Udp));
        assert_eq!(transport_named("udg"), Ok(Transport::Udg));
        assert_eq!(transport_named("sctp"), Err("sctp".to_owned()));
    }
}

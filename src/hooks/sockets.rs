//! ext/sockets overrides. Each one parses its arguments with
//! `zend_parse_parameters` and the same spec as php-src (so type errors,
//! coercions and deprecations are PHP's own, and a coerced argument is
//! coerced in place), checks the destination, rewrites a host name into the
//! checked address, and hands the call to the original handler. Argument
//! values PHP itself rejects (a bad domain, a null port) go to the original
//! untouched so that its ValueError is byte-for-byte PHP's.

use std::{ffi::c_char, net::IpAddr, ptr};

use ext_php_rs::{
    ffi::{zend_class_entry, zend_long, zval},
    types::Zval,
    zend::ExecuteData,
};

use super::{
    ffi::zend_parse_parameters,
    functions::Hook,
    php::{Socket, SOCKETS},
    run, Action, Asked,
};
use crate::{
    config::{Config, Outcome},
    policy::{parse_host, Decision, Host, Reason, Transport},
    runtime,
};

/// ZEND_NUM_ARGS() of a frame.
///
/// # Safety
/// `ex` must be a live call frame.
pub(super) unsafe fn num_args(ex: *mut ExecuteData) -> u32 {
    // SAFETY: the engine stores the argument count in This.u2.
    unsafe { (*ex).This.u2.num_args }
}

/// Argument `n` (1-based) of a frame.
///
/// # Safety
/// `ex` must be a live call frame with at least `n` arguments.
unsafe fn arg<'a>(ex: *mut ExecuteData, n: usize) -> Option<&'a mut Zval> {
    // SAFETY: forwarded; ZEND_CALL_ARG(ex, n) is slot n-1.
    unsafe { (*ex).zend_call_arg(n - 1) }
}

/// Whether zend_parse_parameters succeeded (it threw otherwise).
pub(super) fn parsed(result: i32) -> bool {
    result == 0
}

/// Three int arguments, as "lll" takes them, when the call passed exactly
/// three ints (see [`connect_args_as_given`]).
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

/// socket_connect's arguments when they already have exactly the types
/// "Os|l!" takes: a Socket, a string, and an int, null or nothing. ZPP would
/// neither coerce nor warn about such arguments, so they are read as they
/// are and the common call skips a second zend_parse_parameters; `None`
/// sends the call through ZPP.
///
/// # Safety
/// `ex` must be a live call frame.
unsafe fn connect_args_as_given<'a>(
    ex: *mut ExecuteData,
) -> Option<(*mut zval, &'a [u8], Option<zend_long>)> {
    // SAFETY: forwarded.
    let n = unsafe { num_args(ex) };
    if !(2..=3).contains(&n) {
        return None;
    }
    // SAFETY: the frame has `n` >= 2 arguments.
    let (socket, address) = unsafe { (arg(ex, 1)?, arg(ex, 2)?) };
    if !socket.is_object() || Socket::from_zval(socket).is_none() || !address.is_string() {
        return None;
    }
    let port = match n {
        // SAFETY: the frame has a third argument.
        3 => match unsafe { arg(ex, 3)? } {
            p if p.is_long() => p.long(),
            p if p.is_null() => None,
            _ => return None,
        },
        _ => None,
    };
    let address = address.zend_str()?.as_bytes();
    Some((ptr::from_mut(socket), address, port))
}

/// The bytes of a `char*`/`size_t` pair that ZPP filled in.
///
/// # Safety
/// `ptr`/`len` must come from a successful ZPP "s" of this call.
unsafe fn zpp_bytes<'a>(ptr: *const c_char, len: usize) -> &'a [u8] {
    if ptr.is_null() {
        return &[];
    }
    // SAFETY: ZPP points into a zend_string argument kept alive by the frame.
    unsafe { std::slice::from_raw_parts(ptr.cast(), len) }
}

/// The socket type (SOCK_STREAM, SOCK_DGRAM, ...) of a descriptor.
fn socket_type(fd: i32) -> Option<i32> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `value`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            ptr::from_mut(&mut value).cast(),
            &mut len,
        )
    };
    (rc == 0).then_some(value)
}

/// The policy transport of a (family, type, protocol) triple, or the reason
/// it is not allowed. Only TCP and UDP over IPv4/IPv6 are.
fn transport_of(family: i32, sotype: i32, protocol: i64) -> Result<Transport, Reason> {
    let name = |n: &str| Err(Reason::Transport { name: n.to_owned() });
    match family {
        libc::AF_INET | libc::AF_INET6 => {}
        libc::AF_UNIX => return name("unix"),
        other => return name(&format!("address family {other}")),
    }
    match (sotype, protocol) {
        (libc::SOCK_STREAM, 0) | (libc::SOCK_STREAM, 6) => Ok(Transport::Tcp),
        (libc::SOCK_DGRAM, 0) | (libc::SOCK_DGRAM, 17) => Ok(Transport::Udp),
        (libc::SOCK_RAW, _) => name("raw"),
        (libc::SOCK_STREAM, 132) | (libc::SOCK_SEQPACKET, 132) => name("sctp"),
        (libc::SOCK_SEQPACKET, _) => name("seqpacket"),
        (libc::SOCK_RDM, _) => name("rdm"),
        (libc::SOCK_DGRAM, 136) => name("udplite"),
        (t, p) => name(&format!("socket type {t} protocol {p}")),
    }
}

/// A host as ext/sockets resolves it for a socket family
/// (php_set_inet_addr / php_set_inet6_addr): the C string up to its first
/// NUL, an IP literal in any spelling libc accepts, or a name.
fn host_for_family(family: i32, address: &[u8]) -> Result<(Host, Option<String>), Reason> {
    let c_part = address.split(|b| *b == 0).next().unwrap_or_default();
    let text = std::str::from_utf8(c_part).map_or_else(
        |_| String::from_utf8_lossy(c_part),
        std::borrow::Cow::Borrowed,
    );
    let bad = |error: String| Reason::Target {
        input: text.clone().into_owned(),
        error,
    };
    if family == libc::AF_UNIX {
        return Ok((Host::Path(text.clone().into_owned()), None));
    }
    let (host, zone) = parse_host(&text).map_err(|e| bad(e.to_string()))?;
    match (&host, family) {
        (Host::Ip(IpAddr::V6(_)), libc::AF_INET) => {
            Err(bad("an IPv6 address on an AF_INET socket".to_owned()))
        }
        (Host::Path(_), _) => Err(bad("not a network address".to_owned())),
        _ => Ok((host, zone)),
    }
}

/// The checked address to hand to ext/sockets in place of what the app
/// passed: IPv4 on AF_INET; IPv6, else IPv4-mapped, on AF_INET6.
fn pinned_literal(family: i32, addrs: &[IpAddr], zone: Option<&str>) -> Option<String> {
    match family {
        libc::AF_INET => addrs.iter().find(|a| a.is_ipv4()).map(ToString::to_string),
        libc::AF_INET6 => {
            let v6 = addrs.iter().find_map(|a| match a {
                IpAddr::V6(v6) => Some(*v6),
                IpAddr::V4(_) => None,
            });
            match v6 {
                Some(v6) => Some(match zone {
                    Some(z) => format!("{v6}%{z}"),
                    None => v6.to_string(),
                }),
                None => addrs.iter().find_map(|a| match a {
                    IpAddr::V4(v4) => Some(format!("::ffff:{v4}")),
                    IpAddr::V6(_) => None,
                }),
            }
        }
        _ => None,
    }
}

/// `address` as a plain IP literal of the socket's own family, the common
/// case: inet_pton and inet_aton read it exactly as Rust's strict parser
/// does, so it is checked as it is and needs no rewriting.
fn plain_literal(family: i32, address: &[u8]) -> Option<IpAddr> {
    let ip = std::str::from_utf8(address).ok()?.parse::<IpAddr>().ok()?;
    let own_family = match ip {
        IpAddr::V4(_) => family == libc::AF_INET,
        IpAddr::V6(_) => family == libc::AF_INET6,
    };
    own_family.then_some(ip)
}

/// Checks `address`:`port` for a socket and returns what to connect to.
fn check_destination(
    config: &Config,
    family: i32,
    transport: Transport,
    address: &[u8],
    port: u16,
) -> Result<(Vec<IpAddr>, Option<String>), Reason> {
    let policy = config.policy.as_ref().map_err(Clone::clone)?;
    if let Some(ip) = plain_literal(family, address) {
        return policy
            .check_addr(ip, port, transport, &*config.resolver)
            .map(|()| (vec![ip], None));
    }
    let (host, zone) = host_for_family(family, address)?;
    let addrs = match policy.decide(&host, port, transport, &*config.resolver) {
        Decision::Allow { addrs } => addrs,
        Decision::Deny(reason) => return Err(reason),
    };
    if family == libc::AF_UNIX {
        return Ok((addrs, None));
    }
    let pinned = pinned_literal(family, &addrs, zone.as_deref()).ok_or_else(|| Reason::Dns {
        host: String::from_utf8_lossy(address).into_owned(),
        error: crate::policy::ResolveError::NotFound {
            name: format!(
                "{} (no {} address)",
                String::from_utf8_lossy(address),
                if family == libc::AF_INET {
                    "IPv4"
                } else {
                    "IPv6"
                }
            ),
        },
    })?;
    Ok((addrs, Some(pinned)))
}

/// Turns a verdict into an action: on allow, `allow` runs with the checked
/// addresses; a denial fails the call with ext/sockets' `msg`.
pub(super) fn act<'a>(
    config: &Config,
    asked: impl Fn() -> Asked<'a>,
    socket: Option<Socket>,
    msg: &'static str,
    verdict: Result<Vec<IpAddr>, Reason>,
    allow: impl FnOnce(Vec<IpAddr>) -> Action,
) -> Action {
    match super::enforce(config, verdict, &asked) {
        Outcome::Allow(addrs) => allow(addrs),
        Outcome::Deny(reason) => Action::SocketFail {
            socket,
            errno: libc::EACCES,
            msg,
            reason: reason.to_string(),
        },
        Outcome::Report(reason) => Action::Report {
            line: super::report_line(&asked().target, &reason),
        },
    }
}

/// Replaces argument `n` with `value` (dropping what was there).
///
/// # Safety
/// `ex` must be a live frame with at least `n` arguments.
unsafe fn replace_string_arg(ex: *mut ExecuteData, n: usize, value: &str) {
    // SAFETY: forwarded.
    if let Some(slot) = unsafe { arg(ex, n) } {
        // Never fails (ext-php-rs documents the Result as infallible).
        let _ = slot.set_string(value, false);
    }
}

fn not_paid(config: &Config) -> Option<Reason> {
    (!config.paid_app).then_some(Reason::NotPaid)
}

fn target_text(address: &[u8], port: Option<u16>) -> String {
    let host = String::from_utf8_lossy(address);
    match port {
        Some(p) if host.contains(':') => format!("[{host}]:{p}"),
        Some(p) => format!("{host}:{p}"),
        None => host.into_owned(),
    }
}

/// ext/sockets truncates ports to 16 bits (`htons((unsigned short) port)`),
/// so 65561 is port 25: the check must see what the kernel will.
fn wire_port(port: zend_long) -> u16 {
    (port & 0xffff) as u16
}

/// The socket_create domains and types PHP accepts; anything else goes to
/// the original for its ValueError.
fn php_accepts(domain: zend_long, sotype: zend_long) -> bool {
    [libc::AF_UNIX, libc::AF_INET, libc::AF_INET6]
        .iter()
        .any(|d| zend_long::from(*d) == domain)
        && sotype <= 10
}

pub unsafe extern "C" fn socket_create(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketCreate;
    // SAFETY: the engine passes a live frame.
    if step_aside() {
        // SAFETY: forwarded.
        return unsafe { super::functions::call_original(HOOK, ex, rv) };
    }
    let (mut domain, mut sotype, mut protocol): (zend_long, zend_long, zend_long) = (0, 0, 0);
    // SAFETY: the engine passes a live frame.
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
        run(HOOK, ex, rv, || {
            if !php_accepts(domain, sotype) {
                return Action::Original;
            }
            let config = runtime::current();
            let verdict = match not_paid(&config) {
                Some(r) => Err(r),
                None => transport_of(domain as i32, sotype as i32, protocol).map(|_| Vec::new()),
            };
            act(
                &config,
                || format!("{domain}, {sotype}, {protocol}").into(),
                None,
                "Unable to create socket",
                verdict,
                |_| Action::Original,
            )
        });
        super::reclaim::register_returned(rv);
        if let Some(socket) = rv.as_ref().and_then(Socket::from_zval) {
            super::socket_types::record(socket, sotype as i32);
        }
    }
}

pub unsafe extern "C" fn socket_create_pair(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketCreatePair;
    if step_aside() {
        // SAFETY: forwarded.
        return unsafe { super::functions::call_original(HOOK, ex, rv) };
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
        run(HOOK, ex, rv, || {
            if !php_accepts(domain, sotype) {
                return Action::Original;
            }
            let config = runtime::current();
            // A socket pair is a local channel, never a TCP/UDP connection.
            let verdict = Err(not_paid(&config).unwrap_or(Reason::Transport {
                name: if domain == zend_long::from(libc::AF_UNIX) {
                    "unix".to_owned()
                } else {
                    "socket pair".to_owned()
                },
            }));
            act(
                &config,
                || format!("{domain}, {sotype}, {protocol}").into(),
                None,
                "Unable to create socket pair",
                verdict,
                |_| Action::Original,
            )
        });
    }
}

pub unsafe extern "C" fn socket_create_listen(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketCreateListen;
    if step_aside() {
        // SAFETY: forwarded.
        return unsafe { super::functions::call_original(HOOK, ex, rv) };
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
        run(HOOK, ex, rv, || {
            let config = runtime::current();
            let verdict = Err(not_paid(&config).unwrap_or(Reason::Listen));
            act(
                &config,
                || port.to_string().into(),
                None,
                "unable to listen on socket",
                verdict,
                |_| Action::Original,
            )
        });
    }
}

/// The `Socket` a ZPP "O" filled in, if it is still open. A closed socket
/// goes to the original, which throws PHP's "has already been closed" Error.
pub(super) fn open_socket(zv: *mut zval) -> Option<Socket> {
    // SAFETY: ZPP "O" stored a pointer to the live argument zval.
    let zv = unsafe { zv.as_ref()? };
    Socket::from_zval(zv).filter(|s| s.fd() >= 0)
}

fn socket_ce() -> *mut zend_class_entry {
    SOCKETS.socket_ce()
}

/// Whether the hooks step aside: mode=off, or ext/sockets not found.
pub(super) fn step_aside() -> bool {
    super::is_off() || socket_ce().is_null()
}

pub unsafe extern "C" fn socket_connect(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketConnect;
    if step_aside() {
        // SAFETY: forwarded.
        return unsafe { super::functions::call_original(HOOK, ex, rv) };
    }
    let mut zsock: *mut zval = ptr::null_mut();
    let (mut addr, mut addr_len): (*mut c_char, usize) = (ptr::null_mut(), 0);
    let mut port: zend_long = 0;
    let mut port_is_null = true;
    // SAFETY: the engine passes a live frame.
    if let Some((socket, address, given_port)) = unsafe { connect_args_as_given(ex) } {
        (zsock, addr, addr_len) = (socket, address.as_ptr().cast_mut().cast(), address.len());
        (port, port_is_null) = (given_port.unwrap_or(0), given_port.is_none());
    } else {
        // SAFETY: "Os|l!" takes zval**, class entry, char**, size_t*, zend_long*, bool*.
        let ok = parsed(unsafe {
            zend_parse_parameters(
                num_args(ex),
                c"Os|l!".as_ptr(),
                &mut zsock,
                socket_ce(),
                &mut addr,
                &mut addr_len,
                &mut port,
                &mut port_is_null,
            )
        });
        if !ok {
            return;
        }
    }
    // SAFETY: forwarded.
    unsafe {
        run(HOOK, ex, rv, || {
            let Some(socket) = open_socket(zsock) else {
                return Action::Original;
            };
            let family = socket.family();
            let is_inet = family == libc::AF_INET || family == libc::AF_INET6;
            if is_inet && port_is_null {
                return Action::Original; // PHP's "cannot be null" ValueError
            }
            // SAFETY: from a successful ZPP "s".
            let address = zpp_bytes(addr, addr_len);
            // SAFETY: argument 2 exists (ZPP required it).
            connect_like(
                ex,
                socket,
                address,
                (!port_is_null).then(|| wire_port(port)),
                2,
                "unable to connect",
            )
        });
    }
}

/// The shared check of socket_connect, socket_sendto and socket_sendmsg:
/// `Ok` with the checked literal to pass on in place of `address` (none for
/// unix paths), or `Err` with the denial (or report) to carry out.
pub(super) fn check_socket_destination(
    socket: Socket,
    family: i32,
    address: &[u8],
    port: Option<u16>,
    msg: &'static str,
) -> Result<Option<String>, Action> {
    if let Some(reclaimed) = super::reclaim::use_socket(socket, msg) {
        return Err(reclaimed);
    }
    let config = runtime::current();
    let transport = if family == libc::AF_UNIX {
        Ok(Transport::Unix)
    } else {
        super::socket_types::known(socket)
            .or_else(|| socket_type(socket.fd()))
            .ok_or_else(|| Reason::Transport {
                name: "unknown socket type".to_owned(),
            })
            .and_then(|t| transport_of(family, t, 0))
    };
    let transport_name = transport.as_ref().ok().map(|t| t.name());
    let mut pinned = None;
    let verdict = transport.and_then(|t| {
        check_destination(&config, family, t, address, port.unwrap_or(0)).map(|(addrs, p)| {
            pinned = p;
            addrs
        })
    });
    match act(
        &config,
        || Asked {
            target: target_text(address, port).into(),
            port,
            transport: transport_name,
        },
        Some(socket),
        msg,
        verdict,
        |_| Action::Original,
    ) {
        Action::Original => Ok(pinned),
        other => Err(other),
    }
}

/// socket_connect and socket_sendto: check, then replace the address
/// argument (`address_arg`) with the checked literal.
///
/// # Safety
/// `ex` must be the live frame of the call, with `address_arg` arguments.
unsafe fn connect_like(
    ex: *mut ExecuteData,
    socket: Socket,
    address: &[u8],
    port: Option<u16>,
    address_arg: usize,
    msg: &'static str,
) -> Action {
    match check_socket_destination(socket, socket.family(), address, port, msg) {
        Ok(pinned) => {
            if let Some(p) = pinned {
                // SAFETY: forwarded.
                unsafe { replace_string_arg(ex, address_arg, &p) };
            }
            Action::Original
        }
        Err(action) => action,
    }
}

pub unsafe extern "C" fn socket_sendto(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketSendto;
    if step_aside() {
        // SAFETY: forwarded.
        return unsafe { super::functions::call_original(HOOK, ex, rv) };
    }
    let mut zsock: *mut zval = ptr::null_mut();
    let (mut buf, mut buf_len): (*mut c_char, usize) = (ptr::null_mut(), 0);
    let (mut len, mut flags): (zend_long, zend_long) = (0, 0);
    let (mut addr, mut addr_len): (*mut c_char, usize) = (ptr::null_mut(), 0);
    let mut port: zend_long = 0;
    let mut port_is_null = true;
    // SAFETY: "Oslls|l!" takes zval**, ce, char**, size_t*, long*, long*, char**, size_t*, long*, bool*.
    let ok = parsed(unsafe {
        zend_parse_parameters(
            num_args(ex),
            c"Oslls|l!".as_ptr(),
            &mut zsock,
            socket_ce(),
            &mut buf,
            &mut buf_len,
            &mut len,
            &mut flags,
            &mut addr,
            &mut addr_len,
            &mut port,
            &mut port_is_null,
        )
    });
    if !ok {
        return;
    }
    // SAFETY: forwarded.
    unsafe {
        run(HOOK, ex, rv, || {
            let Some(socket) = open_socket(zsock) else {
                return Action::Original;
            };
            let family = socket.family();
            let is_inet = family == libc::AF_INET || family == libc::AF_INET6;
            if len < 0 || (is_inet && port_is_null) {
                return Action::Original; // PHP's ValueError
            }
            // SAFETY: from a successful ZPP "s".
            let address = zpp_bytes(addr, addr_len);
            // SAFETY: argument 5 exists (ZPP required it).
            connect_like(
                ex,
                socket,
                address,
                (!port_is_null).then(|| wire_port(port)),
                5,
                "Unable to write to socket",
            )
        });
    }
}

/// Whether `host` is the wildcard address of its family.
fn is_wildcard(host: &Host) -> bool {
    matches!(host, Host::Ip(ip) if ip.is_unspecified())
}

pub unsafe extern "C" fn socket_bind(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketBind;
    if step_aside() {
        // SAFETY: forwarded.
        return unsafe { super::functions::call_original(HOOK, ex, rv) };
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
        run(HOOK, ex, rv, || {
            let Some(socket) = open_socket(zsock) else {
                return Action::Original;
            };
            // SAFETY: from a successful ZPP "s".
            let address = zpp_bytes(addr, addr_len);
            bind_like(
                Some(socket),
                socket.family(),
                address,
                wire_port(port),
                |wildcard| {
                    // SAFETY: argument 2 exists (ZPP required it).
                    replace_string_arg(ex, 2, wildcard);
                },
            )
        });
    }
}

/// Binding is allowed only to the wildcard address with port 0 (a no-op).
fn bind_like(
    socket: Option<Socket>,
    family: i32,
    address: &[u8],
    port: u16,
    rewrite: impl FnOnce(&str),
) -> Action {
    let config = runtime::current();
    let given =
        String::from_utf8_lossy(address.split(|b| *b == 0).next().unwrap_or_default()).into_owned();
    let denied = || Reason::Bind {
        addr: given.clone(),
        port,
    };
    let verdict = match host_for_family(family, address) {
        Ok((host, _)) if port == 0 && family != libc::AF_UNIX && is_wildcard(&host) => {
            Ok(Vec::new())
        }
        _ => Err(denied()),
    };
    act(
        &config,
        || target_text(address, Some(port)).into(),
        socket,
        "Unable to bind address",
        verdict,
        |_| {
            rewrite(if family == libc::AF_INET6 {
                "::"
            } else {
                "0.0.0.0"
            });
            Action::Original
        },
    )
}

pub unsafe extern "C" fn socket_listen(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe {
        deny_listening(
            Hook::SocketListen,
            ex,
            rv,
            c"O|l",
            "unable to listen on socket",
        )
    }
}

pub unsafe extern "C" fn socket_accept(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe {
        deny_listening(
            Hook::SocketAccept,
            ex,
            rv,
            c"O",
            "unable to accept incoming connection",
        )
    }
}

/// socket_listen and socket_accept: listening is never allowed. `spec` is
/// php-src's ZPP spec for the function ("O|l" or "O").
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
unsafe fn deny_listening(
    hook: Hook,
    ex: *mut ExecuteData,
    rv: *mut Zval,
    spec: &std::ffi::CStr,
    msg: &'static str,
) {
    if step_aside() {
        // SAFETY: forwarded.
        return unsafe { super::functions::call_original(hook, ex, rv) };
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
        run(hook, ex, rv, || {
            let Some(socket) = open_socket(zsock) else {
                return Action::Original;
            };
            let config = runtime::current();
            act(
                &config,
                || "".into(),
                Some(socket),
                msg,
                Err(Reason::Listen),
                |_| Action::Original,
            )
        });
    }
}

pub unsafe extern "C" fn socket_sendmsg(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketSendmsg;
    if step_aside() {
        // SAFETY: forwarded.
        return unsafe { super::functions::call_original(HOOK, ex, rv) };
    }
    let mut zsock: *mut zval = ptr::null_mut();
    let mut message: *mut zval = ptr::null_mut();
    let mut flags: zend_long = 0;
    // SAFETY: "Oa|l" takes zval**, ce, zval**, zend_long*.
    let ok = parsed(unsafe {
        zend_parse_parameters(
            num_args(ex),
            c"Oa|l".as_ptr(),
            &mut zsock,
            socket_ce(),
            &mut message,
            &mut flags,
        )
    });
    if !ok {
        return;
    }
    // SAFETY: forwarded.
    unsafe {
        run(HOOK, ex, rv, || {
            let Some(socket) = open_socket(zsock) else {
                return Action::Original;
            };
            // SAFETY: ZPP "a" stored a pointer to the live array argument.
            let Some(message) = message.as_mut() else {
                return Action::Original;
            };
            super::sendmsg::check(socket, message)
        });
    }
}

pub unsafe extern "C" fn socket_addrinfo_connect(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded.
    unsafe { addrinfo_hook(Hook::SocketAddrinfoConnect, ex, rv) }
}

pub unsafe extern "C" fn socket_addrinfo_bind(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded.
    unsafe { addrinfo_hook(Hook::SocketAddrinfoBind, ex, rv) }
}

/// ext/sockets' private AddressInfo object layout (sockets.c, php_addrinfo).
#[repr(C)]
struct PhpAddrinfo {
    addrinfo: libc::addrinfo,
    std: ext_php_rs::ffi::zend_object,
}

/// socket_addrinfo_connect / socket_addrinfo_bind: the address was resolved
/// by socket_addrinfo_lookup, so the sockaddr inside is exactly what the
/// kernel will get; check it.
unsafe fn addrinfo_hook(hook: Hook, ex: *mut ExecuteData, rv: *mut Zval) {
    let ce = SOCKETS.address_info_ce();
    if super::is_off() || ce.is_null() {
        // SAFETY: forwarded.
        return unsafe { super::functions::call_original(hook, ex, rv) };
    }
    let mut zinfo: *mut zval = ptr::null_mut();
    // SAFETY: "O" takes zval** and the class entry.
    let ok = parsed(unsafe { zend_parse_parameters(num_args(ex), c"O".as_ptr(), &mut zinfo, ce) });
    if !ok {
        return;
    }
    // SAFETY: ZPP checked that the argument is an AddressInfo object, which
    // ext/sockets allocates as a php_addrinfo with `std` last.
    let ai: libc::addrinfo = unsafe {
        let obj = (*zinfo).value.obj;
        let base = obj
            .cast::<u8>()
            .sub(std::mem::offset_of!(PhpAddrinfo, std))
            .cast::<PhpAddrinfo>();
        (*base).addrinfo
    };
    // SAFETY: ai_addr points to ai_addrlen bytes owned by the AddressInfo.
    let sockaddr = unsafe { sockaddr_to_ip(ai.ai_addr, ai.ai_addrlen) };
    // SAFETY: forwarded.
    unsafe {
        run(hook, ex, rv, || {
            let config = runtime::current();
            let (msg, connect) = if hook == Hook::SocketAddrinfoConnect {
                ("Unable to connect address", true)
            } else {
                ("Unable to bind address", false)
            };
            let verdict = match not_paid(&config) {
                Some(r) => Err(r),
                None => match (
                    transport_of(ai.ai_family, ai.ai_socktype, ai.ai_protocol.into()),
                    sockaddr,
                ) {
                    (Err(r), _) => Err(r),
                    (Ok(_), None) => Err(Reason::Transport {
                        name: format!("address family {}", ai.ai_family),
                    }),
                    (Ok(t), Some((ip, port))) if connect => match &config.policy {
                        Ok(p) => p
                            .check_addr(ip, port, t, &*config.resolver)
                            .map(|()| vec![ip]),
                        Err(r) => Err(r.clone()),
                    },
                    (Ok(_), Some((ip, port))) if ip.is_unspecified() && port == 0 => Ok(Vec::new()),
                    (Ok(_), Some((ip, port))) => Err(Reason::Bind {
                        addr: ip.to_string(),
                        port,
                    }),
                },
            };
            let target = || {
                sockaddr.map_or_else(String::new, |(ip, port)| {
                    std::net::SocketAddr::new(ip, port).to_string()
                })
            };
            act(
                &config,
                || Asked {
                    target: target().into(),
                    port: sockaddr.map(|(_, p)| p),
                    transport: None,
                },
                None,
                msg,
                verdict,
                |_| Action::Original,
            )
        });
        if hook == Hook::SocketAddrinfoConnect {
            super::reclaim::register_returned(rv);
        }
    }
}

/// The IP and port of an AF_INET/AF_INET6 sockaddr.
///
/// # Safety
/// `sa` must point to `len` readable bytes.
unsafe fn sockaddr_to_ip(sa: *const libc::sockaddr, len: libc::socklen_t) -> Option<(IpAddr, u16)> {
    // SAFETY: the caller vouches for `len` bytes; each family is read only
    // when that many bytes are there.
    unsafe {
        let sa = sa.as_ref()?;
        match i32::from(sa.sa_family) {
            libc::AF_INET if len as usize >= std::mem::size_of::<libc::sockaddr_in>() => {
                let sin = &*ptr::from_ref(sa).cast::<libc::sockaddr_in>();
                Some((
                    IpAddr::from(u32::from_be(sin.sin_addr.s_addr).to_be_bytes()),
                    u16::from_be(sin.sin_port),
                ))
            }
            libc::AF_INET6 if len as usize >= std::mem::size_of::<libc::sockaddr_in6>() => {
                let sin6 = &*ptr::from_ref(sa).cast::<libc::sockaddr_in6>();
                Some((
                    IpAddr::from(sin6.sin6_addr.s6_addr),
                    u16::from_be(sin6.sin6_port),
                ))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_wrap_like_htons_of_an_unsigned_short() {
        assert_eq!(wire_port(25), 25);
        assert_eq!(wire_port(65_536 + 25), 25);
        assert_eq!(wire_port(-65_536 + 25), 25);
        assert_eq!(wire_port(-1), 65_535);
    }

    #[test]
    fn only_tcp_and_udp_over_ip_are_transports() {
        assert_eq!(
            transport_of(libc::AF_INET, libc::SOCK_STREAM, 0),
            Ok(Transport::Tcp)
        );
        assert_eq!(
            transport_of(libc::AF_INET6, libc::SOCK_DGRAM, 17),
            Ok(Transport::Udp)
        );
        for (f, t, p, name) in [
            (libc::AF_UNIX, libc::SOCK_STREAM, 0, "unix"),
            (libc::AF_INET, libc::SOCK_RAW, 1, "raw"),
            (libc::AF_INET, libc::SOCK_STREAM, 132, "sctp"),
            (libc::AF_INET, libc::SOCK_SEQPACKET, 0, "seqpacket"),
        ] {
            assert_eq!(
                transport_of(f, t, p),
                Err(Reason::Transport { name: name.into() })
            );
        }
    }

    #[test]
    fn addresses_are_read_as_c_strings_per_family() {
        let (h, _) = host_for_family(libc::AF_INET, b"10.0.0.1\0.example.com").expect("parses");
        assert_eq!(h, Host::Ip(IpAddr::from([10, 0, 0, 1])));
        assert!(host_for_family(libc::AF_INET, b"::1").is_err());
        let (h, _) = host_for_family(libc::AF_INET6, b"::1").expect("parses");
        assert_eq!(h, Host::Ip("::1".parse().expect("v6")));
    }

    #[test]
    fn the_pinned_literal_matches_the_socket_family() {
        let v4: IpAddr = "93.184.216.34".parse().expect("v4");
        let v6: IpAddr = "2606:2800:220:1::1".parse().expect("v6");
        assert_eq!(
            pinned_literal(libc::AF_INET, &[v6, v4], None).as_deref(),
            Some("93.184.216.34")
        );
        assert_eq!(
            pinned_literal(libc::AF_INET6, &[v4, v6], None).as_deref(),
            Some("2606:2800:220:1::1")
        );
        assert_eq!(
            pinned_literal(libc::AF_INET6, &[v4], None).as_deref(),
            Some("::ffff:93.184.216.34")
        );
        assert_eq!(pinned_literal(libc::AF_INET, &[v6], None), None);
    }
}

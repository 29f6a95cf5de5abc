//! socket_connect, socket_sendto and socket_addrinfo_connect/_bind: the
//! destination is a policy operation; an allowed host name is replaced by
//! its checked address before ext/sockets resolves it.

use std::{
    ffi::c_char,
    net::{IpAddr, SocketAddr, SocketAddrV4},
    ptr,
};

use ext_php_rs::{
    ffi::{zend_long, zval},
    types::Zval,
    zend::ExecuteData,
};

use super::{guarding, socket_ce, step_aside, target_text, types, Socket, SOCKETS};
use crate::hooks::{
    approvals,
    args::{arg, c_string_part, num_args, parsed, set_string_arg, wire_port, zpp_bytes},
    entry::entry,
    ffi::zend_parse_parameters,
    idle,
    originals::{call_original, Hook},
    recent::{self, Allowed},
    sockaddr::{self, Endpoint},
    verdict::{self, handler, Action, Asked},
};
use crate::{
    config::{Config, Outcome},
    metrics::{OwnFunction, TransportLabel},
    policy::{
        format_host, parse_host, plain_ipv4, Caller, Host, Kind, Operation, Reason, Transport,
    },
    runtime,
};

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
) -> Option<(*mut zval, Socket, &'a [u8], Option<zend_long>)> {
    // SAFETY: forwarded.
    let n = unsafe { num_args(ex) };
    if !(2..=3).contains(&n) {
        return None;
    }
    // SAFETY: the frame has `n` >= 2 arguments.
    let (zsock, address) = unsafe { (arg(ex, 1)?, arg(ex, 2)?) };
    let socket = Socket::from_zval(zsock)?;
    if !address.is_string() {
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
    Some((ptr::from_mut(zsock), socket, address, port))
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

/// A host as ext/sockets resolves it for a socket family
/// (php_set_inet_addr / php_set_inet6_addr): the C string up to its first
/// NUL, an IP literal in any spelling libc accepts, or a name; a unix path
/// for AF_UNIX. The IPv6 zone comes with it, and whether `address` is
/// already exactly the literal (nothing to rewrite).
fn host_for_family(family: i32, address: &[u8]) -> Result<(Host, Option<String>, bool), Reason> {
    // The common case, a plain literal of the socket's own family: inet_pton
    // and inet_aton read it exactly as these strict parsers do.
    if family == libc::AF_INET {
        if let Some(v4) = plain_ipv4(address) {
            return Ok((Host::Ip(IpAddr::V4(v4)), None, true));
        }
    }
    if family != libc::AF_UNIX {
        if let Some(ip) = std::str::from_utf8(address)
            .ok()
            .and_then(|t| t.parse::<IpAddr>().ok())
        {
            if ip.is_ipv4() == (family == libc::AF_INET) {
                return Ok((Host::Ip(ip), None, true));
            }
        }
    }
    let text = String::from_utf8_lossy(c_string_part(address));
    if family == libc::AF_UNIX {
        return Ok((Host::Path(text.into_owned()), None, true));
    }
    let bad = |error: String| Reason::Target {
        input: text.clone().into_owned(),
        error,
    };
    let (host, zone) = parse_host(&text).map_err(|e| bad(e.to_string()))?;
    match (&host, family) {
        (Host::Ip(IpAddr::V6(_)), libc::AF_INET) => {
            Err(bad("an IPv6 address on an AF_INET socket".to_owned()))
        }
        (Host::Path(_), _) => Err(bad("not a network address".to_owned())),
        _ => Ok((host, zone, false)),
    }
}

/// The checked address to hand to ext/sockets in place of what the app
/// passed: IPv4 on AF_INET; IPv6, else IPv4-mapped, on AF_INET6.
fn pinned_literal(family: i32, addrs: &[IpAddr], zone: Option<&str>) -> Option<String> {
    match family {
        libc::AF_INET => addrs
            .iter()
            .find(|a| a.is_ipv4())
            .map(|a| format_host(*a, None)),
        libc::AF_INET6 => addrs
            .iter()
            .find(|a| a.is_ipv6())
            .map(|a| format_host(*a, zone))
            .or_else(|| {
                addrs.iter().find_map(|a| match a {
                    IpAddr::V4(v4) => Some(format!("::ffff:{v4}")),
                    IpAddr::V6(_) => None,
                })
            }),
        _ => None,
    }
}

/// The shared check of socket_connect, socket_sendto and socket_sendmsg:
/// `Ok` with the checked literal to pass on in place of `address` (none
/// when what was given is already exactly that, or a unix path), or `Err`
/// with the failure (or report) to carry out.
pub(super) fn check_destination(
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
    let kind = Kind::Socket {
        family,
        sotype: types::known(socket)
            .or_else(|| socket_type(socket.fd()))
            .unwrap_or(-1),
        protocol: 0,
    };
    let asked = || Asked {
        target: target_text(address, port).into(),
        port,
        transport: kind.transport().map(Transport::name),
    };
    let (host, zone, plain) = match host_for_family(family, address) {
        Ok(parsed) => parsed,
        Err(reason) => {
            let outcome = verdict::refuse(config, reason, asked);
            return Action::for_socket(outcome, Some(socket), msg, || target_text(address, port))
                .map(|_| None);
        }
    };
    let op = Operation::Connect {
        host: &host,
        port: port.unwrap_or(0),
        kind,
    };
    let outcome = verdict::decide(config, &op, Caller::SocketsApi, asked);
    if let (Outcome::Report(_), Host::Ip(ip), Some(port)) = (&outcome, &host, port) {
        // Report mode runs the call as given: the floor need not report it again.
        approvals::approve(socket.fd(), SocketAddr::new(*ip, port));
    }
    let addrs = Action::for_socket(outcome, Some(socket), msg, || target_text(address, port))?;
    if let Some(port) = port {
        for addr in addrs.as_slice() {
            approvals::approve(socket.fd(), SocketAddr::new(*addr, port));
        }
    }
    // A literal in another spelling (`127.1`) is passed on as the address
    // it spells, so that nothing else can read it differently.
    Ok((!plain)
        .then(|| pinned_literal(family, addrs.as_slice(), zone.as_deref()))
        .flatten())
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
    match check_destination(socket, socket.family(), address, port, msg) {
        Ok(pinned) => {
            if let Some(p) = pinned {
                // SAFETY: forwarded.
                unsafe { set_string_arg(ex, address_arg, &p) };
            }
            Action::Original
        }
        Err(action) => action,
    }
}

/// The common socket_connect (or socket_sendto), allowed without the
/// general steps of [`check_destination`]: an open AF_INET socket of a known type, in use
/// (not idle past the timeout), to a plain IPv4 literal and a port that
/// the policy allows at once ([`Config::allows_at_once`]); approved for the
/// floor. `false` for anything else, which takes the general steps (and
/// finds the same answer for what this lane would have allowed).
fn connects_at_once(
    config: &Config,
    function: OwnFunction,
    socket: Socket,
    address: &[u8],
    port: zend_long,
) -> bool {
    if socket.fd() < 0 || socket.family() != libc::AF_INET {
        return false;
    }
    let Some(sotype) = types::known(socket) else {
        return false;
    };
    let port = wire_port(port);
    let kind = Kind::Socket {
        family: libc::AF_INET,
        sotype,
        protocol: 0,
    };
    // The socket type is an int; its bits and the port's are kept apart.
    let also = recent::SOCKETS_LANE
        | u64::from(port)
        | u64::from(u32::from_ne_bytes(sotype.to_ne_bytes())) << 16;
    let allowed = recent::allowed(config, address, also, || {
        let v4 = plain_ipv4(address)?;
        let host = Host::Ip(IpAddr::V4(v4));
        let op = Operation::Connect {
            host: &host,
            port,
            kind,
        };
        config.allows_at_once(&op, Caller::SocketsApi)?;
        Some(Allowed {
            target: SocketAddrV4::new(v4, port),
            transport: TransportLabel::of_kind(kind),
        })
    });
    let Some(Allowed { target, transport }) = allowed else {
        return false;
    };
    // (The timeout in force is `config`'s, already in milliseconds.)
    if !idle::use_if_fresh(socket.fd(), runtime::idle_timeout_ms()) {
        return false;
    }
    verdict::count_own_allowed_at_once(config, function, transport);
    approvals::approve(socket.fd(), SocketAddr::V4(target));
    true
}

/// socket_connect(Socket $socket, string $address, ?int $port = null)
pub unsafe extern "C" fn socket_connect(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketConnect;
    let Some(config) = guarding() else {
        // SAFETY: forwarded.
        return unsafe { call_original(HOOK, ex, rv) };
    };
    // SAFETY: the engine passes a live frame.
    if let Some((_, socket, address, Some(port))) = unsafe { connect_args_as_given(ex) } {
        let at_once = entry(
            HOOK.name(),
            |_| Ok(false),
            || {
                Ok(connects_at_once(
                    config,
                    OwnFunction::SocketConnect,
                    socket,
                    address,
                    port,
                ))
            },
        );
        if at_once {
            // SAFETY: forwarded; nothing of ours is alive.
            return unsafe { call_original(HOOK, ex, rv) };
        }
    }
    // SAFETY: forwarded.
    unsafe { socket_connect_checked(ex, rv) }
}

/// socket_connect past its lane: its arguments as given (else parsed by
/// ZPP), checked. Out of line, so that the lane does not set up its frame
/// (nor keep what it read for this path: read again here).
///
/// # Safety
/// `ex` and `rv` are the engine's.
#[inline(never)]
unsafe fn socket_connect_checked(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketConnect;
    let mut zsock: *mut zval = ptr::null_mut();
    let (mut addr, mut addr_len): (*mut c_char, usize) = (ptr::null_mut(), 0);
    let mut port: zend_long = 0;
    let mut port_is_null = true;
    // SAFETY: the engine's live frame.
    if let Some((given_zsock, _, address, given_port)) = unsafe { connect_args_as_given(ex) } {
        (zsock, addr, addr_len) = (
            given_zsock,
            address.as_ptr().cast_mut().cast(),
            address.len(),
        );
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
        handler(HOOK, ex, rv, || {
            let Some(socket) = Socket::open_from(zsock) else {
                return Ok(Action::Original);
            };
            let family = socket.family();
            let is_inet = family == libc::AF_INET || family == libc::AF_INET6;
            if is_inet && port_is_null {
                return Ok(Action::Original); // PHP's "cannot be null" ValueError
            }
            // SAFETY: from a successful ZPP "s" (or the string argument itself).
            let address = zpp_bytes(addr, addr_len);
            // SAFETY: argument 2 exists (ZPP required it).
            Ok(connect_like(
                ex,
                socket,
                address,
                (!port_is_null).then(|| wire_port(port)),
                2,
                "unable to connect",
            ))
        });
    }
}

/// socket_sendto's socket, address and port when the arguments already have
/// exactly the types "Oslls|l!" takes, with a length PHP accepts and a
/// port: the common call, which skips a second zend_parse_parameters (the
/// original parses them anyway); `None` sends the call through ZPP.
///
/// # Safety
/// `ex` must be a live call frame.
unsafe fn sendto_args_as_given<'a>(ex: *mut ExecuteData) -> Option<(Socket, &'a [u8], zend_long)> {
    // SAFETY: forwarded.
    if unsafe { num_args(ex) } != 6 {
        return None;
    }
    // SAFETY: the frame has six arguments.
    let [socket, data, length, flags, address, port] =
        [1, 2, 3, 4, 5, 6].map(|n| unsafe { arg(ex, n) });
    let (socket, address) = (Socket::from_zval(socket?)?, address?);
    let typed = data?.is_string()
        && length?.long().is_some_and(|l| l >= 0)
        && flags?.is_long()
        && address.is_string();
    if !typed {
        return None;
    }
    let port = port?.long()?;
    Some((socket, address.zend_str()?.as_bytes(), port))
}

/// socket_sendto(Socket $socket, string $data, int $length, int $flags,
/// string $address, ?int $port = null)
pub unsafe extern "C" fn socket_sendto(ex: *mut ExecuteData, rv: *mut Zval) {
    const HOOK: Hook = Hook::SocketSendto;
    let Some(config) = guarding() else {
        // SAFETY: forwarded.
        return unsafe { call_original(HOOK, ex, rv) };
    };
    // SAFETY: the engine passes a live frame.
    if let Some((socket, address, port)) = unsafe { sendto_args_as_given(ex) } {
        let at_once = entry(
            HOOK.name(),
            |_| Ok(false),
            || {
                Ok(connects_at_once(
                    config,
                    OwnFunction::SocketSendto,
                    socket,
                    address,
                    port,
                ))
            },
        );
        if at_once {
            // SAFETY: forwarded; nothing of ours is alive.
            return unsafe { call_original(HOOK, ex, rv) };
        }
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
        handler(HOOK, ex, rv, || {
            let Some(socket) = Socket::open_from(zsock) else {
                return Ok(Action::Original);
            };
            let family = socket.family();
            let is_inet = family == libc::AF_INET || family == libc::AF_INET6;
            if len < 0 || (is_inet && port_is_null) {
                return Ok(Action::Original); // PHP's ValueError
            }
            // SAFETY: from a successful ZPP "s".
            let address = zpp_bytes(addr, addr_len);
            // SAFETY: argument 5 exists (ZPP required it).
            Ok(connect_like(
                ex,
                socket,
                address,
                (!port_is_null).then(|| wire_port(port)),
                5,
                "Unable to write to socket",
            ))
        });
    }
}

/// socket_addrinfo_connect(AddressInfo $address)
pub unsafe extern "C" fn socket_addrinfo_connect(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded.
    unsafe { addrinfo_hook(Hook::SocketAddrinfoConnect, ex, rv) }
}

/// socket_addrinfo_bind(AddressInfo $address)
pub unsafe extern "C" fn socket_addrinfo_bind(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded.
    unsafe { addrinfo_hook(Hook::SocketAddrinfoBind, ex, rv) }
}

/// The addrinfo of an AddressInfo object. ext/sockets' php_addrinfo is
/// private to sockets.c (no header to check a copy against): it is
/// `{ struct addrinfo addrinfo; zend_object std; }`, and the object's
/// handlers say where `std` lies (XtOffsetOf(php_addrinfo, std)). An offset
/// with no room for an addrinfo before it means the layout is not that one:
/// None, and the call is denied.
///
/// # Safety
/// `obj` must be a live AddressInfo object.
unsafe fn addrinfo_of(obj: *mut ext_php_rs::ffi::zend_object) -> Option<libc::addrinfo> {
    // SAFETY: a live object's handlers are static tables of its extension.
    let offset = usize::try_from(unsafe { (*(*obj).handlers).offset }).ok()?;
    if offset < std::mem::size_of::<libc::addrinfo>() {
        return None;
    }
    // SAFETY: the object sits `offset` bytes into its php_addrinfo, whose
    // first member is the addrinfo (checked to fit before it).
    Some(unsafe { ptr::read(obj.cast::<u8>().sub(offset).cast::<libc::addrinfo>()) })
}

/// ext/sockets' own message for a failed AddressInfo connect or bind.
fn addrinfo_message(connect: bool) -> &'static str {
    if connect {
        "Unable to connect address"
    } else {
        "Unable to bind address"
    }
}

/// An AddressInfo whose layout [`addrinfo_of`] does not know: denied.
#[cold]
fn unknown_addrinfo(config: &Config, connect: bool) -> Action {
    let msg = addrinfo_message(connect);
    let reason = Reason::Internal {
        what: "ext/sockets' AddressInfo has a layout sockguard does not know".to_owned(),
    };
    let asked = || Asked {
        target: "".into(),
        port: None,
        transport: None,
    };
    let outcome = verdict::refuse(config, reason, asked);
    Action::for_socket(outcome, None, msg, String::new)
        .err()
        .unwrap_or(Action::Original)
}

/// Decides an AddressInfo's connect or bind.
fn decide_addrinfo(
    config: &Config,
    connect: bool,
    ai: &libc::addrinfo,
    endpoint: &Result<Endpoint, Reason>,
) -> Action {
    let msg = addrinfo_message(connect);
    let target = || match endpoint {
        Ok(Endpoint::Ip(sa)) => sa.to_string(),
        _ => String::new(),
    };
    let port = match endpoint {
        Ok(Endpoint::Ip(sa)) => Some(sa.port()),
        _ => None,
    };
    let asked = || Asked {
        target: target().into(),
        port,
        transport: None,
    };
    let host = match endpoint {
        Ok(Endpoint::Ip(sa)) => Host::Ip(sa.ip()),
        Ok(_) => Host::Path(String::new()),
        Err(reason) => {
            let outcome = verdict::refuse(config, reason.clone(), asked);
            return Action::for_socket(outcome, None, msg, target)
                .err()
                .unwrap_or(Action::Original);
        }
    };
    let op = if connect {
        Operation::Connect {
            host: &host,
            port: port.unwrap_or(0),
            kind: Kind::Socket {
                family: ai.ai_family,
                sotype: ai.ai_socktype,
                protocol: ai.ai_protocol,
            },
        }
    } else {
        Operation::Bind {
            host: &host,
            port: port.unwrap_or(0),
        }
    };
    let outcome = verdict::decide(config, &op, Caller::SocketsApi, asked);
    match Action::for_socket(outcome, None, msg, target) {
        Ok(_) => {
            if let (true, Ok(Endpoint::Ip(sa))) = (connect, endpoint) {
                approvals::approve(-1, *sa);
            }
            Action::Original
        }
        Err(action) => action,
    }
}

/// socket_addrinfo_connect / socket_addrinfo_bind: the address was resolved
/// by socket_addrinfo_lookup, so the sockaddr inside is exactly what the
/// kernel will get; check it.
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
unsafe fn addrinfo_hook(hook: Hook, ex: *mut ExecuteData, rv: *mut Zval) {
    let ce = SOCKETS.address_info_ce();
    if step_aside() || ce.is_null() {
        // SAFETY: forwarded.
        return unsafe { call_original(hook, ex, rv) };
    }
    let mut zinfo: *mut zval = ptr::null_mut();
    // SAFETY: "O" takes zval** and the class entry.
    let ok = parsed(unsafe { zend_parse_parameters(num_args(ex), c"O".as_ptr(), &mut zinfo, ce) });
    if !ok {
        return;
    }
    // SAFETY: ZPP checked that the argument is an AddressInfo object.
    let ai = unsafe { addrinfo_of((*zinfo).value.obj) };
    let connect = hook == Hook::SocketAddrinfoConnect;
    // SAFETY: forwarded.
    unsafe {
        handler(hook, ex, rv, || {
            let Some(ai) = ai else {
                return Ok(unknown_addrinfo(runtime::current(), connect));
            };
            // SAFETY: ai_addr points to ai_addrlen bytes owned by the AddressInfo.
            let endpoint = sockaddr::read(ai.ai_addr, ai.ai_addrlen);
            Ok(decide_addrinfo(runtime::current(), connect, &ai, &endpoint))
        });
        if connect {
            super::reclaim::register_returned(rv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_as_c_strings_per_family() {
        let parsed = |f, a: &[u8]| host_for_family(f, a).map(|(h, _, plain)| (h, plain));
        let v4 = |a: [u8; 4]| Host::Ip(IpAddr::from(a));
        assert_eq!(
            parsed(libc::AF_INET, b"10.0.0.1\0.example.com"),
            Ok((v4([10, 0, 0, 1]), false))
        );
        assert_eq!(
            parsed(libc::AF_INET, b"10.0.0.1"),
            Ok((v4([10, 0, 0, 1]), true))
        );
        assert!(parsed(libc::AF_INET, b"::1").is_err());
        assert_eq!(
            parsed(libc::AF_INET6, b"::1"),
            Ok((Host::Ip("::1".parse().expect("v6")), true))
        );
        // An IPv4 literal on an AF_INET6 socket is not the socket's own: rewritten.
        assert_eq!(
            parsed(libc::AF_INET6, b"1.2.3.4"),
            Ok((v4([1, 2, 3, 4]), false))
        );
        assert_eq!(
            parsed(libc::AF_INET, b"0x7f.1"),
            Ok((v4([127, 0, 0, 1]), false))
        );
        assert_eq!(
            parsed(libc::AF_UNIX, b"/run/x.sock\0y"),
            Ok((Host::Path("/run/x.sock".into()), true))
        );
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

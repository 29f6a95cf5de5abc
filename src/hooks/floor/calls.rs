//! The replacement functions the floor puts in the GOT of every other
//! object: each reads what the call would do, asks the policy as a
//! library (`Caller::Library`), and either makes the real call or refuses
//! it the way the kernel refuses one: -1 with errno EACCES, so the library
//! reports its own error ("could not connect to server: Permission
//! denied"). A destination the layers above have just decided passes
//! without a second decision ([`super::approvals`]).

use std::{
    cell::Cell,
    ffi::{c_char, c_int, c_uint, c_void},
    ptr,
};

use libc::{mmsghdr, msghdr, size_t, socklen_t, ssize_t};

type SockAddr = libc::sockaddr;

use super::{got, notices};
use crate::hooks::{
    approvals, engine,
    entry::entry,
    sockaddr::{self, read as read_sockaddr, Endpoint},
    verdict::{self, Origin},
};
use crate::{
    config::{Mode, Outcome},
    policy::{self, Caller, Host, Kind, Operation, Reason},
    runtime,
};

thread_local! {
    /// Whether this thread is serving a PHP request (RINIT to RSHUTDOWN).
    static SERVING: Cell<bool> = const { Cell::new(false) };
}

/// A request starts (`true`) or ends on this thread.
pub fn set_serving(serving: bool) {
    SERVING.with(|s| s.set(serving));
}

fn serving() -> bool {
    SERVING.with(Cell::get)
}

/// Fails a call as the kernel refuses one.
fn refused<T: From<i8>>() -> T {
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe { *libc::__errno_location() = libc::EACCES };
    T::from(-1)
}

/// The socket type of a descriptor (SOCK_STREAM, ...), -1 if it is none.
fn socket_type(fd: c_int) -> c_int {
    let mut value: c_int = -1;
    let mut len = std::mem::size_of::<c_int>() as socklen_t;
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
    if rc == 0 {
        value
    } else {
        -1
    }
}

/// The object (library) the call came from, for messages: the first
/// frame of the stack outside sockguard. Only walked for a denial.
fn calling_object() -> String {
    let mut frames = [ptr::null_mut::<c_void>(); 12];
    // SAFETY: backtrace writes at most `frames.len()` return addresses.
    let n = unsafe { libc::backtrace(frames.as_mut_ptr(), frames.len() as c_int) };
    let own = got::object_name_of(calling_object as *const () as usize);
    frames
        .iter()
        .take(usize::try_from(n).unwrap_or(0))
        .filter_map(|f| got::object_name_of(*f as usize))
        .find(|name| Some(name) != own.as_ref())
        .map_or_else(
            || "the PHP binary".to_owned(),
            |name| name.rsplit('/').next().unwrap_or(&name).to_owned(),
        )
}

/// What the floor does with a call.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Make the real call.
    Pass,
    /// Refuse it as the kernel would.
    Refuse,
}

/// Decides `op` (or refuses `untranslatable`, a call the floor cannot even
/// read), made by `call` (the C function's name) to `target`. Nothing here
/// calls into the engine: a library's call is below, so warnings and log
/// lines wait for the VM's next interrupt check ([`notices`]).
fn decide(
    op: Result<&Operation<'_>, Reason>,
    call: &'static str,
    target: impl Fn() -> String,
) -> Verdict {
    let config = runtime::current();
    if config.mode == Mode::Off {
        return Verdict::Pass;
    }
    let serving = serving();
    let library = std::cell::OnceCell::new();
    let object = || library.get_or_init(calling_object).clone();
    let origin = || Origin::library(format!("{} ({call})", object()), serving);
    let outcome = match op {
        Ok(op) => verdict::decide_from(
            config,
            op,
            Caller::Library { serving },
            || target().into(),
            origin,
        ),
        Err(reason) => verdict::refuse_from(config, reason, || target().into(), origin),
    };
    match outcome {
        Outcome::Allow(_) | Outcome::Mock(_) => Verdict::Pass,
        Outcome::Report(reason) => {
            let line = format!(
                "sockguard: would deny {call}({}) in {}: {reason} [{}]",
                target(),
                object(),
                reason.code()
            );
            if serving {
                notices::log(line);
            } else {
                // A thread that serves no request must not touch PHP's log.
                eprintln!("{line}");
            }
            Verdict::Pass
        }
        Outcome::Deny(reason) => {
            if serving {
                let function = engine::active_function_qualified();
                let prefix = if function.is_empty() || function == "main" {
                    String::new()
                } else {
                    format!("{function}(): ")
                };
                notices::warn(format!(
                    "{prefix}sockguard: {call}({}) from {} denied: {reason}",
                    target(),
                    object()
                ));
            }
            Verdict::Refuse
        }
    }
}

/// Runs a decision for a call: `Some` refusal, or `None` to make the real
/// call. A failure inside refuses. Out of line: the calls that need no
/// decision (an approved connect, a TCP socket) stay a few instructions
/// without the entry's frame.
#[inline(never)]
fn judge<T: From<i8>>(body: impl FnOnce() -> Verdict) -> Option<T> {
    entry(
        "C library floor",
        |_| Ok(Some(refused())),
        || {
            Ok(match body() {
                Verdict::Pass => None,
                Verdict::Refuse => Some(refused()),
            })
        },
    )
}

/// The host and port of an endpoint for the policy.
fn host_of(endpoint: &Endpoint) -> Option<(Host, u16)> {
    match endpoint {
        Endpoint::Ip(sa) => Some((Host::Ip(sa.ip()), sa.port())),
        Endpoint::Path(p) => Some((Host::Path(p.clone()), 0)),
        Endpoint::Unnamed | Endpoint::Unspecified => None,
    }
}

fn text_of(endpoint: &Result<Endpoint, Reason>) -> String {
    match endpoint {
        Ok(Endpoint::Ip(sa)) => sa.to_string(),
        Ok(Endpoint::Path(p)) => p.clone(),
        Ok(Endpoint::Unnamed) => "an unnamed socket".to_owned(),
        Ok(Endpoint::Unspecified) => "AF_UNSPEC".to_owned(),
        Err(_) => "a malformed address".to_owned(),
    }
}

/// Decides a connect (or a datagram) by `fd` to the sockaddr at `addr`.
///
/// # Safety
/// `addr` must be null or point to `len` readable bytes.
unsafe fn decide_destination(
    fd: c_int,
    addr: *const SockAddr,
    len: socklen_t,
    call: &'static str,
) -> Verdict {
    // SAFETY: forwarded.
    let endpoint = unsafe { read_sockaddr(addr, len) };
    let target = || text_of(&endpoint);
    match &endpoint {
        // Dissolving a datagram socket's peer, or an address the kernel
        // itself rejects: nothing leaves.
        Ok(Endpoint::Unspecified | Endpoint::Unnamed) => Verdict::Pass,
        Ok(endpoint @ (Endpoint::Ip(_) | Endpoint::Path(_))) => {
            let (host, port, family) = match endpoint {
                Endpoint::Ip(sa) => (
                    Host::Ip(sa.ip()),
                    sa.port(),
                    if sa.is_ipv4() {
                        libc::AF_INET
                    } else {
                        libc::AF_INET6
                    },
                ),
                Endpoint::Path(path) => (Host::Path(path.clone()), 0, libc::AF_UNIX),
                Endpoint::Unnamed | Endpoint::Unspecified => return Verdict::Pass,
            };
            let op = Operation::Connect {
                host: &host,
                port,
                kind: Kind::Socket {
                    family,
                    sotype: socket_type(fd),
                    protocol: 0,
                },
            };
            decide(Ok(&op), call, target)
        }
        Err(reason) => decide(Err(reason.clone()), call, target),
    }
}

/// Whether the layers above already decided this destination: the fast
/// path of every connect and datagram they made (a read of the sockaddr
/// and a thread-local table; nothing here can panic).
///
/// # Safety
/// `addr` must be null or point to `len` readable bytes.
#[inline]
unsafe fn approved(fd: c_int, addr: *const SockAddr, len: socklen_t) -> bool {
    // SAFETY: forwarded.
    unsafe { sockaddr::read_ip(addr, len) }.is_some_and(|sa| approvals::take(fd, sa))
}

/// connect(2)
pub unsafe extern "C" fn connect(fd: c_int, addr: *const SockAddr, len: socklen_t) -> c_int {
    // SAFETY: the caller's arguments, as connect(2) takes them.
    if unsafe { approved(fd, addr, len) } {
        // SAFETY: forwarded.
        return unsafe { libc::connect(fd, addr, len) };
    }
    // SAFETY: as above.
    unsafe { connect_decided(fd, addr, len) }
}

/// connect(2) when the layers above did not approve it: decided here.
/// Out of line, so that an approved connect does not set up the stack of
/// a decision.
///
/// # Safety
/// As connect(2).
#[inline(never)]
unsafe fn connect_decided(fd: c_int, addr: *const SockAddr, len: socklen_t) -> c_int {
    // SAFETY: the caller's arguments, as connect(2) takes them.
    if let Some(refusal) = judge(|| unsafe { decide_destination(fd, addr, len, "connect") }) {
        return refusal;
    }
    // SAFETY: forwarded.
    unsafe { libc::connect(fd, addr, len) }
}

/// sendto(2): a destination, if given, is decided like a connect.
pub unsafe extern "C" fn sendto(
    fd: c_int,
    buf: *const c_void,
    n: size_t,
    flags: c_int,
    addr: *const SockAddr,
    len: socklen_t,
) -> ssize_t {
    // SAFETY: the caller's arguments, as sendto(2) takes them.
    if !addr.is_null() && !unsafe { approved(fd, addr, len) } {
        // SAFETY: as above.
        if let Some(refusal) = judge(|| unsafe { decide_destination(fd, addr, len, "sendto") }) {
            return refusal;
        }
    }
    // SAFETY: forwarded.
    unsafe { libc::sendto(fd, buf, n, flags, addr, len) }
}

/// Whether a message's control data passes descriptors (SCM_RIGHTS).
///
/// # Safety
/// `msg` must be a valid msghdr whose control buffer is readable.
unsafe fn passes_descriptors(msg: &msghdr) -> bool {
    if msg.msg_control.is_null() || msg.msg_controllen == 0 {
        return false;
    }
    // SAFETY: CMSG_FIRSTHDR/NXTHDR walk the caller's control buffer within
    // msg_controllen.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                return true;
            }
            cmsg = libc::CMSG_NXTHDR(msg, cmsg);
        }
    }
    false
}

/// Decides one message of sendmsg/sendmmsg.
///
/// # Safety
/// `msg` must be a valid msghdr.
unsafe fn decide_message(fd: c_int, msg: &msghdr, call: &'static str) -> Verdict {
    // SAFETY: forwarded.
    if unsafe { passes_descriptors(msg) }
        && decide(Ok(&Operation::PassDescriptors), call, || {
            "SCM_RIGHTS".to_owned()
        }) == Verdict::Refuse
    {
        return Verdict::Refuse;
    }
    if msg.msg_name.is_null() {
        return Verdict::Pass;
    }
    // SAFETY: msg_name holds msg_namelen bytes.
    unsafe { decide_destination(fd, msg.msg_name.cast::<SockAddr>(), msg.msg_namelen, call) }
}

/// sendmsg(2)
pub unsafe extern "C" fn sendmsg(fd: c_int, msg: *const msghdr, flags: c_int) -> ssize_t {
    // SAFETY: the caller's message, as sendmsg(2) takes it.
    if let Some(refusal) = judge(|| match unsafe { msg.as_ref() } {
        // SAFETY: a valid msghdr from the caller.
        Some(m) => unsafe { decide_message(fd, m, "sendmsg") },
        None => Verdict::Pass,
    }) {
        return refusal;
    }
    // SAFETY: forwarded.
    unsafe { libc::sendmsg(fd, msg, flags) }
}

/// sendmmsg(2): every message is decided; one refused refuses the call.
pub unsafe extern "C" fn sendmmsg(
    fd: c_int,
    msgs: *mut mmsghdr,
    vlen: c_uint,
    flags: c_int,
) -> c_int {
    let check = || {
        if msgs.is_null() {
            return Verdict::Pass;
        }
        for i in 0..vlen as usize {
            // SAFETY: the caller passes `vlen` messages.
            let m = unsafe { &(*msgs.add(i)).msg_hdr };
            // SAFETY: each is a valid msghdr.
            if unsafe { decide_message(fd, m, "sendmmsg") } == Verdict::Refuse {
                return Verdict::Refuse;
            }
        }
        Verdict::Pass
    };
    if let Some(refusal) = judge(check) {
        return refusal;
    }
    // SAFETY: forwarded.
    unsafe { libc::sendmmsg(fd, msgs, vlen, flags) }
}

/// bind(2)
pub unsafe extern "C" fn bind(fd: c_int, addr: *const SockAddr, len: socklen_t) -> c_int {
    let check = || {
        // SAFETY: the caller's address, `len` bytes.
        let endpoint = unsafe { read_sockaddr(addr, len) };
        let target = || text_of(&endpoint);
        let host = match &endpoint {
            Ok(e) => host_of(e).unwrap_or((Host::Path(String::new()), 0)),
            Err(_) => (Host::Path(String::new()), 0),
        };
        let op = Operation::Bind {
            host: &host.0,
            port: host.1,
        };
        decide(Ok(&op), "bind", target)
    };
    if let Some(refusal) = judge(check) {
        return refusal;
    }
    // SAFETY: forwarded.
    unsafe { libc::bind(fd, addr, len) }
}

/// listen(2)
pub unsafe extern "C" fn listen(fd: c_int, backlog: c_int) -> c_int {
    if let Some(refusal) = judge(|| {
        decide(Ok(&Operation::Listen), "listen", || {
            format!("descriptor {fd}")
        })
    }) {
        return refusal;
    }
    // SAFETY: forwarded.
    unsafe { libc::listen(fd, backlog) }
}

/// accept(2)
pub unsafe extern "C" fn accept(fd: c_int, addr: *mut SockAddr, len: *mut socklen_t) -> c_int {
    if let Some(refusal) = judge(|| {
        decide(Ok(&Operation::Accept), "accept", || {
            format!("descriptor {fd}")
        })
    }) {
        return refusal;
    }
    // SAFETY: forwarded.
    unsafe { libc::accept(fd, addr, len) }
}

/// accept4(2)
pub unsafe extern "C" fn accept4(
    fd: c_int,
    addr: *mut SockAddr,
    len: *mut socklen_t,
    flags: c_int,
) -> c_int {
    if let Some(refusal) = judge(|| {
        decide(Ok(&Operation::Accept), "accept4", || {
            format!("descriptor {fd}")
        })
    }) {
        return refusal;
    }
    // SAFETY: forwarded.
    unsafe { libc::accept4(fd, addr, len, flags) }
}

/// socket(2): a TCP, UDP or unix socket is always allowed to a library
/// (what it reaches is decided at connect), so the common case asks no
/// configuration.
pub unsafe extern "C" fn socket(family: c_int, sotype: c_int, protocol: c_int) -> c_int {
    let kind = Kind::Socket {
        family,
        sotype,
        protocol,
    };
    // (Whether the thread serves a request does not change what a library
    // may create: asked only for the decision below.)
    if !policy::may_create(kind, Caller::Library { serving: false }) {
        let op = Operation::Create(kind);
        let target = || format!("{family}, {sotype}, {protocol}");
        if let Some(refusal) = judge(|| decide(Ok(&op), "socket", target)) {
            return refusal;
        }
    }
    // SAFETY: forwarded.
    unsafe { libc::socket(family, sotype, protocol) }
}

/// socketpair(2): a unix pair is a channel inside the process, always
/// allowed.
pub unsafe extern "C" fn socketpair(
    family: c_int,
    sotype: c_int,
    protocol: c_int,
    fds: *mut c_int,
) -> c_int {
    let kind = Kind::Socket {
        family,
        sotype,
        protocol,
    };
    if !policy::may_pair(kind) {
        let op = Operation::Pair(kind);
        let target = || format!("{family}, {sotype}, {protocol}");
        if let Some(refusal) = judge(|| decide(Ok(&op), "socketpair", target)) {
            return refusal;
        }
    }
    // SAFETY: forwarded.
    unsafe { libc::socketpair(family, sotype, protocol, fds) }
}

/// dlopen(3): the new object (and what it brings in) is patched before the
/// caller can use it.
pub unsafe extern "C" fn dlopen(filename: *const c_char, flags: c_int) -> *mut c_void {
    // SAFETY: forwarded.
    let handle = unsafe { libc::dlopen(filename, flags) };
    if !handle.is_null() {
        entry(
            "dlopen",
            |_| Ok(()),
            || {
                super::rescan();
                Ok(())
            },
        );
    }
    handle
}

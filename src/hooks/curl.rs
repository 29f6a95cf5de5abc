//! ext/curl: libcurl opens its sockets itself, past the function hooks and
//! the stream transports. Every CurlHandle gets sockguard's
//! CURLOPT_OPENSOCKETFUNCTION right before curl_exec and
//! curl_multi_add_handle, the only ways PHP runs a transfer, and again
//! after curl_copy_handle and curl_reset (a handle reset while in a multi
//! handle runs without another curl_multi_add_handle), so every socket libcurl
//! opens for a transfer (redirects, proxies, Happy Eyeballs, CURLOPT_RESOLVE
//! and CURLOPT_CONNECT_TO included) is checked at the exact address it
//! connects to. PHP has no CURLOPT_OPENSOCKETFUNCTION of its own, so the app
//! cannot replace it. A denial makes libcurl fail as a refused connect does
//! (CURLE_COULDNT_CONNECT); curl_error() then carries the reason. A handle
//! that cannot be guarded does not run.

use std::{
    cell::RefCell,
    collections::HashMap,
    ffi::{c_int, c_void},
    net::{IpAddr, SocketAddr},
    ptr,
    sync::atomic::{AtomicPtr, AtomicUsize, Ordering},
};

use ext_php_rs::{ffi::zend_class_entry, types::Zval, zend::ExecuteData};

use super::{
    approvals,
    args::arg,
    engine::{self, find_class},
    entry::entry,
    originals::{call_original, Hook},
    recent::{self, Allowed},
    sockaddr::{self, Endpoint},
    verdict::{self, handler, report_line, Action, Asked},
};
use crate::{
    config::Outcome,
    metrics::TransportLabel,
    policy::{Caller, Host, Kind, Operation, Reason},
    runtime,
};

/// CURLOPT_OPENSOCKETFUNCTION (CURLOPTTYPE_FUNCTIONPOINT + 163).
const CURLOPT_OPENSOCKETFUNCTION: c_int = 20_163;
/// CURLOPT_OPENSOCKETDATA (CURLOPTTYPE_OBJECTPOINT + 164).
const CURLOPT_OPENSOCKETDATA: c_int = 10_164;
/// CURLSOCKTYPE_IPCXN: a socket for a connection.
const CURLSOCKTYPE_IPCXN: c_int = 0;
/// CURL_SOCKET_BAD.
const CURL_SOCKET_BAD: c_int = -1;
/// CURLE_OK.
const CURLE_OK: c_int = 0;

/// libcurl's `struct curl_sockaddr`. `addr` is declared as a plain
/// sockaddr but libcurl allocates `addrlen` bytes for it: it is only ever
/// read through a raw pointer, never a reference.
#[repr(C)]
struct CurlSockaddr {
    family: c_int,
    socktype: c_int,
    protocol: c_int,
    addrlen: u32,
    addr: libc::sockaddr,
}

type EasySetopt = unsafe extern "C" fn(*mut c_void, c_int, ...) -> c_int;
type OpenSocket = unsafe extern "C" fn(*mut c_void, c_int, *mut CurlSockaddr) -> c_int;

type EasyGetinfo = unsafe extern "C" fn(*mut c_void, c_int, ...) -> c_int;

/// CURLINFO_EFFECTIVE_URL (CURLINFO_STRING + 1).
const CURLINFO_EFFECTIVE_URL: c_int = 0x10_0001;

static EASY_SETOPT: AtomicUsize = AtomicUsize::new(0);
static EASY_GETINFO: AtomicUsize = AtomicUsize::new(0);
static CURL_CE: AtomicPtr<zend_class_entry> = AtomicPtr::new(ptr::null_mut());

thread_local! {
    /// The last denial per CURL* handle, for curl_error().
    static DENIALS: RefCell<HashMap<usize, String>> = RefCell::new(HashMap::new());
}

/// Finds libcurl's curl_easy_setopt and the CurlHandle class, if ext/curl
/// is loaded.
pub fn init() {
    CURL_CE.store(find_class("curlhandle"), Ordering::Relaxed);
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name.
    let sym = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"curl_easy_setopt".as_ptr()) };
    EASY_SETOPT.store(sym as usize, Ordering::Relaxed);
    // SAFETY: as above.
    let sym = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"curl_easy_getinfo".as_ptr()) };
    EASY_GETINFO.store(sym as usize, Ordering::Relaxed);
}

/// The URL of the transfer `cp` is running: while libcurl opens a
/// connection's socket, the URL it connects for (a redirect's too).
fn transfer_url(cp: *mut c_void) -> Option<String> {
    let getinfo = EASY_GETINFO.load(Ordering::Relaxed);
    if getinfo == 0 || cp.is_null() {
        return None;
    }
    let mut url: *const std::ffi::c_char = ptr::null();
    // SAFETY: `getinfo` is libcurl's curl_easy_getinfo, `cp` the easy
    // handle libcurl passed to the open-socket callback, and
    // CURLINFO_EFFECTIVE_URL takes a `char **`; libcurl keeps the string.
    let rc = unsafe {
        let getinfo = std::mem::transmute::<usize, EasyGetinfo>(getinfo);
        getinfo(cp, CURLINFO_EFFECTIVE_URL, &raw mut url)
    };
    if rc != CURLE_OK || url.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated string owned by the handle, alive for now.
    Some(
        unsafe { std::ffi::CStr::from_ptr(url) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// A domain deny rule the transfer's host is under, for a connection to
/// `sa`: libcurl resolves names itself, so the name is the URL's. A
/// handle whose URL cannot be read is refused while such rules exist.
fn denied_by_name(config: &crate::config::Config, cp: *mut c_void, port: u16) -> Option<Reason> {
    if !config.has_domain_denials() {
        return None;
    }
    let Some(url) = transfer_url(cp) else {
        return Some(Reason::Internal {
            what: "the curl transfer's URL cannot be read for the domain deny rules".to_owned(),
        });
    };
    let (name, port) = crate::policy::target::url_name_port(&url, port)?;
    config.denies_name(&name, port)
}

/// Forgets per-request state.
pub fn reset_request_state() {
    DENIALS.with(|d| d.borrow_mut().clear());
}

/// The CURL* easy handle inside a CurlHandle object.
fn easy_handle(zv: &Zval) -> Option<*mut c_void> {
    let obj = zv.object()?;
    let ce = CURL_CE.load(Ordering::Relaxed);
    if ce.is_null() || obj.ce != ce {
        return None;
    }
    // SAFETY: CurlHandle objects are php_curl structs whose first member is
    // `CURL *cp`, with the zend_object at handlers->offset (curl_from_obj).
    unsafe {
        let offset = (*obj.handlers).offset;
        let base = ptr::from_ref(obj)
            .cast::<u8>()
            .sub(usize::try_from(offset).ok()?);
        let cp = *base.cast::<*mut c_void>();
        (!cp.is_null()).then_some(cp)
    }
}

/// Installs the open-socket callback on the handle in `zv` (nothing to do
/// for a value that is not a CurlHandle: the original rejects it).
///
/// # Errors
/// [`Reason::Internal`] when the handle cannot be guarded: it must not run.
fn guard(zv: &Zval) -> Result<(), Reason> {
    let Some(cp) = easy_handle(zv) else {
        return Ok(());
    };
    let setopt = EASY_SETOPT.load(Ordering::Relaxed);
    let unguarded = |what: &str| Reason::Internal {
        what: format!("the curl handle cannot be guarded: {what}"),
    };
    if setopt == 0 {
        return Err(unguarded("libcurl's curl_easy_setopt was not found"));
    }
    // SAFETY: `setopt` is libcurl's curl_easy_setopt; the option types match
    // libcurl's documented argument types (function pointer, void*).
    let (a, b) = unsafe {
        let setopt = std::mem::transmute::<usize, EasySetopt>(setopt);
        (
            setopt(cp, CURLOPT_OPENSOCKETFUNCTION, open_socket as OpenSocket),
            setopt(cp, CURLOPT_OPENSOCKETDATA, cp),
        )
    };
    if a != CURLE_OK || b != CURLE_OK {
        return Err(unguarded(&format!("curl_easy_setopt failed ({a}, {b})")));
    }
    DENIALS.with(|d| {
        let mut denials = d.borrow_mut();
        // Hashing costs more than the check, and there is rarely a denial.
        if !denials.is_empty() {
            denials.remove(&(cp as usize));
        }
    });
    Ok(())
}

/// Decides one socket libcurl wants to open; `Err` with the reason to
/// refuse it.
fn decide(cp: *mut c_void, purpose: c_int, address: *const CurlSockaddr) -> Result<(), Reason> {
    let config = runtime::current();
    if config.mode == crate::config::Mode::Off {
        return Ok(());
    }
    // SAFETY: libcurl passes a valid curl_sockaddr; `addr` has `addrlen`
    // bytes, read through a raw pointer derived from the whole struct.
    let (family, socktype, protocol, endpoint) = unsafe {
        (
            (*address).family,
            (*address).socktype,
            (*address).protocol,
            sockaddr::read(ptr::addr_of!((*address).addr), (*address).addrlen),
        )
    };
    let kind = Kind::Socket {
        family,
        sotype: socktype,
        protocol,
    };
    let target = || match &endpoint {
        Ok(Endpoint::Ip(sa)) => sa.to_string(),
        Ok(_) | Err(_) => format!("address family {family}"),
    };
    let asked = || Asked {
        target: target().into(),
        port: match &endpoint {
            Ok(Endpoint::Ip(sa)) => Some(sa.port()),
            _ => None,
        },
        transport: kind.transport().map(crate::policy::Transport::name),
    };
    let outcome = match (&endpoint, purpose) {
        (Ok(Endpoint::Ip(sa)), CURLSOCKTYPE_IPCXN) => {
            if let Some(reason) = denied_by_name(config, cp, sa.port()) {
                return match verdict::refuse(config, reason, asked) {
                    Outcome::Report(reason) => {
                        engine::log_detached(report_line(&target(), &reason));
                        Ok(())
                    }
                    Outcome::Deny(reason) => Err(reason),
                    Outcome::Allow(_) | Outcome::Mock(_) => Ok(()),
                };
            }
            let host = Host::Ip(sa.ip());
            let op = Operation::Connect {
                host: &host,
                port: sa.port(),
                kind,
            };
            verdict::decide(config, &op, Caller::Client, asked)
        }
        // FTP active mode: libcurl wants a listening socket.
        (Ok(_), _) if purpose != CURLSOCKTYPE_IPCXN => {
            verdict::decide(config, &Operation::Listen, Caller::Client, asked)
        }
        (Ok(_), _) => verdict::refuse(
            config,
            Reason::Transport {
                name: format!("address family {family}"),
            },
            asked,
        ),
        (Err(reason), _) => verdict::refuse(config, reason.clone(), asked),
    };
    match outcome {
        Outcome::Allow(_) | Outcome::Mock(_) => Ok(()),
        Outcome::Deny(reason) => Err(reason),
        Outcome::Report(reason) => {
            engine::log_detached(report_line(&target(), &reason));
            Ok(())
        }
    }
}

/// The common socket, opened without the general steps of [`decide`]: a
/// connection's socket to an IPv4 address the policy allows at once
/// ([`crate::config::Config::allows_at_once`]), approved for the floor.
/// `None` for anything else, which takes the general steps.
///
/// # Safety
/// `address` must be libcurl's valid curl_sockaddr.
unsafe fn opens_at_once(purpose: c_int, address: *const CurlSockaddr) -> Option<c_int> {
    if purpose != CURLSOCKTYPE_IPCXN {
        return None;
    }
    // SAFETY: `addr` has `addrlen` bytes, read through a raw pointer
    // derived from the whole struct.
    let (family, socktype, protocol, sa) = unsafe {
        (
            (*address).family,
            (*address).socktype,
            (*address).protocol,
            sockaddr::read_ip(ptr::addr_of!((*address).addr), (*address).addrlen)?,
        )
    };
    let config = runtime::current();
    // (Domain deny rules are matched on the transfer's URL, in `decide`.)
    if config.mode == crate::config::Mode::Off || config.has_domain_denials() {
        return None;
    }
    let kind = Kind::Socket {
        family,
        sotype: socktype,
        protocol,
    };
    // allows_at_once allows IPv4 addresses only.
    let SocketAddr::V4(v4) = sa else {
        return None;
    };
    // The key: everything allows_at_once reads, as bytes.
    let mut text = [0u8; 20];
    text[..4].copy_from_slice(&v4.ip().octets());
    text[4..6].copy_from_slice(&v4.port().to_ne_bytes());
    text[8..12].copy_from_slice(&family.to_ne_bytes());
    text[12..16].copy_from_slice(&socktype.to_ne_bytes());
    text[16..].copy_from_slice(&protocol.to_ne_bytes());
    let also = recent::CURL_LANE;
    let allowed = recent::allowed(config, &text, also, || {
        let op = Operation::Connect {
            host: &Host::Ip(IpAddr::V4(*v4.ip())),
            port: v4.port(),
            kind,
        };
        config.allows_at_once(&op, Caller::Client)?;
        Some(Allowed {
            target: v4,
            transport: TransportLabel::of_kind(kind),
        })
    });
    let transport = allowed?.transport;
    verdict::count_allowed_at_once(config, transport);
    // SAFETY: plain socket(2) with the parameters libcurl asked for.
    let fd = unsafe { libc::socket(family, socktype, protocol) };
    if fd >= 0 {
        // libcurl's connect on this socket reaches the floor: decided.
        approvals::approve(fd, sa);
    }
    Some(fd)
}

/// libcurl's open-socket callback: checks the address, then opens the socket
/// as libcurl would, or refuses with CURL_SOCKET_BAD.
unsafe extern "C" fn open_socket(
    clientp: *mut c_void,
    purpose: c_int,
    address: *mut CurlSockaddr,
) -> c_int {
    let refuse = |reason: Reason| {
        DENIALS.with(|d| d.borrow_mut().insert(clientp as usize, reason.to_string()));
        CURL_SOCKET_BAD
    };
    entry(
        "curl open socket",
        |reason| Ok(refuse(reason)),
        || {
            if address.is_null() {
                return Ok(CURL_SOCKET_BAD);
            }
            // SAFETY: as in `decide`.
            if let Some(fd) = unsafe { opens_at_once(purpose, address) } {
                return Ok(fd);
            }
            Ok(match decide(clientp, purpose, address) {
                Ok(()) => {
                    // SAFETY: plain socket(2) with the parameters libcurl asked for.
                    let fd = unsafe {
                        libc::socket((*address).family, (*address).socktype, (*address).protocol)
                    };
                    // SAFETY: as in `decide`.
                    let endpoint = unsafe {
                        sockaddr::read(ptr::addr_of!((*address).addr), (*address).addrlen)
                    };
                    if let (true, Ok(Endpoint::Ip(sa))) = (fd >= 0, endpoint) {
                        // libcurl's connect on this socket reaches the floor: decided.
                        approvals::approve(fd, sa);
                    }
                    fd
                }
                Err(reason) => refuse(reason),
            })
        },
    )
}

/// The handle in argument `n` guarded before the original runs: a handle
/// that cannot be guarded fails the call.
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
unsafe fn guard_then_run(hook: Hook, n: usize, ex: *mut ExecuteData, rv: *mut Zval) {
    if runtime::is_off() {
        // SAFETY: forwarded from the engine.
        return unsafe { call_original(hook, ex, rv) };
    }
    // SAFETY: forwarded from the engine.
    unsafe {
        handler(hook, ex, rv, || {
            Ok(match arg(ex, n).map_or(Ok(()), |h| guard(h)) {
                Ok(()) => Action::Original,
                Err(reason) => Action::Fail {
                    message: format!("sockguard: {reason}"),
                },
            })
        });
    }
}

/// The original runs, then the handle it returns (or was given, for
/// curl_reset) is guarded; a handle that cannot be guarded is not handed
/// out.
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
unsafe fn run_then_guard(hook: Hook, returned: bool, ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { call_original(hook, ex, rv) };
    if runtime::is_off() {
        return;
    }
    entry(
        hook.name(),
        |reason| {
            // SAFETY: the engine's return slot; dropping the handle frees it.
            if let Some(rv) = unsafe { rv.as_mut() } {
                rv.set_bool(false);
            }
            engine::warning(&format!("sockguard: {reason}"))
        },
        || {
            // SAFETY: forwarded; the return slot is live after the original ran.
            let handle = unsafe {
                if returned {
                    rv.as_ref()
                } else {
                    arg(ex, 1).map(|h| &*h)
                }
            };
            if let Err(reason) = handle.map_or(Ok(()), guard) {
                // SAFETY: as above.
                if let Some(rv) = unsafe { rv.as_mut() } {
                    rv.set_bool(false);
                }
                engine::warning(&format!("sockguard: {reason}"))?;
            }
            Ok(())
        },
    );
}

/// curl_copy_handle: guard the copy.
pub unsafe extern "C" fn curl_copy_handle(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { run_then_guard(Hook::CurlCopyHandle, true, ex, rv) }
}

/// curl_reset clears every option: guard again afterwards.
pub unsafe extern "C" fn curl_reset(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { run_then_guard(Hook::CurlReset, false, ex, rv) }
}

/// curl_exec: guard (idempotent) before libcurl runs.
pub unsafe extern "C" fn curl_exec(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { guard_then_run(Hook::CurlExec, 1, ex, rv) }
}

/// curl_multi_add_handle: guard the easy handle before the multi runs it.
pub unsafe extern "C" fn curl_multi_add_handle(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { guard_then_run(Hook::CurlMultiAddHandle, 2, ex, rv) }
}

/// curl_error: a connect sockguard refused says why.
pub unsafe extern "C" fn curl_error(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { call_original(Hook::CurlError, ex, rv) };
    entry(
        "curl_error",
        |_| Ok(()),
        || {
            // SAFETY: forwarded; the frame is live.
            let Some(cp) = unsafe { arg(ex, 1) }.and_then(|h| easy_handle(h)) else {
                return Ok(());
            };
            let Some(reason) = DENIALS.with(|d| d.borrow().get(&(cp as usize)).cloned()) else {
                return Ok(());
            };
            // SAFETY: the engine's return slot, set by the original.
            if let Some(rv) = unsafe { rv.as_mut() } {
                let text = match rv.str() {
                    Some("") | None => return Ok(()),
                    Some(s) => format!("{s} (sockguard: {reason})"),
                };
                let _ = rv.set_string(&text, false);
            }
            Ok(())
        },
    );
}

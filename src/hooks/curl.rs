//! ext/curl: libcurl opens its sockets itself, past the function hooks and
//! the stream transports. Every CurlHandle gets sockguard's
//! CURLOPT_OPENSOCKETFUNCTION when it is created, copied or reset and again
//! right before curl_exec / curl_multi_add_handle, so every socket libcurl
//! opens (redirects, proxies, Happy Eyeballs, CURLOPT_RESOLVE and
//! CURLOPT_CONNECT_TO included) is checked at the exact address it connects
//! to. PHP has no CURLOPT_OPENSOCKETFUNCTION of its own, so the app cannot
//! replace it. A denial makes libcurl fail as a refused connect does
//! (CURLE_COULDNT_CONNECT); curl_error() then carries the reason.

use std::{
    cell::RefCell,
    collections::HashMap,
    ffi::{c_int, c_void},
    net::IpAddr,
    ptr,
    sync::atomic::{AtomicPtr, AtomicUsize, Ordering},
};

use ext_php_rs::{ffi::zend_class_entry, types::Zval, zend::ExecuteData};

use super::{
    functions::{call_original, find_class, Hook},
    php,
};
use crate::{
    config::{Mode, Outcome},
    policy::{Reason, Transport},
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

/// libcurl's `struct curl_sockaddr`.
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

static EASY_SETOPT: AtomicUsize = AtomicUsize::new(0);
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

/// Installs the open-socket callback on the handle in `zv`.
fn guard(zv: &Zval) {
    let Some(cp) = easy_handle(zv) else { return };
    let setopt = EASY_SETOPT.load(Ordering::Relaxed);
    if setopt == 0 {
        return;
    }
    // SAFETY: `setopt` is libcurl's curl_easy_setopt; the option types match
    // libcurl's documented argument types (function pointer, void*).
    unsafe {
        let setopt = std::mem::transmute::<usize, EasySetopt>(setopt);
        setopt(cp, CURLOPT_OPENSOCKETFUNCTION, open_socket as OpenSocket);
        setopt(cp, CURLOPT_OPENSOCKETDATA, cp);
    }
    DENIALS.with(|d| {
        let mut denials = d.borrow_mut();
        // Hashing costs more than the check, and there is rarely a denial.
        if !denials.is_empty() {
            denials.remove(&(cp as usize));
        }
    });
}

/// The IP and port of a curl_sockaddr.
fn destination(address: &CurlSockaddr) -> Option<(IpAddr, u16)> {
    let len = address.addrlen as usize;
    let sa = ptr::from_ref(&address.addr);
    match address.family {
        libc::AF_INET if len >= std::mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: curl allocated `addrlen` bytes for this family.
            let sin = unsafe { &*sa.cast::<libc::sockaddr_in>() };
            Some((
                IpAddr::from(u32::from_be(sin.sin_addr.s_addr).to_be_bytes()),
                u16::from_be(sin.sin_port),
            ))
        }
        libc::AF_INET6 if len >= std::mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above.
            let sin6 = unsafe { &*sa.cast::<libc::sockaddr_in6>() };
            Some((
                IpAddr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
            ))
        }
        _ => None,
    }
}

/// Decides one socket libcurl wants to open.
fn decide(purpose: c_int, address: &CurlSockaddr) -> Result<(), (Reason, String)> {
    let config = runtime::current();
    if config.mode == Mode::Off {
        return Ok(());
    }
    let dest = destination(address);
    let target = || {
        dest.map_or_else(
            || format!("address family {}", address.family),
            |(ip, port)| std::net::SocketAddr::new(ip, port).to_string(),
        )
    };
    let verdict = match (purpose, dest) {
        (CURLSOCKTYPE_IPCXN, Some((ip, port))) => {
            let transport = if address.socktype == libc::SOCK_DGRAM {
                Transport::Udp
            } else {
                Transport::Tcp
            };
            match &config.policy {
                Ok(policy) => policy
                    .check_addr(ip, port, transport, &*config.resolver)
                    .map(|()| vec![ip]),
                Err(reason) => Err(reason.clone()),
            }
        }
        (CURLSOCKTYPE_IPCXN, None) => Err(Reason::Transport {
            name: format!("address family {}", address.family),
        }),
        // FTP active mode: libcurl wants a listening socket.
        _ => Err(Reason::Listen),
    };
    let asked = || super::Asked {
        target: target().into(),
        port: dest.map(|(_, p)| p),
        transport: Some(if address.socktype == libc::SOCK_DGRAM {
            "udp"
        } else {
            "tcp"
        }),
    };
    match super::enforce(&config, verdict, asked) {
        Outcome::Allow(_) => Ok(()),
        Outcome::Deny(reason) => Err((reason, target())),
        Outcome::Report(reason) => {
            php::log(&super::report_line(&target(), &reason));
            Ok(())
        }
    }
}

/// libcurl's open-socket callback: checks the address, then opens the socket
/// as libcurl would, or refuses with CURL_SOCKET_BAD.
unsafe extern "C" fn open_socket(
    clientp: *mut c_void,
    purpose: c_int,
    address: *mut CurlSockaddr,
) -> c_int {
    // SAFETY: libcurl passes a valid curl_sockaddr for the call.
    let Some(address) = (unsafe { address.as_ref() }) else {
        return CURL_SOCKET_BAD;
    };
    let verdict = std::panic::catch_unwind(|| decide(purpose, address)).unwrap_or_else(|_| {
        Err((
            Reason::Transport {
                name: "internal error".to_owned(),
            },
            String::new(),
        ))
    });
    match verdict {
        // SAFETY: plain socket(2) with the parameters libcurl asked for.
        Ok(()) => unsafe { libc::socket(address.family, address.socktype, address.protocol) },
        Err((reason, _)) => {
            DENIALS.with(|d| d.borrow_mut().insert(clientp as usize, reason.to_string()));
            CURL_SOCKET_BAD
        }
    }
}

/// Argument `n` (1-based) of a frame.
///
/// # Safety
/// `ex` must be a live frame.
unsafe fn arg<'a>(ex: *mut ExecuteData, n: usize) -> Option<&'a Zval> {
    // SAFETY: forwarded; the slot exists if the call passed that many args.
    unsafe {
        if (*ex).This.u2.num_args < n as u32 {
            return None;
        }
        (*ex).zend_call_arg(n - 1).map(|z| &*z)
    }
}

/// curl_init / curl_copy_handle: guard the handle they return.
pub unsafe extern "C" fn curl_init(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe {
        call_original(Hook::CurlInit, ex, rv);
        if let Some(rv) = rv.as_ref() {
            guard(rv);
        }
    }
}

/// curl_copy_handle
pub unsafe extern "C" fn curl_copy_handle(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe {
        call_original(Hook::CurlCopyHandle, ex, rv);
        if let Some(rv) = rv.as_ref() {
            guard(rv);
        }
    }
}

/// curl_reset clears every option: guard again afterwards.
pub unsafe extern "C" fn curl_reset(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe {
        call_original(Hook::CurlReset, ex, rv);
        if let Some(h) = arg(ex, 1) {
            guard(h);
        }
    }
}

/// curl_exec: guard (idempotent) before libcurl runs.
pub unsafe extern "C" fn curl_exec(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe {
        if let Some(h) = arg(ex, 1) {
            guard(h);
        }
        call_original(Hook::CurlExec, ex, rv);
    }
}

/// curl_multi_add_handle: guard the easy handle before the multi runs it.
pub unsafe extern "C" fn curl_multi_add_handle(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe {
        if let Some(h) = arg(ex, 2) {
            guard(h);
        }
        call_original(Hook::CurlMultiAddHandle, ex, rv);
    }
}

/// curl_error: a connect sockguard refused says why.
pub unsafe extern "C" fn curl_error(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe {
        call_original(Hook::CurlError, ex, rv);
        let Some(cp) = arg(ex, 1).and_then(easy_handle) else {
            return;
        };
        let Some(reason) = DENIALS.with(|d| d.borrow().get(&(cp as usize)).cloned()) else {
            return;
        };
        if let Some(rv) = rv.as_mut() {
            let text = match rv.str() {
                Some("") | None => return,
                Some(s) => format!("{s} (sockguard: {reason})"),
            };
            let _ = rv.set_string(&text, false);
        }
    }
}

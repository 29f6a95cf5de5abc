//! ext/ftp: ftp_connect and ftp_ssl_connect open their control connection
//! with php_network_connect_socket_to_host, outside the stream transports.
//! The host is checked and replaced by the checked address before ext/ftp
//! resolves it (ext/ftp sends no SNI, so nothing depends on the name).
//!
//! Not covered: the passive-mode data connection, which ext/ftp opens to the
//! address in the server's PASV reply.

use std::{ffi::c_char, ptr};

use ext_php_rs::{ffi::zend_long, types::Zval, zend::ExecuteData};

use super::{
    ffi::zend_parse_parameters,
    functions::{call_original, Hook},
    run, Action, Asked,
};
use crate::{
    config::Outcome,
    policy::{parse_host, Decision, Reason, Transport},
    runtime,
};

/// ftp_connect(string $hostname, int $port = 21, int $timeout = 90)
pub unsafe extern "C" fn ftp_connect(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { connect_like(Hook::FtpConnect, ex, rv) }
}

/// ftp_ssl_connect(string $hostname, int $port = 21, int $timeout = 90)
pub unsafe extern "C" fn ftp_ssl_connect(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { connect_like(Hook::FtpSslConnect, ex, rv) }
}

/// The port ext/ftp connects to: `(short)port`, 0 meaning 21.
fn ftp_port(port: zend_long) -> u16 {
    match port as i16 as u16 {
        0 => 21,
        p => p,
    }
}

unsafe fn connect_like(hook: Hook, ex: *mut ExecuteData, rv: *mut Zval) {
    if super::is_off() {
        // SAFETY: forwarded from the engine.
        return unsafe { call_original(hook, ex, rv) };
    }
    let (mut host, mut host_len): (*mut c_char, usize) = (ptr::null_mut(), 0);
    let (mut port, mut timeout): (zend_long, zend_long) = (0, 90);
    // SAFETY: "s|ll" takes char**, size_t*, zend_long*, zend_long*.
    let ok = unsafe {
        zend_parse_parameters(
            (*ex).This.u2.num_args,
            c"s|ll".as_ptr(),
            &mut host,
            &mut host_len,
            &mut port,
            &mut timeout,
        )
    } == 0;
    if !ok {
        return;
    }
    // SAFETY: forwarded from the engine.
    unsafe {
        run(hook, ex, rv, || {
            if timeout <= 0 {
                return Action::Original; // PHP's ValueError
            }
            // SAFETY: ZPP points into the live string argument.
            let bytes = std::slice::from_raw_parts(host.cast::<u8>(), host_len);
            // ext/ftp hands the C string to getaddrinfo: it ends at a NUL.
            let name = String::from_utf8_lossy(bytes.split(|b| *b == 0).next().unwrap_or_default())
                .into_owned();
            let port = ftp_port(port);
            let config = runtime::current();
            let verdict = match &config.policy {
                Err(reason) => Err(reason.clone()),
                Ok(policy) => match parse_host(&name) {
                    Err(e) => Err(Reason::target(&name, &e)),
                    Ok((host, _)) => {
                        match policy.decide(&host, port, Transport::Tcp, &*config.resolver) {
                            Decision::Allow { addrs } => Ok(addrs),
                            Decision::Deny(reason) => Err(reason),
                        }
                    }
                },
            };
            let asked = || Asked {
                target: name.as_str().into(),
                port: Some(port),
                transport: Some("tcp"),
            };
            match super::enforce(&config, verdict, asked) {
                Outcome::Allow(addrs) => {
                    if let (Some(first), Some(slot)) = (addrs.first(), (*ex).zend_call_arg(0)) {
                        let _ = slot.set_string(&first.to_string(), false);
                    }
                    Action::Original
                }
                Outcome::Deny(reason) => Action::Fail {
                    message: format!("Unable to connect to {name}:{port} (sockguard: {reason})"),
                },
                Outcome::Report(reason) => Action::Report {
                    line: super::report_line(&name, &reason),
                },
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_what_ext_ftp_connects_to() {
        assert_eq!(ftp_port(0), 21);
        assert_eq!(ftp_port(2121), 2121);
        assert_eq!(ftp_port(65_536 + 25), 25);
        assert_eq!(ftp_port(-1), 65_535);
    }
}

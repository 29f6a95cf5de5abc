//! ext/ftp: ftp_connect and ftp_ssl_connect open their control connection
//! with php_network_connect_socket_to_host, outside the stream transports.
//! The host is checked and replaced by the checked address before ext/ftp
//! resolves it (ext/ftp sends no SNI, so nothing depends on the name). The
//! passive-mode data connection, which ext/ftp opens to the address in the
//! server's PASV reply, is judged by the C-library floor.

use std::{ffi::c_char, ptr};

use ext_php_rs::{ffi::zend_long, types::Zval, zend::ExecuteData};

use super::{
    approvals,
    args::{c_string_part, num_args, parsed, zpp_bytes},
    ffi::zend_parse_parameters,
    originals::{call_original, Hook},
    verdict::{self, handler, report_line, Action, Asked},
};
use crate::{
    config::Outcome,
    policy::{format_host, parse_host, Caller, Kind, Operation, Reason, Transport},
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

/// Decides a control connection to `name`:`port`.
fn decide(name: &str, port: u16) -> Action {
    let config = runtime::current();
    let asked = || Asked {
        target: name.into(),
        port: Some(port),
        transport: Some("tcp"),
    };
    let (outcome, zone) = match parse_host(name) {
        Err(e) => (
            verdict::refuse(config, Reason::target(name, &e), asked),
            None,
        ),
        Ok((host, zone)) => {
            let op = Operation::Connect {
                host: &host,
                port,
                kind: Kind::Transport(Transport::Tcp),
            };
            (verdict::decide(config, &op, Caller::Client, asked), zone)
        }
    };
    match outcome {
        Outcome::Allow(addrs) => match addrs.first() {
            Some(first) => {
                approvals::approve(-1, std::net::SocketAddr::new(first, port));
                Action::Rewrite {
                    arg: 1,
                    value: format_host(first, zone.as_deref()),
                }
            }
            None => Action::Original,
        },
        Outcome::Mock(_) => Action::Original,
        Outcome::Deny(reason) => Action::Fail {
            message: format!("Unable to connect to {name}:{port} (sockguard: {reason})"),
        },
        Outcome::Report(reason) => Action::Report {
            line: report_line(name, &reason),
        },
    }
}

unsafe fn connect_like(hook: Hook, ex: *mut ExecuteData, rv: *mut Zval) {
    if runtime::is_off() {
        // SAFETY: forwarded from the engine.
        return unsafe { call_original(hook, ex, rv) };
    }
    let (mut host, mut host_len): (*mut c_char, usize) = (ptr::null_mut(), 0);
    let (mut port, mut timeout): (zend_long, zend_long) = (0, 90);
    // SAFETY: "s|ll" takes char**, size_t*, zend_long*, zend_long*.
    let ok = parsed(unsafe {
        zend_parse_parameters(
            num_args(ex),
            c"s|ll".as_ptr(),
            &mut host,
            &mut host_len,
            &mut port,
            &mut timeout,
        )
    });
    if !ok {
        return;
    }
    // SAFETY: forwarded from the engine.
    unsafe {
        handler(hook, ex, rv, || {
            if timeout <= 0 {
                return Ok(Action::Original); // PHP's ValueError
            }
            // SAFETY: ZPP points into the live string argument.
            let bytes = zpp_bytes(host, host_len);
            // ext/ftp hands the C string to getaddrinfo: it ends at a NUL.
            let name = String::from_utf8_lossy(c_string_part(bytes)).into_owned();
            Ok(decide(&name, ftp_port(port)))
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

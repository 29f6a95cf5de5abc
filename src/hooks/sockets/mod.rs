//! ext/sockets overrides. Each one parses its arguments with
//! `zend_parse_parameters` and the same spec as php-src (so type errors,
//! coercions and deprecations are PHP's own, and a coerced argument is
//! coerced in place), translates them into a policy operation, rewrites a
//! host name into the checked address, and hands the call to the original
//! handler. Argument values PHP itself rejects (a bad domain, a null port)
//! go to the original untouched so that its ValueError is byte-for-byte
//! PHP's. The `Socket` object itself is [`super::socket_object`].
//!
//! - [`create`]: socket_create, socket_create_pair, socket_create_listen;
//! - [`connect`]: socket_connect, socket_sendto, socket_addrinfo_*;
//! - [`bind`]: socket_bind, socket_listen, socket_accept;
//! - [`sendmsg`]: socket_sendmsg's destination and control messages;
//! - [`options`]: socket_get_option / socket_set_option;
//! - [`reclaim`]: idle reclaim of the other socket-using functions;
//! - [`types`]: the type of each Socket, known without a syscall.

pub mod bind;
pub mod connect;
pub mod create;
pub mod options;
pub mod reclaim;
pub mod sendmsg;
pub mod types;

use ext_php_rs::ffi::zend_class_entry;

pub use super::socket_object::{Socket, SOCKETS};
use crate::runtime;

/// The `Socket` class entry, for ZPP "O".
fn socket_ce() -> *mut zend_class_entry {
    SOCKETS.socket_ce()
}

/// Whether the hooks step aside: mode=off, or ext/sockets not found.
fn step_aside() -> bool {
    guarding().is_none()
}

/// The configuration the hooks apply, unless they step aside.
fn guarding() -> Option<&'static crate::config::Config> {
    let config = runtime::current();
    (config.mode != crate::config::Mode::Off && SOCKETS.loaded()).then_some(config)
}

/// Text for the audit log: `host:port`, `[v6]:port`, or just the host.
fn target_text(address: &[u8], port: Option<u16>) -> String {
    let host = String::from_utf8_lossy(address);
    match port {
        Some(p) if host.contains(':') => format!("[{host}]:{p}"),
        Some(p) => format!("{host}:{p}"),
        None => host.into_owned(),
    }
}

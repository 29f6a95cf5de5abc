//! Stream transports: every socket stream PHP makes is created by a
//! guarded factory ([`factory`]) and carries a guard copy of its ops
//! ([`ops`]) whose `set_option` decides at connect, bind, listen and
//! accept ([`xport`]); connected streams under idle reclaim have their own
//! copy ([`connected`]). Also here: which streams are the Sockets API's
//! (fsockopen, pfsockopen, stream_socket_client), the ownership of persistent
//! streams ([`persistent`]) and stream_socket_sendto ([`sendto`]).

pub mod connected;
pub mod factory;
pub mod ops;
pub mod persistent;
pub mod sendto;
pub mod xport;

use std::cell::RefCell;

use ext_php_rs::{
    ffi::{php_stream, ZEND_INTERNAL_FUNCTION},
    flags::DataType,
    types::Zval,
};

use crate::hooks::ffi::{php_file_le_pstream, php_file_le_stream};

/// Which of a set's guard copies a stream has.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A client stream, until it connects.
    Client,
    /// A server stream (stream_socket_server).
    Server,
}

/// The Sockets API's functions that open streams: a stream operation made
/// while one of them runs is the Sockets API's, which `sockguard.paid_app=0`
/// denies (URL wrappers stay allowed).
const SOCKETS_API: [&[u8]; 3] = [b"fsockopen", b"pfsockopen", b"stream_socket_client"];

/// Whether the PHP function running now is one of the Sockets API's. By its
/// name: a thread-safe PHP gives every thread its own copy of the function
/// table, and another extension may have wrapped the handler.
fn in_sockets_api() -> bool {
    // SAFETY: the executor globals exist from engine startup; outside a
    // call `current_execute_data` is null; `type_` is the first byte of
    // every zend_function, and an internal one has a name.
    let name = unsafe {
        let eg = crate::hooks::engine::executor_globals();
        let Some(func) = eg
            .as_ref()
            .and_then(|eg| eg.current_execute_data.as_ref())
            .and_then(|frame| frame.func.as_ref())
        else {
            return false;
        };
        if u32::from(func.type_) != ZEND_INTERNAL_FUNCTION {
            return false;
        }
        match func.common.function_name.as_ref() {
            Some(name) => name.as_bytes(),
            None => return false,
        }
    };
    SOCKETS_API.contains(&name)
}

thread_local! {
    /// The last stream denial, for callers that drop the error text
    /// (SoapClient reports only "Could not connect to host").
    static LAST_DENIAL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Remembers the reason of a stream denial for [`take_last_denial`].
fn record_denial(reason: String) {
    LAST_DENIAL.with(|d| *d.borrow_mut() = Some(reason));
}

/// Takes the reason of the last stream denial on this thread, if any.
pub fn take_last_denial() -> Option<String> {
    LAST_DENIAL.with(|d| d.borrow_mut().take())
}

/// Forgets per-request state (a bailout may have skipped a reset).
pub fn reset_request_state() {
    LAST_DENIAL.with(|d| d.borrow_mut().take());
}

/// The php_stream behind a resource zval, if it is a stream.
fn stream_of(zv: &Zval) -> Option<&php_stream> {
    // SAFETY: the type tag is checked before the resource is read; stream
    // resources hold a php_stream.
    unsafe {
        if zv.get_type() != DataType::Resource {
            return None;
        }
        let res = zv.value.res.as_ref()?;
        if res.type_ != php_file_le_stream() && res.type_ != php_file_le_pstream() {
            return None;
        }
        res.ptr.cast::<php_stream>().as_ref()
    }
}

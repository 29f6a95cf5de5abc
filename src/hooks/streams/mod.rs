//! Stream transports: every socket stream PHP makes is created by a
//! guarded factory ([`factory`]) and carries a guard copy of its ops
//! ([`ops`]) whose `set_option` decides at connect, bind, listen and
//! accept ([`xport`]); connected streams under idle reclaim have their own
//! copy ([`connected`]). Also here: the Sockets API entries of fsockopen,
//! pfsockopen and stream_socket_client, the ownership of persistent
//! streams ([`persistent`]) and stream_socket_sendto ([`sendto`]).

pub mod connected;
pub mod factory;
pub mod ops;
pub mod persistent;
pub mod sendto;
pub mod xport;

use std::cell::{Cell, RefCell};

use ext_php_rs::{ffi::php_stream, flags::DataType, types::Zval, zend::ExecuteData};

use crate::hooks::{
    ffi::{php_file_le_pstream, php_file_le_stream},
    originals::Hook,
    verdict::{handler, Action},
};

/// Which of a set's guard copies a stream has.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A client stream, until it connects.
    Client,
    /// A server stream (stream_socket_server).
    Server,
}

thread_local! {
    /// Set while fsockopen/pfsockopen/stream_socket_client run: the Sockets
    /// API, which `sockguard.paid_app=0` denies (URL wrappers stay allowed).
    static IN_SOCKETS_API: Cell<bool> = const { Cell::new(false) };
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
    IN_SOCKETS_API.with(|c| c.set(false));
    LAST_DENIAL.with(|d| d.borrow_mut().take());
}

/// fsockopen, pfsockopen and stream_socket_client: the original runs with
/// the Sockets API flag set, so the transport guard can apply
/// `sockguard.paid_app` and report the denial in the function's own words.
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
unsafe fn sockets_api_call(hook: Hook, ex: *mut ExecuteData, rv: *mut Zval) {
    // The original runs last inside `handler`, with nothing of ours alive
    // (a bailout leaves the flag set until the next request resets it,
    // which only makes shutdown functions stricter).
    // SAFETY: forwarded.
    unsafe {
        handler(hook, ex, rv, || {
            IN_SOCKETS_API.with(|c| c.set(true));
            Ok(Action::Original)
        });
    }
    IN_SOCKETS_API.with(|c| c.set(false));
}

/// fsockopen(string $hostname, int $port = -1, ...)
pub unsafe extern "C" fn fsockopen(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { sockets_api_call(Hook::Fsockopen, ex, rv) }
}

/// pfsockopen(string $hostname, int $port = -1, ...)
pub unsafe extern "C" fn pfsockopen(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { sockets_api_call(Hook::Pfsockopen, ex, rv) }
}

/// stream_socket_client(string $address, ...)
pub unsafe extern "C" fn stream_socket_client(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe { sockets_api_call(Hook::StreamSocketClient, ex, rv) }
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

//! Idle reclaim on the Zend side (bookkeeping in [`crate::registry`]):
//! ext/sockets functions that use a socket check it first; a socket idle
//! past `sockguard.idle_timeout` loses its connection and the call fails
//! with EPIPE and a warning that says why. socket_close stays silent.

use ext_php_rs::{types::Zval, zend::ExecuteData};

use super::{
    clock,
    functions::{call_original, Hook},
    php::{self, Socket},
    Action,
};
use crate::{
    config::Mode,
    policy::Reason,
    registry::{self, Use},
    runtime,
};

/// Replaces the connection behind `fd` with an unconnected socket: the
/// peer sees the connection close, and the descriptor number stays valid
/// for PHP, which closes it itself later.
pub fn drop_connection(fd: i32) {
    // SAFETY: plain socket/dup2/close on descriptors this process owns.
    unsafe {
        let dead = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if dead >= 0 {
            libc::dup2(dead, fd);
            libc::close(dead);
        }
    }
}

/// Starts the idle clock of a socket.
pub fn register_fd(fd: i32) {
    clock::check();
    registry::register(fd, clock::now_millis());
}

/// Records a use of the socket behind `fd`; `Err` with the reason when the
/// socket is (now) reclaimed. Report mode logs and lets the call through.
/// Inlined into every read and write: the common outcome costs one clock
/// read and one slot; the rest is out of line.
#[inline]
pub fn use_fd(fd: i32) -> Result<(), Reason> {
    match registry::touch(fd, clock::now_millis(), runtime::idle_timeout_ms()) {
        Use::Untracked | Use::Fresh => Ok(()),
        idle => idle_use(fd, idle),
    }
}

/// A use that found the socket idle past the timeout, or reclaimed earlier.
#[cold]
#[inline(never)]
fn idle_use(fd: i32, found: Use) -> Result<(), Reason> {
    match found {
        Use::Untracked | Use::Fresh => Ok(()),
        Use::Reclaim { idle_secs } if runtime::current().mode == Mode::Report => {
            php::log(&format!(
                "sockguard: would reclaim a socket in {}() after {idle_secs} s idle [reclaimed]",
                php::active_function()
            ));
            register_fd(fd);
            Ok(())
        }
        Use::Reclaim { idle_secs } => {
            drop_connection(fd);
            crate::stats::record_reclaim();
            Err(Reason::Reclaimed { idle_secs })
        }
        Use::Reclaimed { idle_secs } => Err(Reason::Reclaimed { idle_secs }),
    }
}

/// The check every socket-using ext/sockets call makes: `Some` failure
/// for a reclaimed socket.
pub fn use_socket(socket: Socket, msg: &'static str) -> Option<Action> {
    use_fd(socket.fd()).err().map(|reason| Action::SocketFail {
        socket: Some(socket),
        errno: libc::EPIPE,
        msg,
        reason: reason.to_string(),
    })
}

/// ext/sockets functions whose first argument is the Socket they use, and
/// the message their own failures start with.
pub fn native_message(hook: Hook) -> &'static str {
    match hook {
        Hook::SocketRead => "unable to read from socket",
        Hook::SocketWrite => "unable to write to socket",
        Hook::SocketSend => "Unable to write to socket",
        Hook::SocketRecv => "Unable to read from socket",
        Hook::SocketRecvfrom => "Unable to recvfrom",
        Hook::SocketRecvmsg => "Error in recvmsg",
        Hook::SocketGetpeername => "unable to retrieve peer name",
        Hook::SocketGetsockname => "unable to retrieve socket name",
        Hook::SocketSetBlock => "unable to set blocking mode",
        Hook::SocketSetNonblock => "unable to set nonblocking mode",
        Hook::SocketShutdown => "Unable to shutdown socket",
        _ => "unable to use socket",
    }
}

/// The Socket in argument 1 of a frame, if it is one and still open.
///
/// # Safety
/// `ex` must be a live frame.
unsafe fn first_socket(ex: *mut ExecuteData) -> Option<Socket> {
    // SAFETY: the slot exists when the call passed at least one argument.
    unsafe {
        if (*ex).This.u2.num_args < 1 {
            return None;
        }
        (*ex)
            .zend_call_arg(0)
            .and_then(|z| Socket::from_zval(z))
            .filter(|s| s.fd() >= 0)
    }
}

/// The handler of the socket-using functions that need nothing but the
/// idle check: it never parses arguments (the original does).
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
pub unsafe fn socket_use(hook: Hook, ex: *mut ExecuteData, rv: *mut Zval) {
    if super::is_off() {
        // SAFETY: forwarded.
        return unsafe { call_original(hook, ex, rv) };
    }
    // SAFETY: forwarded.
    let socket = unsafe { first_socket(ex) };
    // SAFETY: forwarded.
    unsafe {
        super::run(hook, ex, rv, || {
            socket
                .and_then(|s| use_socket(s, native_message(hook)))
                .unwrap_or(Action::Original)
        });
    }
}

/// socket_close: a reclaimed socket closes silently; forget it.
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
pub unsafe fn socket_close(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded.
    if let Some(socket) = unsafe { first_socket(ex) } {
        registry::forget(socket.fd());
    }
    // SAFETY: forwarded.
    unsafe { call_original(Hook::SocketClose, ex, rv) };
}

/// After a function that returns a new Socket (socket_create,
/// socket_addrinfo_connect, socket_import_stream): start its clock.
///
/// # Safety
/// `rv` must be the call's return slot.
pub unsafe fn register_returned(rv: *mut Zval) {
    // SAFETY: the return slot is live after the original ran.
    if let Some(socket) = unsafe { rv.as_ref() }
        .and_then(Socket::from_zval)
        .filter(|s| s.fd() >= 0)
    {
        register_fd(socket.fd());
    }
}

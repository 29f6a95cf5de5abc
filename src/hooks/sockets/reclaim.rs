//! Idle reclaim of ext/sockets sockets (the mechanism is
//! [`crate::hooks::idle`]): every socket-using function checks its socket
//! first; a reclaimed socket fails with EPIPE and a warning that says why.
//! socket_close stays silent and forgets it.

use ext_php_rs::{types::Zval, zend::ExecuteData};

use super::Socket;
use crate::hooks::{
    args::arg,
    entry::entry,
    idle,
    originals::{call_original, Hook},
    verdict::{handler, Action},
};
use crate::{registry, runtime};

/// The check every socket-using ext/sockets call makes: `Some` failure
/// for a reclaimed socket.
pub fn use_socket(socket: Socket, msg: &'static str) -> Option<Action> {
    idle::use_fd(socket.fd())
        .err()
        .map(|reason| Action::SocketFail {
            socket: Some(socket),
            errno: libc::EPIPE,
            msg,
            reason,
        })
}

/// Starts the idle clock of a new Socket.
pub fn register(socket: Socket) {
    if socket.fd() >= 0 {
        idle::register_fd(socket.fd());
    }
}

/// After a function that returns a new Socket (socket_create,
/// socket_addrinfo_connect, socket_import_stream): start its clock.
///
/// # Safety
/// `rv` must be the call's return slot.
pub unsafe fn register_returned(rv: *mut Zval) {
    entry(
        "register a returned socket",
        |_| Ok(()),
        || {
            // SAFETY: the return slot is live after the original ran.
            if let Some(socket) = unsafe { rv.as_ref() }.and_then(Socket::from_zval) {
                register(socket);
            }
            Ok(())
        },
    );
}

/// The message an ext/sockets function's own failures start with.
fn native_message(hook: Hook) -> &'static str {
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
        Hook::SocketAtmark => "Unable to apply sockmark",
        _ => "unable to use socket",
    }
}

/// The Socket in argument 1 of a frame, if it is one and still open.
///
/// # Safety
/// `ex` must be a live frame.
unsafe fn first_socket(ex: *mut ExecuteData) -> Option<Socket> {
    // SAFETY: forwarded.
    unsafe { arg(ex, 1) }
        .and_then(|z| Socket::from_zval(z))
        .filter(|s| s.fd() >= 0)
}

/// The handler of the socket-using functions that need nothing but the
/// idle check: it never parses arguments (the original does).
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
unsafe fn socket_use(hook: Hook, ex: *mut ExecuteData, rv: *mut Zval) {
    if runtime::is_off() {
        // SAFETY: forwarded.
        return unsafe { call_original(hook, ex, rv) };
    }
    // SAFETY: forwarded.
    unsafe {
        handler(hook, ex, rv, || {
            // SAFETY: forwarded.
            Ok(first_socket(ex)
                .and_then(|s| use_socket(s, native_message(hook)))
                .unwrap_or(Action::Original))
        });
    }
}

/// Handlers of the socket-using functions that only need the idle check.
macro_rules! socket_use_handlers {
    ($($name:ident => $hook:ident),* $(,)?) => {$(
        #[doc = concat!("The handler of ", stringify!($name), ": the idle check, then PHP's own.")]
        pub unsafe extern "C" fn $name(ex: *mut ExecuteData, rv: *mut Zval) {
            // SAFETY: forwarded from the engine.
            unsafe { socket_use(Hook::$hook, ex, rv) }
        }
    )*};
}

socket_use_handlers! {
    socket_read => SocketRead,
    socket_write => SocketWrite,
    socket_send => SocketSend,
    socket_recv => SocketRecv,
    socket_recvfrom => SocketRecvfrom,
    socket_recvmsg => SocketRecvmsg,
    socket_getpeername => SocketGetpeername,
    socket_getsockname => SocketGetsockname,
    socket_set_block => SocketSetBlock,
    socket_set_nonblock => SocketSetNonblock,
    socket_shutdown => SocketShutdown,
    socket_atmark => SocketAtmark,
}

/// socket_close: a reclaimed socket closes silently; forget it.
pub unsafe extern "C" fn socket_close(ex: *mut ExecuteData, rv: *mut Zval) {
    // Forgetting is one atomic store: nothing here can panic.
    // SAFETY: forwarded from the engine.
    if let Some(socket) = unsafe { first_socket(ex) } {
        registry::forget(socket.fd());
    }
    // SAFETY: forwarded from the engine.
    unsafe { call_original(Hook::SocketClose, ex, rv) };
}

/// socket_import_stream: the new Socket's clock starts.
pub unsafe extern "C" fn socket_import_stream(ex: *mut ExecuteData, rv: *mut Zval) {
    // SAFETY: forwarded from the engine.
    unsafe {
        call_original(Hook::SocketImportStream, ex, rv);
        if !runtime::is_off() {
            register_returned(rv);
        }
    }
}

//! The type (SOCK_STREAM, SOCK_DGRAM, ...) of each Socket that
//! socket_create made, so that socket_connect, socket_sendto and
//! socket_sendmsg need not ask the kernel: getsockopt(SO_TYPE) is one more
//! syscall per connect, and it alone measured about 3% of a loopback
//! connect+close.
//!
//! An entry is keyed by the object's handle and names the descriptor it
//! was recorded for. It cannot describe another socket:
//! - every new Socket object clears its handle's entry (the class's
//!   `create_object` is wrapped), so a handle that a later Socket reuses
//!   starts empty, whichever function made that Socket;
//! - only socket_create records, once its socket is in place;
//! - a Socket with a stream attached (exported or imported) is never
//!   answered from here: closing the stream closes the descriptor behind the
//!   object's back, and the number may then be reused.
//!
//! Everything without an entry asks the kernel, as before.

use std::{
    cell::RefCell,
    ptr,
    sync::atomic::{AtomicUsize, Ordering},
};

use ext_php_rs::ffi::{zend_class_entry, zend_object};

use super::{Socket, SOCKETS};
use crate::hooks::entry::entry;

/// Handles beyond this are not cached (they ask the kernel).
const MAX_HANDLES: usize = 1 << 16;

#[derive(Clone, Copy)]
struct Entry {
    fd: i32,
    sotype: i32,
}

const EMPTY: Entry = Entry { fd: -1, sotype: 0 };

thread_local! {
    // Objects, handles and requests belong to one thread.
    static TYPES: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// Records the type socket_create gave `socket`.
pub fn record(socket: Socket, sotype: i32) {
    let (Ok(handle), fd) = (usize::try_from(socket.handle()), socket.fd()) else {
        return;
    };
    if handle >= MAX_HANDLES || fd < 0 {
        return;
    }
    TYPES.with(|t| {
        if let Ok(mut t) = t.try_borrow_mut() {
            if t.len() <= handle {
                t.resize(handle + 1, EMPTY);
            }
            t[handle] = Entry { fd, sotype };
        }
    });
}

/// The recorded type of `socket`, if it is known for its descriptor.
pub fn known(socket: Socket) -> Option<i32> {
    if socket.has_stream() || DISABLED.load(Ordering::Relaxed) {
        return None;
    }
    let handle = usize::try_from(socket.handle()).ok()?;
    let entry = TYPES.with(|t| t.try_borrow().ok()?.get(handle).copied())?;
    (entry.fd == socket.fd() && entry.fd >= 0).then_some(entry.sotype)
}

fn clear(handle: u32) {
    let Ok(handle) = usize::try_from(handle) else {
        return;
    };
    TYPES.with(|t| {
        if let Some(entry) = t
            .try_borrow_mut()
            .ok()
            .as_mut()
            .and_then(|t| t.get_mut(handle))
        {
            *entry = EMPTY;
        }
    });
}

/// Set when an entry could not be cleared: nothing is answered from here.
static DISABLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// ext/sockets' own `create_object` for Socket, wrapped by [`install`].
static ORIGINAL: AtomicUsize = AtomicUsize::new(0);

type CreateObject = unsafe extern "C" fn(*mut zend_class_entry) -> *mut zend_object;

/// Socket's `create_object`: the original, then its handle's entry cleared.
unsafe extern "C" fn create_socket_object(ce: *mut zend_class_entry) -> *mut zend_object {
    let original = ORIGINAL.load(Ordering::Relaxed);
    if original == 0 {
        return ptr::null_mut();
    }
    // SAFETY: only a live `CreateObject` read from the class entry is stored.
    let original = unsafe { std::mem::transmute::<usize, CreateObject>(original) };
    // SAFETY: the engine passes Socket's class entry, as it would to the original.
    let object = unsafe { original(ce) };
    // SAFETY: the original returns a new, initialised object.
    if let Some(handle) = unsafe { object.as_ref() }.map(|o| o.handle) {
        // An entry that could not be cleared might describe this object:
        // stop answering from the table altogether (the kernel is asked).
        entry(
            "Socket::create_object",
            |_| {
                DISABLED.store(true, Ordering::Relaxed);
                Ok(())
            },
            || {
                clear(handle);
                Ok(())
            },
        );
    }
    object
}

/// Wraps Socket's `create_object` (MINIT, after ext/sockets is found).
pub fn install() {
    let ce = SOCKETS.socket_ce();
    // SAFETY: a registered class entry lives as long as its module; MINIT
    // runs before any request, so nothing creates objects meanwhile.
    let Some(ce) = (unsafe { ce.as_mut() }) else {
        return;
    };
    // SAFETY: for a class (not an interface) the union holds create_object.
    let slot = unsafe { &mut ce.__bindgen_anon_2.create_object };
    if let Some(original) = *slot {
        if original as usize != create_socket_object as *const () as usize {
            ORIGINAL.store(original as usize, Ordering::Relaxed);
            *slot = Some(create_socket_object);
        }
    }
}

/// Puts ext/sockets' `create_object` back (MSHUTDOWN).
pub fn uninstall() {
    let ce = SOCKETS.socket_ce();
    // SAFETY: as in `install`; MSHUTDOWN runs after the last request.
    let Some(ce) = (unsafe { ce.as_mut() }) else {
        return;
    };
    let original = ORIGINAL.swap(0, Ordering::Relaxed);
    if original != 0 {
        // SAFETY: the value was read from this union field (create_object,
        // Socket being a class) by `install`.
        unsafe {
            ce.__bindgen_anon_2.create_object =
                Some(std::mem::transmute::<usize, CreateObject>(original));
        }
    }
}

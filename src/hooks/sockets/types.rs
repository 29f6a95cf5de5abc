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
    cell::Cell,
    ptr,
    sync::atomic::{AtomicUsize, Ordering},
};

use ext_php_rs::ffi::{zend_class_entry, zend_object};

use super::{Socket, SOCKETS};
use crate::hooks::entry::entry;

/// Handles beyond this are not cached (they ask the kernel). A script's
/// live objects rarely number more; a handle is reused once its object is
/// freed.
const MAX_HANDLES: usize = 1 << 12;

/// An entry: the descriptor (below 2^24) and the type (its low 8 bits:
/// SOCK_STREAM ... SOCK_PACKET), packed; 0 is empty.
#[derive(Clone, Copy)]
struct Entry(u32);

impl Entry {
    const EMPTY: Entry = Entry(0);

    fn new(fd: i32, sotype: i32) -> Option<Entry> {
        let fd = u32::try_from(fd).ok().filter(|fd| *fd < 1 << 24)?;
        let sotype = u32::try_from(sotype)
            .ok()
            .filter(|t| (1..=0xff).contains(t))?;
        Some(Entry(fd << 8 | sotype))
    }

    /// The type, if the entry is for `fd`.
    fn sotype_for(self, fd: i32) -> Option<i32> {
        let recorded = Entry::new(fd, 1)?.0 >> 8;
        (self.0 != 0 && self.0 >> 8 == recorded).then_some((self.0 & 0xff) as i32)
    }
}

thread_local! {
    // Objects, handles and requests belong to one thread. A fixed table of
    // plain cells: reading it is one thread-local lookup and a load.
    static TYPES: [Cell<Entry>; MAX_HANDLES] = const { [const { Cell::new(Entry::EMPTY) }; MAX_HANDLES] };
}

/// Records the type socket_create gave `socket`.
pub fn record(socket: Socket, sotype: i32) {
    // The type as the kernel reports it (SO_TYPE): without PHP 8.4's flags.
    let sotype = sotype & !crate::policy::SOCKET_TYPE_FLAGS;
    let (Ok(handle), Some(entry)) = (
        usize::try_from(socket.handle()),
        Entry::new(socket.fd(), sotype),
    ) else {
        return;
    };
    if handle < MAX_HANDLES {
        TYPES.with(|t| t[handle].set(entry));
    }
}

/// The recorded type of `socket`, if it is known for its descriptor.
pub fn known(socket: Socket) -> Option<i32> {
    if socket.has_stream() || DISABLED.load(Ordering::Relaxed) {
        return None;
    }
    let handle = usize::try_from(socket.handle()).ok()?;
    TYPES
        .with(|t| t.get(handle).map(Cell::get))?
        .sotype_for(socket.fd())
}

fn clear(handle: u32) {
    if let Ok(handle) = usize::try_from(handle) {
        TYPES.with(|t| {
            if let Some(entry) = t.get(handle) {
                entry.set(Entry::EMPTY);
            }
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_answers_only_for_its_descriptor() {
        let e = Entry::new(7, libc::SOCK_DGRAM).expect("an entry");
        assert_eq!(e.sotype_for(7), Some(libc::SOCK_DGRAM));
        assert_eq!(e.sotype_for(8), None);
        assert_eq!(e.sotype_for(7 + (1 << 8)), None);
        assert_eq!(Entry::EMPTY.sotype_for(0), None);
        // What cannot be packed is not recorded (the kernel is asked).
        assert!(Entry::new(-1, libc::SOCK_STREAM).is_none());
        assert!(Entry::new(1 << 24, libc::SOCK_STREAM).is_none());
        assert!(Entry::new(3, 0).is_none());
        assert!(Entry::new(3, 0x100).is_none());
    }
}

//! The type (SOCK_STREAM, SOCK_DGRAM, ...) of each Socket that
//! socket_create made, so that socket_connect, socket_sendto and
//! socket_sendmsg need not ask the kernel: getsockopt(SO_TYPE) is one more
//! syscall per connect, and it alone measured about 3% of a loopback
//! connect+close.
//!
//! The type is kept in the Socket object itself, in the spare word of its
//! `zstream` zval ([`Socket::recorded`]), packed with the descriptor it was
//! recorded for. It cannot describe another socket:
//! - every Socket object starts with the word zeroed (ext/sockets makes
//!   them with `zend_object_alloc`, which clears what precedes the
//!   zend_object), whichever function made it;
//! - only socket_create records, once its socket is in place;
//! - a Socket with a stream attached (exported or imported) is never
//!   answered from here: closing the stream closes the descriptor behind the
//!   object's back, and the number may then be reused.
//!
//! Everything without an entry asks the kernel, as before.

use super::Socket;

/// An entry: the descriptor (below 2^24) and the type (its low 8 bits:
/// SOCK_STREAM ... SOCK_PACKET), packed; 0 is empty.
#[derive(Clone, Copy)]
struct Entry(u32);

impl Entry {
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

/// Records the type socket_create gave `socket`.
pub fn record(socket: Socket, sotype: i32) {
    // The type as the kernel reports it (SO_TYPE): without PHP 8.4's flags.
    let sotype = sotype & !crate::policy::SOCKET_TYPE_FLAGS;
    if let Some(entry) = Entry::new(socket.fd(), sotype) {
        socket.record(entry.0);
    }
}

/// The recorded type of `socket`, if it is known for its descriptor.
pub fn known(socket: Socket) -> Option<i32> {
    if socket.has_stream() {
        return None;
    }
    Entry(socket.recorded()).sotype_for(socket.fd())
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
        assert_eq!(Entry(0).sotype_for(0), None);
        // What cannot be packed is not recorded (the kernel is asked).
        assert!(Entry::new(-1, libc::SOCK_STREAM).is_none());
        assert!(Entry::new(1 << 24, libc::SOCK_STREAM).is_none());
        assert!(Entry::new(3, 0).is_none());
        assert!(Entry::new(3, 0x100).is_none());
    }
}

//! Destinations the layers above have just decided (a leaf: the hooks
//! write here, the C-library floor reads). When sockguard's own
//! hooks allowed a connect or a datagram (a stream, an ext/sockets call,
//! ext/ftp, libcurl's open-socket callback), the connect the engine or the
//! library then makes reaches the floor too; it finds the destination here
//! and passes it without deciding twice. Per thread, a few entries, each
//! used once; a destination not found is simply decided again (with the
//! same answer), so an entry pushed out early costs time, not safety.

use std::{
    cell::Cell,
    net::{IpAddr, SocketAddr},
};

use crate::policy::canonical;

/// How many approvals a thread keeps (a name's checked addresses, or the
/// sockets of one Happy Eyeballs race).
const SLOTS: usize = 8;

#[derive(Clone, Copy)]
struct Approval {
    /// The descriptor it is for, or -1 for whichever connects first.
    fd: i32,
    addr: IpAddr,
    port: u16,
}

/// One thread's approvals, in one thread-local (one lookup per use).
struct Table {
    slots: [Cell<Option<Approval>>; SLOTS],
    /// The slot the next approval takes (the oldest is pushed out).
    next: Cell<usize>,
    /// How many slots are taken, so that a thread with none (a library
    /// that connects on its own) looks at nothing.
    taken: Cell<usize>,
}

thread_local! {
    static TABLE: Table = const {
        Table {
            slots: [const { Cell::new(None) }; SLOTS],
            next: Cell::new(0),
            taken: Cell::new(0),
        }
    };
}

/// Approves a connect (or datagram) to `addr`, by the descriptor `fd` if
/// it is known (-1 otherwise).
pub fn approve(fd: i32, addr: SocketAddr) {
    let entry = Approval {
        fd,
        addr: canonical(addr.ip()),
        port: addr.port(),
    };
    TABLE.with(|t| {
        let i = t.next.get();
        t.next.set((i + 1) % SLOTS);
        if t.slots[i].replace(Some(entry)).is_none() {
            t.taken.set(t.taken.get() + 1);
        }
    });
}

/// Takes the approval of a connect by `fd` to `addr`, if the layers above
/// gave one.
#[inline]
pub fn take(fd: i32, addr: SocketAddr) -> bool {
    TABLE.with(|t| {
        if t.taken.get() == 0 {
            return false;
        }
        let (ip, port) = (canonical(addr.ip()), addr.port());
        let found = t.slots.iter().find(|slot| {
            slot.get()
                .is_some_and(|e| e.port == port && e.addr == ip && (e.fd == fd || e.fd < 0))
        });
        if let Some(slot) = found {
            slot.set(None);
            t.taken.set(t.taken.get().saturating_sub(1));
        }
        found.is_some()
    })
}

/// Forgets every approval (a request begins or ends).
pub fn clear() {
    TABLE.with(|t| {
        t.slots.iter().for_each(|slot| slot.set(None));
        t.taken.set(0);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().expect("socket address")
    }

    #[test]
    fn an_approval_is_used_once_for_its_destination() {
        clear();
        approve(-1, sa("93.184.216.34:443"));
        assert!(!take(5, sa("93.184.216.34:80")));
        assert!(!take(5, sa("93.184.216.35:443")));
        assert!(take(5, sa("93.184.216.34:443")));
        assert!(!take(5, sa("93.184.216.34:443")));
    }

    #[test]
    fn a_descriptor_bound_approval_is_for_that_descriptor_only() {
        clear();
        approve(7, sa("93.184.216.34:443"));
        assert!(!take(8, sa("93.184.216.34:443")));
        assert!(take(7, sa("93.184.216.34:443")));
    }

    #[test]
    fn mapped_addresses_are_the_same_destination() {
        clear();
        approve(-1, sa("93.184.216.34:443"));
        assert!(take(3, sa("[::ffff:93.184.216.34]:443")));
    }

    #[test]
    fn old_approvals_make_room_and_clear_forgets_all() {
        clear();
        for i in 0..SLOTS + 2 {
            approve(-1, SocketAddr::new(IpAddr::from([10, 0, 0, i as u8]), 80));
        }
        assert!(!take(1, sa("10.0.0.0:80")));
        assert!(take(1, sa("10.0.0.9:80")));
        clear();
        assert!(!take(1, sa("10.0.0.8:80")));
    }
}

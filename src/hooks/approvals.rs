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

/// How many approvals a thread keeps (a name's checked addresses, or the
/// sockets of one Happy Eyeballs race).
const SLOTS: usize = 8;

/// One approval, compared in a few instructions: every connect of a guarded
/// PHP call looks here first.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Approval {
    /// The address as IPv6 bits, an IPv4 address IPv4-mapped (so that a
    /// socket of either family matches the same destination).
    addr: u128,
    port: u16,
    /// The descriptor it is for, -1 for whichever connects first, or
    /// [`FREE`].
    fd: i32,
}

/// The `fd` of a free slot.
const FREE: i32 = i32::MIN;

const NONE: Approval = Approval {
    addr: 0,
    port: 0,
    fd: FREE,
};

/// The key of a destination: its 16 bytes as they are (no byte swaps,
/// only compared).
#[inline]
fn key(addr: IpAddr) -> u128 {
    u128::from_ne_bytes(match addr {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    })
}

/// One thread's approvals, in one thread-local (one lookup per use).
struct Table {
    slots: [Cell<Approval>; SLOTS],
    /// The slot the next approval takes (the oldest is pushed out).
    next: Cell<usize>,
    /// How many slots are taken, so that a thread with none (a library
    /// that connects on its own) looks at nothing.
    taken: Cell<usize>,
}

thread_local! {
    static TABLE: Table = const {
        Table {
            slots: [const { Cell::new(NONE) }; SLOTS],
            next: Cell::new(0),
            taken: Cell::new(0),
        }
    };
}

/// Approves a connect (or datagram) to `addr`, by the descriptor `fd` if
/// known (else -1: the next socket of this thread to connect there).
pub fn approve(fd: i32, addr: SocketAddr) {
    let entry = Approval {
        addr: key(addr.ip()),
        port: addr.port(),
        fd: fd.max(-1),
    };
    TABLE.with(|t| {
        let i = t.next.get() % SLOTS;
        t.next.set((i + 1) % SLOTS);
        if t.slots[i].replace(entry).fd == FREE {
            t.taken.set(t.taken.get() + 1);
        }
    });
}

/// Takes the approval for a connect of `fd` to `addr`, if the layers above
/// gave one. The newest first, inline: the connect usually follows its
/// approval at once.
#[inline]
pub fn take(fd: i32, addr: SocketAddr) -> bool {
    TABLE.with(|t| {
        if t.taken.get() == 0 {
            return false;
        }
        let (want, port) = (key(addr.ip()), addr.port());
        let newest = (t.next.get() + SLOTS - 1) % SLOTS;
        if t.take_slot(newest, want, port, fd) {
            return true;
        }
        t.take_older(want, port, fd)
    })
}

impl Table {
    /// Takes slot `i` if it approves `fd`'s connect to (`want`, `port`).
    #[inline]
    fn take_slot(&self, i: usize, want: u128, port: u16, fd: i32) -> bool {
        let Some(slot) = self.slots.get(i) else {
            return false;
        };
        let e = slot.get();
        let found = e.addr == want && e.port == port && e.fd != FREE && (e.fd == fd || e.fd == -1);
        if found {
            slot.set(NONE);
            self.taken.set(self.taken.get().saturating_sub(1));
        }
        found
    }

    /// [`take`] past the newest slot, newer first.
    #[inline(never)]
    fn take_older(&self, want: u128, port: u16, fd: i32) -> bool {
        let next = self.next.get();
        (2..=SLOTS).any(|back| self.take_slot((next + SLOTS - back) % SLOTS, want, port, fd))
    }
}

/// Forgets every approval (a request begins or ends).
pub fn clear() {
    TABLE.with(|t| {
        t.slots.iter().for_each(|slot| slot.set(NONE));
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

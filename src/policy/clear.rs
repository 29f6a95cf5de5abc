//! The IPv4 /16s that no blocked prefix touches: special-purpose blocks
//! and Google's ranges together, one bit per /16. Most connects go to such
//! a /16 (a public address outside Google), and for them the two indexes
//! need not be searched: one load and a mask tell that neither blocks.
//! A /16 with any blocked address in it is simply not clear, and its
//! addresses take the indexes, as before; the map only ever shortens the
//! way to an allow the indexes would also give.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

/// One bit per /16: set when no blocked prefix overlaps it.
#[derive(Debug, Clone)]
pub(crate) struct ClearV4 {
    bits: Box<[u64; 1024]>,
}

impl ClearV4 {
    /// The map for these blocked prefixes.
    pub(crate) fn build(blocked: impl IntoIterator<Item = Ipv4Net>) -> ClearV4 {
        let mut bits = Box::new([u64::MAX; 1024]);
        for net in blocked {
            let first = u32::from(net.network()) >> 16;
            let last = u32::from(net.broadcast()) >> 16;
            for slash16 in first..=last {
                let (word, bit) = ((slash16 / 64) as usize, slash16 % 64);
                if let Some(w) = bits.get_mut(word) {
                    *w &= !(1u64 << bit);
                }
            }
        }
        ClearV4 { bits }
    }

    /// Whether no blocked prefix contains any address of `addr`'s /16.
    #[inline]
    pub(crate) fn is_clear(&self, addr: Ipv4Addr) -> bool {
        let slash16 = u32::from(addr) >> 16;
        self.bits[(slash16 / 64) as usize] & (1u64 << (slash16 % 64)) != 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn a_slash16_is_clear_only_when_nothing_blocked_touches_it() {
        let map = ClearV4::build([net("10.0.0.0/8"), net("93.184.216.0/24"), net("8.8.8.8/32")]);
        let clear = |a: &str| map.is_clear(a.parse().unwrap());
        assert!(!clear("10.255.255.255"));
        assert!(clear("11.0.0.0"));
        assert!(clear("9.255.255.255"));
        // A /24 or a /32 inside a /16 takes the whole /16 off the map.
        assert!(!clear("93.184.0.1"));
        assert!(clear("93.185.0.1"));
        assert!(clear("93.183.255.255"));
        assert!(!clear("8.8.4.4"));
        assert!(clear("8.9.0.0"));
        let everything = ClearV4::build([net("0.0.0.0/0")]);
        assert!(!everything.is_clear(Ipv4Addr::BROADCAST));
        assert!(!everything.is_clear(Ipv4Addr::UNSPECIFIED));
    }
}

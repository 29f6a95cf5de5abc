//! Sorted interval index over CIDR blocks (and port ranges), shared by the
//! special-purpose tables, the Google ranges and the operator rules.
//!
//! A set of possibly nested or overlapping blocks is flattened once, at build
//! time, into sorted disjoint spans. Each span carries the list of blocks that
//! contain it, most specific (longest prefix) first, ties by insertion order.
//! A lookup is one binary search over the span starts: O(log n) in the number
//! of blocks, with no allocation.
//!
//! Keys are `u128` for both families (an IPv4 address is its `u32` value);
//! a table holds one family only. This module does not know what the blocks
//! mean: callers map the returned ids back to their own rows.

/// One block to index: inclusive key range plus its prefix length, which
/// orders blocks from most to least specific in a lookup's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Block {
    /// First key in the block.
    pub start: u128,
    /// Last key in the block (inclusive).
    pub end: u128,
    /// Prefix length; a larger value is more specific.
    pub len: u8,
}

/// Flattened, sorted, disjoint spans; see the module docs.
#[derive(Debug, Clone, Default)]
pub(crate) struct NetIndex {
    /// Start key of each span, strictly increasing.
    starts: Vec<u128>,
    /// Inclusive end key of each span.
    ends: Vec<u128>,
    /// Range of `ids` holding each span's blocks.
    chains: Vec<(u32, u32)>,
    /// Block ids (index into the slice given to `build`), most specific first.
    ids: Vec<u32>,
    /// For a larger index, where the spans of each of 256 equal slices of
    /// the keys begin (`dir[b]..dir[b + 1]`), so that a lookup searches one
    /// slice: a few spans, or none, where the whole index has hundreds.
    /// Empty for a small index (a rule's ports), which is searched whole.
    dir: Vec<u32>,
    /// The slice of a key is `key >> shift`.
    shift: u32,
    /// The last key of any span.
    max: u128,
}

/// Indexes with more spans than this get a directory.
const DIRECTORY_FROM: usize = 16;

impl NetIndex {
    /// Flattens `blocks` into spans. Blocks with `start > end` are ignored.
    pub(crate) fn build(blocks: &[Block]) -> NetIndex {
        // Sweep line: an "open" event at `start` and a "close" event at
        // `end + 1` (none when `end` is the last key of the key space).
        let mut events: Vec<(u128, bool, u32)> = Vec::with_capacity(blocks.len() * 2);
        for (id, b) in blocks.iter().enumerate() {
            if b.start > b.end {
                continue;
            }
            let Ok(id) = u32::try_from(id) else { break };
            events.push((b.start, true, id));
            if let Some(after) = b.end.checked_add(1) {
                events.push((after, false, id));
            }
        }
        events.sort_unstable();

        let mut index = NetIndex::default();
        let mut active: Vec<u32> = Vec::new();
        let mut i = 0;
        while i < events.len() {
            let pos = events[i].0;
            while i < events.len() && events[i].0 == pos {
                let (_, open, id) = events[i];
                if open {
                    active.push(id);
                } else {
                    active.retain(|&a| a != id);
                }
                i += 1;
            }
            if active.is_empty() {
                continue;
            }
            let end = match events.get(i) {
                Some(&(next, _, _)) => next - 1,
                None => u128::MAX,
            };
            active.sort_unstable_by(|&a, &b| {
                let (la, lb) = (blocks[a as usize].len, blocks[b as usize].len);
                lb.cmp(&la).then(a.cmp(&b))
            });
            index.push_span(pos, end, &active);
        }
        index.build_directory();
        index
    }

    fn build_directory(&mut self) {
        let Some(&max) = self.ends.last() else {
            return;
        };
        if self.starts.len() <= DIRECTORY_FROM {
            return;
        }
        // The top 8 bits of the keys in use: 32-bit keys for IPv4, 128 for IPv6.
        let bits = 128 - max.leading_zeros();
        self.shift = bits.saturating_sub(8);
        self.max = max;
        let shift = self.shift;
        self.dir = (0..=256u128)
            .map(|slice| {
                let first = self.starts.partition_point(|&s| (s >> shift) < slice);
                u32::try_from(first).unwrap_or(u32::MAX)
            })
            .collect();
    }

    /// Appends a span, merging it into the previous one when they touch and
    /// carry the same blocks.
    fn push_span(&mut self, start: u128, end: u128, chain: &[u32]) {
        if let (Some(last_end), Some(&(from, to))) = (self.ends.last_mut(), self.chains.last()) {
            let same = self.ids.get(from as usize..to as usize) == Some(chain);
            if same && last_end.checked_add(1) == Some(start) {
                *last_end = end;
                return;
            }
        }
        let from = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.extend_from_slice(chain);
        let to = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.starts.push(start);
        self.ends.push(end);
        self.chains.push((from, to));
    }

    /// The ids of the blocks containing `key`, most specific first; empty
    /// when no block contains it.
    #[inline]
    pub(crate) fn lookup(&self, key: u128) -> &[u32] {
        let (lo, hi) = if self.dir.is_empty() {
            (0, self.starts.len())
        } else if key > self.max {
            return &[];
        } else {
            // `key >> shift` is below 256: `key <= max < 2^(shift + 8)`.
            let slice = usize::try_from(key >> self.shift).unwrap_or(usize::MAX);
            match (self.dir.get(slice), self.dir.get(slice + 1)) {
                (Some(&lo), Some(&hi)) => (lo as usize, hi as usize),
                _ => return &[],
            }
        };
        // Every span before `lo` starts before the slice, every one from
        // `hi` on after the key: the span is the last of `..lo + i`.
        let starts = self.starts.get(lo..hi).unwrap_or(&[]);
        let i = lo + starts.partition_point(|&s| s <= key);
        let Some(span) = i.checked_sub(1) else {
            return &[];
        };
        match (self.ends.get(span), self.chains.get(span)) {
            (Some(&end), Some(&(from, to))) if key <= end => {
                self.ids.get(from as usize..to as usize).unwrap_or(&[])
            }
            _ => &[],
        }
    }

    /// The most specific block containing `key`.
    #[inline]
    pub(crate) fn first(&self, key: u128) -> Option<u32> {
        self.lookup(key).first().copied()
    }

    /// Number of disjoint spans (for tests and sizing).
    #[cfg(test)]
    pub(crate) fn spans(&self) -> usize {
        self.starts.len()
    }
}

/// The inclusive key range of a CIDR block.
pub(crate) fn net_block(net: &ipnet::IpNet) -> Block {
    match net {
        ipnet::IpNet::V4(n) => Block {
            start: u128::from(u32::from(n.network())),
            end: u128::from(u32::from(n.broadcast())),
            len: n.prefix_len(),
        },
        ipnet::IpNet::V6(n) => Block {
            start: u128::from(n.network()),
            end: u128::from(n.broadcast()),
            len: n.prefix_len(),
        },
    }
}

/// The key of an IPv4 address.
#[inline]
pub(crate) fn key4(a: std::net::Ipv4Addr) -> u128 {
    u128::from(u32::from(a))
}

/// The key of an IPv6 address.
#[inline]
pub(crate) fn key6(a: std::net::Ipv6Addr) -> u128 {
    u128::from(a)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn b(start: u128, end: u128, len: u8) -> Block {
        Block { start, end, len }
    }

    #[test]
    fn empty_index_finds_nothing() {
        let idx = NetIndex::build(&[]);
        assert!(idx.lookup(0).is_empty());
        assert!(idx.lookup(u128::MAX).is_empty());
    }

    #[test]
    fn nested_blocks_most_specific_first() {
        // 0..=255 (/24), 0..=7 (/29), 8..=8 (/32)
        let blocks = [b(0, 255, 24), b(0, 7, 29), b(8, 8, 32)];
        let idx = NetIndex::build(&blocks);
        let table: &[(u128, &[u32])] = &[
            (0, &[1, 0]),
            (7, &[1, 0]),
            (8, &[2, 0]),
            (9, &[0]),
            (255, &[0]),
            (256, &[]),
        ];
        for &(key, want) in table {
            assert_eq!(idx.lookup(key), want, "key {key}");
        }
    }

    #[test]
    fn adjacent_spans_with_same_blocks_merge() {
        let blocks = [b(0, 9, 1), b(10, 19, 1)];
        let idx = NetIndex::build(&blocks);
        assert_eq!(idx.spans(), 2);
        let idx = NetIndex::build(&[b(0, 9, 1), b(5, 9, 1), b(0, 9, 1)]);
        assert_eq!(idx.lookup(3), &[0, 2]);
        assert_eq!(idx.lookup(6), &[0, 1, 2]);
    }

    #[test]
    fn end_of_key_space() {
        let idx = NetIndex::build(&[b(u128::MAX - 1, u128::MAX, 127), b(0, u128::MAX, 0)]);
        assert_eq!(idx.lookup(u128::MAX), &[0, 1]);
        assert_eq!(idx.lookup(u128::MAX - 2), &[1]);
        assert_eq!(idx.lookup(0), &[1]);
    }

    #[test]
    fn reversed_block_is_ignored() {
        let idx = NetIndex::build(&[b(10, 5, 1)]);
        assert!(idx.lookup(7).is_empty());
    }

    proptest! {
        #[test]
        fn agrees_with_linear_scan(
            raw in proptest::collection::vec((0u32..4096, 0u32..64, 0u8..32), 0..200),
            probes in proptest::collection::vec(0u32..4200, 1..80),
        ) {
            let blocks: Vec<Block> = raw
                .iter()
                .map(|&(s, w, len)| b(u128::from(s), u128::from(s + w), len))
                .collect();
            let idx = NetIndex::build(&blocks);
            for p in probes {
                let p = u128::from(p);
                let mut want: Vec<u32> = (0u32..)
                    .zip(&blocks)
                    .filter(|(_, bl)| bl.start <= p && p <= bl.end)
                    .map(|(i, _)| i)
                    .collect();
                want.sort_by(|&x, &y| {
                    blocks[y as usize].len.cmp(&blocks[x as usize].len).then(x.cmp(&y))
                });
                prop_assert_eq!(idx.lookup(p), want.as_slice());
            }
        }
        /// Wide keys (IPv4's and IPv6's), with a directory, probed at every
        /// block's edges and just outside them.
        #[test]
        fn agrees_with_linear_scan_on_wide_keys(
            raw in proptest::collection::vec((any::<u128>(), 0u32..20, 0u8..128), 17..120),
            v4 in any::<bool>(),
        ) {
            let blocks: Vec<Block> = raw
                .iter()
                .map(|&(s, width, len)| {
                    let s = if v4 { s & u128::from(u32::MAX) } else { s };
                    b(s, s.saturating_add(1u128 << width).min(if v4 { u128::from(u32::MAX) } else { u128::MAX }), len)
                })
                .collect();
            let idx = NetIndex::build(&blocks);
            let probes = blocks.iter().flat_map(|bl| {
                [bl.start.wrapping_sub(1), bl.start, bl.end, bl.end.wrapping_add(1)]
            });
            for p in probes {
                let mut want: Vec<u32> = (0u32..)
                    .zip(&blocks)
                    .filter(|(_, bl)| bl.start <= p && p <= bl.end)
                    .map(|(i, _)| i)
                    .collect();
                want.sort_by(|&x, &y| {
                    blocks[y as usize].len.cmp(&blocks[x as usize].len).then(x.cmp(&y))
                });
                prop_assert_eq!(idx.lookup(p), want.as_slice());
            }
        }
    }
}

//! Google's published IP ranges (goog.json format).
//!
//! Parses `{"syncToken", "creationTime", "prefixes": [{"ipv4Prefix": ..} |
//! {"ipv6Prefix": ..}]}` (extra fields, as in cloud.json, are ignored) into
//! per-family sorted disjoint spans, so that a lookup is a binary search
//! returning the most specific published prefix containing the address.
//!
//! The 2024-04-25 publication is embedded in the crate; an operator may
//! supply another file (`sockguard.ranges_file`). This module neither reads
//! files nor decides anything; the caller passes the file's contents.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::Deserialize;

use super::index::{key4, key6, net_block, NetIndex};
use super::target::escape_truncated;

/// The goog.json snapshot shipped in the crate.
pub const EMBEDDED_GOOG_JSON: &str = include_str!("../../data/goog.json");

/// Why a ranges file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RangesError {
    /// Not JSON, or not the goog.json shape.
    #[error("not a goog.json file: {0}")]
    Json(String),
    /// An entry without exactly one of ipv4Prefix and ipv6Prefix.
    #[error("prefix entry {index} must have exactly one of ipv4Prefix and ipv6Prefix")]
    Entry {
        /// Position of the entry in `prefixes`.
        index: usize,
    },
    /// A prefix that does not parse as a CIDR block of the right family.
    #[error("prefix entry {index}: invalid {field} \"{value}\"")]
    Prefix {
        /// Position of the entry in `prefixes`.
        index: usize,
        /// "ipv4Prefix" or "ipv6Prefix".
        field: &'static str,
        /// The value as written (escaped, truncated).
        value: String,
    },
}

#[derive(Deserialize)]
struct File {
    #[serde(rename = "syncToken")]
    sync_token: Option<String>,
    #[serde(rename = "creationTime")]
    creation_time: Option<String>,
    prefixes: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "ipv4Prefix")]
    ipv4: Option<String>,
    #[serde(rename = "ipv6Prefix")]
    ipv6: Option<String>,
}

/// A parsed ranges file.
#[derive(Debug, Clone)]
pub struct GoogleRanges {
    creation_time: String,
    sync_token: String,
    /// Published prefixes, in file order (host bits cleared).
    prefixes: Vec<IpNet>,
    /// Ids into `v4_ids`/`v6_ids`.
    v4: NetIndex,
    v6: NetIndex,
    /// Index in `prefixes` of each v4 / v6 block given to the indexes.
    v4_ids: Vec<usize>,
    v6_ids: Vec<usize>,
}

impl GoogleRanges {
    /// Parses a goog.json document.
    ///
    /// # Errors
    /// [`RangesError`] for invalid JSON, a missing `prefixes` array, an entry
    /// without exactly one prefix, or a prefix that does not parse. Host bits
    /// set in a prefix are cleared, not rejected.
    pub fn parse(json: &str) -> Result<GoogleRanges, RangesError> {
        let file: File =
            serde_json::from_str(json).map_err(|e| RangesError::Json(e.to_string()))?;
        let mut prefixes = Vec::with_capacity(file.prefixes.len());
        for (index, entry) in file.prefixes.iter().enumerate() {
            let bad = |field: &'static str, value: &str| RangesError::Prefix {
                index,
                field,
                value: escape_truncated(value, 64),
            };
            let net = match (&entry.ipv4, &entry.ipv6) {
                (Some(v), None) => v
                    .trim()
                    .parse::<Ipv4Net>()
                    .map(|n| IpNet::V4(n.trunc()))
                    .map_err(|_| bad("ipv4Prefix", v))?,
                (None, Some(v)) => v
                    .trim()
                    .parse::<Ipv6Net>()
                    .map(|n| IpNet::V6(n.trunc()))
                    .map_err(|_| bad("ipv6Prefix", v))?,
                _ => return Err(RangesError::Entry { index }),
            };
            prefixes.push(net);
        }
        Ok(Self::from_prefixes(
            prefixes,
            file.creation_time.unwrap_or_default(),
            file.sync_token.unwrap_or_default(),
        ))
    }

    fn from_prefixes(prefixes: Vec<IpNet>, creation_time: String, sync_token: String) -> Self {
        let (mut v4_blocks, mut v6_blocks) = (Vec::new(), Vec::new());
        let (mut v4_ids, mut v6_ids) = (Vec::new(), Vec::new());
        for (i, net) in prefixes.iter().enumerate() {
            match net {
                IpNet::V4(_) => {
                    v4_blocks.push(net_block(net));
                    v4_ids.push(i);
                }
                IpNet::V6(_) => {
                    v6_blocks.push(net_block(net));
                    v6_ids.push(i);
                }
            }
        }
        GoogleRanges {
            creation_time,
            sync_token,
            prefixes,
            v4: NetIndex::build(&v4_blocks),
            v6: NetIndex::build(&v6_blocks),
            v4_ids,
            v6_ids,
        }
    }

    /// The embedded 2024-04-25 snapshot, parsed once and shared.
    ///
    /// # Errors
    /// Only if the shipped file were broken (a test guards against that).
    pub fn embedded() -> Result<Arc<GoogleRanges>, RangesError> {
        static EMBEDDED: OnceLock<Result<Arc<GoogleRanges>, RangesError>> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| GoogleRanges::parse(EMBEDDED_GOOG_JSON).map(Arc::new))
            .clone()
    }

    /// The most specific published prefix containing `addr`.
    #[must_use]
    #[inline]
    pub fn lookup(&self, addr: IpAddr) -> Option<IpNet> {
        let i = match addr {
            IpAddr::V4(a) => self.v4_ids.get(self.v4.first(key4(a))? as usize)?,
            IpAddr::V6(a) => self.v6_ids.get(self.v6.first(key6(a))? as usize)?,
        };
        self.prefixes.get(*i).copied()
    }

    /// `creationTime` of the file ("" when absent).
    #[must_use]
    pub fn creation_time(&self) -> &str {
        &self.creation_time
    }

    /// `syncToken` of the file ("" when absent).
    #[must_use]
    pub fn sync_token(&self) -> &str {
        &self.sync_token
    }

    /// Number of IPv4 and IPv6 prefixes.
    #[must_use]
    pub fn counts(&self) -> (usize, usize) {
        (self.v4_ids.len(), self.v6_ids.len())
    }

    /// The published prefixes, in file order.
    #[must_use]
    pub fn prefixes(&self) -> &[IpNet] {
        &self.prefixes
    }
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
    use crate::policy::testing::a;

    #[test]
    fn embedded_snapshot() {
        let g = GoogleRanges::embedded().unwrap();
        assert_eq!(g.counts(), (73, 11));
        assert_eq!(g.creation_time(), "2024-04-25T07:05:03.68994");
        assert_eq!(g.sync_token(), "1714053903689");
        assert_eq!(g.prefixes().len(), 84);
    }

    #[test]
    fn lookups() {
        let g = GoogleRanges::embedded().unwrap();
        let table: &[(&str, Option<&str>)] = &[
            ("8.8.8.8", Some("8.8.8.0/24")),
            ("8.8.4.4", Some("8.8.4.0/24")),
            ("8.8.7.255", None),
            ("142.250.1.108", Some("142.250.0.0/15")),
            ("142.249.255.255", None),
            ("142.252.0.0", None),
            ("1.1.1.1", None),
            ("10.0.0.1", None),
            ("2001:4860:4860::8888", Some("2001:4860::/32")),
            ("2001:4861::", None),
            ("2606:4700::1111", None),
        ];
        for &(addr, want) in table {
            let got = g.lookup(a(addr)).map(|n| n.to_string());
            assert_eq!(got.as_deref(), want, "{addr}");
        }
    }

    #[test]
    fn every_prefix_found_at_both_ends() {
        let g = GoogleRanges::embedded().unwrap();
        for p in g.prefixes() {
            for addr in [p.network(), p.broadcast()] {
                let got = g.lookup(addr).unwrap();
                assert!(
                    got.contains(&addr) && p.contains(&got),
                    "{addr} in {p}: {got}"
                );
            }
        }
    }

    #[test]
    fn nested_prefix_reports_most_specific() {
        let g = GoogleRanges::parse(
            r#"{"prefixes":[{"ipv4Prefix":"10.0.0.0/8"},{"ipv4Prefix":"10.1.0.0/16"},
               {"ipv6Prefix":"2001:db8::/32"}]}"#,
        )
        .unwrap();
        assert_eq!(g.lookup(a("10.1.2.3")).unwrap().to_string(), "10.1.0.0/16");
        assert_eq!(g.lookup(a("10.2.0.0")).unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(
            g.lookup(a("2001:db8::1")).unwrap().to_string(),
            "2001:db8::/32"
        );
        assert_eq!(g.counts(), (2, 1));
        assert_eq!(g.creation_time(), "");
    }

    #[test]
    fn cloud_json_shape_parses() {
        let g = GoogleRanges::parse(
            r#"{"syncToken":"1","creationTime":"t","prefixes":[
                {"ipv4Prefix":"34.1.208.0/20","service":"Google Cloud","scope":"africa-south1"}]}"#,
        )
        .unwrap();
        assert_eq!(g.counts(), (1, 0));
    }

    #[test]
    fn host_bits_are_cleared() {
        let g = GoogleRanges::parse(r#"{"prefixes":[{"ipv4Prefix":"10.1.2.3/8"}]}"#).unwrap();
        assert_eq!(g.prefixes()[0].to_string(), "10.0.0.0/8");
    }

    #[test]
    fn bad_files() {
        let table: &[(&str, &str)] = &[
            ("", "not a goog.json file"),
            ("{", "not a goog.json file"),
            ("[]", "not a goog.json file"),
            (r#"{"creationTime":"x"}"#, "not a goog.json file"),
            (r#"{"prefixes":{}}"#, "not a goog.json file"),
            (
                r#"{"prefixes":[{}]}"#,
                "prefix entry 0 must have exactly one",
            ),
            (
                r#"{"prefixes":[{"ipv4Prefix":"1.0.0.0/8","ipv6Prefix":"::/0"}]}"#,
                "prefix entry 0 must have exactly one",
            ),
            (
                r#"{"prefixes":[{"ipv4Prefix":"1.0.0.0/8"},{"ipv4Prefix":"2001:db8::/32"}]}"#,
                "prefix entry 1: invalid ipv4Prefix \"2001:db8::/32\"",
            ),
            (
                r#"{"prefixes":[{"ipv6Prefix":"10.0.0.0/8"}]}"#,
                "prefix entry 0: invalid ipv6Prefix \"10.0.0.0/8\"",
            ),
            (
                r#"{"prefixes":[{"ipv4Prefix":"1.2.3.4/33"}]}"#,
                "prefix entry 0: invalid ipv4Prefix",
            ),
            (
                r#"{"prefixes":[{"ipv4Prefix":"1.2.3.4"}]}"#,
                "prefix entry 0: invalid ipv4Prefix",
            ),
            (r#"{"prefixes":[{"ipv4Prefix":5}]}"#, "not a goog.json file"),
        ];
        for &(json, want) in table {
            let err = GoogleRanges::parse(json).unwrap_err().to_string();
            assert!(err.starts_with(want), "{json}: {err}");
        }
    }

    #[test]
    fn empty_prefix_list_is_allowed() {
        let g = GoogleRanges::parse(r#"{"prefixes":[]}"#).unwrap();
        assert_eq!(g.counts(), (0, 0));
        assert_eq!(g.lookup(a("8.8.8.8")), None);
    }
}

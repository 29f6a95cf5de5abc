//! The socket-option rules of App Engine's remote socket service: eight
//! options answer with fixed values and ignore writes, SO_ERROR reads pass
//! through, and every other option is refused unless the operator lists it in
//! `sockguard.passthrough_options`. Pure data and lookups; the Zend side is
//! `hooks::sockets::options`. [`super::Policy::decide`] applies it to
//! [`super::Operation::Option`].

use std::fmt;

/// A socket option as PHP's socket_get_option/socket_set_option name it:
/// (level, option), both as PHP passes them (zend_long).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SockOpt {
    /// SOL_SOCKET, IPPROTO_TCP, ...
    pub level: i64,
    /// SO_KEEPALIVE, TCP_NODELAY, ...
    pub option: i64,
}

const fn opt(level: i32, option: i32) -> SockOpt {
    SockOpt {
        level: level as i64,
        option: option as i64,
    }
}

const SOL_SOCKET: i32 = libc::SOL_SOCKET;
const IP: i32 = libc::IPPROTO_IP;
const TCP: i32 = libc::IPPROTO_TCP;
const V6: i32 = libc::IPPROTO_IPV6;

/// Names of the options PHP exposes as constants (Linux values), for messages
/// and for `sockguard.passthrough_options`.
pub const NAMES: &[(&str, SockOpt)] = &[
    ("SO_DEBUG", opt(SOL_SOCKET, libc::SO_DEBUG)),
    ("SO_REUSEADDR", opt(SOL_SOCKET, libc::SO_REUSEADDR)),
    ("SO_TYPE", opt(SOL_SOCKET, libc::SO_TYPE)),
    ("SO_ERROR", opt(SOL_SOCKET, libc::SO_ERROR)),
    ("SO_DONTROUTE", opt(SOL_SOCKET, libc::SO_DONTROUTE)),
    ("SO_BROADCAST", opt(SOL_SOCKET, libc::SO_BROADCAST)),
    ("SO_SNDBUF", opt(SOL_SOCKET, libc::SO_SNDBUF)),
    ("SO_RCVBUF", opt(SOL_SOCKET, libc::SO_RCVBUF)),
    ("SO_KEEPALIVE", opt(SOL_SOCKET, libc::SO_KEEPALIVE)),
    ("SO_OOBINLINE", opt(SOL_SOCKET, libc::SO_OOBINLINE)),
    ("SO_LINGER", opt(SOL_SOCKET, libc::SO_LINGER)),
    ("SO_REUSEPORT", opt(SOL_SOCKET, libc::SO_REUSEPORT)),
    ("SO_PASSCRED", opt(SOL_SOCKET, libc::SO_PASSCRED)),
    ("SO_PEERCRED", opt(SOL_SOCKET, libc::SO_PEERCRED)),
    ("SO_RCVLOWAT", opt(SOL_SOCKET, libc::SO_RCVLOWAT)),
    ("SO_SNDLOWAT", opt(SOL_SOCKET, libc::SO_SNDLOWAT)),
    ("SO_RCVTIMEO", opt(SOL_SOCKET, libc::SO_RCVTIMEO)),
    ("SO_SNDTIMEO", opt(SOL_SOCKET, libc::SO_SNDTIMEO)),
    ("SO_BINDTODEVICE", opt(SOL_SOCKET, libc::SO_BINDTODEVICE)),
    ("SO_PRIORITY", opt(SOL_SOCKET, libc::SO_PRIORITY)),
    ("SO_MARK", opt(SOL_SOCKET, libc::SO_MARK)),
    ("SO_ATTACH_FILTER", opt(SOL_SOCKET, libc::SO_ATTACH_FILTER)),
    ("SO_DETACH_FILTER", opt(SOL_SOCKET, libc::SO_DETACH_FILTER)),
    ("SO_INCOMING_CPU", opt(SOL_SOCKET, libc::SO_INCOMING_CPU)),
    ("SO_ZEROCOPY", opt(SOL_SOCKET, libc::SO_ZEROCOPY)),
    ("TCP_NODELAY", opt(TCP, libc::TCP_NODELAY)),
    ("TCP_MAXSEG", opt(TCP, libc::TCP_MAXSEG)),
    ("TCP_CORK", opt(TCP, libc::TCP_CORK)),
    ("TCP_KEEPIDLE", opt(TCP, libc::TCP_KEEPIDLE)),
    ("TCP_KEEPINTVL", opt(TCP, libc::TCP_KEEPINTVL)),
    ("TCP_KEEPCNT", opt(TCP, libc::TCP_KEEPCNT)),
    ("TCP_SYNCNT", opt(TCP, libc::TCP_SYNCNT)),
    ("TCP_DEFER_ACCEPT", opt(TCP, libc::TCP_DEFER_ACCEPT)),
    ("TCP_QUICKACK", opt(TCP, libc::TCP_QUICKACK)),
    ("TCP_CONGESTION", opt(TCP, libc::TCP_CONGESTION)),
    ("TCP_USER_TIMEOUT", opt(TCP, libc::TCP_USER_TIMEOUT)),
    ("TCP_NOTSENT_LOWAT", opt(TCP, libc::TCP_NOTSENT_LOWAT)),
    ("TCP_FASTOPEN", opt(TCP, libc::TCP_FASTOPEN)),
    ("IP_TOS", opt(IP, libc::IP_TOS)),
    ("IP_TTL", opt(IP, libc::IP_TTL)),
    ("IP_MULTICAST_IF", opt(IP, libc::IP_MULTICAST_IF)),
    ("IP_MULTICAST_TTL", opt(IP, libc::IP_MULTICAST_TTL)),
    ("IP_MULTICAST_LOOP", opt(IP, libc::IP_MULTICAST_LOOP)),
    ("MCAST_JOIN_GROUP", opt(IP, libc::MCAST_JOIN_GROUP)),
    ("MCAST_LEAVE_GROUP", opt(IP, libc::MCAST_LEAVE_GROUP)),
    ("MCAST_BLOCK_SOURCE", opt(IP, libc::MCAST_BLOCK_SOURCE)),
    ("MCAST_UNBLOCK_SOURCE", opt(IP, libc::MCAST_UNBLOCK_SOURCE)),
    (
        "MCAST_JOIN_SOURCE_GROUP",
        opt(IP, libc::MCAST_JOIN_SOURCE_GROUP),
    ),
    (
        "MCAST_LEAVE_SOURCE_GROUP",
        opt(IP, libc::MCAST_LEAVE_SOURCE_GROUP),
    ),
    ("IPV6_V6ONLY", opt(V6, libc::IPV6_V6ONLY)),
    ("IPV6_UNICAST_HOPS", opt(V6, libc::IPV6_UNICAST_HOPS)),
    ("IPV6_MULTICAST_IF", opt(V6, libc::IPV6_MULTICAST_IF)),
    ("IPV6_MULTICAST_HOPS", opt(V6, libc::IPV6_MULTICAST_HOPS)),
    ("IPV6_MULTICAST_LOOP", opt(V6, libc::IPV6_MULTICAST_LOOP)),
    ("IPV6_TCLASS", opt(V6, libc::IPV6_TCLASS)),
    ("IPV6_RECVPKTINFO", opt(V6, libc::IPV6_RECVPKTINFO)),
    ("IPV6_PKTINFO", opt(V6, libc::IPV6_PKTINFO)),
    ("IPV6_RECVHOPLIMIT", opt(V6, libc::IPV6_RECVHOPLIMIT)),
    ("IPV6_HOPLIMIT", opt(V6, libc::IPV6_HOPLIMIT)),
    ("IPV6_RECVTCLASS", opt(V6, libc::IPV6_RECVTCLASS)),
];

/// The fixed answer App Engine gave for a mocked option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MockValue {
    /// An integer option.
    Int(i64),
    /// SO_LINGER, which PHP returns as `['l_onoff' => .., 'l_linger' => ..]`.
    Linger {
        /// `l_onoff`
        onoff: i64,
        /// `l_linger`
        linger: i64,
    },
}

/// App Engine's `_MOCK_SOCKET_OPTIONS` (remote_socket stub) read as native
/// ints on x86. Keyed by (level, option): SO_KEEPALIVE at SOL_TCP is not here.
pub const MOCKS: [(SockOpt, MockValue); 8] = [
    (opt(SOL_SOCKET, libc::SO_KEEPALIVE), MockValue::Int(0)),
    (opt(SOL_SOCKET, libc::SO_DEBUG), MockValue::Int(128)),
    (opt(TCP, libc::TCP_NODELAY), MockValue::Int(0)),
    (
        opt(SOL_SOCKET, libc::SO_LINGER),
        MockValue::Linger {
            onoff: 0,
            linger: 0,
        },
    ),
    (opt(SOL_SOCKET, libc::SO_OOBINLINE), MockValue::Int(0)),
    (opt(SOL_SOCKET, libc::SO_SNDBUF), MockValue::Int(2_097_152)),
    (opt(SOL_SOCKET, libc::SO_RCVBUF), MockValue::Int(2_097_152)),
    (opt(SOL_SOCKET, libc::SO_REUSEADDR), MockValue::Int(1)),
];

/// Options whose reads always reach the OS (errors must be real).
const READ_THROUGH: [SockOpt; 1] = [opt(SOL_SOCKET, libc::SO_ERROR)];

/// Whether an option call reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// socket_get_option
    Get,
    /// socket_set_option
    Set,
}

/// What to do with one socket_get_option / socket_set_option call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// Answer with the mock (get) or report success and do nothing (set).
    Mock(MockValue),
    /// Hand the call to PHP and the OS.
    Os,
    /// Fail the call: the option is not supported.
    Refuse,
}

/// Looks an option up by its PHP constant name (case-insensitive), or by
/// number: `N` is option N at SOL_SOCKET and `L:N` option N at level L.
///
/// The numeric forms matter because php-fpm parses pool files after the
/// extensions started, so an unquoted `SO_RCVBUF` there arrives as "8".
pub fn by_name(name: &str) -> Option<SockOpt> {
    if let Some((level, option)) = name.split_once(':') {
        return Some(SockOpt {
            level: level.trim().parse().ok()?,
            option: option.trim().parse().ok()?,
        });
    }
    if let Ok(option) = name.parse() {
        return Some(SockOpt {
            level: i64::from(SOL_SOCKET),
            option,
        });
    }
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, o)| *o)
}

/// Decides how one option call is handled; `passthrough` is the operator's list.
pub fn classify(opt: SockOpt, access: Access, passthrough: &[SockOpt]) -> Handling {
    if passthrough.contains(&opt) || (access == Access::Get && READ_THROUGH.contains(&opt)) {
        return Handling::Os;
    }
    MOCKS
        .iter()
        .find(|(o, _)| *o == opt)
        .map_or(Handling::Refuse, |(_, v)| Handling::Mock(*v))
}

impl fmt::Display for SockOpt {
    /// The PHP constant name, or the raw numbers when PHP has no name for it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match NAMES.iter().find(|(_, o)| o == self) {
            Some((name, _)) => f.write_str(name),
            None => write!(f, "{} at level {}", self.option, self.level),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eight_mocks_answer_with_app_engine_values() {
        let table = [
            ("SO_KEEPALIVE", MockValue::Int(0)),
            ("SO_DEBUG", MockValue::Int(128)),
            ("TCP_NODELAY", MockValue::Int(0)),
            (
                "SO_LINGER",
                MockValue::Linger {
                    onoff: 0,
                    linger: 0,
                },
            ),
            ("SO_OOBINLINE", MockValue::Int(0)),
            ("SO_SNDBUF", MockValue::Int(2_097_152)),
            ("SO_RCVBUF", MockValue::Int(2_097_152)),
            ("SO_REUSEADDR", MockValue::Int(1)),
        ];
        for (name, want) in table {
            let o = by_name(name).expect(name);
            assert_eq!(
                classify(o, Access::Get, &[]),
                Handling::Mock(want),
                "{name}"
            );
            assert_eq!(
                classify(o, Access::Set, &[]),
                Handling::Mock(want),
                "{name}"
            );
        }
    }

    #[test]
    fn the_key_is_level_and_option() {
        // SO_KEEPALIVE (9) asked at SOL_TCP is not the mocked option.
        let o = SockOpt {
            level: 6,
            option: 9,
        };
        assert_eq!(classify(o, Access::Get, &[]), Handling::Refuse);
    }

    #[test]
    fn so_error_reads_reach_the_os_but_writes_are_refused() {
        let o = by_name("SO_ERROR").expect("SO_ERROR");
        assert_eq!(classify(o, Access::Get, &[]), Handling::Os);
        assert_eq!(classify(o, Access::Set, &[]), Handling::Refuse);
    }

    #[test]
    fn other_options_are_refused_unless_passed_through() {
        let o = by_name("so_broadcast").expect("SO_BROADCAST");
        assert_eq!(classify(o, Access::Set, &[]), Handling::Refuse);
        assert_eq!(classify(o, Access::Set, &[o]), Handling::Os);
        let rcvbuf = by_name("SO_RCVBUF").expect("SO_RCVBUF");
        assert_eq!(classify(rcvbuf, Access::Get, &[rcvbuf]), Handling::Os);
    }

    #[test]
    fn options_can_be_named_by_number() {
        assert_eq!(by_name("8"), by_name("SO_RCVBUF"));
        assert_eq!(by_name("6:1"), by_name("TCP_NODELAY"));
        assert_eq!(by_name("x:1"), None);
        assert_eq!(by_name("SO_NOPE"), None);
    }

    #[test]
    fn names_print_as_php_constants_or_numbers() {
        assert_eq!(
            by_name("SO_BROADCAST").expect("name").to_string(),
            "SO_BROADCAST"
        );
        assert_eq!(
            SockOpt {
                level: 1,
                option: 999
            }
            .to_string(),
            "999 at level 1"
        );
    }
}

//! What a hook asks the policy: one [`Operation`] on a socket, made through
//! one layer of PHP (the [`Caller`]), and what the policy answers (a
//! [`Decision`]). Hooks translate their arguments into these types and act
//! on the answer; every rule lives in [`super::Policy::decide`].
//!
//! Also here: the mapping from what a hook knows about a socket (a
//! `socket(2)` triple, a stream transport's name) to a policy
//! [`Transport`], because which sockets exist at all is a rule too.

use std::net::IpAddr;

use super::options::{Access, MockValue, SockOpt};
use super::{Host, Reason, Transport};

/// The flags Linux (and PHP 8.4's socket_create) accept or'ed into a
/// socket type; they change nothing about what the socket can reach.
pub const SOCKET_TYPE_FLAGS: i32 = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;

/// The layer an operation came through. Some rules depend on it:
/// `sockguard.paid_app=0` denies only the Sockets API, and the C-library
/// floor leaves a server's own sockets alone outside requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The Sockets API: `socket_*`, `fsockopen`, `pfsockopen`,
    /// `stream_socket_client`.
    SocketsApi,
    /// PHP's own clients: the URL wrappers (http://, ftp://), mysqlnd,
    /// SoapClient, ext/curl, ext/ftp, `stream_socket_sendto`,
    /// `stream_socket_server`.
    Client,
    /// A library's own call into the C library, seen by the floor.
    Library {
        /// Whether the calling thread is serving a PHP request. Outside a
        /// request the process is a server (php-fpm's master and its
        /// workers between requests, Apache, `php -S`) tending its own
        /// listening sockets.
        serving: bool,
    },
}

/// What kind of socket an operation is on, as far as the hook knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind<'a> {
    /// A policy transport already.
    Transport(Transport),
    /// A `socket(2)` triple: family, type (flags such as `SOCK_NONBLOCK`
    /// allowed), protocol.
    Socket {
        /// `AF_INET`, `AF_INET6`, `AF_UNIX`, ...
        family: i32,
        /// `SOCK_STREAM`, `SOCK_DGRAM`, ..., possibly with
        /// [`SOCKET_TYPE_FLAGS`].
        sotype: i32,
        /// 0, `IPPROTO_TCP`, `IPPROTO_UDP`, ...
        protocol: i32,
    },
    /// A PHP stream transport by the name it is registered under ("tcp",
    /// "ssl", "tlsv1.2", "udp", "unix", "udg", or another extension's).
    Stream(&'a str),
}

impl Kind<'_> {
    /// The policy transport of this socket, or `None` when it is none of
    /// TCP, UDP, unix or udg ([`Kind::refusal`] then names it). Asked on
    /// every decision: no allocation, nothing large to return.
    #[must_use]
    #[inline]
    pub fn transport(&self) -> Option<Transport> {
        match *self {
            Kind::Transport(t) => Some(t),
            Kind::Socket {
                family,
                sotype,
                protocol,
            } => socket_transport(family, sotype, protocol),
            Kind::Stream(name) => stream_transport(name),
        }
    }

    /// The [`Reason::Transport`] for a socket that is no policy transport:
    /// raw, packet, SCTP, ICMP, netlink and every other kind.
    #[must_use]
    pub fn refusal(&self) -> Reason {
        let name = match *self {
            Kind::Transport(t) => t.name().to_owned(),
            Kind::Socket {
                family,
                sotype,
                protocol,
            } => socket_kind_name(family, sotype & !SOCKET_TYPE_FLAGS, protocol),
            Kind::Stream(name) => name.to_ascii_lowercase(),
        };
        Reason::Transport { name }
    }
}

/// The transport of a `socket(2)` triple.
#[inline]
fn socket_transport(family: i32, sotype: i32, protocol: i32) -> Option<Transport> {
    let sotype = sotype & !SOCKET_TYPE_FLAGS;
    match (family, sotype, protocol) {
        (libc::AF_INET | libc::AF_INET6, libc::SOCK_STREAM, 0 | libc::IPPROTO_TCP) => {
            Some(Transport::Tcp)
        }
        (libc::AF_INET | libc::AF_INET6, libc::SOCK_DGRAM, 0 | libc::IPPROTO_UDP) => {
            Some(Transport::Udp)
        }
        (libc::AF_INET | libc::AF_INET6, libc::SOCK_RAW, _) => Some(Transport::Raw),
        (libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_SEQPACKET, _) => Some(Transport::Unix),
        (libc::AF_UNIX, libc::SOCK_DGRAM, _) => Some(Transport::Udg),
        _ => None,
    }
}

/// What a socket that is no transport is, for its reason.
fn socket_kind_name(family: i32, sotype: i32, protocol: i32) -> String {
    match family {
        libc::AF_INET | libc::AF_INET6 => match (sotype, protocol) {
            (libc::SOCK_RAW, _) => "raw".to_owned(),
            (libc::SOCK_DGRAM, libc::IPPROTO_ICMP | libc::IPPROTO_ICMPV6) => "icmp".to_owned(),
            (libc::SOCK_DGRAM, libc::IPPROTO_UDPLITE) => "udplite".to_owned(),
            (libc::SOCK_STREAM | libc::SOCK_SEQPACKET, libc::IPPROTO_SCTP) => "sctp".to_owned(),
            (libc::SOCK_SEQPACKET, _) => "seqpacket".to_owned(),
            (libc::SOCK_RDM, _) => "rdm".to_owned(),
            (libc::SOCK_DCCP, _) => "dccp".to_owned(),
            (t, p) => format!("socket type {t} protocol {p}"),
        },
        libc::AF_UNIX => format!("unix socket type {sotype}"),
        libc::AF_PACKET => "packet".to_owned(),
        libc::AF_NETLINK => "netlink".to_owned(),
        other => format!("address family {other}"),
    }
}

/// The transport of a registered stream transport name.
fn stream_transport(name: &str) -> Option<Transport> {
    const TCP: [&str; 9] = [
        "tcp", "ssl", "tls", "sslv2", "sslv3", "tlsv1.0", "tlsv1.1", "tlsv1.2", "tlsv1.3",
    ];
    let is = |known: &str| name.eq_ignore_ascii_case(known);
    if TCP.iter().any(|t| is(t)) {
        Some(Transport::Tcp)
    } else if is("udp") {
        Some(Transport::Udp)
    } else if is("unix") {
        Some(Transport::Unix)
    } else if is("udg") {
        Some(Transport::Udg)
    } else {
        None
    }
}

/// One operation on a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation<'a> {
    /// Make a socket (`socket(2)`, `socket_create`, the socket of
    /// `socket_create_listen`).
    Create(Kind<'a>),
    /// Make a connected pair of sockets (`socketpair(2)`,
    /// `socket_create_pair`, `stream_socket_pair`).
    Pair(Kind<'a>),
    /// Connect to `host` on `port`, or send a datagram there.
    Connect {
        /// Where to: an address, a name to resolve, or a unix path.
        host: &'a Host,
        /// The destination port (0 for unix paths).
        port: u16,
        /// The socket it goes over.
        kind: Kind<'a>,
    },
    /// Give a socket a local address.
    Bind {
        /// The local address (a unix path for unix sockets).
        host: &'a Host,
        /// The local port.
        port: u16,
    },
    /// Listen for connections.
    Listen,
    /// Accept a connection.
    Accept,
    /// Read or write a socket option.
    Option {
        /// (level, option) as PHP passes them.
        option: SockOpt,
        /// Read or write.
        access: Access,
    },
    /// Send descriptors over a socket (`SCM_RIGHTS`).
    PassDescriptors,
    /// Use PHP's FFI (FFI::cdef, FFI::load, FFI::scope, ...).
    Ffi,
}

/// The checked addresses of an allowed connect, in resolver order: the only
/// addresses the connect may go to (pinned). Holds one address without
/// allocating, which is the common case of an address literal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Addrs(Repr);

#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Repr {
    #[default]
    None,
    One(IpAddr),
    Many(Vec<IpAddr>),
}

impl Addrs {
    /// No addresses (an allowed operation that has none: a unix path, a bind).
    #[must_use]
    pub const fn none() -> Self {
        Addrs(Repr::None)
    }

    /// The addresses as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[IpAddr] {
        match &self.0 {
            Repr::None => &[],
            Repr::One(a) => std::slice::from_ref(a),
            Repr::Many(v) => v,
        }
    }

    /// The first address.
    #[must_use]
    pub fn first(&self) -> Option<IpAddr> {
        self.as_slice().first().copied()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }
}

impl From<IpAddr> for Addrs {
    fn from(addr: IpAddr) -> Self {
        Addrs(Repr::One(addr))
    }
}

impl From<Vec<IpAddr>> for Addrs {
    fn from(addrs: Vec<IpAddr>) -> Self {
        match addrs.as_slice() {
            [] => Addrs(Repr::None),
            [one] => Addrs(Repr::One(*one)),
            _ => Addrs(Repr::Many(addrs)),
        }
    }
}

/// What the policy answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed. For a connect to a name or an address: the checked
    /// addresses, to be connected to in place of what was asked.
    Allow(Addrs),
    /// A socket option App Engine answered with a fixed value: return it
    /// (read) or report success and change nothing (write).
    Mock(MockValue),
    /// Denied.
    Deny(Reason),
}

impl Decision {
    /// Whether the operation may go ahead (a mock counts: nothing is
    /// denied).
    #[must_use]
    pub fn is_allowed(&self) -> bool {
        match self {
            Decision::Allow(_) | Decision::Mock(_) => true,
            Decision::Deny(_) => false,
        }
    }

    /// The reason, if denied.
    #[must_use]
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Decision::Allow(_) | Decision::Mock(_) => None,
            Decision::Deny(r) => Some(r),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::policy::testing::a;

    fn kind(family: i32, sotype: i32, protocol: i32) -> Result<Transport, Reason> {
        let k = Kind::Socket {
            family,
            sotype,
            protocol,
        };
        k.transport().ok_or_else(|| k.refusal())
    }
    fn named(n: &str) -> Result<Transport, Reason> {
        Err(Reason::Transport { name: n.into() })
    }

    #[test]
    fn socket_triples_map_to_transports() {
        use libc::*;
        let table: Vec<(i32, i32, i32, Result<Transport, Reason>)> = vec![
            (AF_INET, SOCK_STREAM, 0, Ok(Transport::Tcp)),
            (AF_INET6, SOCK_STREAM, IPPROTO_TCP, Ok(Transport::Tcp)),
            (AF_INET, SOCK_DGRAM, 0, Ok(Transport::Udp)),
            (AF_INET6, SOCK_DGRAM, IPPROTO_UDP, Ok(Transport::Udp)),
            // PHP 8.4 lets socket_create take the type flags: masked.
            (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0, Ok(Transport::Tcp)),
            (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0, Ok(Transport::Udp)),
            (
                AF_INET,
                SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                1,
                Ok(Transport::Raw),
            ),
            (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, Ok(Transport::Unix)),
            (AF_UNIX, SOCK_SEQPACKET, 0, Ok(Transport::Unix)),
            (AF_UNIX, SOCK_DGRAM, 0, Ok(Transport::Udg)),
            (AF_INET, SOCK_STREAM, IPPROTO_SCTP, named("sctp")),
            (AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP, named("sctp")),
            (AF_INET, SOCK_SEQPACKET, 0, named("seqpacket")),
            (AF_INET, SOCK_DGRAM, IPPROTO_ICMP, named("icmp")),
            (AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6, named("icmp")),
            (AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE, named("udplite")),
            (AF_INET, SOCK_RDM, 0, named("rdm")),
            (AF_INET, SOCK_DCCP, 0, named("dccp")),
            // Just outside TCP and UDP: the other protocol numbers.
            (AF_INET, SOCK_STREAM, 5, named("socket type 1 protocol 5")),
            (AF_INET, SOCK_DGRAM, 18, named("socket type 2 protocol 18")),
            (AF_UNIX, SOCK_RAW, 0, named("unix socket type 3")),
            (AF_PACKET, SOCK_RAW, 0, named("packet")),
            (AF_NETLINK, SOCK_DGRAM, 0, named("netlink")),
            (AF_UNSPEC, SOCK_STREAM, 0, named("address family 0")),
            (AF_APPLETALK, SOCK_DGRAM, 0, named("address family 5")),
        ];
        for (family, sotype, protocol, want) in table {
            assert_eq!(
                kind(family, sotype, protocol),
                want,
                "{family} {sotype} {protocol}"
            );
        }
    }

    #[test]
    fn stream_transport_names_map_to_transports() {
        let table: Vec<(&str, Result<Transport, Reason>)> = vec![
            ("tcp", Ok(Transport::Tcp)),
            ("TLSv1.3", Ok(Transport::Tcp)),
            ("ssl", Ok(Transport::Tcp)),
            ("udp", Ok(Transport::Udp)),
            ("unix", Ok(Transport::Unix)),
            ("udg", Ok(Transport::Udg)),
            ("sctp", named("sctp")),
            ("tlsv1.4", named("tlsv1.4")),
            ("", named("")),
        ];
        for (name, want) in table {
            let k = Kind::Stream(name);
            assert_eq!(k.transport().ok_or_else(|| k.refusal()), want, "{name}");
        }
    }

    #[test]
    fn addrs_hold_one_address_inline() {
        let one = Addrs::from(a("1.2.3.4"));
        assert_eq!(one.as_slice(), &[a("1.2.3.4")]);
        assert_eq!(Addrs::from(vec![a("1.2.3.4")]), one);
        assert!(Addrs::none().is_empty());
        assert_eq!(Addrs::from(Vec::new()), Addrs::none());
        let two = Addrs::from(vec![a("1.2.3.4"), a("::1")]);
        assert_eq!(two.as_slice().len(), 2);
        assert_eq!(two.first(), Some(a("1.2.3.4")));
    }
}

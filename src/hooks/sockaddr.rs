//! Reading a `struct sockaddr` that C code hands over (libcurl's
//! curl_sockaddr, an AddressInfo's getaddrinfo result, the floor's
//! connect, sendto and bind): which endpoint it names. The length is
//! never trusted beyond what it says, the bytes are read unaligned, and
//! anything short or of another family is reported, so that the caller
//! denies it (fail closed).

use std::{
    mem::{offset_of, size_of},
    net::{IpAddr, Ipv6Addr, SocketAddr},
    ptr,
};

use libc::{sa_family_t, sockaddr, sockaddr_in, sockaddr_in6, sockaddr_un, socklen_t};

use crate::policy::Reason;

/// The endpoint a sockaddr names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// An IPv4 or IPv6 address and port.
    Ip(SocketAddr),
    /// A unix socket path; an abstract name is spelled `@name`.
    Path(String),
    /// A unix socket with no name (`socketpair`, an unbound socket).
    Unnamed,
    /// AF_UNSPEC: a connect with it dissolves a datagram socket's peer.
    Unspecified,
}

/// The address and port of an AF_INET or AF_INET6 sockaddr, `None` for
/// anything else or too short: the fast path of the floor's every connect,
/// before [`read`] is needed.
///
/// # Safety
/// `sa` must be null or point to `len` readable bytes.
#[inline]
pub unsafe fn read_ip(sa: *const sockaddr, len: socklen_t) -> Option<SocketAddr> {
    let len = len as usize;
    if sa.is_null() || len < size_of::<sa_family_t>() {
        return None;
    }
    // SAFETY: the family's bytes are readable (checked above).
    match i32::from(unsafe { ptr::read_unaligned(sa.cast::<sa_family_t>()) }) {
        libc::AF_INET if len >= size_of::<sockaddr_in>() => {
            // SAFETY: `len` covers a sockaddr_in.
            let sin = unsafe { ptr::read_unaligned(sa.cast::<sockaddr_in>()) };
            Some(SocketAddr::new(
                IpAddr::from(u32::from_be(sin.sin_addr.s_addr).to_be_bytes()),
                u16::from_be(sin.sin_port),
            ))
        }
        libc::AF_INET6 if len >= size_of::<sockaddr_in6>() => {
            // SAFETY: `len` covers a sockaddr_in6.
            let sin6 = unsafe { ptr::read_unaligned(sa.cast::<sockaddr_in6>()) };
            Some(SocketAddr::new(
                IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)),
                u16::from_be(sin6.sin6_port),
            ))
        }
        _ => None,
    }
}

/// A sockaddr that names nothing the policy can judge.
fn malformed(what: String) -> Reason {
    Reason::Target {
        input: "sockaddr".to_owned(),
        error: what,
    }
}

/// Reads the sockaddr at `sa`, `len` bytes long.
///
/// # Errors
/// [`Reason::Target`] for a null or short sockaddr, [`Reason::Transport`]
/// for a family other than AF_INET, AF_INET6, AF_UNIX and AF_UNSPEC.
///
/// # Safety
/// `sa` must be null or point to `len` readable bytes.
pub unsafe fn read(sa: *const sockaddr, len: socklen_t) -> Result<Endpoint, Reason> {
    let len = len as usize;
    if sa.is_null() || len < size_of::<sa_family_t>() {
        return Err(malformed(format!("{len} bytes is no address")));
    }
    // SAFETY: at least the family's bytes are readable (checked above).
    let family = i32::from(unsafe { ptr::read_unaligned(sa.cast::<sa_family_t>()) });
    let short = |need: usize| {
        malformed(format!(
            "{len} bytes is too short for family {family} ({need} needed)"
        ))
    };
    match family {
        libc::AF_INET => {
            if len < size_of::<sockaddr_in>() {
                return Err(short(size_of::<sockaddr_in>()));
            }
            // SAFETY: `len` covers a sockaddr_in; read without alignment.
            let sin = unsafe { ptr::read_unaligned(sa.cast::<sockaddr_in>()) };
            Ok(Endpoint::Ip(SocketAddr::new(
                IpAddr::from(u32::from_be(sin.sin_addr.s_addr).to_be_bytes()),
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            if len < size_of::<sockaddr_in6>() {
                return Err(short(size_of::<sockaddr_in6>()));
            }
            // SAFETY: `len` covers a sockaddr_in6; read without alignment.
            let sin6 = unsafe { ptr::read_unaligned(sa.cast::<sockaddr_in6>()) };
            Ok(Endpoint::Ip(SocketAddr::new(
                IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)),
                u16::from_be(sin6.sin6_port),
            )))
        }
        libc::AF_UNIX => {
            let start = offset_of!(sockaddr_un, sun_path);
            let max = size_of::<sockaddr_un>();
            if len <= start {
                return Ok(Endpoint::Unnamed);
            }
            // SAFETY: bytes start..len are readable (the caller vouches for
            // `len`), and no more than sun_path holds are read.
            let path = unsafe {
                std::slice::from_raw_parts(sa.cast::<u8>().add(start), len.min(max) - start)
            };
            Ok(match path.split_first() {
                None => Endpoint::Unnamed,
                // Linux's abstract namespace: every byte counts, NULs too.
                Some((0, name)) => Endpoint::Path(format!(
                    "@{}",
                    String::from_utf8_lossy(name).replace('\0', "\\0")
                )),
                Some(_) => {
                    let path = path.split(|b| *b == 0).next().unwrap_or_default();
                    Endpoint::Path(String::from_utf8_lossy(path).into_owned())
                }
            })
        }
        libc::AF_UNSPEC => Ok(Endpoint::Unspecified),
        other => Err(Reason::Transport {
            name: format!("address family {other}"),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn bytes_of<T>(value: &T) -> Vec<u8> {
        // SAFETY: reading the bytes of a plain C struct.
        unsafe { std::slice::from_raw_parts(ptr::from_ref(value).cast::<u8>(), size_of::<T>()) }
            .to_vec()
    }

    fn read_bytes(b: &[u8], len: usize) -> Result<Endpoint, Reason> {
        // Offset by one byte so that every read is unaligned.
        let mut buf = vec![0u8; b.len() + 1];
        buf[1..].copy_from_slice(b);
        // SAFETY: `len` bytes of `buf` from offset 1 are readable.
        unsafe { read(buf[1..].as_ptr().cast(), len as socklen_t) }
    }

    #[test]
    fn inet_addresses_and_ports() {
        // SAFETY: all-zero is a valid sockaddr_in.
        let mut sin: sockaddr_in = unsafe { std::mem::zeroed() };
        sin.sin_family = libc::AF_INET as sa_family_t;
        sin.sin_port = 5432u16.to_be();
        sin.sin_addr.s_addr = u32::from_be_bytes([10, 20, 30, 40]).to_be();
        let b = bytes_of(&sin);
        assert_eq!(
            read_bytes(&b, b.len()).unwrap(),
            Endpoint::Ip("10.20.30.40:5432".parse().unwrap())
        );
        assert!(matches!(
            read_bytes(&b, b.len() - 1),
            Err(Reason::Target { .. })
        ));

        // SAFETY: all-zero is a valid sockaddr_in6.
        let mut sin6: sockaddr_in6 = unsafe { std::mem::zeroed() };
        sin6.sin6_family = libc::AF_INET6 as sa_family_t;
        sin6.sin6_port = 443u16.to_be();
        sin6.sin6_addr.s6_addr = "::ffff:127.0.0.1".parse::<Ipv6Addr>().unwrap().octets();
        let b = bytes_of(&sin6);
        assert_eq!(
            read_bytes(&b, b.len()).unwrap(),
            Endpoint::Ip("[::ffff:127.0.0.1]:443".parse().unwrap())
        );
        // A sockaddr_in6 claimed in a sockaddr_in's length is short.
        assert!(matches!(
            read_bytes(&b, size_of::<sockaddr_in>()),
            Err(Reason::Target { .. })
        ));
    }

    #[test]
    fn unix_paths_abstract_names_and_unnamed() {
        let start = offset_of!(sockaddr_un, sun_path);
        let mut b = vec![0u8; start];
        b[..2].copy_from_slice(&(libc::AF_UNIX as sa_family_t).to_ne_bytes());
        let with = |tail: &[u8]| [b.as_slice(), tail].concat();
        let path = with(b"/run/postgresql/.s.PGSQL.5432\0junk");
        assert_eq!(
            read_bytes(&path, path.len()).unwrap(),
            Endpoint::Path("/run/postgresql/.s.PGSQL.5432".into())
        );
        let abs = with(b"\0name\0x");
        assert_eq!(
            read_bytes(&abs, abs.len()).unwrap(),
            Endpoint::Path("@name\\0x".into())
        );
        assert_eq!(read_bytes(&b, b.len()).unwrap(), Endpoint::Unnamed);
        assert_eq!(read_bytes(&b, 2).unwrap(), Endpoint::Unnamed);
    }

    #[test]
    fn other_families_and_nothing_are_refused() {
        let packet = (libc::AF_PACKET as sa_family_t).to_ne_bytes().repeat(10);
        assert_eq!(
            read_bytes(&packet, packet.len()),
            Err(Reason::Transport {
                name: format!("address family {}", libc::AF_PACKET)
            })
        );
        let unspec = [0u8; 16];
        assert_eq!(read_bytes(&unspec, 16).unwrap(), Endpoint::Unspecified);
        assert!(matches!(read_bytes(&unspec, 1), Err(Reason::Target { .. })));
        // SAFETY: a null pointer is handled before any read.
        let null = unsafe { read(ptr::null(), 16) };
        assert!(matches!(null, Err(Reason::Target { .. })));
    }
}

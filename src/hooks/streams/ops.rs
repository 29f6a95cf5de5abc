//! The guard copies of PHP's stream ops tables. For each original ops
//! table a transport factory installs (per transport name), one
//! [`GuardSet`] is made on first use and kept for the process: a client
//! and a server copy whose `set_option` decides at connect, bind, listen
//! and accept, and a connected copy whose reads and writes run the idle
//! check. Each copy carries a pointer back to its set, so a stream's ops
//! lead to everything about it without a lookup or a lock.
//!
//! The registry is a fixed table of atomic pointers: reads never lock;
//! the rare insert takes a mutex whose poisoning is harmless (the table
//! only ever holds complete, leaked sets).

use std::{
    ptr,
    sync::{
        atomic::{AtomicPtr, AtomicUsize, Ordering},
        Mutex, PoisonError,
    },
};

use ext_php_rs::ffi::php_stream_ops;

use crate::policy::{Kind, Transport};

/// The function pointers the guard copies put in place.
pub struct Replacements {
    /// `set_option` of client streams.
    pub client_set_option: SetOption,
    /// `set_option` of server streams.
    pub server_set_option: SetOption,
    /// The connected copy's ops.
    pub connected: Connected,
}

/// A stream ops `set_option`.
pub type SetOption = unsafe extern "C" fn(
    *mut ext_php_rs::ffi::php_stream,
    std::ffi::c_int,
    std::ffi::c_int,
    *mut std::ffi::c_void,
) -> std::ffi::c_int;

/// The connected copy's functions.
pub struct Connected {
    /// `read`
    pub read: unsafe extern "C" fn(
        *mut ext_php_rs::ffi::php_stream,
        *mut std::ffi::c_char,
        usize,
    ) -> isize,
    /// `write`
    pub write: unsafe extern "C" fn(
        *mut ext_php_rs::ffi::php_stream,
        *const std::ffi::c_char,
        usize,
    ) -> isize,
    /// `close`
    pub close:
        unsafe extern "C" fn(*mut ext_php_rs::ffi::php_stream, std::ffi::c_int) -> std::ffi::c_int,
    /// `set_option`
    pub set_option: SetOption,
    /// `cast`
    pub cast: unsafe extern "C" fn(
        *mut ext_php_rs::ffi::php_stream,
        std::ffi::c_int,
        *mut *mut std::ffi::c_void,
    ) -> std::ffi::c_int,
}

/// One guard copy of an ops table.
#[repr(C)]
pub struct GuardOps {
    /// Must stay first: streams point here.
    pub ops: php_stream_ops,
    /// The set this copy belongs to.
    pub set: *const GuardSet,
}

/// The guard copies made for one original ops table and transport.
pub struct GuardSet {
    /// The ops table the original factory installed.
    pub original: *const php_stream_ops,
    /// The transport's registered name, lowercase ("tcp", "tlsv1.2", ...).
    pub name: &'static str,
    /// Its policy transport (read once: every connect asks).
    transport: Option<Transport>,
    /// Client streams, until they connect.
    pub client: GuardOps,
    /// Server streams (stream_socket_server).
    pub server: GuardOps,
    /// Connected client streams under idle reclaim.
    pub connected: GuardOps,
}

impl GuardSet {
    /// The kind of socket for the policy.
    pub fn kind(&self) -> Kind<'static> {
        match self.transport {
            Some(t) => Kind::Transport(t),
            None => Kind::Stream(self.name),
        }
    }

    /// The policy transport, if the name is one.
    pub fn transport(&self) -> Option<Transport> {
        self.transport
    }
}

/// How many distinct (ops table, transport) pairs can be guarded. PHP and
/// ext/openssl register a dozen transports over five ops tables.
const CAPACITY: usize = 64;

static SETS: [AtomicPtr<GuardSet>; CAPACITY] =
    [const { AtomicPtr::new(ptr::null_mut()) }; CAPACITY];
static INSERT: Mutex<()> = Mutex::new(());

fn sets() -> impl Iterator<Item = &'static GuardSet> {
    SETS.iter()
        .map(|slot| slot.load(Ordering::Acquire))
        .take_while(|p| !p.is_null())
        // SAFETY: every non-null slot holds a leaked GuardSet that is never freed.
        .map(|p| unsafe { &*p })
}

/// The guard set for `original` under transport `name`, made on first use.
/// `None` only when the table is full or `original` is null: the caller
/// then refuses the stream (fail closed).
pub fn guard_set(
    original: *const php_stream_ops,
    name: &str,
    replacements: &Replacements,
) -> Option<&'static GuardSet> {
    let find =
        || sets().find(|s| ptr::eq(s.original, original) && s.name.eq_ignore_ascii_case(name));
    if let Some(set) = find() {
        return Some(set);
    }
    // SAFETY: `original` is the ops table the original factory installed:
    // a static table of plain function pointers and a label.
    let base = unsafe { original.as_ref()? };
    let _insert = INSERT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(set) = find() {
        return Some(set);
    }
    let slot = SETS.iter().find(|s| s.load(Ordering::Acquire).is_null())?;
    for (known, f) in GUARD_SET_OPTIONS.iter().zip([
        replacements.client_set_option,
        replacements.server_set_option,
        replacements.connected.set_option,
    ]) {
        known.store(f as usize, Ordering::Relaxed);
    }
    let copy = |set_option: SetOption| {
        let mut ops = *base;
        ops.set_option = Some(set_option);
        GuardOps {
            ops,
            set: ptr::null(),
        }
    };
    let c = &replacements.connected;
    let mut connected = *base;
    connected.read = Some(c.read);
    connected.write = Some(c.write);
    connected.close = Some(c.close);
    connected.set_option = Some(c.set_option);
    connected.cast = Some(c.cast);
    let name: &'static str = Box::leak(name.to_ascii_lowercase().into_boxed_str());
    let set: &'static mut GuardSet = Box::leak(Box::new(GuardSet {
        original,
        name,
        transport: Kind::Stream(name).transport(),
        client: copy(replacements.client_set_option),
        server: copy(replacements.server_set_option),
        connected: GuardOps {
            ops: connected,
            set: ptr::null(),
        },
    }));
    let back: *const GuardSet = set;
    set.client.set = back;
    set.server.set = back;
    set.connected.set = back;
    slot.store(ptr::from_mut(set), Ordering::Release);
    Some(set)
}

/// The set of a guard copy, from a stream's ops.
///
/// # Safety
/// `ops` must be the `ops` field of a [`GuardOps`]: the stream's ops led to
/// one of the guard functions, which only guard copies hold.
pub unsafe fn set_of_guard(ops: *const php_stream_ops) -> Option<&'static GuardSet> {
    // SAFETY: `ops` is the first field of a leaked GuardOps (repr(C)).
    unsafe { ops.cast::<GuardOps>().as_ref()?.set.as_ref() }
}

/// The set a stream's ops belong to, whether they are a guard copy or the
/// original table of a guarded transport.
pub fn set_of_any(ops: *const php_stream_ops) -> Option<&'static GuardSet> {
    // A guard copy leads to its set: most streams carry one.
    if let Some(set) = known_copy(ops) {
        return Some(set);
    }
    sets().find(|s| {
        ptr::eq(s.original, ops)
            || ptr::eq(&s.client.ops, ops)
            || ptr::eq(&s.server.ops, ops)
            || ptr::eq(&s.connected.ops, ops)
    })
}

/// The set of `ops` if it is a guard copy, known by its `set_option` (only
/// guard copies hold sockguard's), read back through the copy's pointer.
fn known_copy(ops: *const php_stream_ops) -> Option<&'static GuardSet> {
    // SAFETY: null or a live ops table, static or one of our leaked copies.
    let set_option = unsafe { ops.as_ref()? }.set_option? as usize;
    let ours = GUARD_SET_OPTIONS
        .iter()
        .any(|f| f.load(Ordering::Relaxed) == set_option);
    // SAFETY: only guard copies hold one of the registered set_options, and
    // a guard copy is the `ops` field of a GuardOps.
    ours.then(|| unsafe { set_of_guard(ops) }).flatten()
}

/// The `set_option` functions of the guard copies (registered with the
/// first set): what tells a guard copy from PHP's own tables.
static GUARD_SET_OPTIONS: [AtomicUsize; 3] = [const { AtomicUsize::new(0) }; 3];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::ffi::{c_char, c_int, c_void};

    use ext_php_rs::ffi::php_stream;

    use super::*;

    unsafe extern "C" fn set_option(
        _: *mut php_stream,
        _: c_int,
        _: c_int,
        _: *mut c_void,
    ) -> c_int {
        0
    }
    unsafe extern "C" fn read(_: *mut php_stream, _: *mut c_char, _: usize) -> isize {
        0
    }
    unsafe extern "C" fn write(_: *mut php_stream, _: *const c_char, _: usize) -> isize {
        0
    }
    unsafe extern "C" fn close(_: *mut php_stream, _: c_int) -> c_int {
        0
    }
    unsafe extern "C" fn cast(_: *mut php_stream, _: c_int, _: *mut *mut c_void) -> c_int {
        0
    }

    const REPLACEMENTS: Replacements = Replacements {
        client_set_option: set_option,
        server_set_option: set_option,
        connected: Connected {
            read,
            write,
            close,
            set_option,
            cast,
        },
    };

    fn an_ops_table() -> *const php_stream_ops {
        // SAFETY: an ops table of no functions and a null label is valid data.
        Box::leak(Box::new(unsafe { std::mem::zeroed::<php_stream_ops>() }))
    }

    #[test]
    fn one_set_per_table_and_transport_and_each_copy_leads_back_to_it() {
        let tcp = an_ops_table();
        let a = guard_set(tcp, "tcp", &REPLACEMENTS).expect("set");
        let b = guard_set(tcp, "TCP", &REPLACEMENTS).expect("set");
        assert!(ptr::eq(a, b));
        let tls = guard_set(tcp, "tls", &REPLACEMENTS).expect("set");
        assert!(!ptr::eq(a, tls));
        assert_eq!(tls.transport(), Some(Transport::Tcp));
        for copy in [&a.client.ops, &a.server.ops, &a.connected.ops] {
            // SAFETY: each is the ops field of one of the set's copies.
            assert!(ptr::eq(unsafe { set_of_guard(copy) }.expect("set"), a));
            assert!(ptr::eq(set_of_any(copy).expect("set"), a));
        }
        assert!(ptr::eq(set_of_any(tcp).expect("set"), a));
        assert!(a.connected.ops.read.is_some() && a.client.ops.read.is_none());
        assert!(guard_set(ptr::null(), "tcp", &REPLACEMENTS).is_none());
    }

    #[test]
    fn a_panic_while_inserting_leaves_the_registry_usable() {
        let poisoned = std::thread::spawn(|| {
            let _held = INSERT.lock();
            panic!("poison the insert lock");
        })
        .join();
        assert!(poisoned.is_err() && INSERT.is_poisoned());
        let udp = an_ops_table();
        let set = guard_set(udp, "udp", &REPLACEMENTS).expect("a guard despite the poisoned lock");
        assert_eq!(set.transport(), Some(Transport::Udp));
        assert!(ptr::eq(
            guard_set(udp, "udp", &REPLACEMENTS).expect("set"),
            set
        ));
    }
}

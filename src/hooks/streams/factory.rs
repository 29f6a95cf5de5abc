//! Every factory in PHP's stream transport table (tcp, udp, unix, udg, and
//! ext/openssl's ssl, tls, tlsv1.x, sslv*) is replaced by one that calls
//! the original and then gives the new stream a guard copy of its ops
//! ([`super::ops`]). Every stream path in PHP (fsockopen,
//! stream_socket_client/server, the http/ftp wrappers, mysqlnd, SoapClient)
//! creates its socket here. A stream that cannot be guarded is closed and
//! the factory fails (fail closed).

use std::{
    ffi::{c_char, c_int, c_void, CStr},
    ptr,
    sync::atomic::{AtomicPtr, Ordering},
};

use ext_php_rs::ffi::{php_stream, php_stream_context, php_stream_ops, zend_hash_str_find};

use super::{
    connected,
    ops::{guard_set, Connected, GuardSet, Replacements},
    persistent, xport,
};
use crate::hooks::{
    entry::entry,
    ffi::{
        _php_stream_free, php_stream_transport_factory, php_stream_xport_get_hash,
        PHP_STREAM_FREE_CLOSE, STREAM_XPORT_SERVER,
    },
};
use crate::runtime;

/// One transport's original factory.
struct Factory {
    name: Vec<u8>,
    original: usize,
    /// The guarded factory put in its place.
    replacement: usize,
    /// The guard set of the ops its last stream had (the same for every
    /// stream of a transport, in practice): saves the registry's lookup.
    last_set: AtomicPtr<GuardSet>,
}

/// The factories replaced at MINIT (set once, read on every stream).
static FACTORIES: AtomicPtr<Vec<Factory>> = AtomicPtr::new(ptr::null_mut());

const REPLACEMENTS: Replacements = Replacements {
    client_set_option: xport::client_set_option,
    server_set_option: xport::server_set_option,
    connected: Connected {
        read: connected::connected_read,
        write: connected::connected_write,
        close: connected::connected_close,
        set_option: connected::connected_set_option,
        cast: connected::connected_cast,
    },
};

fn factories() -> &'static [Factory] {
    // SAFETY: the pointer is null or a leaked Vec that is never freed.
    unsafe { FACTORIES.load(Ordering::Acquire).as_ref() }.map_or(&[], Vec::as_slice)
}

/// Replaces every registered transport factory. Call after ext/openssl has
/// registered its transports (the module entry depends on it).
pub fn install() {
    // SAFETY: the transport table is a persistent HashTable owned by the
    // engine; MINIT runs before any request uses it.
    let Some(table) = (unsafe { php_stream_xport_get_hash().as_mut() }) else {
        return;
    };
    let names: Vec<Vec<u8>> = table
        .iter()
        .filter_map(|(key, _)| match key {
            ext_php_rs::types::ArrayKey::String(s) => Some(s.into_bytes()),
            ext_php_rs::types::ArrayKey::Str(s) => Some(s.as_bytes().to_vec()),
            ext_php_rs::types::ArrayKey::ZendString(s) => Some(s.as_bytes().to_vec()),
            ext_php_rs::types::ArrayKey::Long(_) => None,
        })
        .collect();
    let mut replaced = Vec::new();
    for name in names {
        // SAFETY: the key exists; the value is an IS_PTR zval holding the factory.
        let slot = unsafe { zend_hash_str_find(table, name.as_ptr().cast(), name.len()) };
        // SAFETY: as above.
        let Some(slot) = (unsafe { slot.as_mut() }) else {
            continue;
        };
        // SAFETY: transport table values are IS_PTR zvals.
        let current = unsafe { slot.value.ptr } as usize;
        if current == 0 || is_guarded(current) {
            continue;
        }
        // A transport of its own when one is free: it knows its factory
        // without looking it up by name.
        let replacement = OWN.get(replaced.len()).copied().unwrap_or(guarded_factory) as usize;
        replaced.push(Factory {
            name,
            original: current,
            replacement,
            last_set: AtomicPtr::new(ptr::null_mut()),
        });
        slot.value.ptr = replacement as *mut c_void;
    }
    let old = FACTORIES.swap(Box::into_raw(Box::new(replaced)), Ordering::AcqRel);
    // An earlier table stays leaked: a stream made meanwhile may read it.
    let _ = old;
}

/// Puts the original factories back.
pub fn uninstall() {
    // SAFETY: as in `install`; MSHUTDOWN runs after the last request.
    let Some(table) = (unsafe { php_stream_xport_get_hash().as_mut() }) else {
        return;
    };
    for f in factories() {
        let (name, len) = (f.name.as_ptr().cast(), f.name.len());
        // SAFETY: as in `install`.
        if let Some(slot) = unsafe { zend_hash_str_find(table, name, len).as_mut() } {
            // SAFETY: IS_PTR zval.
            // SAFETY: IS_PTR zval.
            if unsafe { slot.value.ptr } as usize == f.replacement {
                slot.value.ptr = f.original as *mut c_void;
            }
        }
    }
}

fn factory_of(proto: &[u8]) -> Option<&'static Factory> {
    let all = factories();
    // As registered ("tcp") first: PHP looks the name up as given, and
    // then lowercased.
    all.iter()
        .find(|f| f.name == proto)
        .or_else(|| all.iter().find(|f| f.name.eq_ignore_ascii_case(proto)))
}

impl Factory {
    fn original(&self) -> php_stream_transport_factory {
        // SAFETY: only live factory function pointers are stored.
        unsafe { std::mem::transmute::<usize, php_stream_transport_factory>(self.original) }
    }

    /// The guard set for a stream of this transport with `ops`.
    fn guard_set(&self, ops: *const php_stream_ops) -> Option<&'static GuardSet> {
        // SAFETY: null or a leaked GuardSet, never freed.
        if let Some(set) = unsafe { self.last_set.load(Ordering::Acquire).as_ref() } {
            if ptr::eq(set.original, ops) {
                return Some(set);
            }
        }
        let set = guard_set(ops, &String::from_utf8_lossy(&self.name), &REPLACEMENTS)?;
        self.last_set
            .store(ptr::from_ref(set).cast_mut(), Ordering::Release);
        Some(set)
    }
}

/// A transport factory's signature.
type FactoryFn = unsafe extern "C" fn(
    *const c_char,
    usize,
    *const c_char,
    usize,
    *const c_char,
    c_int,
    c_int,
    *mut libc::timeval,
    *mut php_stream_context,
) -> *mut php_stream;

/// Guarded factories of their own for the first transports (PHP and
/// ext/openssl register a dozen): each calls [`guarded`] with its index.
macro_rules! own_factories {
    ($($i:literal)*) => {
        const OWN: &[FactoryFn] = &[$({
            #[allow(clippy::too_many_arguments)]
            unsafe extern "C" fn own(
                proto: *const c_char,
                protolen: usize,
                resourcename: *const c_char,
                resourcenamelen: usize,
                persistent_id: *const c_char,
                options: c_int,
                flags: c_int,
                timeout: *mut libc::timeval,
                context: *mut php_stream_context,
            ) -> *mut php_stream {
                // SAFETY: forwarded from the engine.
                unsafe {
                    guarded(
                        factories().get($i),
                        proto,
                        protolen,
                        resourcename,
                        resourcenamelen,
                        persistent_id,
                        options,
                        flags,
                        timeout,
                        context,
                    )
                }
            }
            own
        }),*];
    };
}
own_factories!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23);

/// Whether `f` is one of the guarded factories.
fn is_guarded(f: usize) -> bool {
    f == guarded_factory as *const () as usize || OWN.iter().any(|&own| own as usize == f)
}

/// The guarded factory of transports past [`OWN`]: finds its factory by name.
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn guarded_factory(
    proto: *const c_char,
    protolen: usize,
    resourcename: *const c_char,
    resourcenamelen: usize,
    persistent_id: *const c_char,
    options: c_int,
    flags: c_int,
    timeout: *mut libc::timeval,
    context: *mut php_stream_context,
) -> *mut php_stream {
    // SAFETY: the engine passes `protolen` readable bytes.
    let proto_bytes = unsafe { std::slice::from_raw_parts(proto.cast::<u8>(), protolen) };
    // SAFETY: forwarded from the engine.
    unsafe {
        guarded(
            factory_of(proto_bytes),
            proto,
            protolen,
            resourcename,
            resourcenamelen,
            persistent_id,
            options,
            flags,
            timeout,
            context,
        )
    }
}

/// Calls the original `factory`, then gives the new stream its guard ops.
///
/// # Safety
/// The arguments after `factory` are the engine's, for that transport.
#[allow(clippy::too_many_arguments)]
unsafe fn guarded(
    factory: Option<&'static Factory>,
    proto: *const c_char,
    protolen: usize,
    resourcename: *const c_char,
    resourcenamelen: usize,
    persistent_id: *const c_char,
    options: c_int,
    flags: c_int,
    timeout: *mut libc::timeval,
    context: *mut php_stream_context,
) -> *mut php_stream {
    let Some(original) = factory.and_then(Factory::original) else {
        return ptr::null_mut();
    };
    // SAFETY: the arguments are the engine's, passed on unchanged; nothing
    // of ours is alive across the call.
    let stream = unsafe {
        original(
            proto,
            protolen,
            resourcename,
            resourcenamelen,
            persistent_id,
            options,
            flags,
            timeout,
            context,
        )
    };
    if stream.is_null() || runtime::is_off() {
        return stream;
    }
    let guarded = entry(
        "stream factory",
        |_| Ok(false),
        || {
            // SAFETY: the original factory returned a live stream.
            let s = unsafe { &mut *stream };
            if !persistent_id.is_null() {
                // SAFETY: a non-null persistent id is a NUL-terminated string.
                let id = unsafe { CStr::from_ptr(persistent_id) }.to_bytes();
                persistent::record_owner(id, &runtime::current().app_id);
            }
            let Some(set) = factory.and_then(|f| f.guard_set(s.ops)) else {
                return Ok(false);
            };
            s.ops = if flags & STREAM_XPORT_SERVER as c_int != 0 {
                &set.server.ops
            } else {
                &set.client.ops
            };
            Ok(true)
        },
    );
    if guarded {
        return stream;
    }
    // An unguarded stream would connect unchecked: close it, the factory fails.
    // SAFETY: the stream is the one the original factory just made; nothing
    // refers to it yet.
    unsafe { _php_stream_free(stream, PHP_STREAM_FREE_CLOSE as c_int) };
    ptr::null_mut()
}

//! The floor: every socket call made by the code of any other loaded ELF
//! object (libpq, libldap, libmemcached, net-snmp, libcurl's own
//! transfers, ext/ftp's data connection, the PHP binary itself, anything an
//! extension links) asks the same policy as the layers above. libc, the
//! dynamic loader and sockguard itself are the only objects left alone.
//!
//! The mechanism is rewriting dynamic-linking entries ([`got`]): at MINIT,
//! after every extension and the libraries they link are loaded, each
//! object's JUMP_SLOT and GLOB_DAT entries for connect, sendto, sendmsg,
//! sendmmsg, bind, listen, accept, accept4, socket and socketpair are
//! pointed at [`calls`], and its dlopen entry too, so that an object
//! loaded later (dl(), a library's own plugins) is patched before it runs.
//! We chose our own small module over the plthook crate: one Rust file
//! with no C, both relocation kinds, RELRO from PT_GNU_RELRO, and a
//! restore of every slot (see [`got`]'s docs). At MSHUTDOWN every original
//! is put back; sockguard then stays mapped (RTLD_NODELETE), because a
//! copy of a slot's value taken meanwhile still points at [`calls`].
//!
//! Not covered, and said so in the docs: child processes (exec,
//! proc_open), code that makes system calls itself (static binaries, raw
//! `syscall`, io_uring), and function pointers taken from `dlsym` (which is
//! why FFI is denied unless the operator allows it).

mod calls;
mod notices;

use std::{
    ffi::c_int,
    sync::{Mutex, PoisonError},
};

use got::{is_system_object, Patcher, Reroute};
use sockguard_got as got;

pub use calls::set_serving;
pub use notices::flush_to_log as flush_warnings_to_log;

static PATCHER: Mutex<Patcher> = Mutex::new(Patcher::new());

/// The calls the floor takes over, and sockguard's replacement for each.
fn reroutes() -> [Reroute; 11] {
    let r = |symbol: &'static std::ffi::CStr, replacement: usize| Reroute {
        symbol,
        replacement,
    };
    [
        r(c"connect", calls::connect as *const () as usize),
        r(c"sendto", calls::sendto as *const () as usize),
        r(c"sendmsg", calls::sendmsg as *const () as usize),
        r(c"sendmmsg", calls::sendmmsg as *const () as usize),
        r(c"bind", calls::bind as *const () as usize),
        r(c"listen", calls::listen as *const () as usize),
        r(c"accept", calls::accept as *const () as usize),
        r(c"accept4", calls::accept4 as *const () as usize),
        r(c"socket", calls::socket as *const () as usize),
        r(c"socketpair", calls::socketpair as *const () as usize),
        r(c"dlopen", calls::dlopen as *const () as usize),
    ]
}

/// Keeps sockguard mapped for the life of the process: after MSHUTDOWN a
/// library may still hold a copy of a slot's value that points here.
fn pin_self() {
    let mut info = libc::Dl_info {
        dli_fname: std::ptr::null(),
        dli_fbase: std::ptr::null_mut(),
        dli_sname: std::ptr::null(),
        dli_saddr: std::ptr::null_mut(),
    };
    // SAFETY: dladdr only reads the address and fills `info`; dlopen with
    // RTLD_NOLOAD of our own, loaded file just takes a reference that is
    // never given back.
    unsafe {
        if libc::dladdr(pin_self as *const () as *const libc::c_void, &mut info) != 0
            && !info.dli_fname.is_null()
        {
            libc::dlopen(
                info.dli_fname,
                libc::RTLD_NOW | libc::RTLD_NOLOAD | libc::RTLD_NODELETE,
            );
        }
    }
}

/// Patches every loaded object that is not libc, the loader or sockguard;
/// returns how many entries were rewritten.
pub fn install() -> usize {
    pin_self();
    notices::install();
    rescan()
}

/// Patches the objects loaded since the last scan (after dlopen; nothing
/// to do when the loader's lists did not change).
pub fn rescan() -> usize {
    let mut patcher = PATCHER.lock().unwrap_or_else(PoisonError::into_inner);
    if patcher.slot_count() > 0 && !patcher.loader_changed() {
        return 0;
    }
    patcher
        .patch_loaded(&reroutes(), &|object| is_system_object(object))
        .slots_written
}

/// Puts every original entry back (MSHUTDOWN).
pub fn uninstall() {
    PATCHER
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .restore();
    notices::uninstall();
}

/// How many entries the floor holds now (for phpinfo).
pub fn entries() -> usize {
    PATCHER
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .slot_count()
}

// The replacements' signatures must be exactly libc's.
const _: [unsafe extern "C" fn(c_int, *const libc::sockaddr, libc::socklen_t) -> c_int; 2] =
    [calls::connect, calls::bind];

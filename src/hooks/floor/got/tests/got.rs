//! End-to-end tests of `got.rs` against the real dynamic loader.
//!
//! C fixture libraries (tests/fixtures/net.c) are compiled with gcc at test time in several
//! variants, loaded with `dlopen`, patched, called, and restored. Every connection goes to
//! 127.0.0.1 only.
#![cfg(all(
    target_os = "linux",
    target_pointer_width = "64",
    target_endian = "little",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]

use std::ffi::{c_int, c_void, CStr, CString};
use std::net::TcpListener;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use sockguard_got::{
    is_system_object, object_name_of, Object, Outcome, Patcher, RelocKind, Reroute, WalkStats,
};

// ---------------------------------------------------------------------------------------------
// Replacements: count calls; refuse connect to 127.0.0.1:BLOCKED_PORT with EACCES.
// ---------------------------------------------------------------------------------------------

static CONNECTS: AtomicUsize = AtomicUsize::new(0);
static SOCKETS: AtomicUsize = AtomicUsize::new(0);
static BLOCKED_PORT: AtomicU16 = AtomicU16::new(0);

unsafe extern "C" fn counting_connect(
    fd: c_int,
    addr: *const libc::sockaddr,
    len: libc::socklen_t,
) -> c_int {
    CONNECTS.fetch_add(1, Ordering::SeqCst);
    if !addr.is_null() && len as usize >= std::mem::size_of::<libc::sockaddr_in>() {
        // SAFETY: the caller passed `len` readable bytes at `addr`.
        let sin = unsafe { std::ptr::read_unaligned(addr.cast::<libc::sockaddr_in>()) };
        if i32::from(sin.sin_family) == libc::AF_INET
            && u32::from_be(sin.sin_addr.s_addr) == u32::from(std::net::Ipv4Addr::LOCALHOST)
            && u16::from_be(sin.sin_port) == BLOCKED_PORT.load(Ordering::SeqCst)
        {
            // SAFETY: __errno_location returns this thread's errno.
            unsafe { *libc::__errno_location() = libc::EACCES };
            return -1;
        }
    }
    // SAFETY: forwarding the caller's arguments; this test binary's own GOT is never patched.
    unsafe { libc::connect(fd, addr, len) }
}

extern "C" fn counting_socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int {
    SOCKETS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: plain socket(2) call.
    unsafe { libc::socket(domain, ty, protocol) }
}

fn reroutes() -> [Reroute; 2] {
    [
        Reroute {
            symbol: c"connect",
            replacement: counting_connect as *const () as usize,
        },
        Reroute {
            symbol: c"socket",
            replacement: counting_socket as *const () as usize,
        },
    ]
}

fn counts() -> (usize, usize) {
    (
        CONNECTS.load(Ordering::SeqCst),
        SOCKETS.load(Ordering::SeqCst),
    )
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The patching is process-wide: tests run one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    /// `connect`/`socket` through the PLT: JUMP_SLOT.
    Plt,
    /// `-fno-plt`: GLOB_DAT.
    NoPlt,
    /// `&connect` loaded in code and called: GLOB_DAT for connect, JUMP_SLOT for socket.
    Pointer,
    /// `&connect` in initialised data: R_X86_64_64 / R_AARCH64_ABS64 (not handled).
    Data,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Binding {
    /// `-z relro -z lazy`
    Lazy,
    /// `-z relro -z now` (full RELRO)
    Now,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Self::Plt => "plt",
            Self::NoPlt => "noplt",
            Self::Pointer => "ptr",
            Self::Data => "data",
        }
    }

    fn flags(self) -> &'static [&'static str] {
        match self {
            Self::Plt => &[],
            Self::NoPlt => &["-fno-plt"],
            Self::Pointer => &["-DVIA_POINTER"],
            Self::Data => &["-DVIA_DATA"],
        }
    }
}

impl Binding {
    fn name(self) -> &'static str {
        match self {
            Self::Lazy => "lazy",
            Self::Now => "now",
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Self::Lazy => "-Wl,-z,relro,-z,lazy",
            Self::Now => "-Wl,-z,relro,-z,now",
        }
    }
}

const ALL_VARIANTS: [Variant; 4] = [
    Variant::Plt,
    Variant::NoPlt,
    Variant::Pointer,
    Variant::Data,
];
const ALL_BINDINGS: [Binding; 2] = [Binding::Lazy, Binding::Now];

/// Compiles every fixture variant once per test run.
fn fixture_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("got-fixtures-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create fixture dir");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/net.c");
        let cc = std::env::var("CC").unwrap_or_else(|_| "gcc".to_owned());
        for variant in ALL_VARIANTS {
            for binding in ALL_BINDINGS {
                let out = dir.join(format!("lib{}-{}.so", variant.name(), binding.name()));
                let status = Command::new(&cc)
                    .args(["-shared", "-fPIC", "-O2", "-Wall", "-Werror"])
                    .args(variant.flags())
                    .arg(binding.flag())
                    .arg("-o")
                    .arg(&out)
                    .arg(&source)
                    .status()
                    .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
                assert!(status.success(), "{cc} failed building {}", out.display());
            }
        }
        dir
    })
}

/// A dlopen'ed private copy of a fixture (a distinct file, so a distinct object).
struct Lib {
    handle: *mut c_void,
    path: CString,
    connect_fn: extern "C" fn(u16) -> c_int,
    socket_fn: extern "C" fn() -> c_int,
    variant: Variant,
    binding: Binding,
}

impl Lib {
    fn open(tag: &str, variant: Variant, binding: Binding) -> Lib {
        let name = format!("lib{}-{}.so", variant.name(), binding.name());
        let path = fixture_dir().join(format!("{tag}-{name}"));
        if !path.exists() {
            std::fs::copy(fixture_dir().join(&name), &path).expect("copy fixture");
        }
        let path = CString::new(path.as_os_str().as_bytes()).expect("path without NUL");
        let lib = Self::dlopen(&path, variant, binding);
        assert!(Lib::is_loaded(&path));
        lib
    }

    fn dlopen(path: &CStr, variant: Variant, binding: Binding) -> Lib {
        // SAFETY: loading our own fixture, whose constructors do nothing.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL) };
        assert!(!handle.is_null(), "dlopen {path:?} failed");
        let sym = |name: &CStr| {
            // SAFETY: looking up a symbol in a valid handle.
            let f = unsafe { libc::dlsym(handle, name.as_ptr()) };
            assert!(!f.is_null(), "{name:?} missing");
            f
        };
        // SAFETY: the fixture defines these with exactly these C signatures.
        let (connect_fn, socket_fn) = unsafe {
            (
                std::mem::transmute::<*mut c_void, extern "C" fn(u16) -> c_int>(sym(
                    c"fixture_connect",
                )),
                std::mem::transmute::<*mut c_void, extern "C" fn() -> c_int>(sym(
                    c"fixture_socket",
                )),
            )
        };
        Lib {
            handle,
            path: path.to_owned(),
            connect_fn,
            socket_fn,
            variant,
            binding,
        }
    }

    fn is_loaded(path: &CStr) -> bool {
        // SAFETY: RTLD_NOLOAD only looks the object up.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD) };
        if handle.is_null() {
            return false;
        }
        // SAFETY: dropping the reference RTLD_NOLOAD just took.
        unsafe { libc::dlclose(handle) };
        true
    }

    fn path_str(&self) -> &str {
        self.path.to_str().expect("utf-8 path")
    }

    /// connect() from inside the library to 127.0.0.1:port; 0 or errno.
    fn connect(&self, port: u16) -> c_int {
        (self.connect_fn)(port)
    }

    /// socket() from inside the library; 0 or errno.
    fn socket(&self) -> c_int {
        (self.socket_fn)()
    }

    /// dlclose and check that the object is really gone.
    fn close(self) {
        // SAFETY: the handle came from dlopen and nothing of the library is used afterwards.
        assert_eq!(unsafe { libc::dlclose(self.handle) }, 0);
        assert!(!Lib::is_loaded(&self.path), "{:?} still loaded", self.path);
    }
}

/// Skip everything except these libraries (keeps tests independent of the rest of the
/// process).
fn only<'a>(libs: &'a [&'a Lib]) -> impl Fn(&Object<'_>) -> bool + 'a {
    move |object: &Object<'_>| !libs.iter().any(|lib| lib.path.as_c_str() == object.path)
}

/// A 127.0.0.1 port with no listener.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.local_addr().expect("local addr").port()
}

/// connect() from this test binary (never patched) to 127.0.0.1:port; 0 or errno.
fn direct_connect(port: u16) -> c_int {
    // SAFETY: plain socket/connect/close calls on a fresh fd with a valid sockaddr_in.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as libc::sa_family_t;
        sa.sin_port = port.to_be();
        sa.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
        let rc = libc::connect(
            fd,
            std::ptr::addr_of!(sa).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        );
        let err = if rc == 0 {
            0
        } else {
            *libc::__errno_location()
        };
        libc::close(fd);
        err
    }
}

/// Protection of the mapping containing `addr`, from /proc/self/maps (e.g. "r--p").
fn protection_of(addr: usize) -> String {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("read /proc/self/maps");
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let start = usize::from_str_radix(start, 16).expect("hex");
        let end = usize::from_str_radix(end, 16).expect("hex");
        if start <= addr && addr < end {
            return perms.to_owned();
        }
    }
    panic!("{addr:#x} not mapped");
}

fn read_slot(addr: usize) -> usize {
    // SAFETY: `addr` is a GOT slot of a library that is loaded; reading a word is harmless.
    unsafe { std::ptr::read_volatile(addr as *const usize) }
}

fn walked(report: &sockguard_got::PatchReport, lib: &Lib) -> WalkStats {
    match &report
        .object(lib.path_str())
        .unwrap_or_else(|| panic!("{} not in report {report:#?}", lib.path_str()))
        .outcome
    {
        Outcome::Walked(stats) => *stats,
        other => panic!("{} was not walked: {other:?}", lib.path_str()),
    }
}

/// (kind, in RELRO) expected for the connect and socket slots of a fixture.
fn expected_slots(lib: &Lib) -> [(RelocKind, bool); 2] {
    use RelocKind::{GlobDat, JumpSlot};
    let now = lib.binding == Binding::Now;
    match lib.variant {
        Variant::Plt => [(JumpSlot, now), (JumpSlot, now)],
        // GLOB_DAT lives in .got, inside RELRO even with lazy binding.
        Variant::NoPlt => [(GlobDat, true), (GlobDat, true)],
        Variant::Pointer => [(GlobDat, true), (JumpSlot, now)],
        Variant::Data => unreachable!("not used here"),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn every_relocation_kind_is_rerouted_and_restored() {
    let _serial = serial();
    let blocked = closed_port();
    BLOCKED_PORT.store(blocked, Ordering::SeqCst);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let open = listener.local_addr().expect("local addr").port();

    let mut libs = Vec::new();
    for variant in [Variant::Plt, Variant::NoPlt, Variant::Pointer] {
        for binding in ALL_BINDINGS {
            libs.push(Lib::open("kinds", variant, binding));
        }
    }
    let refs: Vec<&Lib> = libs.iter().collect();

    // Lazy libraries are patched before their first call: their JUMP_SLOTs still hold the
    // PLT stubs, which restore() must put back.
    let mut patcher = Patcher::new();
    let report = patcher.patch_loaded(&reroutes(), &only(&refs));
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.slots_written, 2 * libs.len(), "{report:#?}");
    assert!(report.unusable().next().is_none());

    let mut slots = Vec::new();
    for lib in &libs {
        let stats = walked(&report, lib);
        assert_eq!(stats.slots_written, 2, "{}", lib.path_str());
        assert!(stats.absolute_dynamic, "glibc relocates d_ptr in place");
        let mine: Vec<_> = patcher
            .patched_slots()
            .filter(|s| s.object == lib.path.as_c_str())
            .collect();
        assert_eq!(mine.len(), 2);
        for (symbol, (kind, in_relro)) in
            [c"connect", c"socket"].into_iter().zip(expected_slots(lib))
        {
            let slot = mine
                .iter()
                .find(|s| s.symbol == symbol)
                .unwrap_or_else(|| panic!("{symbol:?} slot of {}", lib.path_str()));
            assert_eq!(
                (slot.kind, slot.in_relro),
                (kind, in_relro),
                "{symbol:?} in {}",
                lib.path_str()
            );
            assert_eq!(read_slot(slot.address), slot.replacement);
            // Patched RELRO pages are read-only again; others stayed writable.
            let expected = if in_relro { "r--p" } else { "rw-p" };
            assert_eq!(
                protection_of(slot.address),
                expected,
                "{symbol:?} in {}",
                lib.path_str()
            );
            if lib.binding == Binding::Lazy && kind == RelocKind::JumpSlot {
                // Unresolved lazy slot: the original is the library's own PLT stub.
                assert_eq!(
                    object_name_of(slot.original).as_deref(),
                    Some(lib.path_str())
                );
            } else {
                assert_eq!(
                    object_name_of(slot.original).map(|n| n.contains("libc.so")),
                    Some(true)
                );
            }
            slots.push((slot.address, slot.original, slot.in_relro));
        }
    }

    for lib in &libs {
        let (c, s) = counts();
        assert_eq!(lib.connect(blocked), libc::EACCES, "{}", lib.path_str());
        assert_eq!(counts(), (c + 1, s + 1), "{}", lib.path_str());
        assert_eq!(lib.connect(open), 0, "allowed connect passes through");
        assert_eq!(lib.socket(), 0);
        assert_eq!(counts(), (c + 2, s + 3));
    }
    // The test binary itself (the object containing got.rs) is never patched.
    let before = counts();
    assert_eq!(direct_connect(blocked), libc::ECONNREFUSED);
    assert_eq!(counts(), before);

    let restored = patcher.restore();
    assert_eq!(restored.restored, 2 * libs.len(), "{restored:?}");
    assert_eq!((restored.not_loaded, restored.changed), (0, 0));
    assert!(restored.failures.is_empty(), "{:?}", restored.failures);
    assert_eq!(patcher.slot_count(), 0);
    for &(address, original, in_relro) in &slots {
        assert_eq!(read_slot(address), original);
        let expected = if in_relro { "r--p" } else { "rw-p" };
        assert_eq!(protection_of(address), expected);
    }

    let before = counts();
    for lib in &libs {
        assert_eq!(
            lib.connect(blocked),
            libc::ECONNREFUSED,
            "{} after restore",
            lib.path_str()
        );
        assert_eq!(lib.connect(open), 0);
        assert_eq!(lib.socket(), 0);
    }
    assert_eq!(
        counts(),
        before,
        "no call reaches the replacements after restore"
    );
    drop(listener);
    libs.into_iter().for_each(Lib::close);
}

#[test]
fn lazy_slot_resolved_before_patching() {
    let _serial = serial();
    let blocked = closed_port();
    BLOCKED_PORT.store(blocked, Ordering::SeqCst);
    let lib = Lib::open("resolved", Variant::Plt, Binding::Lazy);
    assert_eq!(lib.connect(blocked), libc::ECONNREFUSED); // binds the lazy slots

    let mut patcher = Patcher::new();
    let report = patcher.patch_loaded(&reroutes(), &only(&[&lib]));
    assert_eq!(walked(&report, &lib).slots_written, 2);
    let (address, original) = patcher
        .patched_slots()
        .find(|s| s.symbol == c"connect")
        .map(|s| (s.address, s.original))
        .expect("connect slot");
    let libc_connect = libc::connect as *const () as usize;
    assert_eq!(original, libc_connect, "resolved slot held libc's connect");

    let (c, _) = counts();
    assert_eq!(lib.connect(blocked), libc::EACCES);
    assert_eq!(counts().0, c + 1);

    assert_eq!(patcher.restore().restored, 2);
    assert_eq!(read_slot(address), libc_connect);
    assert_eq!(lib.connect(blocked), libc::ECONNREFUSED);
    assert_eq!(counts().0, c + 1);
    lib.close();
}

#[test]
fn skipped_objects_and_the_own_binary_are_untouched() {
    let _serial = serial();
    let blocked = closed_port();
    BLOCKED_PORT.store(blocked, Ordering::SeqCst);
    let patched = Lib::open("skip-a", Variant::Plt, Binding::Now);
    let skipped = Lib::open("skip-b", Variant::Plt, Binding::Now);

    let mut patcher = Patcher::new();
    let report = patcher.patch_loaded(&reroutes(), &only(&[&patched]));
    assert_eq!(report.slots_written, 2);
    assert_eq!(
        report.object(skipped.path_str()).map(|o| &o.outcome),
        Some(&Outcome::SkippedByCaller)
    );
    // A fresh patcher sees the whole process: the test binary (which contains got.rs) and the
    // vDSO are recognised and never offered to `skip`.
    assert_eq!(
        report.object("").map(|o| &o.outcome),
        Some(&Outcome::SkippedOwnObject)
    );
    assert!(report
        .objects
        .iter()
        .any(|o| o.path.starts_with("linux-vdso") && o.outcome == Outcome::SkippedVdso));

    let (c, s) = counts();
    assert_eq!(skipped.connect(blocked), libc::ECONNREFUSED);
    assert_eq!(direct_connect(blocked), libc::ECONNREFUSED);
    assert_eq!(counts(), (c, s));
    assert_eq!(patched.connect(blocked), libc::EACCES);
    assert_eq!(counts(), (c + 1, s + 1));

    assert_eq!(patcher.restore().restored, 2);
    patched.close();
    skipped.close();
}

#[test]
fn whole_process_with_system_objects_skipped() {
    let _serial = serial();
    let blocked = closed_port();
    BLOCKED_PORT.store(blocked, Ordering::SeqCst);
    let lib = Lib::open("system", Variant::NoPlt, Binding::Now);

    // What sockguard does: patch everything except libc, the loader and the vDSO.
    let offered = Mutex::new(Vec::new());
    let skip = |object: &Object<'_>| {
        let system = is_system_object(object);
        offered
            .lock()
            .expect("not poisoned")
            .push((object.path.to_string_lossy().into_owned(), system));
        system
    };
    let mut patcher = Patcher::new();
    let report = patcher.patch_loaded(&reroutes(), &skip);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert!(report.unusable().next().is_none(), "{report:#?}");
    assert_eq!(walked(&report, &lib).slots_written, 2);

    let offered = offered.into_inner().expect("not poisoned");
    let system_of = |needle: &str| {
        offered
            .iter()
            .find(|(path, _)| path.contains(needle))
            .map(|(_, system)| *system)
    };
    assert_eq!(system_of("libc.so"), Some(true), "{offered:?}");
    assert_eq!(system_of("ld-linux"), Some(true), "{offered:?}");
    assert_eq!(system_of(lib.path_str()), Some(false));
    assert!(
        !offered.iter().any(|(path, _)| path.is_empty()),
        "own binary is never offered"
    );
    assert!(!offered
        .iter()
        .any(|(path, _)| path.starts_with("linux-vdso")));
    // Every other object was walked without complaint (most import neither function).
    for object in &report.objects {
        assert!(
            matches!(
                object.outcome,
                Outcome::Walked(_)
                    | Outcome::SkippedByCaller
                    | Outcome::SkippedOwnObject
                    | Outcome::SkippedVdso
            ),
            "{object:?}"
        );
    }

    let (c, _) = counts();
    assert_eq!(lib.connect(blocked), libc::EACCES);
    assert_eq!(counts().0, c + 1);
    let restored = patcher.restore();
    assert_eq!(restored.restored, report.slots_written);
    assert_eq!(lib.connect(blocked), libc::ECONNREFUSED);
    lib.close();
}

#[test]
fn objects_loaded_later_are_patched_by_the_next_scan() {
    let _serial = serial();
    let blocked = closed_port();
    BLOCKED_PORT.store(blocked, Ordering::SeqCst);
    let first = Lib::open("later-a", Variant::Pointer, Binding::Now);

    let mut patcher = Patcher::new();
    assert!(patcher.loader_changed(), "nothing scanned yet");
    let report = patcher.patch_loaded(&reroutes(), &only(&[&first]));
    assert_eq!(walked(&report, &first).slots_written, 2);
    assert!(!patcher.loader_changed());

    let second = Lib::open("later-b", Variant::Plt, Binding::Lazy);
    assert!(patcher.loader_changed(), "dlopen bumps dlpi_adds");
    let refs = [&first, &second];
    let report = patcher.patch_loaded(&reroutes(), &only(&refs));
    // Only the new object was looked at; the first one was not walked again.
    assert_eq!(report.objects.len(), 1, "{report:#?}");
    assert_eq!(walked(&report, &second).slots_written, 2);
    assert_eq!(patcher.slot_count(), 4);
    assert!(!patcher.loader_changed());

    // Nothing new: nothing looked at, nothing written.
    let report = patcher.patch_loaded(&reroutes(), &only(&refs));
    assert!(
        report.objects.is_empty() && report.slots_written == 0,
        "{report:#?}"
    );

    let (c, _) = counts();
    assert_eq!(first.connect(blocked), libc::EACCES);
    assert_eq!(second.connect(blocked), libc::EACCES);
    assert_eq!(counts().0, c + 2);

    // restore() forgets everything, so the next scan walks both again.
    assert_eq!(patcher.restore().restored, 4);
    let report = patcher.patch_loaded(&reroutes(), &only(&refs));
    assert_eq!(report.slots_written, 4);
    assert_eq!(first.connect(blocked), libc::EACCES);
    assert_eq!(patcher.restore().restored, 4);
    assert_eq!(first.connect(blocked), libc::ECONNREFUSED);
    assert_eq!(second.connect(blocked), libc::ECONNREFUSED);
    first.close();
    second.close();
}

#[test]
fn unloaded_objects_are_not_restored() {
    let _serial = serial();
    let blocked = closed_port();
    BLOCKED_PORT.store(blocked, Ordering::SeqCst);
    let gone = Lib::open("unload-a", Variant::Plt, Binding::Now);
    let kept = Lib::open("unload-b", Variant::NoPlt, Binding::Lazy);

    let mut patcher = Patcher::new();
    let report = patcher.patch_loaded(&reroutes(), &only(&[&gone, &kept]));
    assert_eq!(report.slots_written, 4);
    gone.close(); // unmapped: its slots must not be written

    let restored = patcher.restore();
    assert_eq!(
        (restored.restored, restored.not_loaded),
        (2, 2),
        "{restored:?}"
    );
    assert!(restored.failures.is_empty());
    let before = counts();
    assert_eq!(kept.connect(blocked), libc::ECONNREFUSED);
    assert_eq!(counts(), before);
    kept.close();
}

#[test]
fn reloaded_and_forgotten_objects_are_walked_again() {
    let _serial = serial();
    let blocked = closed_port();
    BLOCKED_PORT.store(blocked, Ordering::SeqCst);

    // Reloaded without forget_unloaded(): the same path (usually at the same base) comes back
    // with fresh GOT values; patch_loaded notices that its slots no longer hold the
    // replacements and walks it again.
    let lib = Lib::open("reload", Variant::Plt, Binding::Now);
    let path = lib.path.clone();
    let mut patcher = Patcher::new();
    let skip_others = |o: &Object<'_>| o.path != path.as_c_str();
    assert_eq!(
        patcher
            .patch_loaded(&reroutes(), &skip_others)
            .slots_written,
        2
    );
    lib.close();
    let lib = Lib::dlopen(&path, Variant::Plt, Binding::Now);
    assert_eq!(
        lib.connect(blocked),
        libc::ECONNREFUSED,
        "fresh copy is unpatched"
    );
    let report = patcher.patch_loaded(&reroutes(), &skip_others);
    assert_eq!(walked(&report, &lib).slots_written, 2, "{report:#?}");
    assert_eq!(patcher.slot_count(), 2);
    assert_eq!(lib.connect(blocked), libc::EACCES);

    // forget_unloaded() drops what dlclose took away.
    lib.close();
    assert_eq!(patcher.forget_unloaded(), 1);
    assert_eq!(patcher.slot_count(), 0);
    let lib = Lib::dlopen(&path, Variant::Plt, Binding::Now);
    let report = patcher.patch_loaded(&reroutes(), &skip_others);
    assert_eq!(walked(&report, &lib).slots_written, 2);
    let restored = patcher.restore();
    assert_eq!((restored.restored, restored.not_loaded), (2, 0));
    assert_eq!(lib.connect(blocked), libc::ECONNREFUSED);
    lib.close();
}

#[test]
fn a_second_patcher_finds_the_slots_already_rerouted() {
    let _serial = serial();
    let lib = Lib::open("twice", Variant::Pointer, Binding::Lazy);
    let mut first = Patcher::new();
    let mut second = Patcher::new();
    assert_eq!(
        first
            .patch_loaded(&reroutes(), &only(&[&lib]))
            .slots_written,
        2
    );
    let report = second.patch_loaded(&reroutes(), &only(&[&lib]));
    let stats = walked(&report, &lib);
    assert_eq!((stats.slots_written, stats.already_rerouted), (0, 2));
    assert_eq!(second.restore().restored, 0);
    assert_eq!(first.restore().restored, 2);
    lib.close();
}

#[test]
fn function_pointers_in_initialised_data_are_a_known_gap() {
    let _serial = serial();
    let blocked = closed_port();
    BLOCKED_PORT.store(blocked, Ordering::SeqCst);
    for binding in ALL_BINDINGS {
        let lib = Lib::open("data", Variant::Data, binding);
        let mut patcher = Patcher::new();
        let report = patcher.patch_loaded(&reroutes(), &only(&[&lib]));
        // socket (JUMP_SLOT) is rerouted; connect is reached through R_*_64 data, which this
        // module deliberately does not rewrite.
        assert_eq!(walked(&report, &lib).slots_written, 1);
        let (c, s) = counts();
        assert_eq!(lib.connect(blocked), libc::ECONNREFUSED);
        assert_eq!(counts(), (c, s + 1));
        assert_eq!(patcher.restore().restored, 1);
        lib.close();
    }
}

#[test]
fn object_name_of_names_the_containing_object() {
    let _serial = serial();
    let lib = Lib::open("names", Variant::Plt, Binding::Now);
    assert_eq!(
        object_name_of(lib.connect_fn as *const () as usize).as_deref(),
        Some(lib.path_str())
    );
    let libc_name = object_name_of(libc::connect as *const () as usize).expect("libc is named");
    assert!(libc_name.contains("libc.so"), "{libc_name}");
    assert_eq!(object_name_of(0), None);
    // For the main executable glibc reports the program name (argv[0]).
    assert_eq!(
        object_name_of(direct_connect as *const () as usize),
        std::env::args().next()
    );
    lib.close();
}

/// Builds examples/harness.rs (a cdylib embedding the patcher, like the PHP extension) in a
/// separate target directory, so the nested cargo does not wait on the outer one's lock.
fn harness_library() -> &'static Path {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nested");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_owned());
        let status = Command::new(&cargo)
            .args(["build", "--quiet", "--offline", "--example", "harness"])
            .arg("--manifest-path")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target)
            .env_remove("CARGO_TARGET_DIR")
            .status()
            .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
        assert!(status.success(), "building examples/harness.rs failed");
        target.join("debug/examples/libharness.so")
    })
}

#[test]
fn main_executable_is_patched_from_a_shared_library() {
    let _serial = serial();
    let harness = harness_library();
    let blocked = closed_port();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/main.c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "gcc".to_owned());
    // PIE: connect is reached through a GLOB_DAT slot (calls and &connect share it).
    // Non-PIE: connect is a JUMP_SLOT whose undefined symbol carries the canonical PLT address.
    for (name, flags) in [
        ("main-pie", ["-fPIE", "-pie"]),
        ("main-nopie", ["-fno-pie", "-no-pie"]),
    ] {
        let exe = fixture_dir().join(name);
        let status = Command::new(&cc)
            .args(["-O2", "-Wall", "-Werror"])
            .args(flags)
            .arg("-o")
            .arg(&exe)
            .arg(&source)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
        assert!(status.success(), "{cc} failed building {name}");
        let output = Command::new(&exe)
            .arg(harness)
            .arg(blocked.to_string())
            .output()
            .expect("run the test program");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{name}: {:?}\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let value = |key: &str| -> i64 {
            stdout
                .lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
                .unwrap_or_else(|| panic!("{name}: no {key} in\n{stdout}"))
                .parse()
                .expect("number")
        };
        let refused = i64::from(libc::ECONNREFUSED);
        let denied = i64::from(libc::EACCES);
        assert_eq!(value("before"), refused, "{name}\n{stdout}");
        assert_eq!(
            value("main_slots"),
            2,
            "{name}: connect and socket\n{stdout}"
        );
        assert!(value("patched") >= 2, "{name}\n{stdout}");
        assert_eq!(value("direct"), denied, "{name}\n{stdout}");
        assert_eq!(
            value("pointer"),
            denied,
            "{name}: &connect after patching\n{stdout}"
        );
        assert_eq!(value("connects"), 2, "{name}\n{stdout}");
        assert_eq!(value("sockets"), 2, "{name}\n{stdout}");
        assert_eq!(value("restored"), value("patched"), "{name}\n{stdout}");
        assert_eq!(value("after"), refused, "{name}\n{stdout}");
        assert_eq!(value("pointer_after"), refused, "{name}\n{stdout}");
        assert_eq!(value("connects_after"), 2, "{name}\n{stdout}");
    }
}

#[test]
fn a_slot_rewritten_behind_our_back_is_reclaimed_and_the_rest_keep_their_originals() {
    let _serial = serial();
    let blocked = closed_port();
    BLOCKED_PORT.store(blocked, Ordering::SeqCst);
    // Lazy PLT build: the JUMP_SLOTs are outside RELRO, so the test can write them directly.
    let lib = Lib::open("rewritten", Variant::Plt, Binding::Lazy);
    let mut patcher = Patcher::new();
    assert_eq!(
        patcher
            .patch_loaded(&reroutes(), &only(&[&lib]))
            .slots_written,
        2
    );
    let slot_of = |patcher: &Patcher, symbol: &CStr| {
        patcher
            .patched_slots()
            .find(|s| s.symbol == symbol)
            .map(|s| (s.address, s.original))
            .expect("slot")
    };
    let (connect_slot, _) = slot_of(&patcher, c"connect");
    let (socket_slot, socket_original) = slot_of(&patcher, c"socket");

    // Someone else (another hooking library, say) points the connect slot at libc directly.
    let libc_connect = libc::connect as *const () as usize;
    // SAFETY: an aligned, writable GOT slot of a loaded library; the value is a valid function
    // of the same type.
    unsafe { std::ptr::write_volatile(connect_slot as *mut usize, libc_connect) };
    assert_eq!(lib.connect(blocked), libc::ECONNREFUSED);

    // The next scan notices and takes the slot back; socket's record (and original) is kept.
    let report = patcher.patch_loaded(&reroutes(), &only(&[&lib]));
    let stats = walked(&report, &lib);
    assert_eq!(
        (stats.slots_written, stats.already_rerouted),
        (1, 1),
        "{report:#?}"
    );
    assert_eq!(patcher.slot_count(), 2);
    assert_eq!(slot_of(&patcher, c"connect"), (connect_slot, libc_connect));
    assert_eq!(slot_of(&patcher, c"socket"), (socket_slot, socket_original));
    assert_eq!(lib.connect(blocked), libc::EACCES);

    assert_eq!(patcher.restore().restored, 2);
    assert_eq!(read_slot(connect_slot), libc_connect);
    assert_eq!(read_slot(socket_slot), socket_original);
    assert_eq!(lib.connect(blocked), libc::ECONNREFUSED);
    lib.close();
}

#[test]
fn a_panicking_skip_callback_is_contained_and_retried() {
    let _serial = serial();
    let lib = Lib::open("panicky", Variant::Plt, Binding::Now);
    let mut patcher = Patcher::new();
    let report = patcher.patch_loaded(&reroutes(), &|o: &Object<'_>| {
        if o.path == lib.path.as_c_str() {
            panic!("skip callback panics (expected in this test)");
        }
        true
    });
    assert_eq!(
        report.object(lib.path_str()).map(|o| &o.outcome),
        Some(&Outcome::SkipPanicked)
    );
    assert_eq!(report.slots_written, 0);
    // Offered again by the next scan.
    let report = patcher.patch_loaded(&reroutes(), &only(&[&lib]));
    assert_eq!(walked(&report, &lib).slots_written, 2);
    assert_eq!(patcher.restore().restored, 2);
    lib.close();
}

//! The floor: reroutes libc socket calls made by other loaded ELF objects by rewriting their
//! GOT entries.
//!
//! # What it does
//!
//! [`Patcher::patch_loaded`] walks every object the dynamic loader has mapped
//! (`dl_iterate_phdr`), reads its `PT_DYNAMIC` array (`DT_SYMTAB`, `DT_STRTAB`, `DT_STRSZ`,
//! `DT_SYMENT`, `DT_JMPREL`/`DT_PLTRELSZ`/`DT_PLTREL`, `DT_RELA`/`DT_RELASZ`/`DT_RELAENT` and,
//! because it costs nothing extra, `DT_REL`/`DT_RELSZ`/`DT_RELENT`) and, for every `JUMP_SLOT`
//! or `GLOB_DAT` relocation whose symbol is one of the requested names, stores the replacement's
//! address in the slot the relocation fills (`dlpi_addr + r_offset`). `JUMP_SLOT` slots are what
//! ordinary `call connect@PLT` goes through; `GLOB_DAT` slots are what `-fno-plt` calls and
//! `&connect` function-pointer loads go through. Note that when a PIE executable or a shared
//! object both calls `connect` and takes its address, the linker routes the calls through the
//! `GLOB_DAT` slot too and emits no `JUMP_SLOT` at all (seen with Debian's gcc 12 / binutils
//! 2.40), so `GLOB_DAT` is not optional. Every written slot is remembered together with the value
//! it held, so [`Patcher::restore`] can put the originals back.
//!
//! Slots inside the object's `PT_GNU_RELRO` region (all of them with `-z now`, the `GLOB_DAT`
//! ones with plain `-z relro`) are read-only once the loader has relocated the object: the page
//! is made writable with `mprotect` for the single store and set back to `PROT_READ`, which is
//! exactly the protection glibc's `_dl_protect_relro` gives it. The protected range is rounded
//! the way glibc rounds it (both ends rounded *down* to a page), so the partial page at the end
//! of RELRO, which glibc leaves writable because it is shared with `.data`, is never made
//! read-only by us.
//!
//! # Which slots are rewritten
//!
//! * Only `JUMP_SLOT` and `GLOB_DAT` (x86_64: 7 and 6, aarch64: 1026 and 1025).
//! * The symbol's name must equal a requested name exactly (`.dynstr` holds no version suffix;
//!   `connect` and `socket` have a single version in glibc, so versions are ignored).
//! * The symbol must be a function or untyped (`STT_FUNC`, `STT_GNU_IFUNC`, `STT_NOTYPE`); a data
//!   object that happens to be called `connect` is left alone.
//! * If the symbol is undefined in the object (`st_shndx == SHN_UNDEF`) the slot is rewritten
//!   whatever it points to: the object calls "some `connect`". If the object *defines* the
//!   symbol itself (an interposer, or a library exporting its own `connect`), the slot is
//!   rewritten only when it currently points into libc, i.e. symbol interposition already bound
//!   the object's own reference to libc's function; an object that keeps calling its own
//!   definition keeps doing so. A lazily bound, still unresolved slot of such a defined symbol
//!   points at the object's own PLT stub and is therefore left alone too (counted in
//!   [`WalkStats::own_definition`]).
//! * A slot holding 0 (a weak undefined symbol that nothing defines) is left alone: writing a
//!   non-null pointer there would change `if (&connect)` tests in the object.
//! * A slot that already holds the replacement is left alone, and a slot is never recorded twice
//!   (`DT_RELA` ranges that also cover `DT_JMPREL`, as some linkers emit, are harmless).
//!
//! # What it does not do
//!
//! * It never touches the object containing this module (the replacements call the real libc
//!   functions through it) nor the vDSO. libc and the dynamic loader are patched only if the
//!   caller's `skip` lets them through; [`is_system_object`] tells them apart.
//! * It does not see calls that do not go through a GOT slot filled by `JUMP_SLOT`/`GLOB_DAT`:
//!   function pointers stored in initialised data (`R_X86_64_64`/`R_AARCH64_ABS64`), pointers
//!   obtained from `dlsym`, statically linked libc code, raw `syscall` instructions, and libc's
//!   internal calls (which are hidden and bypass the PLT).
//! * It does not parse `/proc/self/maps`: `PT_GNU_RELRO` says exactly which pages glibc made
//!   read-only, and every other GOT page lies in a writable `PT_LOAD` segment.
//! * It cannot reach copies of a slot's value: a function pointer read from the GOT before
//!   patching keeps calling libc, and one read while patched keeps calling the replacement after
//!   [`Patcher::restore`] (compilers do keep `&connect` in registers across calls). So patch as
//!   early as possible, and keep the replacement functions valid and working (passing calls
//!   through when the policy is off) for the life of the process, even after `restore`.
//! * It does not restore anything on drop; call [`Patcher::restore`] explicitly.
//! * It does not hook `dlopen`. The caller rescans after `dlopen` (see
//!   [`Patcher::loader_changed`]); objects that libc loads internally (NSS modules, gconv
//!   modules) do not pass through a `dlopen` wrapper and are only caught by a later rescan.
//! * It cannot make the rewrite atomic with respect to the loader. Two races are inherent to GOT
//!   patching and are the caller's to avoid: (1) an object another thread is `dlopen`ing right
//!   now is visible to `dl_iterate_phdr` before it is relocated, and the loader would overwrite
//!   (or, for lazy slots, add the load bias to) what we write, or fault on a RELRO page we set
//!   back to read-only before the loader got to protect it; (2) with lazy binding, a thread
//!   that entered a PLT stub just before the store can still complete `_dl_fixup` and store the
//!   resolved libc address over ours. Patching at startup and right after `dlopen` returns, as
//!   sockguard does, avoids both in practice.
//!
//! # Why our own module instead of the `plthook` crate
//!
//! * Clarity: one Rust file that does exactly this job, reviewable alongside the policy code.
//! * No C: no `cc` build step, no C code in the extension.
//! * Both relocation kinds everywhere: `JUMP_SLOT` *and* `GLOB_DAT`, so `-fno-plt` builds and
//!   address-taken `connect` are covered.
//! * RELRO from `PT_GNU_RELRO` with glibc's own rounding instead of reading `/proc/self/maps` for
//!   every write, and the page is put back to exactly `PROT_READ`.
//! * Restore: every slot's original is kept and put back, only in objects that are still loaded
//!   and only where the slot still holds our replacement.
//! * Whole-process walking with incremental rescans, and objects recognised across rescans.
//!
//! # Locking and allocation
//!
//! Patching and restoring allocate and take the loader's object-list lock (through
//! `dl_iterate_phdr`); everything that writes a slot runs inside the `dl_iterate_phdr` callback
//! for that object, so glibc cannot unmap the object meanwhile (`dlclose` unmaps under the same
//! lock). The caller's `skip` callback runs *outside* that lock, so it may call `dladdr`, `dlsym`
//! and the like. [`Patcher::loader_changed`] and [`loader_generation`] do not allocate; they take
//! the loader's lock for one callback. Nothing here is meant for a signal handler.
//!
//! # Loader details handled
//!
//! * `d_ptr` values: glibc relocates the ones it uses in place when it loads an object, but not
//!   in an object whose `.dynamic` is read-only: here the vDSO's `DT_STRTAB` reads `0x320` while
//!   every other object's is absolute (other C libraries, e.g. musl, may not relocate them at
//!   all). As in plthook and glibc's own handling, a pointer below `dlpi_addr` is taken as
//!   unrelocated and has `dlpi_addr` added, otherwise it is used as is; either way it must land
//!   inside one of the object's readable `PT_LOAD` segments (if the first reading does not, the
//!   other one is tried). [`WalkStats::absolute_dynamic`] tells which reading was used.
//! * Every table, symbol, string and slot is bounds-checked against the object's `PT_LOAD`
//!   segments before it is read or written; slots must be 8-byte aligned and lie in a writable
//!   segment. Malformed entries are counted and skipped; an object whose dynamic section is
//!   unusable is skipped and reported. Nothing here panics on bad ELF data.
//! * `DT_REL` tables (16-byte entries, no addend) are read like `DT_RELA` ones; the slot and the
//!   symbol are all that matter here. On x86_64 and aarch64 linkers emit `DT_RELA` only.
//! * `R_*_IRELATIVE`, `RELATIVE`, `DT_RELR` carry no symbol and are ignored.
//! * In a non-PIE executable that takes `&connect`, the undefined `connect` symbol carries the
//!   address of the executable's PLT entry (the canonical address), and every other object's
//!   `connect` slot points there, i.e. through the executable's `JUMP_SLOT`. The symbol is still
//!   `SHN_UNDEF`, so that slot is rewritten like any other.
//! * Prelinked objects are handled by the same rules: `r_offset` is always relative to
//!   `dlpi_addr` (as glibc computes it), and `d_ptr` values are validated against the segments
//!   whichever way they are read.

#![deny(clippy::unwrap_used)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks, missing_docs)]

#[cfg(not(all(
    target_os = "linux",
    target_pointer_width = "64",
    target_endian = "little",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
compile_error!("got.rs supports 64-bit little-endian Linux on x86_64 and aarch64 only");

use std::ffi::{c_int, c_ulonglong, c_void, CStr, CString};
use std::fmt;
use std::mem::{offset_of, size_of};
use std::ops::ControlFlow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

// ---------------------------------------------------------------------------------------------
// ELF constants (ELF-64; see the System V gABI and the psABI supplements)
// ---------------------------------------------------------------------------------------------

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_GNU_RELRO: u32 = 0x6474_e552;
const PF_W: u32 = 0x2;
const PF_R: u32 = 0x4;

const DT_NULL: i64 = 0;
const DT_PLTRELSZ: i64 = 2;
const DT_STRTAB: i64 = 5;
const DT_SYMTAB: i64 = 6;
const DT_RELA: i64 = 7;
const DT_RELASZ: i64 = 8;
const DT_RELAENT: i64 = 9;
const DT_STRSZ: i64 = 10;
const DT_SYMENT: i64 = 11;
const DT_REL: i64 = 17;
const DT_RELSZ: i64 = 18;
const DT_RELENT: i64 = 19;
const DT_PLTREL: i64 = 20;
const DT_JMPREL: i64 = 23;

const SHN_UNDEF: u16 = 0;
const STT_NOTYPE: u8 = 0;
const STT_FUNC: u8 = 2;
const STT_GNU_IFUNC: u8 = 10;

/// `sizeof(Elf64_Dyn)`: `d_tag` (i64) at 0, `d_un` (u64) at 8.
const DYN_SIZE: usize = 16;
/// `sizeof(Elf64_Sym)`: `st_name` u32 at 0, `st_info` u8 at 4, `st_shndx` u16 at 6.
const SYM_SIZE: usize = 24;
/// `sizeof(Elf64_Rela)`: `r_offset` at 0, `r_info` at 8, `r_addend` at 16.
const RELA_SIZE: usize = 24;
/// `sizeof(Elf64_Rel)`: `r_offset` at 0, `r_info` at 8.
const REL_SIZE: usize = 16;
/// Size of one GOT slot.
const SLOT_SIZE: usize = size_of::<usize>();

#[cfg(target_arch = "x86_64")]
const R_JUMP_SLOT: u32 = 7; // R_X86_64_JUMP_SLOT
#[cfg(target_arch = "x86_64")]
const R_GLOB_DAT: u32 = 6; // R_X86_64_GLOB_DAT
#[cfg(target_arch = "aarch64")]
const R_JUMP_SLOT: u32 = 1026; // R_AARCH64_JUMP_SLOT
#[cfg(target_arch = "aarch64")]
const R_GLOB_DAT: u32 = 1025; // R_AARCH64_GLOB_DAT

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// One function to reroute: calls to `symbol` from patched objects go to `replacement`.
///
/// `replacement` is the address of an `extern "C"` function with the same signature as
/// `symbol`, e.g. `sockguard_connect as usize`. It must stay valid for as long as any slot holds
/// it (in practice: for the life of the process, or until [`Patcher::restore`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reroute {
    /// The symbol name as it appears in `.dynstr`, e.g. `c"connect"`.
    pub symbol: &'static CStr,
    /// Address of the replacement function.
    pub replacement: usize,
}

/// Which relocation filled a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RelocKind {
    /// `R_*_JUMP_SLOT`: a PLT slot (ordinary `call f@PLT`).
    JumpSlot,
    /// `R_*_GLOB_DAT`: a `.got` entry (`-fno-plt` calls, `&f` in position-independent code).
    GlobDat,
}

/// What an object is, for the caller's skip decision.
#[derive(Clone, Copy)]
pub struct Object<'a> {
    /// `dlpi_name`: the path the loader used, `""` for the main executable.
    pub path: &'a CStr,
    /// `dlpi_addr`: the load bias (0 for a non-PIE executable).
    pub base: usize,
    segments: &'a [Segment],
}

impl Object<'_> {
    /// Whether `addr` lies inside one of the object's `PT_LOAD` segments.
    pub fn contains(&self, addr: usize) -> bool {
        self.segments.iter().any(|s| s.contains(addr))
    }
}

impl fmt::Debug for Object<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Object")
            .field("path", &self.path)
            .field("base", &format_args!("{:#x}", self.base))
            .finish_non_exhaustive()
    }
}

/// The loader's counters of objects ever added and removed (`dlpi_adds`, `dlpi_subs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoaderGeneration {
    /// Objects mapped since process start.
    pub adds: u64,
    /// Objects unmapped since process start.
    pub subs: u64,
}

/// Result of [`Patcher::patch_loaded`].
#[derive(Debug, Default)]
pub struct PatchReport {
    /// Slots written by this call.
    pub slots_written: usize,
    /// One entry for every object this call looked at for the first time. Objects seen by an
    /// earlier call do not appear, unless their recorded slots were rewritten since (then they
    /// are walked again and appear).
    pub objects: Vec<ObjectReport>,
    /// Slots that matched but could not be written, or were written but could not be put back
    /// to read-only.
    pub failures: Vec<SlotFailure>,
    /// A `dl_iterate_phdr` pass was cut short (a panic inside the callback was caught). Some
    /// objects may not have been looked at; nothing was forgotten because of it.
    pub incomplete: bool,
}

impl PatchReport {
    /// Objects whose dynamic section could not be used.
    pub fn unusable(&self) -> impl Iterator<Item = (&ObjectReport, &Unusable)> + '_ {
        self.objects.iter().filter_map(|o| match &o.outcome {
            Outcome::Unusable(u) => Some((o, u)),
            _ => None,
        })
    }

    /// The report entry for the object loaded from `path`, if this call looked at it.
    pub fn object(&self, path: &str) -> Option<&ObjectReport> {
        self.objects.iter().find(|o| o.path == path)
    }
}

/// What [`Patcher::patch_loaded`] did with one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectReport {
    /// `dlpi_name` (lossily converted), `""` for the main executable.
    pub path: String,
    /// `dlpi_addr`.
    pub base: usize,
    /// What happened.
    pub outcome: Outcome,
}

/// What happened to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Its relocations were walked.
    Walked(WalkStats),
    /// The caller's `skip` excluded it. It is remembered and not offered to `skip` again.
    SkippedByCaller,
    /// It contains this module (the replacements reach libc through its GOT). Never patched.
    SkippedOwnObject,
    /// The vDSO. Never patched.
    SkippedVdso,
    /// The caller's `skip` panicked. Not patched; offered again by the next scan.
    SkipPanicked,
    /// Its dynamic section is unusable; nothing was written. It is remembered.
    Unusable(Unusable),
    /// It was unloaded between the two passes of the scan (or, with
    /// [`PatchReport::incomplete`], not reached). Not remembered, so the next scan retries it.
    Vanished,
}

/// Counters for one walked object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkStats {
    /// Slots written.
    pub slots_written: usize,
    /// Matching slots that already held the replacement (left alone, not recorded).
    pub already_rerouted: usize,
    /// Matching slots holding 0, i.e. an unresolved weak reference (left alone).
    pub unresolved: usize,
    /// Matching slots of a symbol the object defines itself that do not point into libc
    /// (left alone).
    pub own_definition: usize,
    /// Relocation entries skipped because they point outside the object's segments (bad
    /// symbol index, string offset, slot address or alignment).
    pub malformed: usize,
    /// Whether the `d_ptr` values were already absolute (relocated in place by the loader).
    pub absolute_dynamic: bool,
}

/// Why an object's dynamic section could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// No `PT_DYNAMIC` program header (e.g. a static executable).
    NoDynamicSection,
    /// `PT_DYNAMIC` does not lie inside a readable `PT_LOAD` segment.
    DynamicOutOfBounds,
    /// A tag that the present tables need is missing.
    MissingTag(&'static str),
    /// An entry size differs from the ELF-64 structure size.
    BadEntrySize {
        /// The tag carrying the size.
        tag: &'static str,
        /// Its value.
        size: u64,
    },
    /// A table does not lie inside a readable `PT_LOAD` segment.
    OutOfBounds(&'static str),
    /// `DT_PLTREL` is neither `DT_RELA` nor `DT_REL`.
    UnsupportedPltRel(u64),
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoDynamicSection => f.write_str("no PT_DYNAMIC program header"),
            Self::DynamicOutOfBounds => f.write_str("PT_DYNAMIC lies outside the loaded segments"),
            Self::MissingTag(tag) => write!(f, "dynamic section lacks {tag}"),
            Self::BadEntrySize { tag, size } => write!(f, "{tag} is {size}, not the ELF-64 size"),
            Self::OutOfBounds(tag) => write!(f, "table of {tag} lies outside the loaded segments"),
            Self::UnsupportedPltRel(v) => write!(f, "DT_PLTREL is {v}, neither DT_RELA nor DT_REL"),
        }
    }
}

/// A slot that could not be written (or restored) cleanly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotFailure {
    /// Path of the object holding the slot.
    pub object: String,
    /// The symbol.
    pub symbol: &'static CStr,
    /// Address of the slot.
    pub slot: usize,
    /// What went wrong.
    pub error: SlotError,
}

/// What went wrong with a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotError {
    /// `mprotect(PROT_READ | PROT_WRITE)` on the RELRO page failed with this errno (e.g. EPERM
    /// on a sealed mapping); nothing was written.
    Unprotect(i32),
    /// The value was written but `mprotect(PROT_READ)` failed with this errno: the page stays
    /// writable.
    Reprotect(i32),
    /// At restore time the slot no longer lies in a writable segment of the object.
    NotMapped,
}

impl fmt::Display for SlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unprotect(e) => write!(f, "cannot make the RELRO page writable (errno {e})"),
            Self::Reprotect(e) => {
                write!(f, "written, but the RELRO page stays writable (errno {e})")
            }
            Self::NotMapped => f.write_str("slot no longer lies in a writable segment"),
        }
    }
}

/// Result of [`Patcher::restore`].
#[derive(Debug, Default)]
pub struct RestoreReport {
    /// Slots that got their original value back.
    pub restored: usize,
    /// Slots not written because their object is no longer loaded (forgotten).
    pub not_loaded: usize,
    /// Slots left alone because they no longer held our replacement, i.e. someone else wrote
    /// them since (forgotten).
    pub changed: usize,
    /// Slots that could not be restored; those with [`SlotError::Unprotect`] are kept so a later
    /// `restore` can retry.
    pub failures: Vec<SlotFailure>,
    /// The `dl_iterate_phdr` pass was cut short; unvisited objects were kept, not forgotten.
    pub incomplete: bool,
}

/// One slot a [`Patcher`] has written, for diagnostics.
#[derive(Debug, Clone, Copy)]
pub struct PatchedSlot<'a> {
    /// Path of the object holding the slot (`""` for the main executable).
    pub object: &'a CStr,
    /// Load bias of that object.
    pub object_base: usize,
    /// The symbol.
    pub symbol: &'static CStr,
    /// The relocation that fills the slot.
    pub kind: RelocKind,
    /// Address of the slot.
    pub address: usize,
    /// The value it held before we wrote it.
    pub original: usize,
    /// The value we wrote.
    pub replacement: usize,
    /// Whether the slot lies in the object's read-only RELRO pages.
    pub in_relro: bool,
}

/// Owns the list of written slots. `Send` and `Sync`; keep it behind a `Mutex`.
#[derive(Debug, Default)]
pub struct Patcher {
    objects: Vec<KnownObject>,
    generation: Option<LoaderGeneration>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Patcher>();
};

impl Patcher {
    /// A patcher that has written nothing.
    pub const fn new() -> Self {
        Self {
            objects: Vec::new(),
            generation: None,
        }
    }

    /// Patches every loaded object that `skip` does not exclude and that was not looked at
    /// before; returns what it did (`slots_written` is the number of slots written).
    ///
    /// Objects are recognised by load bias, path and program-header address, so after a
    /// `dlopen` only the new objects are walked. An object recognised from an earlier call is
    /// walked again only if one of its recorded slots no longer holds its replacement (it was
    /// unloaded and loaded again at the same address, or someone overwrote the slot); objects
    /// that are no longer loaded are forgotten. `skip` is asked once per object, outside the
    /// loader lock; the object containing this module and the vDSO are never offered to it.
    /// Invalid reroutes (replacement 0, empty name) are ignored; for duplicate names the first
    /// wins.
    ///
    /// Never panics on malformed ELF data: an object whose dynamic section is unusable is
    /// skipped and reported as [`Outcome::Unusable`].
    pub fn patch_loaded(
        &mut self,
        reroutes: &[Reroute],
        skip: &dyn Fn(&Object<'_>) -> bool,
    ) -> PatchReport {
        let mut report = PatchReport::default();
        let reroutes = usable_reroutes(reroutes);
        let page_size = page_size();
        let probes = Probes::current();

        // Pass 1, under the loader lock: snapshot new objects, check known ones. Each object to
        // decide on comes with the slots already recorded for it that are still intact.
        let mut fresh: Vec<(Layout, Vec<Slot>)> = Vec::new();
        let mut present = vec![false; self.objects.len()];
        let mut stale = vec![false; self.objects.len()];
        let mut libc_segments: Vec<Segment> = Vec::new();
        let mut generation = None;
        let known = &self.objects;
        let complete = for_each_object(|raw| {
            if generation.is_none() {
                generation = raw.generation;
            }
            let layout = raw.layout(page_size);
            if libc_segments.is_empty() && probes.libc.iter().any(|&a| layout.contains(a)) {
                libc_segments.clone_from(&layout.segments);
            }
            match known.iter().position(|k| raw.is(&k.id)) {
                Some(i) => {
                    present[i] = true;
                    // SAFETY: we are inside dl_iterate_phdr's callback for this object; glibc
                    // holds the object-list lock, so the object (whose PT_LOAD segments
                    // `layout` describes) stays mapped until we return.
                    let mem = unsafe { Mapped::new(&layout.segments) };
                    let intact = known[i].intact_slots(&mem);
                    if intact.len() != known[i].slots.len() {
                        stale[i] = true;
                        fresh.push((layout, intact));
                    }
                }
                None => fresh.push((layout, Vec::new())),
            }
            ControlFlow::Continue(())
        });
        report.incomplete |= !complete;

        // Forget objects that are gone. Those with slots rewritten behind our back (reloaded at
        // the same address, or overwritten by someone else) are walked again below: intact
        // slots keep their records, rewritten ones get their current values as originals.
        let mut index = 0;
        self.objects.retain(|_| {
            let keep = (present[index] || !complete) && !stale[index];
            index += 1;
            keep
        });

        // Decide, outside the loader lock (so `skip` may call into the loader).
        let mut to_walk: Vec<(Layout, Vec<Slot>)> = Vec::new();
        for (layout, intact) in fresh {
            let object = layout.object();
            let outcome = if probes.is_vdso(&object) {
                Some(Outcome::SkippedVdso)
            } else if object.contains(probes.own) {
                Some(Outcome::SkippedOwnObject)
            } else {
                match catch_unwind(AssertUnwindSafe(|| skip(&object))) {
                    Ok(true) => Some(Outcome::SkippedByCaller),
                    Ok(false) => None,
                    Err(payload) => {
                        // Dropping a panic payload can itself panic; leak it instead.
                        std::mem::forget(payload);
                        report.objects.push(layout.report(Outcome::SkipPanicked));
                        if !intact.is_empty() {
                            self.objects.push(KnownObject {
                                id: layout.id,
                                slots: intact,
                            });
                        }
                        continue;
                    }
                }
            };
            match outcome {
                Some(outcome) => {
                    report.objects.push(layout.report(outcome));
                    self.objects.push(KnownObject {
                        id: layout.id,
                        slots: intact,
                    });
                }
                None => to_walk.push((layout, intact)),
            }
        }

        // Pass 2, under the loader lock: walk and write.
        if !to_walk.is_empty() {
            let mut results: Vec<Option<Outcome>> = vec![None; to_walk.len()];
            let mut walked: Vec<KnownObject> = Vec::new();
            let failures = &mut report.failures;
            let complete = for_each_object(|raw| {
                let Some(i) = to_walk.iter().position(|(l, _)| raw.is(&l.id)) else {
                    return ControlFlow::Continue(());
                };
                if results[i].is_some() {
                    return ControlFlow::Continue(());
                }
                let layout = raw.layout(page_size);
                // SAFETY: inside dl_iterate_phdr's callback for this object, which glibc cannot
                // unmap before we return; `layout` was just built from its program headers.
                let mem = unsafe { Mapped::new(&layout.segments) };
                let mut record = KnownObject {
                    id: layout.id.clone(),
                    slots: std::mem::take(&mut to_walk[i].1),
                };
                let outcome = match walk_object(&layout, &mem, &reroutes, &libc_segments, page_size)
                {
                    Ok(walk) => {
                        let path = layout.path_lossy();
                        failures.extend(walk.failures.into_iter().map(|(symbol, slot, error)| {
                            SlotFailure {
                                object: path.clone(),
                                symbol,
                                slot,
                                error,
                            }
                        }));
                        record.slots.extend(walk.slots);
                        Outcome::Walked(walk.stats)
                    }
                    Err(unusable) => Outcome::Unusable(unusable),
                };
                walked.push(record);
                results[i] = Some(outcome);
                ControlFlow::Continue(())
            });
            report.incomplete |= !complete;
            for ((layout, _), outcome) in to_walk.iter().zip(results) {
                let outcome = outcome.unwrap_or(Outcome::Vanished);
                if let Outcome::Walked(stats) = &outcome {
                    report.slots_written += stats.slots_written;
                }
                report.objects.push(layout.report(outcome));
            }
            self.objects.extend(walked);
        }

        // The generation seen by pass 1: anything loaded after it makes `loader_changed` true.
        if complete {
            self.generation = generation;
        }
        report
    }

    /// Puts every original value back, newest first within each object, and forgets all
    /// slots (objects become unknown again, so a later [`patch_loaded`](Self::patch_loaded)
    /// walks everything anew).
    ///
    /// Slots are written only in objects that are still loaded (checked inside the loader's
    /// `dl_iterate_phdr` callback for that object, so it cannot be unloaded meanwhile) and only
    /// if they still hold our replacement. Slots never overlap, so the order across objects
    /// does not matter. RELRO pages are made writable for the store and set back to
    /// `PROT_READ`.
    pub fn restore(&mut self) -> RestoreReport {
        let mut report = RestoreReport::default();
        let page_size = page_size();
        let mut visited = vec![false; self.objects.len()];
        let objects = &mut self.objects;
        let failures = &mut report.failures;
        let (mut restored, mut changed) = (0, 0);
        let complete = for_each_object(|raw| {
            let Some(i) = objects.iter().position(|k| raw.is(&k.id)) else {
                return ControlFlow::Continue(());
            };
            if visited[i] {
                return ControlFlow::Continue(());
            }
            visited[i] = true;
            let layout = raw.layout(page_size);
            // SAFETY: inside dl_iterate_phdr's callback for this object, which glibc cannot
            // unmap before we return; `layout` was just built from its program headers.
            let mem = unsafe { Mapped::new(&layout.segments) };
            let path = layout.path_lossy();
            let mut kept = Vec::new();
            for slot in objects[i].slots.drain(..).rev() {
                match slot.restore(&mem, page_size) {
                    Ok(true) => restored += 1,
                    Ok(false) => changed += 1,
                    Err(error) => {
                        if matches!(error, SlotError::Reprotect(_)) {
                            restored += 1;
                        } else if matches!(error, SlotError::Unprotect(_)) {
                            kept.push(slot);
                        }
                        failures.push(SlotFailure {
                            object: path.clone(),
                            symbol: slot.symbol,
                            slot: slot.addr,
                            error,
                        });
                    }
                }
            }
            kept.reverse();
            objects[i].slots = kept;
            ControlFlow::Continue(())
        });
        report.restored = restored;
        report.changed = changed;
        report.incomplete = !complete;
        let mut index = 0;
        self.objects.retain(|object| {
            let was_visited = visited[index];
            index += 1;
            if was_visited {
                !object.slots.is_empty()
            } else if complete {
                report.not_loaded += object.slots.len();
                false
            } else {
                true
            }
        });
        self.generation = None;
        report
    }

    /// Forgets objects that are no longer loaded (after `dlclose`), so that a new object at the
    /// same address is walked. Their slots are not written. Returns how many were forgotten.
    /// ([`patch_loaded`](Self::patch_loaded) does this too.)
    pub fn forget_unloaded(&mut self) -> usize {
        let mut present = vec![false; self.objects.len()];
        let objects = &self.objects;
        let complete = for_each_object(|raw| {
            if let Some(i) = objects.iter().position(|k| raw.is(&k.id)) {
                present[i] = true;
            }
            ControlFlow::Continue(())
        });
        if !complete {
            return 0;
        }
        let before = self.objects.len();
        let mut index = 0;
        self.objects.retain(|_| {
            let keep = present[index];
            index += 1;
            keep
        });
        before - self.objects.len()
    }

    /// Whether any object was loaded or unloaded since the last complete
    /// [`patch_loaded`](Self::patch_loaded) (true if there was none). Cheap: no allocation; one
    /// `dl_iterate_phdr` callback under the loader lock. Meant for a `dlopen` wrapper or a
    /// per-request check, to rescan only when needed.
    pub fn loader_changed(&self) -> bool {
        match (self.generation, loader_generation()) {
            (Some(seen), Some(now)) => seen != now,
            _ => true,
        }
    }

    /// Every slot currently written by this patcher, in the order they were written per object.
    pub fn patched_slots(&self) -> impl Iterator<Item = PatchedSlot<'_>> + '_ {
        self.objects.iter().flat_map(|object| {
            object.slots.iter().map(move |slot| PatchedSlot {
                object: object.id.path.as_c_str(),
                object_base: object.id.base,
                symbol: slot.symbol,
                kind: slot.kind,
                address: slot.addr,
                original: slot.original,
                replacement: slot.replacement,
                in_relro: slot.protected_page.is_some(),
            })
        })
    }

    /// Number of slots currently written by this patcher.
    pub fn slot_count(&self) -> usize {
        self.objects.iter().map(|o| o.slots.len()).sum()
    }
}

/// The loader's current [`LoaderGeneration`], or `None` if the C library does not report it.
/// No allocation; one `dl_iterate_phdr` callback.
pub fn loader_generation() -> Option<LoaderGeneration> {
    let mut generation = None;
    for_each_object(|raw| {
        generation = raw.generation;
        ControlFlow::Break(())
    });
    generation
}

/// The object containing an address, e.g. `"/usr/lib/x86_64-linux-gnu/libpq.so.5"`, for
/// messages. Uses `dladdr` (takes the loader lock and allocates the `String`). For the main
/// executable glibc reports the program name.
pub fn object_name_of(addr: usize) -> Option<String> {
    let mut info = libc::Dl_info {
        dli_fname: ptr::null(),
        dli_fbase: ptr::null_mut(),
        dli_sname: ptr::null(),
        dli_saddr: ptr::null_mut(),
    };
    // SAFETY: dladdr only reads the address value and fills `info`, which is a valid Dl_info.
    let found = unsafe { libc::dladdr(addr as *const c_void, &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dladdr returned a NUL-terminated name owned by the loader; we copy it at once.
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    if name.is_empty() {
        None
    } else {
        Some(name.to_string_lossy().into_owned())
    }
}

/// Whether an object is libc, the dynamic loader or the vDSO.
///
/// Decided by address first: libc is the object containing `__errno_location` or `getauxval`
/// (not `connect`, which an `LD_PRELOAD` socket wrapper may interpose), the loader is the object
/// containing `getauxval(AT_BASE)`, the vDSO the one containing `getauxval(AT_SYSINFO_EHDR)`.
/// File names (`libc.so.*`, `ld-linux*`, `ld-musl*`, `linux-vdso*`, ...) are a fallback, e.g.
/// for a program started as `ld.so ./prog`, where `AT_BASE` is 0.
pub fn is_system_object(obj: &Object<'_>) -> bool {
    let probes = Probes::current();
    probes.libc.iter().any(|&a| obj.contains(a))
        || (probes.ldso != 0 && obj.contains(probes.ldso))
        || probes.is_vdso(obj)
        || is_system_name(obj.path.to_bytes())
}

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

/// An address range `[start, end)` with ELF segment flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Segment {
    start: usize,
    end: usize,
    flags: u32,
}

impl Segment {
    fn contains(&self, addr: usize) -> bool {
        self.start <= addr && addr < self.end
    }

    fn covers(&self, addr: usize, len: usize) -> bool {
        addr.checked_add(len)
            .is_some_and(|end| self.start <= addr && end <= self.end)
    }
}

/// What identifies a loaded object across scans.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Identity {
    base: usize,
    phdr: usize,
    path: CString,
}

/// An object's layout, copied out of its program headers.
#[derive(Debug)]
struct Layout {
    id: Identity,
    /// `PT_LOAD` segments.
    segments: Vec<Segment>,
    /// `PT_DYNAMIC`.
    dynamic: Option<Segment>,
    /// The pages glibc makes read-only after relocation (`PT_GNU_RELRO`, both ends rounded
    /// down to a page, as `_dl_protect_relro` does). `None` if empty.
    relro: Option<Segment>,
}

impl Layout {
    fn object(&self) -> Object<'_> {
        Object {
            path: &self.id.path,
            base: self.id.base,
            segments: &self.segments,
        }
    }

    fn contains(&self, addr: usize) -> bool {
        self.segments.iter().any(|s| s.contains(addr))
    }

    fn path_lossy(&self) -> String {
        self.id.path.to_string_lossy().into_owned()
    }

    fn report(&self, outcome: Outcome) -> ObjectReport {
        ObjectReport {
            path: self.path_lossy(),
            base: self.id.base,
            outcome,
        }
    }

    /// The RELRO page holding the slot at `addr`, if that page is read-only.
    fn protected_page(&self, addr: usize, page_size: usize) -> Option<usize> {
        self.relro
            .filter(|r| r.covers(addr, SLOT_SIZE))
            .map(|_| addr & !(page_size - 1))
    }
}

/// A loaded object as `dl_iterate_phdr` presents it; only valid inside the callback.
struct RawObject<'a> {
    base: usize,
    name: &'a CStr,
    phdrs: &'a [libc::Elf64_Phdr],
    generation: Option<LoaderGeneration>,
}

impl RawObject<'_> {
    /// # Safety
    ///
    /// `info` must be null or point to a `dl_phdr_info` of `size` bytes that, together with the
    /// name and program headers it points to, stays valid and unchanged for the unbounded
    /// lifetime chosen by the caller (in practice: the current `dl_iterate_phdr` callback).
    unsafe fn from_info<'a>(info: *const libc::dl_phdr_info, size: usize) -> Option<RawObject<'a>> {
        if info.is_null() || size < offset_of!(libc::dl_phdr_info, dlpi_adds) {
            return None;
        }
        // Fields are read through raw pointers so that no reference to a possibly shorter
        // struct (older C libraries) is ever formed.
        // SAFETY: `info` is non-null and its first `size` bytes, which cover every field up to
        // dlpi_phnum (checked above), are valid per this function's contract.
        let (addr, name, phdr, phnum) = unsafe {
            (
                ptr::addr_of!((*info).dlpi_addr).read(),
                ptr::addr_of!((*info).dlpi_name).read(),
                ptr::addr_of!((*info).dlpi_phdr).read(),
                ptr::addr_of!((*info).dlpi_phnum).read(),
            )
        };
        let name = if name.is_null() {
            c""
        } else {
            // SAFETY: the loader's object name is a NUL-terminated string, valid as long as
            // `info` is.
            unsafe { CStr::from_ptr(name) }
        };
        let phdrs = if phdr.is_null()
            || phnum == 0
            || phdr.align_offset(std::mem::align_of::<libc::Elf64_Phdr>()) != 0
        {
            &[][..]
        } else {
            // SAFETY: the loader's program-header table: `phnum` aligned entries, mapped and
            // unchanged while the object is loaded.
            unsafe { std::slice::from_raw_parts(phdr, usize::from(phnum)) }
        };
        let has_counters =
            size >= offset_of!(libc::dl_phdr_info, dlpi_subs) + size_of::<c_ulonglong>();
        let generation = if has_counters {
            // SAFETY: `size` covers both counters (checked just above).
            let (adds, subs) = unsafe {
                (
                    ptr::addr_of!((*info).dlpi_adds).read(),
                    ptr::addr_of!((*info).dlpi_subs).read(),
                )
            };
            Some(LoaderGeneration { adds, subs })
        } else {
            None
        };
        Some(RawObject {
            base: addr as usize,
            name,
            phdrs,
            generation,
        })
    }

    fn is(&self, id: &Identity) -> bool {
        self.base == id.base
            && self.phdrs.as_ptr() as usize == id.phdr
            && self.name == id.path.as_c_str()
    }

    fn layout(&self, page_size: usize) -> Layout {
        let mut segments = Vec::new();
        let mut dynamic = None;
        let mut relro = None;
        for ph in self.phdrs {
            let start = self.base.wrapping_add(ph.p_vaddr as usize);
            let Some(end) = start.checked_add(ph.p_memsz as usize) else {
                continue;
            };
            let segment = Segment {
                start,
                end,
                flags: ph.p_flags,
            };
            match ph.p_type {
                PT_LOAD if start < end => segments.push(segment),
                PT_DYNAMIC => dynamic = Some(segment),
                PT_GNU_RELRO => {
                    let mask = !(page_size - 1);
                    let (start, end) = (start & mask, end & mask);
                    if start < end {
                        relro = Some(Segment {
                            start,
                            end,
                            flags: 0,
                        });
                    }
                }
                _ => {}
            }
        }
        Layout {
            id: Identity {
                base: self.base,
                phdr: self.phdrs.as_ptr() as usize,
                path: self.name.to_owned(),
            },
            segments,
            dynamic,
            relro,
        }
    }
}

/// Calls `f` for every loaded object, inside `dl_iterate_phdr`'s callback (glibc holds its
/// object-list lock meanwhile). Returns false if the iteration was cut short by a panic in `f`
/// (caught here: unwinding must not cross the C frames of `dl_iterate_phdr`).
fn for_each_object<F>(f: F) -> bool
where
    F: FnMut(&RawObject<'_>) -> ControlFlow<()>,
{
    struct State<F> {
        f: F,
        panicked: bool,
    }

    unsafe extern "C" fn callback<F>(
        info: *mut libc::dl_phdr_info,
        size: libc::size_t,
        data: *mut c_void,
    ) -> c_int
    where
        F: FnMut(&RawObject<'_>) -> ControlFlow<()>,
    {
        // SAFETY: `data` is the `State<F>` that for_each_object lent to dl_iterate_phdr; nothing
        // else touches it while the iteration runs.
        let state = unsafe { &mut *data.cast::<State<F>>() };
        // SAFETY: the loader passes a dl_phdr_info of `size` bytes valid for this call; `raw`
        // does not outlive it (f only gets a borrow with a higher-ranked lifetime).
        let Some(raw) = (unsafe { RawObject::from_info(info, size) }) else {
            return 0;
        };
        match catch_unwind(AssertUnwindSafe(|| (state.f)(&raw))) {
            Ok(ControlFlow::Continue(())) => 0,
            Ok(ControlFlow::Break(())) => 1,
            Err(payload) => {
                std::mem::forget(payload);
                state.panicked = true;
                1
            }
        }
    }

    let mut state = State { f, panicked: false };
    // SAFETY: `callback::<F>` has the signature dl_iterate_phdr expects and only uses `data` as
    // the `State<F>` it is given; `state` outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(callback::<F>), ptr::addr_of_mut!(state).cast()) };
    !state.panicked
}

/// Read and write access to an object's `PT_LOAD` segments, bounds-checked.
struct Mapped<'a> {
    segments: &'a [Segment],
}

impl<'a> Mapped<'a> {
    /// # Safety
    ///
    /// For as long as the returned value is used, every segment in `segments` must be mapped,
    /// readable where its flags contain `PF_R`, and, where they contain `PF_W`, writable except
    /// for pages that `PT_GNU_RELRO` made read-only (which are only written through
    /// [`store_slot`] with that page). Memory read through it must not be concurrently written
    /// except for GOT slots, which the loader and we only access with whole aligned words.
    unsafe fn new(segments: &'a [Segment]) -> Self {
        Self { segments }
    }

    fn covers(&self, addr: usize, len: usize, flags: u32) -> bool {
        self.segments
            .iter()
            .any(|s| s.flags & flags == flags && s.covers(addr, len))
    }

    fn read_u64(&self, addr: usize) -> Option<u64> {
        // SAFETY: the 8 bytes lie in a readable segment (checked), mapped per `new`'s contract.
        self.covers(addr, 8, PF_R)
            .then(|| unsafe { ptr::read_unaligned(addr as *const u64) })
    }

    fn read_u8(&self, addr: usize) -> Option<u8> {
        // SAFETY: the byte lies in a readable segment (checked), mapped per `new`'s contract.
        self.covers(addr, 1, PF_R)
            .then(|| unsafe { ptr::read(addr as *const u8) })
    }

    /// The GOT slot at `addr`, if it is aligned and lies in a readable, writable segment.
    fn slot(&self, addr: usize) -> Option<&'a AtomicUsize> {
        if addr % SLOT_SIZE != 0 || !self.covers(addr, SLOT_SIZE, PF_R | PF_W) {
            return None;
        }
        // SAFETY: aligned, inside a mapped read-write segment for 'a (`new`'s contract); GOT
        // slots are only ever accessed as whole words (by the loader and by us).
        Some(unsafe { AtomicUsize::from_ptr(addr as *mut usize) })
    }
}

/// The dynamic-section data this module needs, with resolved absolute addresses.
#[derive(Debug, Default)]
struct Dynamic {
    symtab: usize,
    strtab: usize,
    strsz: usize,
    tables: [Option<RelTable>; 3],
    absolute: bool,
}

#[derive(Clone, Copy, Debug)]
struct RelTable {
    addr: usize,
    count: usize,
    entsize: usize,
}

/// `d_val`s of the tags we use; the last occurrence wins, as in glibc.
#[derive(Default)]
struct DynTags {
    symtab: Option<u64>,
    strtab: Option<u64>,
    strsz: Option<u64>,
    syment: Option<u64>,
    jmprel: Option<u64>,
    pltrelsz: Option<u64>,
    pltrel: Option<u64>,
    rela: Option<u64>,
    relasz: Option<u64>,
    relaent: Option<u64>,
    rel: Option<u64>,
    relsz: Option<u64>,
    relent: Option<u64>,
}

fn parse_dynamic(layout: &Layout, mem: &Mapped<'_>) -> Result<Dynamic, Unusable> {
    let dynamic = layout.dynamic.ok_or(Unusable::NoDynamicSection)?;
    if !mem.covers(dynamic.start, dynamic.end - dynamic.start, PF_R) {
        return Err(Unusable::DynamicOutOfBounds);
    }
    let mut tags = DynTags::default();
    let entries = (dynamic.end - dynamic.start) / DYN_SIZE;
    for i in 0..entries {
        let at = dynamic.start + i * DYN_SIZE;
        let (Some(tag), Some(val)) = (mem.read_u64(at), mem.read_u64(at + 8)) else {
            return Err(Unusable::DynamicOutOfBounds);
        };
        let slot = match tag as i64 {
            DT_NULL => break,
            DT_SYMTAB => &mut tags.symtab,
            DT_STRTAB => &mut tags.strtab,
            DT_STRSZ => &mut tags.strsz,
            DT_SYMENT => &mut tags.syment,
            DT_JMPREL => &mut tags.jmprel,
            DT_PLTRELSZ => &mut tags.pltrelsz,
            DT_PLTREL => &mut tags.pltrel,
            DT_RELA => &mut tags.rela,
            DT_RELASZ => &mut tags.relasz,
            DT_RELAENT => &mut tags.relaent,
            DT_REL => &mut tags.rel,
            DT_RELSZ => &mut tags.relsz,
            DT_RELENT => &mut tags.relent,
            _ => continue,
        };
        *slot = Some(val);
    }

    let mut out = Dynamic {
        absolute: true,
        ..Dynamic::default()
    };
    let base = layout.id.base;

    if let Some(ptr) = tags.jmprel {
        let size = tags.pltrelsz.ok_or(Unusable::MissingTag("DT_PLTRELSZ"))?;
        let entsize = match tags.pltrel {
            None => RELA_SIZE,
            Some(v) if v == DT_RELA as u64 => RELA_SIZE,
            Some(v) if v == DT_REL as u64 => REL_SIZE,
            Some(v) => return Err(Unusable::UnsupportedPltRel(v)),
        };
        out.tables[0] = Some(table(
            mem,
            base,
            ptr,
            size,
            entsize,
            "DT_JMPREL",
            &mut out.absolute,
        )?);
    }
    if let Some(ptr) = tags.rela {
        let size = tags.relasz.ok_or(Unusable::MissingTag("DT_RELASZ"))?;
        check_entsize(tags.relaent, RELA_SIZE, "DT_RELAENT")?;
        out.tables[1] = Some(table(
            mem,
            base,
            ptr,
            size,
            RELA_SIZE,
            "DT_RELA",
            &mut out.absolute,
        )?);
    }
    if let Some(ptr) = tags.rel {
        let size = tags.relsz.ok_or(Unusable::MissingTag("DT_RELSZ"))?;
        check_entsize(tags.relent, REL_SIZE, "DT_RELENT")?;
        out.tables[2] = Some(table(
            mem,
            base,
            ptr,
            size,
            REL_SIZE,
            "DT_REL",
            &mut out.absolute,
        )?);
    }
    if out.tables.iter().all(Option::is_none) {
        // Nothing is imported through relocations: nothing to patch.
        return Ok(out);
    }

    check_entsize(tags.syment, SYM_SIZE, "DT_SYMENT")?;
    let symtab = tags.symtab.ok_or(Unusable::MissingTag("DT_SYMTAB"))?;
    let strtab = tags.strtab.ok_or(Unusable::MissingTag("DT_STRTAB"))?;
    let strsz = tags.strsz.ok_or(Unusable::MissingTag("DT_STRSZ"))? as usize;
    out.symtab = locate(mem, base, symtab, SYM_SIZE, &mut out.absolute)
        .ok_or(Unusable::OutOfBounds("DT_SYMTAB"))?;
    out.strtab = locate(mem, base, strtab, strsz, &mut out.absolute)
        .ok_or(Unusable::OutOfBounds("DT_STRTAB"))?;
    out.strsz = strsz;
    Ok(out)
}

fn check_entsize(value: Option<u64>, expected: usize, tag: &'static str) -> Result<(), Unusable> {
    match value {
        Some(size) if size != expected as u64 => Err(Unusable::BadEntrySize { tag, size }),
        _ => Ok(()),
    }
}

fn table(
    mem: &Mapped<'_>,
    base: usize,
    ptr: u64,
    size: u64,
    entsize: usize,
    tag: &'static str,
    absolute: &mut bool,
) -> Result<RelTable, Unusable> {
    let size = size as usize;
    let addr = locate(mem, base, ptr, size, absolute).ok_or(Unusable::OutOfBounds(tag))?;
    Ok(RelTable {
        addr,
        count: size / entsize,
        entsize,
    })
}

/// Resolves a `d_ptr` of a table of `len` bytes: below the load bias it is taken as
/// unrelocated (bias added), otherwise as absolute; the reading that does not land inside a
/// readable segment is rejected in favour of the other. Clears `*absolute` if the rebased
/// reading was used.
fn locate(
    mem: &Mapped<'_>,
    base: usize,
    d_ptr: u64,
    len: usize,
    absolute: &mut bool,
) -> Option<usize> {
    let as_is = d_ptr as usize;
    let rebased = base.wrapping_add(as_is);
    let (first, second) = if base != 0 && as_is < base {
        (rebased, as_is)
    } else {
        (as_is, rebased)
    };
    let len = len.max(1);
    let addr = [first, second]
        .into_iter()
        .find(|&a| mem.covers(a, len, PF_R))?;
    if addr != as_is {
        *absolute = false;
    }
    Some(addr)
}

/// A relocation that names one of the requested symbols.
struct Match {
    slot: usize,
    kind: RelocKind,
    reroute: Reroute,
    defined: bool,
}

/// Calls `found` for every `JUMP_SLOT`/`GLOB_DAT` relocation naming one of `reroutes`; returns
/// the number of malformed entries skipped.
fn find_matches(
    dynamic: &Dynamic,
    mem: &Mapped<'_>,
    base: usize,
    reroutes: &[Reroute],
    mut found: impl FnMut(Match),
) -> usize {
    let mut malformed = 0;
    for table in dynamic.tables.iter().flatten() {
        for i in 0..table.count {
            let entry = table.addr + i * table.entsize;
            let (Some(r_offset), Some(r_info)) = (mem.read_u64(entry), mem.read_u64(entry + 8))
            else {
                malformed += 1;
                continue;
            };
            let kind = match (r_info & 0xffff_ffff) as u32 {
                R_JUMP_SLOT => RelocKind::JumpSlot,
                R_GLOB_DAT => RelocKind::GlobDat,
                _ => continue,
            };
            let index = (r_info >> 32) as usize;
            if index == 0 {
                continue;
            }
            let Some(sym) = index
                .checked_mul(SYM_SIZE)
                .and_then(|off| dynamic.symtab.checked_add(off))
            else {
                malformed += 1;
                continue;
            };
            // The first 8 bytes of Elf64_Sym: st_name (u32), st_info (u8), st_other (u8),
            // st_shndx (u16), little-endian on both supported targets.
            let Some(head) = mem.read_u64(sym) else {
                malformed += 1;
                continue;
            };
            let st_name = (head & 0xffff_ffff) as u32;
            let st_info = ((head >> 32) & 0xff) as u8;
            let st_shndx = (head >> 48) as u16;
            if !matches!(st_info & 0xf, STT_NOTYPE | STT_FUNC | STT_GNU_IFUNC) {
                continue;
            }
            let st_name = st_name as usize;
            if st_name >= dynamic.strsz {
                malformed += 1;
                continue;
            }
            let Some(reroute) = reroutes
                .iter()
                .find(|r| name_is(mem, dynamic, st_name, r.symbol.to_bytes()))
            else {
                continue;
            };
            found(Match {
                slot: base.wrapping_add(r_offset as usize),
                kind,
                reroute: *reroute,
                defined: st_shndx != SHN_UNDEF,
            });
        }
    }
    malformed
}

/// Whether the NUL-terminated string at `strtab + offset` (bounded by `DT_STRSZ`) is `want`.
fn name_is(mem: &Mapped<'_>, dynamic: &Dynamic, offset: usize, want: &[u8]) -> bool {
    let Some(end) = offset.checked_add(want.len()) else {
        return false;
    };
    if end >= dynamic.strsz {
        return false;
    }
    let byte = |i: usize| mem.read_u8(dynamic.strtab + i);
    want.iter()
        .enumerate()
        .all(|(i, &b)| byte(offset + i) == Some(b))
        && byte(end) == Some(0)
}

/// Result of walking one object.
struct Walk {
    slots: Vec<Slot>,
    stats: WalkStats,
    failures: Vec<(&'static CStr, usize, SlotError)>,
}

fn walk_object(
    layout: &Layout,
    mem: &Mapped<'_>,
    reroutes: &[Reroute],
    libc_segments: &[Segment],
    page_size: usize,
) -> Result<Walk, Unusable> {
    let dynamic = parse_dynamic(layout, mem)?;
    let mut walk = Walk {
        slots: Vec::new(),
        stats: WalkStats {
            absolute_dynamic: dynamic.absolute,
            ..WalkStats::default()
        },
        failures: Vec::new(),
    };
    if reroutes.is_empty() {
        return Ok(walk);
    }
    let mut bad_slots = 0;
    let mut seen: Vec<usize> = Vec::new();
    let malformed = find_matches(&dynamic, mem, layout.id.base, reroutes, |m| {
        if seen.contains(&m.slot) {
            return; // listed twice (e.g. DT_RELASZ also covering DT_JMPREL)
        }
        seen.push(m.slot);
        let Some(cell) = mem.slot(m.slot) else {
            bad_slots += 1;
            return;
        };
        let current = cell.load(Ordering::Acquire);
        if current == m.reroute.replacement {
            walk.stats.already_rerouted += 1;
            return;
        }
        if current == 0 {
            walk.stats.unresolved += 1;
            return;
        }
        if m.defined && !libc_segments.iter().any(|s| s.contains(current)) {
            walk.stats.own_definition += 1;
            return;
        }
        let protected_page = layout.protected_page(m.slot, page_size);
        let slot = Slot {
            addr: m.slot,
            original: current,
            replacement: m.reroute.replacement,
            symbol: m.reroute.symbol,
            kind: m.kind,
            protected_page,
        };
        match store_slot(cell, m.reroute.replacement, protected_page, page_size) {
            Ok(()) => {}
            Err(error @ SlotError::Reprotect(_)) => {
                walk.failures.push((slot.symbol, slot.addr, error));
            }
            Err(error) => {
                walk.failures.push((slot.symbol, slot.addr, error));
                return;
            }
        }
        walk.stats.slots_written += 1;
        walk.slots.push(slot);
    });
    walk.stats.malformed = malformed + bad_slots;
    Ok(walk)
}

/// A slot we wrote.
#[derive(Clone, Copy, Debug)]
struct Slot {
    addr: usize,
    original: usize,
    replacement: usize,
    symbol: &'static CStr,
    kind: RelocKind,
    /// The read-only RELRO page holding the slot, if any.
    protected_page: Option<usize>,
}

impl Slot {
    /// Puts the original back if the slot still holds our replacement: `Ok(true)` if restored,
    /// `Ok(false)` if someone else wrote it since (left alone).
    fn restore(&self, mem: &Mapped<'_>, page_size: usize) -> Result<bool, SlotError> {
        let cell = mem.slot(self.addr).ok_or(SlotError::NotMapped)?;
        if cell.load(Ordering::Acquire) != self.replacement {
            return Ok(false);
        }
        store_slot(cell, self.original, self.protected_page, page_size).map(|()| true)
    }
}

/// An object seen by an earlier scan, with the slots we wrote in it (oldest first).
#[derive(Debug)]
struct KnownObject {
    id: Identity,
    slots: Vec<Slot>,
}

impl KnownObject {
    /// The recorded slots that still hold their replacement.
    fn intact_slots(&self, mem: &Mapped<'_>) -> Vec<Slot> {
        self.slots
            .iter()
            .filter(|s| {
                mem.slot(s.addr)
                    .is_some_and(|cell| cell.load(Ordering::Acquire) == s.replacement)
            })
            .copied()
            .collect()
    }
}

/// Stores `value` in `cell`; if the slot lies in a read-only RELRO page, that page is made
/// writable for the store and put back to `PROT_READ` afterwards.
fn store_slot(
    cell: &AtomicUsize,
    value: usize,
    protected_page: Option<usize>,
    page_size: usize,
) -> Result<(), SlotError> {
    let Some(page) = protected_page else {
        cell.store(value, Ordering::Release);
        return Ok(());
    };
    // SAFETY: `page` is a page-aligned page of the object's PT_GNU_RELRO range, which holds only
    // relocated read-only data (no code, no Rust-owned memory); making it writable cannot break
    // anyone's assumptions, and it is put back to PROT_READ below.
    if unsafe {
        libc::mprotect(
            page as *mut c_void,
            page_size,
            libc::PROT_READ | libc::PROT_WRITE,
        )
    } != 0
    {
        return Err(SlotError::Unprotect(errno()));
    }
    cell.store(value, Ordering::Release);
    // SAFETY: same page as above; PROT_READ is the protection glibc's _dl_protect_relro set.
    if unsafe { libc::mprotect(page as *mut c_void, page_size, libc::PROT_READ) } != 0 {
        return Err(SlotError::Reprotect(errno()));
    }
    Ok(())
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    match usize::try_from(size) {
        Ok(size) if size.is_power_of_two() => size,
        _ => {
            // SAFETY: getauxval has no preconditions.
            let size = unsafe { libc::getauxval(libc::AT_PAGESZ) } as usize;
            if size.is_power_of_two() {
                size
            } else {
                4096
            }
        }
    }
}

fn usable_reroutes(reroutes: &[Reroute]) -> Vec<Reroute> {
    let mut out: Vec<Reroute> = Vec::with_capacity(reroutes.len());
    for r in reroutes {
        if r.replacement != 0 && !r.symbol.is_empty() && !out.iter().any(|o| o.symbol == r.symbol) {
            out.push(*r);
        }
    }
    out
}

/// Addresses that identify the system objects and this module's own object.
struct Probes {
    libc: [usize; 2],
    ldso: usize,
    vdso: usize,
    own: usize,
}

impl Probes {
    fn current() -> Self {
        // SAFETY: getauxval has no preconditions.
        let ldso = unsafe { libc::getauxval(libc::AT_BASE) } as usize;
        // SAFETY: getauxval has no preconditions.
        let vdso = unsafe { libc::getauxval(libc::AT_SYSINFO_EHDR) } as usize;
        Self {
            libc: [
                libc::__errno_location as *const () as usize,
                libc::getauxval as *const () as usize,
            ],
            ldso,
            vdso,
            own: own_object_marker as *const () as usize,
        }
    }

    fn is_vdso(&self, obj: &Object<'_>) -> bool {
        let name = obj.path.to_bytes();
        (self.vdso != 0 && obj.contains(self.vdso))
            || name.starts_with(b"linux-vdso")
            || name.starts_with(b"linux-gate")
    }
}

/// A function whose address lies in the object containing this module.
#[inline(never)]
fn own_object_marker() {}

fn is_system_name(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    const PREFIXES: [&[u8]; 6] = [
        b"libc.so",
        b"libc.musl-",
        b"ld-linux",
        b"ld-musl-",
        b"linux-vdso",
        b"linux-gate",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p)) || name == b"ld.so"
}

// ---------------------------------------------------------------------------------------------
// Tests on synthetic in-memory "objects" (malformed data, DT_REL, unrelocated d_ptr, ...).
// The real loader is exercised by tests/got.rs.
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    const LEN: usize = 4096;
    const DYN: usize = 0x000;
    const SYMTAB: usize = 0x200;
    const STRTAB: usize = 0x300;
    const RELA: usize = 0x400;
    const REL: usize = 0x600;
    const GOT: usize = 0x800;
    const STRINGS: &[u8] = b"\0connect\0socket\0close\0connectx\0";
    const NAME_CONNECT: u32 = 1;
    const NAME_SOCKET: u32 = 9;
    const NAME_CLOSE: u32 = 16;
    const NAME_CONNECTX: u32 = 22;

    /// A fake loaded object in a heap buffer: base = buffer address, one RW segment.
    struct Fake {
        buf: Vec<u64>,
        dyn_entries: Vec<(i64, u64)>,
        absolute: bool,
    }

    impl Fake {
        fn new(absolute: bool) -> Self {
            let mut fake = Self {
                buf: vec![0; LEN / 8],
                dyn_entries: Vec::new(),
                absolute,
            };
            let mut bytes = [0u8; 64];
            bytes[..STRINGS.len()].copy_from_slice(STRINGS);
            for (i, chunk) in bytes.chunks(8).enumerate() {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                fake.buf[STRTAB / 8 + i] = u64::from_le_bytes(word);
            }
            // symbols: 0 null, 1 connect (UND FUNC), 2 socket (UND FUNC), 3 close (UND FUNC),
            // 4 connect (defined FUNC), 5 connect (UND OBJECT), 6 connectx (UND FUNC)
            fake.sym(1, NAME_CONNECT, 0x12, 0);
            fake.sym(2, NAME_SOCKET, 0x12, 0);
            fake.sym(3, NAME_CLOSE, 0x12, 0);
            fake.sym(4, NAME_CONNECT, 0x12, 12);
            fake.sym(5, NAME_CONNECT, 0x11, 0);
            fake.sym(6, NAME_CONNECTX, 0x12, 0);
            fake
        }

        fn base(&self) -> usize {
            self.buf.as_ptr() as usize
        }

        fn ptr(&self, offset: usize) -> u64 {
            if self.absolute {
                (self.base() + offset) as u64
            } else {
                offset as u64
            }
        }

        fn sym(&mut self, index: usize, name: u32, info: u8, shndx: u16) {
            let at = (SYMTAB + index * SYM_SIZE) / 8;
            self.buf[at] = u64::from(name) | (u64::from(info) << 32) | (u64::from(shndx) << 48);
        }

        fn rela(&mut self, index: usize, slot: usize, sym: u64, kind: u32) {
            let at = (RELA + index * RELA_SIZE) / 8;
            self.buf[at] = slot as u64;
            self.buf[at + 1] = (sym << 32) | u64::from(kind);
        }

        fn rel(&mut self, index: usize, slot: usize, sym: u64, kind: u32) {
            let at = (REL + index * REL_SIZE) / 8;
            self.buf[at] = slot as u64;
            self.buf[at + 1] = (sym << 32) | u64::from(kind);
        }

        fn got(&mut self, index: usize, value: u64) -> usize {
            self.buf[(GOT + index * 8) / 8] = value;
            GOT + index * 8
        }

        fn got_value(&self, offset: usize) -> u64 {
            self.buf[offset / 8]
        }

        fn standard_tags(&mut self, relas: usize) {
            let (symtab, strtab, rela) = (self.ptr(SYMTAB), self.ptr(STRTAB), self.ptr(RELA));
            self.dyn_entries.extend([
                (DT_SYMTAB, symtab),
                (DT_STRTAB, strtab),
                (DT_STRSZ, STRINGS.len() as u64),
                (DT_SYMENT, SYM_SIZE as u64),
                (DT_RELA, rela),
                (DT_RELASZ, (relas * RELA_SIZE) as u64),
                (DT_RELAENT, RELA_SIZE as u64),
            ]);
        }

        fn layout(&mut self, dynamic_len: usize) -> Layout {
            for (i, &(tag, val)) in self.dyn_entries.iter().enumerate() {
                self.buf[(DYN + i * DYN_SIZE) / 8] = tag as u64;
                self.buf[(DYN + i * DYN_SIZE) / 8 + 1] = val;
            }
            let base = self.base();
            Layout {
                id: Identity {
                    base,
                    phdr: 0,
                    path: CString::from(c"fake"),
                },
                segments: vec![Segment {
                    start: base,
                    end: base + LEN,
                    flags: PF_R | PF_W,
                }],
                dynamic: Some(Segment {
                    start: base + DYN,
                    end: base + DYN + dynamic_len,
                    flags: PF_R | PF_W,
                }),
                relro: None,
            }
        }

        fn walk(&mut self, reroutes: &[Reroute], libc: &[Segment]) -> Result<Walk, Unusable> {
            let layout = self.layout(0x200);
            // SAFETY: the segment is this test's own heap buffer, alive and unaliased during
            // the call.
            let mem = unsafe { Mapped::new(&layout.segments) };
            walk_object(&layout, &mem, reroutes, libc, 4096)
        }
    }

    const CONNECT_REPL: usize = 0x1111_0000;
    const SOCKET_REPL: usize = 0x2222_0000;

    fn reroutes() -> [Reroute; 2] {
        [
            Reroute {
                symbol: c"connect",
                replacement: CONNECT_REPL,
            },
            Reroute {
                symbol: c"socket",
                replacement: SOCKET_REPL,
            },
        ]
    }

    fn stats(walk: &Walk) -> WalkStats {
        walk.stats
    }

    #[test]
    fn rela_jump_slot_and_glob_dat_with_unrelocated_and_absolute_d_ptr() {
        for absolute in [false, true] {
            let mut fake = Fake::new(absolute);
            let s0 = fake.got(0, 0xdead_0000);
            let s1 = fake.got(1, 0xdead_0001);
            let s2 = fake.got(2, 0xdead_0002);
            fake.rela(0, s0, 1, R_JUMP_SLOT);
            fake.rela(1, s1, 2, R_GLOB_DAT);
            fake.rela(2, s2, 3, R_JUMP_SLOT); // close: not requested
            fake.standard_tags(3);
            let walk = fake.walk(&reroutes(), &[]).expect("usable");
            assert_eq!(stats(&walk).slots_written, 2);
            assert_eq!(stats(&walk).absolute_dynamic, absolute);
            assert_eq!(fake.got_value(s0), CONNECT_REPL as u64);
            assert_eq!(fake.got_value(s1), SOCKET_REPL as u64);
            assert_eq!(fake.got_value(s2), 0xdead_0002);
            assert_eq!(walk.slots[0].original, 0xdead_0000);
            assert_eq!(walk.slots[0].kind, RelocKind::JumpSlot);
            assert_eq!(walk.slots[1].kind, RelocKind::GlobDat);

            // Restoring puts the originals back.
            let layout = fake.layout(0x200);
            // SAFETY: the test's own heap buffer.
            let mem = unsafe { Mapped::new(&layout.segments) };
            for slot in walk.slots.iter().rev() {
                assert_eq!(slot.restore(&mem, 4096), Ok(true));
            }
            assert_eq!(fake.got_value(s0), 0xdead_0000);
            assert_eq!(fake.got_value(s1), 0xdead_0001);
        }
    }

    #[test]
    fn dt_rel_and_jmprel_tables_are_read() {
        let mut fake = Fake::new(false);
        let s0 = fake.got(0, 0xdead_0000);
        let s1 = fake.got(1, 0xdead_0001);
        fake.rel(0, s0, 1, R_GLOB_DAT);
        fake.rel(1, s1, 2, R_JUMP_SLOT);
        let (symtab, strtab, rel) = (fake.ptr(SYMTAB), fake.ptr(STRTAB), fake.ptr(REL));
        fake.dyn_entries.extend([
            (DT_SYMTAB, symtab),
            (DT_STRTAB, strtab),
            (DT_STRSZ, STRINGS.len() as u64),
            (DT_REL, rel),
            (DT_RELSZ, REL_SIZE as u64),
            (DT_RELENT, REL_SIZE as u64),
            // the second REL entry doubles as a one-entry DT_REL-style JMPREL table
            (DT_JMPREL, rel + REL_SIZE as u64),
            (DT_PLTRELSZ, REL_SIZE as u64),
            (DT_PLTREL, DT_REL as u64),
        ]);
        let walk = fake.walk(&reroutes(), &[]).expect("usable");
        assert_eq!(walk.stats.slots_written, 2);
        assert_eq!(fake.got_value(s0), CONNECT_REPL as u64);
        assert_eq!(fake.got_value(s1), SOCKET_REPL as u64);
    }

    #[test]
    fn overlapping_tables_patch_each_slot_once_and_repeat_walks_are_idempotent() {
        let mut fake = Fake::new(true);
        let s0 = fake.got(0, 0xdead_0000);
        fake.rela(0, s0, 1, R_JUMP_SLOT);
        fake.standard_tags(1);
        let rela = fake.ptr(RELA);
        fake.dyn_entries
            .extend([(DT_JMPREL, rela), (DT_PLTRELSZ, RELA_SIZE as u64)]);
        let walk = fake.walk(&reroutes(), &[]).expect("usable");
        assert_eq!(walk.stats.slots_written, 1);
        assert_eq!(walk.slots.len(), 1);
        // A second walk finds the replacement already there and records nothing.
        let again = fake.walk(&reroutes(), &[]).expect("usable");
        assert_eq!(again.stats.slots_written, 0);
        assert_eq!(again.stats.already_rerouted, 1);
        assert!(again.slots.is_empty());
    }

    #[test]
    fn symbol_rules() {
        let mut fake = Fake::new(true);
        let weak = fake.got(0, 0); // unresolved weak
        let own = fake.got(1, 0x5555_0000); // defined, points to own code
        let to_libc = fake.got(2, 0x7777_0010); // defined, bound to "libc"
        let data = fake.got(3, 0xdead_0003); // STT_OBJECT named connect
        let prefix = fake.got(4, 0xdead_0004); // "connectx" must not match "connect"
        fake.rela(0, weak, 1, R_GLOB_DAT);
        fake.rela(1, own, 4, R_JUMP_SLOT);
        fake.rela(2, to_libc, 4, R_GLOB_DAT);
        fake.rela(3, data, 5, R_GLOB_DAT);
        fake.rela(4, prefix, 6, R_JUMP_SLOT);
        fake.standard_tags(5);
        let libc = [Segment {
            start: 0x7777_0000,
            end: 0x7778_0000,
            flags: PF_R,
        }];
        let walk = fake.walk(&reroutes(), &libc).expect("usable");
        assert_eq!(walk.stats.slots_written, 1);
        assert_eq!(walk.stats.unresolved, 1);
        assert_eq!(walk.stats.own_definition, 1);
        assert_eq!(fake.got_value(weak), 0);
        assert_eq!(fake.got_value(own), 0x5555_0000);
        assert_eq!(fake.got_value(to_libc), CONNECT_REPL as u64);
        assert_eq!(fake.got_value(data), 0xdead_0003);
        assert_eq!(fake.got_value(prefix), 0xdead_0004);
    }

    #[test]
    fn malformed_entries_are_counted_not_followed() {
        let mut fake = Fake::new(true);
        let ok = fake.got(0, 0xdead_0000);
        fake.rela(0, LEN + 0x1000, 1, R_JUMP_SLOT); // slot outside the object
        fake.rela(1, ok + 4, 1, R_JUMP_SLOT); // misaligned slot
        fake.rela(2, ok, 0x00ff_ffff, R_JUMP_SLOT); // symbol index far outside
        fake.rela(3, ok, u64::from(u32::MAX), R_GLOB_DAT); // index * 24 overflows nothing, but outside
        fake.rela(4, ok, 2, R_JUMP_SLOT); // the one good entry (socket)
        fake.sym(7, 0xffff, 0x12, 0); // st_name beyond DT_STRSZ
        fake.rela(5, ok, 7, R_JUMP_SLOT);
        fake.standard_tags(6);
        let walk = fake.walk(&reroutes(), &[]).expect("usable");
        assert_eq!(walk.stats.malformed, 5);
        assert_eq!(walk.stats.slots_written, 1);
        assert_eq!(fake.got_value(ok), SOCKET_REPL as u64);
    }

    #[test]
    fn unusable_dynamic_sections_are_reported() {
        let cases: Vec<(Vec<(i64, u64)>, Unusable)> = {
            let f = Fake::new(false);
            let (symtab, strtab, rela) = (f.ptr(SYMTAB), f.ptr(STRTAB), f.ptr(RELA));
            vec![
                (
                    vec![(DT_SYMTAB, symtab), (DT_STRTAB, strtab), (DT_RELA, rela)],
                    Unusable::MissingTag("DT_RELASZ"),
                ),
                (
                    vec![(DT_RELA, rela), (DT_RELASZ, u64::MAX / 2)],
                    Unusable::OutOfBounds("DT_RELA"),
                ),
                (
                    vec![(DT_RELA, rela), (DT_RELASZ, 24), (DT_RELAENT, 16)],
                    Unusable::BadEntrySize {
                        tag: "DT_RELAENT",
                        size: 16,
                    },
                ),
                (
                    vec![
                        (DT_RELA, rela),
                        (DT_RELASZ, 24),
                        (DT_STRTAB, strtab),
                        (DT_STRSZ, 4),
                    ],
                    Unusable::MissingTag("DT_SYMTAB"),
                ),
                (
                    vec![
                        (DT_RELA, rela),
                        (DT_RELASZ, 24),
                        (DT_SYMTAB, symtab),
                        (DT_SYMENT, 16),
                    ],
                    Unusable::BadEntrySize {
                        tag: "DT_SYMENT",
                        size: 16,
                    },
                ),
                (
                    vec![
                        (DT_RELA, rela),
                        (DT_RELASZ, 24),
                        (DT_SYMTAB, symtab),
                        (DT_STRTAB, strtab),
                        (DT_STRSZ, 1 << 40),
                    ],
                    Unusable::OutOfBounds("DT_STRTAB"),
                ),
                (
                    vec![(DT_JMPREL, rela), (DT_PLTRELSZ, 24), (DT_PLTREL, 99)],
                    Unusable::UnsupportedPltRel(99),
                ),
                (vec![(DT_JMPREL, rela)], Unusable::MissingTag("DT_PLTRELSZ")),
                (
                    vec![(DT_JMPREL, 0x7fff_0000_0000), (DT_PLTRELSZ, 24)],
                    Unusable::OutOfBounds("DT_JMPREL"),
                ),
            ]
        };
        for (tags, expected) in cases {
            let mut fake = Fake::new(false);
            fake.dyn_entries = tags;
            match fake.walk(&reroutes(), &[]) {
                Err(got) => assert_eq!(got, expected),
                Ok(_) => panic!("expected {expected:?}"),
            }
        }

        let mut fake = Fake::new(false);
        let mut layout = fake.layout(0x200);
        layout.dynamic = None;
        // SAFETY: the test's own heap buffer.
        let mem = unsafe { Mapped::new(&layout.segments) };
        assert_eq!(
            walk_object(&layout, &mem, &reroutes(), &[], 4096).err(),
            Some(Unusable::NoDynamicSection)
        );
        layout.dynamic = Some(Segment {
            start: layout.id.base + LEN - 8,
            end: layout.id.base + LEN + 8,
            flags: PF_R,
        });
        assert_eq!(
            walk_object(&layout, &mem, &reroutes(), &[], 4096).err(),
            Some(Unusable::DynamicOutOfBounds)
        );
    }

    #[test]
    fn dynamic_without_dt_null_stops_at_segment_end_and_no_tables_is_fine() {
        let mut fake = Fake::new(false);
        // Fill the whole (small) PT_DYNAMIC with an irrelevant tag and no DT_NULL.
        fake.dyn_entries = vec![(0x6fff_fff0, 1); 4];
        let layout = fake.layout(4 * DYN_SIZE);
        // SAFETY: the test's own heap buffer.
        let mem = unsafe { Mapped::new(&layout.segments) };
        let walk = walk_object(&layout, &mem, &reroutes(), &[], 4096).expect("usable");
        assert_eq!(
            walk.stats,
            WalkStats {
                absolute_dynamic: true,
                ..WalkStats::default()
            }
        );
    }

    #[test]
    fn restore_leaves_slots_someone_else_rewrote() {
        let mut fake = Fake::new(true);
        let s0 = fake.got(0, 0xdead_0000);
        fake.rela(0, s0, 1, R_JUMP_SLOT);
        fake.standard_tags(1);
        let walk = fake.walk(&reroutes(), &[]).expect("usable");
        fake.got(0, 0xbeef_0000);
        let layout = fake.layout(0x200);
        // SAFETY: the test's own heap buffer.
        let mem = unsafe { Mapped::new(&layout.segments) };
        assert_eq!(walk.slots[0].restore(&mem, 4096), Ok(false));
        assert_eq!(fake.got_value(s0), 0xbeef_0000);
    }

    #[test]
    fn relro_rounding_matches_glibc() {
        let layout = Layout {
            id: Identity {
                base: 0,
                phdr: 0,
                path: CString::default(),
            },
            segments: Vec::new(),
            dynamic: None,
            relro: Some(Segment {
                start: 0x1000,
                end: 0x3000,
                flags: 0,
            }),
        };
        assert_eq!(layout.protected_page(0x1ff8, 4096), Some(0x1000));
        assert_eq!(layout.protected_page(0x2008, 4096), Some(0x2000));
        assert_eq!(layout.protected_page(0x3000, 4096), None);
        assert_eq!(layout.protected_page(0x0ff8, 4096), None);
    }

    #[test]
    fn reroute_filtering_and_system_names() {
        let list = [
            Reroute {
                symbol: c"connect",
                replacement: 1,
            },
            Reroute {
                symbol: c"connect",
                replacement: 2,
            },
            Reroute {
                symbol: c"",
                replacement: 3,
            },
            Reroute {
                symbol: c"socket",
                replacement: 0,
            },
        ];
        assert_eq!(usable_reroutes(&list), vec![list[0]]);
        assert!(is_system_name(b"/lib/x86_64-linux-gnu/libc.so.6"));
        assert!(is_system_name(b"/lib64/ld-linux-x86-64.so.2"));
        assert!(is_system_name(b"linux-vdso.so.1"));
        assert!(!is_system_name(b"/usr/lib/libcurl.so.4"));
        assert!(!is_system_name(b"/usr/lib/libcrypto.so.3"));
        assert!(!is_system_name(b""));
    }
}

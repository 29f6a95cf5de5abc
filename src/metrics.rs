//! Pool-wide decision counters, for `sockguard_metrics()` (the Prometheus
//! text exposition format).
//!
//! Every decision is counted in one [`Table`] of atomics, by app id,
//! function (the PHP function, or the library for the C-library floor),
//! transport, action (allowed, denied, would-deny) and reason code. The
//! hooks put the table in memory shared by every process forked after it
//! was made (php-fpm's master makes it at MINIT, before its workers
//! exist), so every worker counts into the same table and a worker's death
//! loses nothing it counted. Before that, and if the shared memory cannot
//! be had, a table of this process counts.
//!
//! Counting takes no lock: a series is found by probing a fixed hash table
//! of packed label keys, claimed with one compare-and-swap the first time,
//! and counted with one `fetch_add` in this process's stripe (processes
//! with different stripes never write the same cache line). Names (app
//! ids, functions) are interned once into fixed tables and named by their
//! index ([`Label`]). Everything is bounded: a decision whose name or
//! series finds no room is counted in the overflow bucket, which keeps
//! transport, action and reason and names app and function
//! [`OVERFLOW_NAME`]; `sockguard_metrics_overflow_total` says how often.
//!
//! Pure: no PHP, no I/O. The shared mapping and the labels of the running
//! PHP function are made in the hooks.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        OnceLock,
    },
};

use crate::policy::{Kind, Operation, Reason, Transport};

/// App ids the table can name.
pub const APP_SLOTS: usize = 64;
/// Functions (and libraries) the table can name.
pub const FUNCTION_SLOTS: usize = 512;
/// Distinct label sets the table can count (a power of two).
pub const SERIES_SLOTS: usize = 4096;
/// Stripes of counters: processes count into `pid % STRIPES`.
pub const STRIPES: usize = 8;
/// The longest name interned, in bytes; a longer one overflows.
pub const NAME_MAX: usize = 120;
/// The app id and function of the overflow bucket.
pub const OVERFLOW_NAME: &str = "_overflow";

/// How many slots a series probes before it overflows.
const PROBES: usize = 64;
const NAME_WORDS: usize = NAME_MAX / 8;
/// Transport label values, by [`TransportLabel`] index.
const TRANSPORTS: [&str; 7] = ["", "tcp", "udp", "unix", "udg", "raw", "other"];
/// Reason label values: none (allowed), then every reason code.
const REASONS: usize = 1 + Reason::CODES.len();
const OVERFLOW_CELLS: usize = TRANSPORTS.len() * Action::ALL.len() * REASONS;

/// An interned name: its slot in a names table, or the overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(u16);

impl Label {
    /// No room for the name: counted in the overflow bucket.
    pub const OVERFLOW: Label = Label(u16::MAX);
}

/// What a decision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Allowed (a mocked option too).
    Allowed,
    /// Denied.
    Denied,
    /// Report mode: allowed, and would have been denied.
    WouldDeny,
}

impl Action {
    /// Every action, by index.
    pub const ALL: [Action; 3] = [Action::Allowed, Action::Denied, Action::WouldDeny];

    /// The label value.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Action::Allowed => "allowed",
            Action::Denied => "denied",
            Action::WouldDeny => "would-deny",
        }
    }
}

/// The transport label of a decision: the policy transport of its socket,
/// `other` for a socket that is none, empty for operations on no socket
/// kind (bind, listen, options, FFI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportLabel(u8);

impl TransportLabel {
    /// No transport.
    pub const NONE: TransportLabel = TransportLabel(0);

    /// The label of a transport, if there is one.
    #[must_use]
    #[inline]
    pub fn of_transport(t: Option<Transport>) -> TransportLabel {
        TransportLabel(match t {
            Some(Transport::Tcp) => 1,
            Some(Transport::Udp) => 2,
            Some(Transport::Unix) => 3,
            Some(Transport::Udg) => 4,
            Some(Transport::Raw) => 5,
            None => 6,
        })
    }

    /// The label of the socket `op` is on.
    #[must_use]
    #[inline]
    pub fn of(op: &Operation<'_>) -> TransportLabel {
        match *op {
            Operation::Create(kind) | Operation::Pair(kind) | Operation::Connect { kind, .. } => {
                Self::of_kind(kind)
            }
            Operation::Bind { .. }
            | Operation::Listen
            | Operation::Accept
            | Operation::Option { .. }
            | Operation::PassDescriptors
            | Operation::Ffi => TransportLabel::NONE,
        }
    }

    /// The label of a socket kind.
    #[must_use]
    #[inline]
    pub fn of_kind(kind: Kind<'_>) -> TransportLabel {
        Self::of_transport(kind.transport())
    }

    /// The label of a transport as a hook names it ("tcp", "ssl", "udg");
    /// empty for none.
    #[must_use]
    pub fn of_name(name: Option<&str>) -> TransportLabel {
        match name {
            None | Some("") => TransportLabel::NONE,
            Some(n) => Self::of_kind(Kind::Stream(n)),
        }
    }
}

/// The labels of one decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Series {
    /// `sockguard.app_id`.
    pub app: Label,
    /// The PHP function, or the library.
    pub function: Label,
    /// The socket's transport.
    pub transport: TransportLabel,
    /// What the decision did.
    pub action: Action,
    /// 0 for an allowed call, else 1 + the reason's [`Reason::code_index`].
    pub reason: u8,
}

impl Series {
    /// An allowed decision.
    #[must_use]
    #[inline]
    pub fn allowed(app: Label, function: Label, transport: TransportLabel) -> Series {
        Series {
            app,
            function,
            transport,
            action: Action::Allowed,
            reason: 0,
        }
    }

    /// A denial (or would-be denial) for `reason`.
    #[must_use]
    pub fn refused(
        app: Label,
        function: Label,
        transport: TransportLabel,
        action: Action,
        reason: &Reason,
    ) -> Series {
        Series {
            app,
            function,
            transport,
            action,
            // CODES has 16 entries: the index fits.
            reason: u8::try_from(1 + reason.code_index()).unwrap_or(u8::MAX),
        }
    }

    /// The labels packed in one word (never 0, the empty slot).
    #[must_use]
    #[inline]
    pub fn key(self) -> u64 {
        u64::from(self.app.0)
            | u64::from(self.function.0) << 16
            | u64::from(self.transport.0) << 32
            | (self.action as u64) << 40
            | u64::from(self.reason) << 48
            | 1 << 63
    }

    fn from_key(key: u64) -> Series {
        let action = match (key >> 40) & 0xff {
            0 => Action::Allowed,
            1 => Action::Denied,
            _ => Action::WouldDeny,
        };
        Series {
            app: Label((key & 0xffff) as u16),
            function: Label((key >> 16 & 0xffff) as u16),
            transport: TransportLabel((key >> 32 & 0xff) as u8),
            action,
            reason: (key >> 48 & 0xff) as u8,
        }
    }

    /// The cell of the overflow bucket for this series' transport,
    /// action and reason.
    fn overflow_cell(self) -> usize {
        let t = usize::from(self.transport.0).min(TRANSPORTS.len() - 1);
        let r = usize::from(self.reason).min(REASONS - 1);
        (t * Action::ALL.len() + self.action as usize) * REASONS + r
    }
}

/// One interned name: `state` is empty (0), being written (1), or ready
/// (2, with the name's length and hash), and the bytes follow in words.
struct NameSlot {
    state: AtomicU64,
    words: [AtomicU64; NAME_WORDS],
}

const EMPTY: u64 = 0;
const WRITING: u64 = 1;
const READY: u64 = 2;

impl NameSlot {
    const fn new() -> NameSlot {
        NameSlot {
            state: AtomicU64::new(EMPTY),
            words: [const { AtomicU64::new(0) }; NAME_WORDS],
        }
    }
}

/// A fixed table of names. Interning is lock-free: a name takes the first
/// empty slot of its probe sequence with a compare-and-swap, writes its
/// bytes and publishes them. A slot being written is skipped, so two
/// processes interning one name at once may each take a slot: the
/// exposition adds up series whose names are equal.
struct Names<const N: usize> {
    slots: [NameSlot; N],
}

/// FNV-1a, 64-bit.
fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl<const N: usize> Names<N> {
    const fn new() -> Self {
        Names {
            slots: [const { NameSlot::new() }; N],
        }
    }

    fn intern(&self, name: &[u8]) -> Label {
        if name.len() > NAME_MAX {
            return Label::OVERFLOW;
        }
        let h = hash(name);
        let ready = (h & 0xffff_ffff_0000_0000) | (name.len() as u64) << 8 | READY;
        let mut words = [0u64; NAME_WORDS];
        for (word, chunk) in words.iter_mut().zip(name.chunks(8)) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            *word = u64::from_le_bytes(b);
        }
        let start = usize::try_from(h % N as u64).unwrap_or(0);
        for probe in 0..N {
            let i = (start + probe) % N;
            let Some(slot) = self.slots.get(i) else {
                break;
            };
            let mut state = slot.state.load(Ordering::Acquire);
            if state == EMPTY {
                match slot.state.compare_exchange(
                    EMPTY,
                    WRITING,
                    Ordering::Acquire,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        for (w, v) in slot.words.iter().zip(words) {
                            w.store(v, Ordering::Relaxed);
                        }
                        slot.state.store(ready, Ordering::Release);
                        return Label(u16::try_from(i).unwrap_or(u16::MAX));
                    }
                    Err(now) => state = now,
                }
            }
            if state == ready
                && slot
                    .words
                    .iter()
                    .zip(words)
                    .all(|(w, v)| w.load(Ordering::Relaxed) == v)
            {
                return Label(u16::try_from(i).unwrap_or(u16::MAX));
            }
        }
        Label::OVERFLOW
    }

    /// The name in slot `label`, once written.
    fn name(&self, label: Label) -> Option<String> {
        let slot = self.slots.get(usize::from(label.0))?;
        let state = slot.state.load(Ordering::Acquire);
        if state & 0xff != READY {
            return None;
        }
        let len = usize::try_from(state >> 8 & 0xff_ffff).ok()?.min(NAME_MAX);
        let bytes: Vec<u8> = slot
            .words
            .iter()
            .flat_map(|w| w.load(Ordering::Relaxed).to_le_bytes())
            .take(len)
            .collect();
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Which table a decision found full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// The app ids.
    App,
    /// The function names.
    Function,
    /// The series.
    Series,
}

const FULL_NAMES: [&str; 3] = ["app_id", "function", "series"];

/// The PHP functions whose hook is theirs alone: the hook names the
/// function, so counting its allowed calls needs no lookup of the PHP
/// function running (see [`AllowedCounters`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnFunction {
    SocketCreate,
    SocketConnect,
    SocketSendto,
}

impl OwnFunction {
    const COUNT: usize = 3;

    /// The function's name, as [`function`] interns it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            OwnFunction::SocketCreate => "socket_create",
            OwnFunction::SocketConnect => "socket_connect",
            OwnFunction::SocketSendto => "socket_sendto",
        }
    }
}

/// One configuration's counters of allowed calls of the [`OwnFunction`]s,
/// by function and transport: each is found in the table the first time
/// and then kept, so that a count is one load and one atomic add.
///
/// A kept counter is in this process's stripe; a child forked later counts
/// into its parent's, which only shares cache lines: every stripe is
/// summed.
pub struct AllowedCounters(
    [[OnceLock<Option<&'static AtomicU64>>; TRANSPORTS.len()]; OwnFunction::COUNT],
);

impl AllowedCounters {
    /// No counter found yet.
    #[must_use]
    pub const fn new() -> AllowedCounters {
        AllowedCounters(
            [const { [const { OnceLock::new() }; TRANSPORTS.len()] }; OwnFunction::COUNT],
        )
    }

    /// Counts an allowed call of `function` on `transport` for the app
    /// that `app` interns (asked only until the counter is found).
    #[inline]
    pub fn count(
        &self,
        function: OwnFunction,
        transport: TransportLabel,
        app: impl FnOnce() -> Label,
    ) {
        let cell = self
            .0
            .get(function as usize)
            .and_then(|cells| cells.get(usize::from(transport.0)));
        match cell.and_then(OnceLock::get) {
            Some(Some(counter)) => {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            _ => count_first(cell, function, transport, app),
        }
    }
}

/// [`AllowedCounters::count`] before its counter is kept (or when the
/// table has no room for it: then the overflow bucket counts it).
#[cold]
#[inline(never)]
fn count_first(
    cell: Option<&OnceLock<Option<&'static AtomicU64>>>,
    function: OwnFunction,
    transport: TransportLabel,
    app: impl FnOnce() -> Label,
) {
    let table = table();
    let series = Series::allowed(app(), table.function(function.name().as_bytes()), transport);
    let kept = cell.and_then(|cell| *cell.get_or_init(|| table.counter(table.slot(series).ok()?)));
    match kept {
        Some(counter) => {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        None => table.count(series),
    }
}

impl Default for AllowedCounters {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for AllowedCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AllowedCounters")
    }
}

/// Every counter. All zero is the empty table, so fresh anonymous memory
/// is one.
pub struct Table {
    apps: Names<APP_SLOTS>,
    functions: Names<FUNCTION_SLOTS>,
    keys: [AtomicU64; SERIES_SLOTS],
    counts: [[AtomicU64; SERIES_SLOTS]; STRIPES],
    overflow: [[AtomicU64; OVERFLOW_CELLS]; STRIPES],
    overflowed: [AtomicU64; 3],
    reclaimed: [AtomicU64; APP_SLOTS + 1],
}

/// The stripe of this process (see [`set_stripe`]).
static STRIPE: AtomicUsize = AtomicUsize::new(0);
/// The shared table, once the hooks made it.
static SHARED: OnceLock<&'static Table> = OnceLock::new();
/// This process's table, until (or unless) there is a shared one.
static LOCAL: Table = Table::new();

/// Makes `table` the one every count goes to (once per process; later
/// calls change nothing). Returns whether it is now in use.
pub fn share(table: &'static Table) -> bool {
    std::ptr::eq(*SHARED.get_or_init(|| table), table)
}

/// Whether the counters are in shared memory.
#[must_use]
pub fn is_shared() -> bool {
    SHARED.get().is_some()
}

/// The table counts go to.
#[must_use]
#[inline]
pub fn table() -> &'static Table {
    match SHARED.get() {
        Some(t) => t,
        None => &LOCAL,
    }
}

/// Chooses this process's stripe from its pid (at startup and in every
/// forked child).
pub fn set_stripe(pid: u32) {
    STRIPE.store(pid as usize % STRIPES, Ordering::Relaxed);
}

/// Interns an app id.
#[must_use]
pub fn app(name: &str) -> Label {
    table().apps.intern(name.as_bytes())
}

/// Interns a function or library name.
#[must_use]
pub fn function(name: &[u8]) -> Label {
    table().functions.intern(name)
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

impl Table {
    /// An empty table.
    #[must_use]
    pub const fn new() -> Table {
        Table {
            apps: Names::new(),
            functions: Names::new(),
            keys: [const { AtomicU64::new(0) }; SERIES_SLOTS],
            counts: [const { [const { AtomicU64::new(0) }; SERIES_SLOTS] }; STRIPES],
            overflow: [const { [const { AtomicU64::new(0) }; OVERFLOW_CELLS] }; STRIPES],
            overflowed: [const { AtomicU64::new(0) }; 3],
            reclaimed: [const { AtomicU64::new(0) }; APP_SLOTS + 1],
        }
    }

    /// Interns an app id in this table.
    #[must_use]
    pub fn app(&self, name: &str) -> Label {
        self.apps.intern(name.as_bytes())
    }

    /// Interns a function or library name in this table.
    #[must_use]
    pub fn function(&self, name: &[u8]) -> Label {
        self.functions.intern(name)
    }

    /// Counts one decision: a probe of the series table and one atomic add.
    #[inline]
    pub fn count(&self, series: Series) {
        match self.slot(series) {
            Ok(slot) => {
                if let Some(n) = self.counter(slot) {
                    n.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(full) => {
                let stripe = STRIPE.load(Ordering::Relaxed) % STRIPES;
                self.count_overflow(series, stripe, full);
            }
        }
    }

    /// The slot of `series` in this table, claimed the first time (slots
    /// are never given back, so a caller may keep it), or why there is none.
    ///
    /// # Errors
    /// What is full when the series has no slot: it goes to the overflow.
    #[inline]
    pub fn slot(&self, series: Series) -> Result<usize, Full> {
        if series.app == Label::OVERFLOW {
            return Err(Full::App);
        }
        if series.function == Label::OVERFLOW {
            return Err(Full::Function);
        }
        let key = series.key();
        // Fibonacci hashing: the top bits of the product.
        let mut i = (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 52) as usize;
        for _ in 0..PROBES {
            i &= SERIES_SLOTS - 1;
            let Some(slot) = self.keys.get(i) else {
                break;
            };
            let mut found = slot.load(Ordering::Relaxed);
            if found == 0 {
                found = match slot.compare_exchange(0, key, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => key,
                    Err(now) => now,
                };
            }
            if found == key {
                return Ok(i);
            }
            i += 1;
        }
        Err(Full::Series)
    }

    /// This process's counter of the series in `slot` (from
    /// [`Table::slot`]). It stays this process's until the next fork: a
    /// forked child counts into a stripe of its own.
    #[must_use]
    pub fn counter(&self, slot: usize) -> Option<&AtomicU64> {
        let stripe = STRIPE.load(Ordering::Relaxed) % STRIPES;
        self.counts.get(stripe).and_then(|s| s.get(slot))
    }

    #[cold]
    #[inline(never)]
    fn count_overflow(&self, series: Series, stripe: usize, full: Full) {
        if let Some(n) = self
            .overflow
            .get(stripe)
            .and_then(|s| s.get(series.overflow_cell()))
        {
            n.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(n) = self.overflowed.get(full as usize) {
            n.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a socket reclaimed for `app`.
    pub fn count_reclaimed(&self, app: Label) {
        let i = usize::from(app.0).min(APP_SLOTS);
        if let Some(n) = self.reclaimed.get(i) {
            n.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Every series counted so far, by label values, with equal names
    /// added up: (app, function, transport, action, reason) → count.
    #[must_use]
    pub fn series(
        &self,
    ) -> BTreeMap<(String, String, &'static str, &'static str, &'static str), u64> {
        let mut out = BTreeMap::new();
        let reason_name = |r: u8| match usize::from(r) {
            0 => "",
            r => Reason::CODES.get(r - 1).copied().unwrap_or("internal"),
        };
        for (i, slot) in self.keys.iter().enumerate() {
            let key = slot.load(Ordering::Relaxed);
            if key == 0 {
                continue;
            }
            let n: u64 = self
                .counts
                .iter()
                .filter_map(|s| s.get(i))
                .map(|c| c.load(Ordering::Relaxed))
                .sum();
            if n == 0 {
                continue;
            }
            let s = Series::from_key(key);
            let label = (
                self.apps
                    .name(s.app)
                    .unwrap_or_else(|| OVERFLOW_NAME.into()),
                self.functions
                    .name(s.function)
                    .unwrap_or_else(|| OVERFLOW_NAME.into()),
                TRANSPORTS
                    .get(usize::from(s.transport.0))
                    .copied()
                    .unwrap_or("other"),
                s.action.name(),
                reason_name(s.reason),
            );
            *out.entry(label).or_insert(0) += n;
        }
        for cell in 0..OVERFLOW_CELLS {
            let n: u64 = self
                .overflow
                .iter()
                .filter_map(|s| s.get(cell))
                .map(|c| c.load(Ordering::Relaxed))
                .sum();
            if n == 0 {
                continue;
            }
            let reason = cell % REASONS;
            let action = cell / REASONS % Action::ALL.len();
            let transport = cell / REASONS / Action::ALL.len();
            let label = (
                OVERFLOW_NAME.to_owned(),
                OVERFLOW_NAME.to_owned(),
                TRANSPORTS.get(transport).copied().unwrap_or("other"),
                Action::ALL.get(action).map_or("allowed", |a| a.name()),
                reason_name(u8::try_from(reason).unwrap_or(0)),
            );
            *out.entry(label).or_insert(0) += n;
        }
        out
    }

    /// The counters in the Prometheus text exposition format (version
    /// 0.0.4, whose names OpenMetrics parsers accept too).
    #[must_use]
    pub fn render(&self, shared: bool) -> String {
        let mut out = String::new();
        family(
            &mut out,
            "sockguard_decisions_total",
            "counter",
            "Socket operations decided, by app, PHP function (or library), transport, action and reason.",
        );
        for ((app, function, transport, action, reason), n) in self.series() {
            let _ = writeln!(
                out,
                "sockguard_decisions_total{{app_id=\"{}\",function=\"{}\",transport=\"{transport}\",action=\"{action}\",reason=\"{reason}\"}} {n}",
                escape(&app),
                escape(&function),
            );
        }
        family(
            &mut out,
            "sockguard_sockets_reclaimed_total",
            "counter",
            "Sockets closed after sockguard.idle_timeout unused, by app.",
        );
        let mut reclaimed: BTreeMap<String, u64> = BTreeMap::new();
        for (i, c) in self.reclaimed.iter().enumerate() {
            let n = c.load(Ordering::Relaxed);
            if n > 0 {
                let app = u16::try_from(i)
                    .ok()
                    .and_then(|i| self.apps.name(Label(i)))
                    .unwrap_or_else(|| OVERFLOW_NAME.into());
                *reclaimed.entry(app).or_insert(0) += n;
            }
        }
        for (app, n) in reclaimed {
            let _ = writeln!(
                out,
                "sockguard_sockets_reclaimed_total{{app_id=\"{}\"}} {n}",
                escape(&app)
            );
        }
        family(
            &mut out,
            "sockguard_metrics_overflow_total",
            "counter",
            "Decisions counted in the overflow bucket (app_id and function \"_overflow\"), by the table that was full.",
        );
        for (name, c) in FULL_NAMES.iter().zip(&self.overflowed) {
            let _ = writeln!(
                out,
                "sockguard_metrics_overflow_total{{table=\"{name}\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
        let used = self
            .keys
            .iter()
            .filter(|k| k.load(Ordering::Relaxed) != 0)
            .count();
        for (name, help, value) in [
            (
                "sockguard_metrics_series",
                "Label sets in use in the decision table.",
                used,
            ),
            (
                "sockguard_metrics_series_limit",
                "Label sets the decision table holds; more go to the overflow bucket.",
                SERIES_SLOTS,
            ),
            (
                "sockguard_metrics_shared",
                "1 when the counters are shared by every process of the server (php-fpm's workers), 0 when they are this process's only.",
                usize::from(shared),
            ),
        ] {
            family(&mut out, name, "gauge", help);
            let _ = writeln!(out, "{name} {value}");
        }
        family(
            &mut out,
            "sockguard_build_info",
            "gauge",
            "The sockguard build, in its version label; always 1.",
        );
        let _ = writeln!(
            out,
            "sockguard_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        out
    }
}

/// The `# HELP` and `# TYPE` lines of a metric family.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value as the exposition format quotes it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn fresh() -> Box<Table> {
        Box::default()
    }

    fn total(t: &Table) -> u64 {
        t.series().values().sum()
    }

    #[test]
    fn a_configurations_counters_count_each_functions_series_apart() {
        // The process's table, as the hooks count into it; an app of this
        // test's own keeps its series apart from every other test's.
        let app = app("allowed-counters");
        let (tcp, udp) = (
            TransportLabel::of_transport(Some(Transport::Tcp)),
            TransportLabel::of_transport(Some(Transport::Udp)),
        );
        let counted = |name: &str, transport: &'static str| {
            let labels = (
                "allowed-counters".into(),
                name.into(),
                transport,
                "allowed",
                "",
            );
            table().series().get(&labels).copied().unwrap_or(0)
        };
        let counters = AllowedCounters::new();
        for _ in 0..3 {
            counters.count(OwnFunction::SocketSendto, udp, || app);
        }
        counters.count(OwnFunction::SocketCreate, tcp, || app);
        counters.count(OwnFunction::SocketCreate, udp, || app);
        assert_eq!(counted("socket_sendto", "udp"), 3);
        assert_eq!(counted("socket_create", "tcp"), 1);
        assert_eq!(counted("socket_create", "udp"), 1);
        assert_eq!(counted("socket_connect", "tcp"), 0);
    }

    #[test]
    fn names_are_interned_once_and_bounded() {
        let t = fresh();
        let shop = t.app("shop");
        assert_eq!(t.app("shop"), shop);
        assert_ne!(t.app("blog"), shop);
        assert_eq!(t.apps.name(shop).as_deref(), Some("shop"));
        // Just inside and just outside the longest name.
        let longest = "x".repeat(NAME_MAX);
        let l = t.function(longest.as_bytes());
        assert_ne!(l, Label::OVERFLOW);
        assert_eq!(t.functions.name(l).as_deref(), Some(longest.as_str()));
        assert_eq!(
            t.function("x".repeat(NAME_MAX + 1).as_bytes()),
            Label::OVERFLOW
        );
        // The table holds APP_SLOTS names; the next one overflows.
        for i in 2..APP_SLOTS {
            assert_ne!(t.app(&format!("app{i}")), Label::OVERFLOW, "{i}");
        }
        assert_eq!(t.app("one too many"), Label::OVERFLOW);
        assert_eq!(t.app("shop"), shop);
        assert_eq!(t.function(b""), t.function(b""));
    }

    #[test]
    fn a_kept_counter_counts_its_series() {
        let t = fresh();
        let series = Series::allowed(
            t.app("shop"),
            t.function(b"fsockopen"),
            TransportLabel::of_name(Some("tcp")),
        );
        let slot = t.slot(series).expect("room");
        assert_eq!(t.slot(series), Ok(slot), "the same series keeps its slot");
        let counter = t.counter(slot).expect("a counter in this stripe");
        counter.fetch_add(1, Ordering::Relaxed);
        counter.fetch_add(1, Ordering::Relaxed);
        t.count(series);
        assert_eq!(total(&t), 3);
        let overflowed = Series::allowed(
            Label::OVERFLOW,
            t.function(b"fsockopen"),
            TransportLabel::of_name(None),
        );
        assert_eq!(t.slot(overflowed), Err(Full::App));
    }

    #[test]
    fn decisions_are_counted_by_every_label() {
        let t = fresh();
        let (shop, f) = (t.app("shop"), t.function(b"fsockopen"));
        let tcp = TransportLabel::of_transport(Some(Transport::Tcp));
        for _ in 0..3 {
            t.count(Series::allowed(shop, f, tcp));
        }
        t.count(Series::refused(
            shop,
            f,
            tcp,
            Action::Denied,
            &Reason::Port25,
        ));
        t.count(Series::refused(
            shop,
            t.function(b"libpq.so.5"),
            TransportLabel::of_name(Some("ssl")),
            Action::WouldDeny,
            &Reason::Internal { what: "x".into() },
        ));
        let got: Vec<_> = t.series().into_iter().collect();
        assert_eq!(
            got,
            vec![
                (("shop".into(), "fsockopen".into(), "tcp", "allowed", ""), 3),
                (
                    (
                        "shop".into(),
                        "fsockopen".into(),
                        "tcp",
                        "denied",
                        "port-25"
                    ),
                    1
                ),
                (
                    (
                        "shop".into(),
                        "libpq.so.5".into(),
                        "tcp",
                        "would-deny",
                        "internal"
                    ),
                    1
                ),
            ]
        );
    }

    #[test]
    fn transports_of_operations() {
        use crate::policy::Host;
        let host = Host::Name("x".into());
        let table: Vec<(Operation<'_>, &str)> = vec![
            (Operation::Create(Kind::Transport(Transport::Udp)), "udp"),
            (
                Operation::Connect {
                    host: &host,
                    port: 1,
                    kind: Kind::Stream("tlsv1.3"),
                },
                "tcp",
            ),
            (
                Operation::Create(Kind::Socket {
                    family: libc::AF_PACKET,
                    sotype: libc::SOCK_RAW,
                    protocol: 0,
                }),
                "other",
            ),
            (Operation::Pair(Kind::Stream("udg")), "udg"),
            (Operation::Listen, ""),
            (Operation::Ffi, ""),
        ];
        for (op, want) in table {
            assert_eq!(
                TRANSPORTS[usize::from(TransportLabel::of(&op).0)],
                want,
                "{op:?}"
            );
        }
        assert_eq!(TransportLabel::of_name(None), TransportLabel::NONE);
        assert_eq!(
            TRANSPORTS[usize::from(TransportLabel::of_name(Some("bogus")).0)],
            "other"
        );
    }

    #[test]
    fn a_full_table_overflows_into_the_bucket_and_loses_nothing() {
        let t = fresh();
        let app = t.app("a");
        let mut made = 0u64;
        // Far more label sets than slots: every decision is still counted.
        for f in 0..FUNCTION_SLOTS {
            let function = t.function(format!("f{f}").as_bytes());
            for action in Action::ALL {
                for r in [Reason::Port25, Reason::Listen, Reason::NotPaid] {
                    t.count(Series::refused(
                        app,
                        function,
                        TransportLabel::NONE,
                        action,
                        &r,
                    ));
                    made += 1;
                }
            }
        }
        assert!(made > SERIES_SLOTS as u64);
        assert_eq!(total(&t), made);
        let overflowed = t.overflowed[Full::Series as usize].load(Ordering::Relaxed);
        assert!(overflowed > 0);
        let bucket: u64 = t
            .series()
            .iter()
            .filter(|((a, f, ..), _)| a == OVERFLOW_NAME && f == OVERFLOW_NAME)
            .map(|(_, n)| n)
            .sum();
        assert_eq!(bucket, overflowed);
        // A name with no room goes to the bucket too, and says which table.
        t.count(Series::allowed(
            Label::OVERFLOW,
            Label(0),
            TransportLabel::NONE,
        ));
        assert_eq!(t.overflowed[Full::App as usize].load(Ordering::Relaxed), 1);
        assert_eq!(total(&t), made + 1);
    }

    #[test]
    fn concurrent_counts_are_all_kept() {
        let t: Arc<Table> = Arc::new(Table::new());
        let threads: Vec<_> = (0..8u32)
            .map(|n| {
                let t = Arc::clone(&t);
                std::thread::spawn(move || {
                    let app = t.app(&format!("app{}", n % 3));
                    for i in 0..20_000u32 {
                        let f = t.function(format!("f{}", i % 7).as_bytes());
                        t.count(Series::allowed(app, f, TransportLabel::NONE));
                    }
                })
            })
            .collect();
        for th in threads {
            th.join().unwrap();
        }
        assert_eq!(total(&t), 8 * 20_000);
        assert_eq!(t.series().len(), 3 * 7);
    }

    #[test]
    fn equal_names_in_two_slots_are_one_series() {
        let t = fresh();
        let a = t.app("shop");
        // As if another process had interned "shop" at the same moment.
        let b = Label(a.0 + 1);
        let slot = &t.apps.slots[usize::from(b.0)];
        for (w, v) in slot.words.iter().zip(&t.apps.slots[usize::from(a.0)].words) {
            w.store(v.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        slot.state.store(
            t.apps.slots[usize::from(a.0)].state.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        let f = t.function(b"f");
        t.count(Series::allowed(a, f, TransportLabel::NONE));
        t.count(Series::allowed(b, f, TransportLabel::NONE));
        assert_eq!(
            t.series().into_iter().collect::<Vec<_>>(),
            vec![(("shop".into(), "f".into(), "", "allowed", ""), 2)]
        );
    }

    #[test]
    fn exposition_has_help_type_and_escaped_labels() {
        let t = fresh();
        let app = t.app("we\"ird\\app\nid");
        let f = t.function(b"PDO::__construct");
        t.count(Series::refused(
            app,
            f,
            TransportLabel::of_transport(Some(Transport::Tcp)),
            Action::Denied,
            &Reason::Dns {
                host: "h".into(),
                error: crate::policy::ResolveError::NotFound { name: "h".into() },
            },
        ));
        t.count_reclaimed(app);
        let text = t.render(true);
        assert!(text.contains(
            "# HELP sockguard_decisions_total Socket operations decided, by app, PHP function (or library), transport, action and reason.\n# TYPE sockguard_decisions_total counter\n"
        ));
        assert!(text.contains(
            "sockguard_decisions_total{app_id=\"we\\\"ird\\\\app\\nid\",function=\"PDO::__construct\",transport=\"tcp\",action=\"denied\",reason=\"dns\"} 1\n"
        ), "{text}");
        assert!(text
            .contains("sockguard_sockets_reclaimed_total{app_id=\"we\\\"ird\\\\app\\nid\"} 1\n"));
        assert!(text.contains("sockguard_metrics_overflow_total{table=\"series\"} 0\n"));
        assert!(text.contains("sockguard_metrics_series 1\n"));
        assert!(text.contains("sockguard_metrics_shared 1\n"));
        // Every sample line names a family declared above it.
        let mut declared = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                declared.push(rest.split(' ').next().unwrap().to_owned());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(declared.iter().any(|d| d == name), "{line}");
            }
        }
    }
}

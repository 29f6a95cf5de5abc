//! The configuration in force.
//!
//! Each engine thread keeps the configuration of its last request (a ZTS
//! SAPI runs requests of several pools at once, each thread with its own
//! ini values). It is re-read only when an ini value changed: the settings'
//! `on_modify` handler calls [`settings_changed`], and [`needs_refresh`]
//! compares that count with the one last read, so a request whose settings
//! did not change pays one read, whatever the size of the settings.
//! Configurations with the same values are built once, shared between
//! threads and kept for the life of the process. Under ZTS, a thread that
//! serves no request (a library's own thread, seen by the C-library floor)
//! gets the configuration built last.

use std::{
    cell::RefCell,
    ptr,
    sync::{
        atomic::{AtomicPtr, AtomicU64, AtomicU8, Ordering::Relaxed},
        Mutex, PoisonError,
    },
};

use crate::{
    config::{Config, IniValues, Mode, RealSystem},
    policy::Reason,
    resolve::{AnyLookup, CachingResolver},
};

/// What every hook reads first: the configuration in force and the two
/// values of it read on every call. Atomics, so that the C-library floor
/// may read them from a library's own thread while a request starts.
struct InForce {
    /// The configuration of the request (null: none yet).
    config: AtomicPtr<Config>,
    /// The mode of `config` (a [`Mode`] as u8).
    mode: AtomicU8,
    /// `sockguard.idle_timeout` of `config` in ms (0: disabled), read on
    /// every read and write of a tracked socket.
    idle_timeout_ms: AtomicU64,
    /// Changes to sockguard's ini values seen.
    changes: AtomicU64,
    /// `changes` when the values were last read (`u64::MAX`: never).
    read_at: AtomicU64,
}

impl InForce {
    const fn new() -> Self {
        InForce {
            config: AtomicPtr::new(ptr::null_mut()),
            mode: AtomicU8::new(Mode::Enforce as u8),
            idle_timeout_ms: AtomicU64::new(120_000),
            changes: AtomicU64::new(0),
            read_at: AtomicU64::new(u64::MAX),
        }
    }

    fn set(&self, config: &'static Config) {
        self.mode.store(config.mode as u8, Relaxed);
        self.config.store(ptr::from_ref(config).cast_mut(), Relaxed);
    }
}

/// NTS: the engine runs on one thread, so what is in force is the
/// process's, and reading it costs a load (a thread-local of this
/// `dlopen`ed library costs a `__tls_get_addr` call, three per connect).
/// Library threads then see the request's configuration.
#[cfg(not(php_zts))]
fn in_force<R>(f: impl FnOnce(&InForce) -> R) -> R {
    static IN_FORCE: InForce = InForce::new();
    f(&IN_FORCE)
}

/// ZTS: each thread serves its own requests, with its own values.
#[cfg(php_zts)]
fn in_force<R>(f: impl FnOnce(&InForce) -> R) -> R {
    thread_local! {
        static IN_FORCE: InForce = const { InForce::new() };
    }
    IN_FORCE.with(f)
}

thread_local! {
    /// The ini values of this thread's configuration, to tell whether
    /// changed values are new ones (read at request start only).
    static VALUES: RefCell<Option<IniValues>> = const { RefCell::new(None) };
}

/// The configuration built last, for threads that serve no request.
static LATEST: Mutex<Option<&'static Config>> = Mutex::new(None);

/// Every configuration built, by its values (and the deny-all ones, by
/// their reason). A configuration is kept for the life of the process:
/// there are as many as the server's pools and virtual hosts have distinct
/// settings, and a hook then reads the one in force with no reference to
/// count and nothing to free under a library's thread that still uses it.
static BUILT: Mutex<Vec<(IniValues, &'static Config)>> = Mutex::new(Vec::new());
static DENY_ALL: Mutex<Vec<(Reason, &'static Config)>> = Mutex::new(Vec::new());

/// Called by the ini handler whenever one of sockguard's values changes
/// (startup, an FPM pool's php_admin_value, a virtual host's per-request
/// value and its reset).
pub fn settings_changed() {
    in_force(|t| t.changes.fetch_add(1, Relaxed));
}

/// Whether the ini values may have changed since they were last read.
pub fn needs_refresh() -> bool {
    in_force(|t| t.read_at.load(Relaxed) != t.changes.load(Relaxed))
}

/// Makes `values` the settings in force on this thread. Returns the
/// configuration, and whether it was built now (so its problems should be
/// reported).
pub fn refresh(values: IniValues) -> (&'static Config, bool) {
    let config = in_force(|t| {
        t.read_at.store(t.changes.load(Relaxed), Relaxed);
        config_of(t)
    });
    let same = VALUES.with(|v| v.try_borrow().is_ok_and(|v| v.as_ref() == Some(&values)));
    let unchanged = config.filter(|_| same);
    if let Some(config) = unchanged {
        return (config, false);
    }
    let (config, built) = shared_config(&values);
    use_config(Some(values), config);
    (config, built)
}

/// The configuration for `values`: one already built for them, or a new one.
fn shared_config(values: &IniValues) -> (&'static Config, bool) {
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, config)) = built.iter().find(|(v, _)| v == values) {
        return (config, false);
    }
    let config: &'static Config = Box::leak(Box::new(Config::from_ini(values, &RealSystem)));
    built.push((values.clone(), config));
    (config, true)
}

/// Puts `config` in force on this thread (and as the latest for others).
fn use_config(values: Option<IniValues>, config: &'static Config) {
    let millis = config
        .idle_timeout
        .map_or(0, |t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
    in_force(|t| {
        t.idle_timeout_ms.store(millis, Relaxed);
        t.set(config);
    });
    set_values(values);
    *LATEST.lock().unwrap_or_else(PoisonError::into_inner) = Some(config);
}

/// Denies everything on this thread until the settings are read again
/// (the request could not establish its configuration).
pub fn deny_all(reason: Reason) {
    let config = {
        let mut denying = DENY_ALL.lock().unwrap_or_else(PoisonError::into_inner);
        match denying.iter().find(|(r, _)| *r == reason) {
            Some((_, config)) => *config,
            None => {
                let config: &'static Config = Box::leak(Box::new(Config::deny_all(reason.clone())));
                denying.push((reason, config));
                config
            }
        }
    };
    in_force(|t| {
        t.read_at.store(u64::MAX, Relaxed);
        t.set(config);
    });
    set_values(None);
}

/// The configuration in force on this thread: its request's, else the one
/// built last, else the defaults.
#[inline]
pub fn current() -> &'static Config {
    match in_force(config_of) {
        Some(config) => config,
        None => latest(),
    }
}

/// The configuration set in `t`, if any.
#[inline]
fn config_of(t: &InForce) -> Option<&'static Config> {
    // SAFETY: only `&'static Config`s (leaked, never freed) are stored.
    unsafe { t.config.load(Relaxed).as_ref() }
}

fn set_values(values: Option<IniValues>) {
    VALUES.with(|v| {
        if let Ok(mut v) = v.try_borrow_mut() {
            *v = values;
        }
    });
}

#[cold]
fn latest() -> &'static Config {
    let latest = *LATEST.lock().unwrap_or_else(PoisonError::into_inner);
    latest.unwrap_or_else(|| refresh(IniValues::defaults()).0)
}

/// Whether every hook steps aside (`sockguard.mode = "off"`).
#[inline]
pub fn is_off() -> bool {
    in_force(|t| t.mode.load(Relaxed)) == Mode::Off as u8
}

/// `sockguard.idle_timeout` in force, in milliseconds.
#[inline]
pub fn idle_timeout_ms() -> Option<u64> {
    match in_force(|t| t.idle_timeout_ms.load(Relaxed)) {
        0 => None,
        ms => Some(ms),
    }
}

/// The resolver of the configuration in force (shared by every
/// configuration that names the same servers).
pub fn resolver() -> std::sync::Arc<CachingResolver<AnyLookup>> {
    std::sync::Arc::clone(&current().resolver)
}

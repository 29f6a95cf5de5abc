//! The configuration in force.
//!
//! Each thread keeps the configuration of its last request (a ZTS SAPI runs
//! requests of several pools at once, each thread with its own ini values).
//! It is re-read only when an ini value changed: the settings' `on_modify`
//! handler calls [`settings_changed`], and [`needs_refresh`] compares that
//! count with the one last read, so a request whose settings did not change
//! pays one thread-local read, whatever the size of the settings.
//! Configurations with the same values are built once and shared between
//! threads. A thread that serves no request (a library's own thread, seen
//! by the C-library floor) gets the configuration built last.

use std::{
    cell::{Cell, RefCell},
    sync::{Arc, Mutex, PoisonError},
};

use crate::{
    config::{Config, IniValues, Mode, RealSystem},
    policy::Reason,
    resolve::{AnyLookup, CachingResolver},
};

thread_local! {
    static CURRENT: RefCell<Option<(IniValues, Arc<Config>)>> = const { RefCell::new(None) };
    /// The mode of CURRENT, read by every hook first.
    static MODE: Cell<Mode> = const { Cell::new(Mode::Enforce) };
    /// `sockguard.idle_timeout` of CURRENT in ms (0: disabled), read on
    /// every read and write of a tracked socket.
    static IDLE_TIMEOUT_MS: Cell<u64> = const { Cell::new(120_000) };
    /// Changes to sockguard's ini values seen by this thread.
    static CHANGES: Cell<u64> = const { Cell::new(0) };
    /// CHANGES when the values were last read (`u64::MAX`: never).
    static READ_AT: Cell<u64> = const { Cell::new(u64::MAX) };
}

/// The configuration built last, for threads that serve no request.
static LATEST: Mutex<Option<Arc<Config>>> = Mutex::new(None);

/// Configurations already built, most recent last, shared by every thread.
static BUILT: Mutex<Vec<(IniValues, Arc<Config>)>> = Mutex::new(Vec::new());

/// How many distinct configurations are kept (one per pool or virtual host).
const BUILT_CAPACITY: usize = 16;

/// Called by the ini handler whenever one of sockguard's values changes
/// (startup, an FPM pool's php_admin_value, a virtual host's per-request
/// value and its reset).
pub fn settings_changed() {
    CHANGES.with(|c| c.set(c.get().wrapping_add(1)));
}

/// Whether the ini values may have changed since they were last read.
pub fn needs_refresh() -> bool {
    READ_AT.with(Cell::get) != CHANGES.with(Cell::get)
}

/// Makes `values` the settings in force on this thread. Returns the
/// configuration, and whether it was built now (so its problems should be
/// reported).
pub fn refresh(values: IniValues) -> (Arc<Config>, bool) {
    READ_AT.with(|r| r.set(CHANGES.with(Cell::get)));
    let unchanged = CURRENT.with(|cell| {
        cell.borrow()
            .as_ref()
            .filter(|(old, _)| *old == values)
            .map(|(_, config)| Arc::clone(config))
    });
    if let Some(config) = unchanged {
        return (config, false);
    }
    let (config, built) = shared_config(&values);
    use_config(Some(values), Arc::clone(&config));
    (config, built)
}

/// The configuration for `values`: one already built for them, or a new one.
fn shared_config(values: &IniValues) -> (Arc<Config>, bool) {
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(i) = built.iter().position(|(v, _)| v == values) {
        let entry = built.remove(i);
        let config = Arc::clone(&entry.1);
        built.push(entry);
        return (config, false);
    }
    let config = Arc::new(Config::from_ini(values, &RealSystem));
    if built.len() >= BUILT_CAPACITY {
        built.remove(0);
    }
    built.push((values.clone(), Arc::clone(&config)));
    (config, true)
}

/// Puts `config` in force on this thread (and as the latest for others).
fn use_config(values: Option<IniValues>, config: Arc<Config>) {
    MODE.with(|m| m.set(config.mode));
    let millis = config
        .idle_timeout
        .map_or(0, |t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
    IDLE_TIMEOUT_MS.with(|c| c.set(millis));
    *LATEST.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&config));
    CURRENT.with(|cell| {
        *cell.borrow_mut() = values.map(|v| (v, config));
    });
}

/// Denies everything on this thread until the settings are read again
/// (the request could not establish its configuration).
pub fn deny_all(reason: Reason) {
    READ_AT.with(|r| r.set(u64::MAX));
    let config = Arc::new(Config::deny_all(reason));
    MODE.with(|m| m.set(config.mode));
    CURRENT.with(|cell| {
        *cell.borrow_mut() = Some((IniValues::defaults(), config));
    });
}

/// The configuration in force on this thread: its request's, else the one
/// built last, else the defaults.
pub fn current() -> Arc<Config> {
    if let Some(config) = CURRENT.with(|cell| cell.borrow().as_ref().map(|(_, c)| Arc::clone(c))) {
        return config;
    }
    if let Some(config) = LATEST
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
    {
        return config;
    }
    refresh(IniValues::defaults()).0
}

/// Whether every hook steps aside (`sockguard.mode = "off"`).
#[inline]
pub fn is_off() -> bool {
    MODE.with(Cell::get) == Mode::Off
}

/// `sockguard.idle_timeout` in force, in milliseconds.
#[inline]
pub fn idle_timeout_ms() -> Option<u64> {
    match IDLE_TIMEOUT_MS.with(Cell::get) {
        0 => None,
        ms => Some(ms),
    }
}

/// The resolver of the configuration in force (shared by every
/// configuration that names the same servers).
pub fn resolver() -> Arc<CachingResolver<AnyLookup>> {
    Arc::clone(&current().resolver)
}

//! The configuration in force.
//!
//! Each thread keeps the configuration of its last request (a ZTS SAPI runs
//! requests of several pools at once, each thread with its own ini values).
//! It is re-read only when an ini value changed: the settings' `on_modify`
//! handler calls [`settings_changed`], and [`needs_refresh`] compares that
//! count with the one last read, so a request whose settings did not change
//! pays one thread-local read, whatever the size of the settings.
//! Configurations with the same values are built once, shared between
//! threads and kept for the life of the process. A thread that serves no
//! request (a library's own thread, seen by the C-library floor) gets the
//! configuration built last.

use std::{
    cell::{Cell, RefCell},
    sync::{Mutex, PoisonError},
};

use crate::{
    config::{Config, IniValues, Mode, RealSystem},
    policy::Reason,
    resolve::{AnyLookup, CachingResolver},
};

/// What a thread knows of the configuration in force, in one thread-local
/// (a hook reads it once).
struct Thread {
    /// The configuration of this thread's request, if it has one.
    config: Cell<Option<&'static Config>>,
    /// Its ini values, to tell whether changed values are new ones.
    values: RefCell<Option<IniValues>>,
    /// The mode of `config`, read by every hook first.
    mode: Cell<Mode>,
    /// `sockguard.idle_timeout` of `config` in ms (0: disabled), read on
    /// every read and write of a tracked socket.
    idle_timeout_ms: Cell<u64>,
    /// Changes to sockguard's ini values seen by this thread.
    changes: Cell<u64>,
    /// `changes` when the values were last read (`u64::MAX`: never).
    read_at: Cell<u64>,
}

thread_local! {
    static THREAD: Thread = const {
        Thread {
            config: Cell::new(None),
            values: RefCell::new(None),
            mode: Cell::new(Mode::Enforce),
            idle_timeout_ms: Cell::new(120_000),
            changes: Cell::new(0),
            read_at: Cell::new(u64::MAX),
        }
    };
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
    THREAD.with(|t| t.changes.set(t.changes.get().wrapping_add(1)));
}

/// Whether the ini values may have changed since they were last read.
pub fn needs_refresh() -> bool {
    THREAD.with(|t| t.read_at.get() != t.changes.get())
}

/// Makes `values` the settings in force on this thread. Returns the
/// configuration, and whether it was built now (so its problems should be
/// reported).
pub fn refresh(values: IniValues) -> (&'static Config, bool) {
    let unchanged = THREAD.with(|t| {
        t.read_at.set(t.changes.get());
        let same = t
            .values
            .try_borrow()
            .is_ok_and(|v| v.as_ref() == Some(&values));
        same.then(|| t.config.get()).flatten()
    });
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
    THREAD.with(|t| {
        t.mode.set(config.mode);
        t.idle_timeout_ms.set(millis);
        t.config.set(Some(config));
        if let Ok(mut v) = t.values.try_borrow_mut() {
            *v = values;
        }
    });
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
    THREAD.with(|t| {
        t.read_at.set(u64::MAX);
        t.mode.set(config.mode);
        t.config.set(Some(config));
        if let Ok(mut v) = t.values.try_borrow_mut() {
            *v = None;
        }
    });
}

/// The configuration in force on this thread: its request's, else the one
/// built last, else the defaults.
#[inline]
pub fn current() -> &'static Config {
    match THREAD.with(|t| t.config.get()) {
        Some(config) => config,
        None => latest(),
    }
}

#[cold]
fn latest() -> &'static Config {
    let latest = *LATEST.lock().unwrap_or_else(PoisonError::into_inner);
    latest.unwrap_or_else(|| refresh(IniValues::defaults()).0)
}

/// Whether every hook steps aside (`sockguard.mode = "off"`).
#[inline]
pub fn is_off() -> bool {
    THREAD.with(|t| t.mode.get()) == Mode::Off
}

/// `sockguard.idle_timeout` in force, in milliseconds.
#[inline]
pub fn idle_timeout_ms() -> Option<u64> {
    match THREAD.with(|t| t.idle_timeout_ms.get()) {
        0 => None,
        ms => Some(ms),
    }
}

/// The resolver of the configuration in force (shared by every
/// configuration that names the same servers).
pub fn resolver() -> std::sync::Arc<CachingResolver<AnyLookup>> {
    std::sync::Arc::clone(&current().resolver)
}

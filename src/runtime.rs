//! The configuration in force and the shared resolver.
//!
//! The hook side reads the ini strings at request start and calls
//! [`refresh`]; the configuration is rebuilt only when a value changed (an
//! FPM pool's php_admin_value, say), so a request normally pays one
//! comparison. Everything else asks [`current`].

use std::{
    cell::RefCell,
    rc::Rc,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use crate::{
    config::{Config, IniValues},
    resolve::{AnyLookup, CachingResolver},
};

thread_local! {
    static CURRENT: RefCell<Option<(IniValues, Rc<Config>)>> = const { RefCell::new(None) };
}

/// Makes `values` the settings in force. Returns the configuration, and
/// whether it was rebuilt (so its problems should be reported).
pub fn refresh(values: IniValues) -> (Rc<Config>, bool) {
    CURRENT.with(|cell| {
        let mut slot = cell.borrow_mut();
        if let Some((old, config)) = slot.as_ref() {
            if *old == values {
                return (Rc::clone(config), false);
            }
        }
        let config = Rc::new(Config::from_ini(&values, |p| std::fs::read_to_string(p)));
        let millis = config
            .idle_timeout
            .map_or(0, |t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
        IDLE_TIMEOUT_MS.store(millis, Ordering::Relaxed);
        *slot = Some((values, Rc::clone(&config)));
        (config, true)
    })
}

/// The configuration in force (the defaults before the first refresh).
pub fn current() -> Rc<Config> {
    let cached = CURRENT.with(|cell| cell.borrow().as_ref().map(|(_, c)| Rc::clone(c)));
    cached.unwrap_or_else(|| refresh(IniValues::defaults()).0)
}

/// `sockguard.idle_timeout` of the last configuration built, in ms (0:
/// disabled). An atomic because every read and write of a tracked stream
/// asks for it.
static IDLE_TIMEOUT_MS: AtomicU64 = AtomicU64::new(120_000);

/// `sockguard.idle_timeout` in force, in milliseconds.
#[inline]
pub fn idle_timeout_ms() -> Option<u64> {
    match IDLE_TIMEOUT_MS.load(Ordering::Relaxed) {
        0 => None,
        ms => Some(ms),
    }
}

/// The resolver of the configuration in force (shared by every
/// configuration that names the same servers).
pub fn resolver() -> Arc<CachingResolver<AnyLookup>> {
    Arc::clone(&current().resolver)
}

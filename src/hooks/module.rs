//! The module entry and its lifecycle: MINIT registers the ini settings,
//! finds ext/sockets and installs every hook (rolling all of them back if
//! any step fails, so PHP never runs half-guarded); RINIT re-reads the
//! settings when they changed (an FPM pool or a virtual host may set them);
//! MINFO prints the effective policy for phpinfo() and `php --ri
//! sockguard`; MSHUTDOWN restores every original.
//!
//! The entry declares ext/sockets, ext/openssl, ext/curl, mysqlnd, soap and
//! ftp as optional dependencies, so the engine starts them first whatever
//! the order of the `extension=` lines, and their functions exist when
//! MINIT swaps them.

use std::{
    ffi::{c_int, CStr, CString},
    ptr,
    sync::OnceLock,
};

use ext_php_rs::{
    builders::ModuleBuilder,
    ffi::{
        _zend_module_dep as zend_module_dep, zend_hash_str_find_ptr_lc, zend_ini_entry,
        zend_module_entry, zend_string,
    },
    flags::IniEntryPermission,
    info_table_end, info_table_row, info_table_start,
    zend::{IniEntryDef, ModuleEntry, StaticModuleEntry},
};

use super::{
    approvals, clock, curl, engine,
    entry::{self, entry, Bailout},
    ffi::{module_registry, zend_ini_string_ex, zend_unregister_ini_entries},
    floor, install, php_ffi,
    sockets::SOCKETS,
    streams,
};
use crate::{
    api,
    config::{self, IniValues},
    policy::Reason,
    runtime,
};

/// MODULE_DEP_OPTIONAL from zend_modules.h.
const MODULE_DEP_OPTIONAL: u8 = 3;
/// SUCCESS and FAILURE of a module callback.
const SUCCESS: c_int = 0;
const FAILURE: c_int = -1;

/// The dependency list, NULL-terminated as the engine expects.
struct Deps([zend_module_dep; 8]);
// SAFETY: only pointers to static C strings; the engine reads them.
unsafe impl Sync for Deps {}

const fn optional(name: &'static CStr) -> zend_module_dep {
    zend_module_dep {
        name: name.as_ptr(),
        rel: ptr::null(),
        version: ptr::null(),
        type_: MODULE_DEP_OPTIONAL,
    }
}

static DEPS: Deps = Deps([
    optional(c"sockets"),
    optional(c"openssl"),
    optional(c"curl"),
    optional(c"mysqlnd"),
    optional(c"soap"),
    optional(c"ftp"),
    optional(c"ffi"),
    zend_module_dep {
        name: ptr::null(),
        rel: ptr::null(),
        version: ptr::null(),
        type_: 0,
    },
]);

/// The ini handler of every setting: a change (at startup, an FPM pool's
/// php_admin_value, a virtual host's value and its reset) makes the next
/// request read the settings again.
unsafe extern "C" fn on_modify(
    _entry: *mut zend_ini_entry,
    _new_value: *mut zend_string,
    _arg1: *mut std::ffi::c_void,
    _arg2: *mut std::ffi::c_void,
    _arg3: *mut std::ffi::c_void,
    _stage: c_int,
) -> ext_php_rs::ffi::zend_result {
    runtime::settings_changed();
    SUCCESS
}

/// The ini table, built once from [`config::ALL`] and kept for the process
/// (PHP 8.5 keeps a pointer to it).
struct IniTable(Vec<IniEntryDef>);
// SAFETY: the entries point to leaked, immutable C strings and a static
// function; the engine only reads them.
unsafe impl Send for IniTable {}
// SAFETY: as above.
unsafe impl Sync for IniTable {}

fn ini_table() -> &'static [IniEntryDef] {
    static TABLE: OnceLock<IniTable> = OnceLock::new();
    &TABLE
        .get_or_init(|| {
            let mut defs: Vec<IniEntryDef> = config::ALL
                .iter()
                .filter_map(|s| {
                    let name: &'static CStr =
                        Box::leak(CString::new(s.name).ok()?.into_boxed_c_str());
                    let value: &'static CStr =
                        Box::leak(CString::new(s.default).ok()?.into_boxed_c_str());
                    let mut def = IniEntryDef::new(name, value, IniEntryPermission::System);
                    def.on_modify = Some(on_modify);
                    Some(def)
                })
                .collect();
            defs.push(IniEntryDef::end());
            IniTable(defs)
        })
        .0
}

/// Reads the current value of every setting.
fn read_ini() -> IniValues {
    IniValues(config::ALL.map(|s| {
        let mut exists = false;
        let (name, len) = (s.name.as_ptr().cast(), s.name.len());
        // SAFETY: the name is a valid buffer of the given length; the engine
        // returns NULL or a NUL-terminated string it owns.
        let value = unsafe { zend_ini_string_ex(name, len, 0, &mut exists) };
        if value.is_null() {
            return s.default.to_owned();
        }
        // SAFETY: checked non-null above; NUL-terminated by the engine.
        unsafe { CStr::from_ptr(value) }
            .to_string_lossy()
            .into_owned()
    }))
}

/// Makes the current ini values the configuration in force, if they may
/// have changed; reports the problems of a configuration built now (to the
/// log at startup, as warnings in a request).
fn refresh_config(startup: bool) -> Result<(), Bailout> {
    if !runtime::needs_refresh() {
        return Ok(());
    }
    let (config, built) = runtime::refresh(read_ini());
    if built {
        for problem in &config.problems {
            let line = format!("sockguard: {problem}");
            if startup {
                engine::log(&line)?;
            } else {
                engine::warning(&line)?;
            }
        }
    }
    Ok(())
}

/// Finds ext/sockets' classes and globals, if it is loaded.
fn find_sockets_ext() {
    let socket_ce = engine::find_class("socket");
    let address_info_ce = engine::find_class("addressinfo");
    // SAFETY: module_registry is the engine's module table, complete by MINIT
    // of a module that declared ext/sockets as a dependency.
    let module = unsafe {
        zend_hash_str_find_ptr_lc(ptr::addr_of_mut!(module_registry), c"sockets".as_ptr(), 7)
            .cast::<zend_module_entry>()
    };
    // SAFETY: a registered module entry lives as long as its module.
    let module = unsafe { module.as_ref() };
    #[cfg(not(php_zts))]
    let globals = module.map_or(ptr::null_mut(), |m| {
        m.globals_ptr.cast::<super::ffi::zend_sockets_globals>()
    });
    #[cfg(php_zts)]
    let globals = module.map_or(ptr::null_mut(), |m| m.globals_id_ptr);
    SOCKETS.init(socket_ce, address_info_ce, globals);
}

/// Puts back everything MINIT may have installed; each step undoes only
/// what is still sockguard's.
fn uninstall_all() {
    floor::uninstall();
    php_ffi::uninstall();
    streams::factory::uninstall();
    install::uninstall();
}

extern "C" fn minit(_type: c_int, module_number: c_int) -> c_int {
    entry::read_faults();
    super::allocations::read_setting();
    entry::install_panic_hook();
    entry(
        "minit",
        |reason| {
            // Never run half-guarded: everything back, then PHP refuses to
            // start (it treats a failed module startup as a fatal error).
            entry(
                "minit rollback",
                |_| Ok(()),
                || {
                    uninstall_all();
                    Ok(())
                },
            );
            // SAFETY: unregisters the entries this module registered.
            unsafe { zend_unregister_ini_entries(module_number) };
            engine::log(&format!("sockguard: startup failed, not loaded: {reason}"))?;
            Ok(FAILURE)
        },
        || {
            // First: configurations built below intern their app id in it.
            super::counting::share_at_startup();
            IniEntryDef::register(ini_table(), module_number);
            find_sockets_ext();
            install::install();
            streams::factory::install();
            curl::init();
            php_ffi::install();
            // Last: every extension and what it links is loaded by now.
            floor::install();
            entry::fault_point("minit installed");
            refresh_config(true)?;
            Ok(SUCCESS)
        },
    )
}

extern "C" fn mshutdown(_type: c_int, module_number: c_int) -> c_int {
    entry(
        "mshutdown",
        |_| Ok(()),
        || {
            uninstall_all();
            Ok(())
        },
    );
    // SAFETY: unregisters the entries this module registered in MINIT.
    unsafe { zend_unregister_ini_entries(module_number) };
    SUCCESS
}

extern "C" fn rinit(_type: c_int, _module_number: c_int) -> c_int {
    entry(
        "rinit",
        |reason| {
            // The request runs, but with nothing allowed: its settings could
            // not be established.
            runtime::deny_all(reason.clone());
            engine::warning(&format!("sockguard: {reason}; every connection is denied"))?;
            Ok(SUCCESS)
        },
        || {
            floor::set_serving(true);
            approvals::clear();
            streams::reset_request_state();
            curl::reset_request_state();
            refresh_config(false)?;
            streams::persistent::release_foreign(&runtime::current().app_id);
            Ok(SUCCESS)
        },
    )
}

extern "C" fn rshutdown(_type: c_int, _module_number: c_int) -> c_int {
    entry(
        "rshutdown",
        |_| Ok(SUCCESS),
        || {
            // Warnings the VM never got to show go to the log.
            floor::flush_warnings_to_log();
            engine::flush_logs()?;
            approvals::clear();
            floor::set_serving(false);
            Ok(SUCCESS)
        },
    )
}

/// A table cell without NUL bytes (info_table_row needs C strings).
fn cell(text: impl AsRef<str>) -> String {
    text.as_ref().replace('\0', "\\0")
}

/// What each host name of the allowlist resolves to, as far as the
/// resolver's cache knows (an info page sends no DNS queries), e.g.
/// "smtp.gmail.com: 142.250.4.108, pop.gmail.com: not cached".
fn allowlist_addresses(entries: &[String]) -> String {
    let mut names: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.rsplit_once(':').map(|(host, _)| host))
        .filter(|h| h.parse::<std::net::IpAddr>().is_err() && !h.starts_with('['))
        .collect();
    names.dedup();
    let resolver = runtime::resolver();
    names
        .iter()
        .map(|name| match resolver.peek(name) {
            Some(Ok(addrs)) => {
                let addrs: Vec<String> = addrs.iter().map(ToString::to_string).collect();
                format!("{name}: {}", addrs.join(" "))
            }
            Some(Err(e)) => format!("{name}: unresolved ({e})"),
            None => format!("{name}: not cached"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn info_rows() {
    let config = runtime::current();
    info_table_start!();
    info_table_row!("sockguard", "enabled");
    info_table_row!("version", env!("CARGO_PKG_VERSION"));
    info_table_row!("mode", cell(config.mode.to_string()));
    info_table_row!("app id", cell(&config.app_id));
    info_table_row!("idle clock", clock::describe());
    info_table_row!(
        "C library floor",
        cell(format!(
            "{} entries in the loaded libraries",
            floor::entries()
        ))
    );
    info_table_row!(
        "idle timeout",
        cell(
            config
                .idle_timeout
                .map_or("disabled".to_owned(), |d| format!("{} s", d.as_secs()))
        )
    );
    match &config.policy {
        Ok(policy) => {
            let info = policy.describe();
            info_table_row!("paid app", if info.paid_app { "yes" } else { "no" });
            info_table_row!("FFI", if info.allow_ffi { "allowed" } else { "denied" });
            info_table_row!("allowlist", cell(info.allowlist.join(", ")));
            info_table_row!(
                "allowlist addresses",
                cell(allowlist_addresses(&info.allowlist))
            );
            info_table_row!("allow rules", cell(info.allow_rules.join(", ")));
            info_table_row!("deny rules", cell(info.deny_rules.join(", ")));
            info_table_row!(
                "Google ranges",
                cell(format!(
                    "{} ({}), {} IPv4 + {} IPv6 prefixes",
                    info.ranges_source,
                    info.ranges_creation_time,
                    info.google_prefixes_v4,
                    info.google_prefixes_v6
                ))
            );
            info_table_row!(
                "special-purpose blocks",
                cell(format!(
                    "{} IPv4 + {} IPv6",
                    info.special_blocks_v4, info.special_blocks_v6
                ))
            );
            info_table_row!("passthrough options", cell(info.passthrough.join(", ")));
            info_table_row!("library nameservers", cell(info.nameservers.join(", ")));
        }
        Err(reason) => info_table_row!(
            "policy",
            cell(format!("{reason}; every connection is denied"))
        ),
    }
    for problem in &config.problems {
        info_table_row!("settings problem", cell(problem));
    }
    info_table_end!();
}

extern "C" fn minfo(_module: *mut ModuleEntry) {
    entry(
        "minfo",
        |reason: Reason| {
            info_table_start!();
            info_table_row!("sockguard", "enabled");
            info_table_row!("error", cell(reason.to_string()));
            info_table_end!();
            Ok(())
        },
        || {
            info_rows();
            Ok(())
        },
    );
}

/// The module entry PHP loads.
#[unsafe(no_mangle)]
pub extern "C" fn get_module() -> *mut ModuleEntry {
    static ENTRY: StaticModuleEntry = StaticModuleEntry::new();
    ENTRY.get_or_init(|| {
        let builder = api::functions()
            .into_iter()
            .fold(
                ModuleBuilder::new("sockguard", env!("CARGO_PKG_VERSION")),
                ModuleBuilder::function,
            )
            .startup_function(minit)
            .shutdown_function(mshutdown)
            .request_startup_function(rinit)
            .request_shutdown_function(rshutdown)
            .info_function(minfo);
        let built: Result<(ModuleEntry, _, _), _> = builder.try_into();
        match built {
            Ok((mut entry, _startup, owned)) => {
                entry.deps = DEPS.0.as_ptr();
                (entry, owned)
            }
            // Static names cannot fail to convert; never unwind into the engine.
            Err(_) => std::process::abort(),
        }
    })
}

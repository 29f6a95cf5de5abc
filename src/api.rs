//! The PHP functions sockguard adds: `sockguard_check()` (a dry run of the
//! policy) and `sockguard_stats()` (process counters). Documented for IDEs
//! in stubs/sockguard.stub.php.

use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    sync::atomic::Ordering,
};

use ext_php_rs::{
    boxed::ZBox,
    exception::PhpException,
    prelude::*,
    types::{ZendHashTable, Zval},
    zend::ce,
};

use crate::{
    policy::{parse_target, Caller, Decision, Kind, Operation, Reason},
    runtime, stats,
};

/// The verdict of a dry run, as the array sockguard_check() returns.
struct CheckResult {
    allowed: bool,
    code: Option<&'static str>,
    message: String,
    addresses: Vec<String>,
}

fn value_error(message: String) -> PhpException {
    PhpException::new(message, 0, ce::value_error())
}

/// The stream-style target sockguard_check() evaluates: `target` may carry
/// its own `scheme://` and `:port`; otherwise `transport` and `port` fill in.
fn target_url(target: &str, port: i64, transport: &str) -> String {
    if target.contains("://") {
        return target.to_owned();
    }
    let host = if target.contains(':') && !target.starts_with('[') && !transport.starts_with("u") {
        format!("[{target}]")
    } else {
        target.to_owned()
    };
    match (transport, port) {
        ("unix" | "udg", _) | (_, 0) => format!("{transport}://{host}"),
        _ => format!("{transport}://{host}:{port}"),
    }
}

/// The caller a dry run asks as: `sockets` (the Sockets API), `client`
/// (PHP's own clients: URL wrappers, curl, database drivers, ...) or
/// `library` (a library's own socket call, seen by the floor).
fn caller_named(name: &str) -> Option<Caller> {
    match name {
        "sockets" => Some(Caller::SocketsApi),
        "client" => Some(Caller::Client),
        "library" => Some(Caller::Library { serving: true }),
        _ => None,
    }
}

fn check(target: &str, port: i64, transport: &str, caller: Caller) -> CheckResult {
    let config = runtime::current();
    let deny = |reason: Reason| CheckResult {
        allowed: false,
        code: Some(reason.code()),
        message: reason.to_string(),
        addresses: Vec::new(),
    };
    let parsed = match parse_target(&target_url(target, port, transport)) {
        Ok(t) => t,
        Err(e) => {
            return deny(Reason::Target {
                input: target.to_owned(),
                error: e.to_string(),
            })
        }
    };
    let op = Operation::Connect {
        host: &parsed.host,
        port: parsed.port.unwrap_or(0),
        kind: Kind::Transport(parsed.transport),
    };
    match config.decide(&op, caller) {
        Decision::Allow(addrs) => CheckResult {
            allowed: true,
            code: None,
            message: "allowed".to_owned(),
            addresses: addrs.as_slice().iter().map(ToString::to_string).collect(),
        },
        Decision::Mock(_) => CheckResult {
            allowed: true,
            code: None,
            message: "allowed".to_owned(),
            addresses: Vec::new(),
        },
        Decision::Deny(reason) => deny(reason),
    }
}

/// Checks a destination against the policy in force without connecting,
/// as `caller` would reach it: the same decision the real call gets.
/// Returns `['allowed' => bool, 'code' => ?string, 'message' => string,
/// 'addresses' => list<string>, 'mode' => string]`.
#[php_function]
#[php(defaults(port = 0, transport = "\"tcp\"", caller = "\"client\""))]
pub fn sockguard_check(
    target: &str,
    port: i64,
    transport: String,
    caller: String,
) -> Result<ZBox<ZendHashTable>, PhpException> {
    if !(0..=65_535).contains(&port) {
        return Err(value_error(
            "sockguard_check(): Argument #2 ($port) must be between 0 and 65535".to_owned(),
        ));
    }
    let Some(caller) = caller_named(&caller) else {
        return Err(value_error(
            "sockguard_check(): Argument #4 ($caller) must be one of \"client\", \"sockets\" or \"library\""
                .to_owned(),
        ));
    };
    let result = catch_unwind(AssertUnwindSafe(|| check(target, port, &transport, caller)))
        .unwrap_or_else(|_| CheckResult {
            allowed: false,
            code: Some("internal"),
            message: "internal error; denied".to_owned(),
            addresses: Vec::new(),
        });
    let mode = runtime::current().mode.to_string();
    let mut out = ZendHashTable::new();
    let mut code = Zval::new();
    if let Some(c) = result.code {
        let _ = code.set_string(c, false);
    }
    out.insert("allowed", result.allowed)
        .and_then(|()| out.insert("code", code))
        .and_then(|()| out.insert("message", result.message))
        .and_then(|()| out.insert("addresses", result.addresses))
        .and_then(|()| out.insert("mode", mode))
        .map_err(|e| PhpException::from(e.to_string()))?;
    Ok(out)
}

/// Counters of this process: checks, allows, denials by reason code, and
/// the resolver cache.
#[php_function]
pub fn sockguard_stats() -> Result<ZBox<ZendHashTable>, PhpException> {
    let mut by_reason = ZendHashTable::new();
    for (code, n) in stats::denied_by_code() {
        by_reason
            .insert(code, n)
            .map_err(|e| PhpException::from(e.to_string()))?;
    }
    let resolver = runtime::resolver();
    let mut out = ZendHashTable::new();
    let counters = [
        ("checked", stats::checked()),
        ("allowed", stats::ALLOWED.load(Ordering::Relaxed)),
        ("denied", stats::DENIED.load(Ordering::Relaxed)),
        ("reclaimed", stats::RECLAIMED.load(Ordering::Relaxed)),
        (
            "resolver_cache_hits",
            resolver.stats.hits.load(Ordering::Relaxed),
        ),
        (
            "resolver_cache_misses",
            resolver.stats.misses.load(Ordering::Relaxed),
        ),
        ("resolver_cache_size", resolver.len() as u64),
    ];
    for (k, v) in counters {
        out.insert(k, v)
            .map_err(|e| PhpException::from(e.to_string()))?;
    }
    out.insert("denied_by_reason", by_reason)
        .map_err(|e| PhpException::from(e.to_string()))?;
    if let Some(n) = crate::hooks::allocations::counted() {
        out.insert("rust_allocations", n)
            .map_err(|e| PhpException::from(e.to_string()))?;
    }
    Ok(out)
}

/// The pool-wide counters in the Prometheus text exposition format.
#[php_function]
pub fn sockguard_metrics() -> String {
    crate::metrics::table().render(crate::metrics::is_shared())
}

/// The functions the module registers.
pub(crate) fn functions() -> [ext_php_rs::builders::FunctionBuilder<'static>; 3] {
    [
        wrap_function!(sockguard_check),
        wrap_function!(sockguard_stats),
        wrap_function!(sockguard_metrics),
    ]
}

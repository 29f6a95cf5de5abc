//! From a decision to what a PHP function hook does: the mode is applied
//! and denials are audited in [`decide`] (one place for every hook), and an
//! [`Action`] is carried out by [`handler`], the entry of every PHP
//! function hook.

use std::borrow::Cow;

use ext_php_rs::{types::Zval, zend::ExecuteData};

use super::{
    args::set_string_arg,
    counting, engine,
    entry::{entry, Bailout},
    originals::{call_original, Hook},
    socket_object::{socket_error, Socket},
};
use crate::{
    audit,
    config::{Config, Outcome},
    metrics::{Label, TransportLabel},
    policy::{Caller, Decision, Operation, Reason},
    stats,
};

/// What the app asked for, for the audit log and report-mode lines. Hooks
/// hand it over as a closure, so that an allowed call (the common case)
/// formats nothing.
pub struct Asked<'a> {
    /// The target as given.
    pub target: Cow<'a, str>,
    /// Destination port, when there is one.
    pub port: Option<u16>,
    /// Transport name, when known.
    pub transport: Option<&'a str>,
}

impl<'a> From<&'a str> for Asked<'a> {
    fn from(target: &'a str) -> Self {
        Asked {
            target: Cow::Borrowed(target),
            port: None,
            transport: None,
        }
    }
}

impl From<String> for Asked<'_> {
    fn from(target: String) -> Self {
        Asked {
            target: Cow::Owned(target),
            port: None,
            transport: None,
        }
    }
}

/// Where a call was made, for the audit log; read only for a denial.
pub struct Origin {
    /// The PHP function running ("pg_connect"), if any.
    pub function: String,
    /// The script file and line.
    pub file: String,
    /// The line in `file`.
    pub line: u32,
    /// For a library's own call (the floor): "libpq.so.5 (connect)".
    pub library: Option<String>,
}

impl Origin {
    /// A PHP function sockguard hooks, called from a script.
    pub fn php() -> Origin {
        let (file, line) = engine::executed_location();
        Origin {
            function: engine::active_function_qualified(),
            file,
            line,
            library: None,
        }
    }

    /// A library's own call; the PHP side is known only on a thread that
    /// serves a request (another thread must not read the engine's state).
    pub fn library(library: String, serving: bool) -> Origin {
        let php = if serving {
            Origin::php()
        } else {
            Origin {
                function: String::new(),
                file: String::new(),
                line: 0,
                library: None,
            }
        };
        Origin {
            library: Some(library),
            ..php
        }
    }
}

/// Counts an operation the policy allowed at once, for `sockguard_stats()`
/// and the pool-wide counters: what every fast lane does before it lets the
/// call through.
#[inline]
pub fn count_allowed_at_once(config: &Config, transport: TransportLabel) {
    stats::record_allowed();
    counting::allowed(config, transport);
}

/// [`count_allowed_at_once`] for a hook that is `function`'s alone: no
/// lookup of the PHP function running, nor of this thread's cache.
#[inline]
pub fn count_own_allowed_at_once(
    config: &Config,
    function: crate::metrics::OwnFunction,
    transport: TransportLabel,
) {
    stats::record_allowed();
    counting::own_allowed(config, function, transport);
}

/// Asks the policy about `op` by `caller`, applies the mode and audits a
/// denial (or would-be denial).
pub fn decide<'a>(
    config: &Config,
    op: &Operation<'_>,
    caller: Caller,
    asked: impl FnOnce() -> Asked<'a>,
) -> Outcome {
    if let Some(addrs) = config.allows_at_once(op, caller) {
        count_allowed_at_once(config, TransportLabel::of(op));
        return Outcome::Allow(addrs);
    }
    judge(
        config,
        config.decide(op, caller),
        Some(TransportLabel::of(op)),
        Floor::No,
        asked,
        Origin::php,
    )
}

/// [`decide`] for a library's own call, seen by the C-library floor. Only
/// what the floor refuses or reports is counted: a call it lets through is
/// counted by the layer of PHP that asked for it (connect, socket, bind),
/// if any, and must not be counted twice.
pub fn decide_from<'a>(
    config: &Config,
    op: &Operation<'_>,
    caller: Caller,
    asked: impl FnOnce() -> Asked<'a>,
    origin: impl FnOnce() -> Origin,
) -> Outcome {
    match config.decide(op, caller) {
        Decision::Allow(addrs) => Outcome::Allow(addrs),
        decision => judge(
            config,
            decision,
            Some(TransportLabel::of(op)),
            Floor::Yes,
            asked,
            origin,
        ),
    }
}

/// A call whose target the hook cannot even translate into an operation
/// (it does not parse as PHP would connect to it): denied with `reason`,
/// under the mode and the audit log like any denial.
pub fn refuse<'a>(config: &Config, reason: Reason, asked: impl FnOnce() -> Asked<'a>) -> Outcome {
    judge(
        config,
        Decision::Deny(reason),
        None,
        Floor::No,
        asked,
        Origin::php,
    )
}

/// [`refuse`] for a call made elsewhere than a PHP function hook.
pub fn refuse_from<'a>(
    config: &Config,
    reason: Reason,
    asked: impl FnOnce() -> Asked<'a>,
    origin: impl FnOnce() -> Origin,
) -> Outcome {
    judge(
        config,
        Decision::Deny(reason),
        None,
        Floor::Yes,
        asked,
        origin,
    )
}

/// Whether a decision is the C-library floor's (a library's own call).
#[derive(Clone, Copy)]
enum Floor {
    No,
    Yes,
}

/// Applies the mode, counts the decision (by the operation's `transport`;
/// `None`: the transport the app named) and writes the audit record of a
/// denial. Engine calls that may bail out are not made here (a library's
/// connect may be below): a failure to write the record is logged later,
/// at a safe point.
fn judge<'a>(
    config: &Config,
    decision: Decision,
    transport: Option<TransportLabel>,
    floor: Floor,
    asked: impl FnOnce() -> Asked<'a>,
    origin: impl FnOnce() -> Origin,
) -> Outcome {
    let outcome = config.enforce(decision);
    let (reason, action) = match &outcome {
        Outcome::Allow(_) | Outcome::Mock(_) => {
            // The floor's threads may serve no request: the library names
            // the call, not the engine's state.
            let function = match floor {
                Floor::No => counting::function_label(),
                Floor::Yes => origin()
                    .library
                    .as_deref()
                    .map_or(Label::OVERFLOW, counting::library_label),
            };
            let transport = transport.unwrap_or(TransportLabel::NONE);
            counting::outcome(config, &outcome, function, transport);
            return outcome;
        }
        Outcome::Deny(r) => (r, "deny"),
        Outcome::Report(r) => (r, "report"),
    };
    // A refused call: what it asked and where are read now (allocating is
    // fine off the allowed paths).
    let asked = asked();
    let origin = origin();
    let function = match &origin.library {
        Some(library) => counting::library_label(library),
        None => counting::function_label(),
    };
    let transport = transport.unwrap_or_else(|| TransportLabel::of_name(asked.transport));
    counting::outcome(config, &outcome, function, transport);
    if let Some(path) = &config.audit_log {
        let record = audit::Entry {
            time: audit::now(),
            app_id: &config.app_id,
            function: &origin.function,
            library: origin.library.as_deref(),
            target: &asked.target,
            addresses: audit::addresses_of(reason),
            port: asked.port,
            transport: asked.transport,
            reason: reason.code(),
            message: reason.to_string(),
            action,
            file: &origin.file,
            line: origin.line,
        };
        let written = if path == "syslog" {
            audit::send_syslog(&config.syslog, &record)
        } else {
            audit::write(path, &record)
        };
        if let Err(e) = written {
            engine::log_later(format!("sockguard: cannot write the audit log {path}: {e}"));
        }
    }
    outcome
}

/// The error-log line of a would-be denial in report mode.
pub fn report_line(target: &str, reason: &Reason) -> String {
    format!(
        "sockguard: would deny {}({target}): {reason} [{}]",
        engine::active_function_qualified(),
        reason.code()
    )
}

/// What a PHP function hook decided; carried out by [`handler`].
pub enum Action {
    /// Run the original handler (its arguments may have been rewritten).
    Original,
    /// Run the original with argument `arg` (1-based) replaced by `value`:
    /// the checked address in place of what the app gave.
    Rewrite {
        /// The argument's position.
        arg: usize,
        /// The checked address, as the function takes it.
        value: String,
    },
    /// The call is complete: the return value is set or an exception thrown.
    Done,
    /// Fail like ext/sockets' PHP_SOCKET_ERROR: set the errors, warn
    /// `"<msg> [13]: Permission denied (sockguard: <reason>)"`, return false.
    SocketFail {
        /// The socket whose error slot is set, if the call had one.
        socket: Option<Socket>,
        /// EACCES for a denial, EPIPE for a reclaimed socket.
        errno: i32,
        /// ext/sockets' own message for this failure.
        msg: &'static str,
        /// The sockguard reason.
        reason: Reason,
    },
    /// Fail with an E_WARNING and `false`, for functions without an errno slot.
    Fail {
        /// The warning text.
        message: String,
    },
    /// Report mode: log the would-be denial, then run the original untouched.
    Report {
        /// The log line.
        line: String,
    },
}

impl Action {
    /// The action for an outcome of an ext/sockets call: allowed outcomes
    /// come back as `Ok` (with the checked addresses) for the hook to go on
    /// with; a denial fails the call with ext/sockets' `msg`.
    ///
    /// # Errors
    /// The action that ends the call: a failure, or report mode's log line.
    pub fn for_socket(
        outcome: Outcome,
        socket: Option<Socket>,
        msg: &'static str,
        target: impl FnOnce() -> String,
    ) -> Result<crate::policy::Addrs, Action> {
        match outcome {
            Outcome::Allow(addrs) => Ok(addrs),
            Outcome::Mock(_) => Ok(crate::policy::Addrs::none()),
            Outcome::Deny(reason) => Err(Action::SocketFail {
                socket,
                errno: reason.errno(),
                msg,
                reason,
            }),
            Outcome::Report(reason) => Err(Action::Report {
                line: report_line(&target(), &reason),
            }),
        }
    }
}

/// Whether [`handler`] still has to run the original.
#[derive(PartialEq, Eq)]
enum Next {
    Original,
    Done,
}

/// Sets the call's return value to `false`.
///
/// # Safety
/// `rv` must be the engine's return slot for the call (or null).
unsafe fn return_false(rv: *mut Zval) {
    // SAFETY: forwarded.
    if let Some(rv) = unsafe { rv.as_mut() } {
        rv.set_bool(false);
    }
}

/// Carries out everything of `action` but running the original.
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
unsafe fn carry_out(ex: *mut ExecuteData, rv: *mut Zval, action: Action) -> Result<Next, Bailout> {
    match action {
        Action::Original => Ok(Next::Original),
        Action::Rewrite { arg, value } => {
            // SAFETY: forwarded.
            unsafe { set_string_arg(ex, arg, &value) };
            Ok(Next::Original)
        }
        Action::Done => Ok(Next::Done),
        Action::SocketFail {
            socket,
            errno,
            msg,
            reason,
        } => {
            socket_error(socket, msg, errno, &reason)?;
            // SAFETY: forwarded.
            unsafe { return_false(rv) };
            Ok(Next::Done)
        }
        Action::Fail { message } => {
            engine::warning(&message)?;
            // SAFETY: forwarded.
            unsafe { return_false(rv) };
            Ok(Next::Done)
        }
        Action::Report { line } => {
            engine::log(&line)?;
            Ok(Next::Original)
        }
    }
}

/// The entry of a PHP function hook: runs `body` under [`entry`] and
/// carries out its [`Action`]; the original handler, when it runs, runs
/// last, after every Rust value of the decision is gone. A panic fails the
/// call (a warning and `false`) instead of running the original.
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
pub unsafe fn handler(
    hook: Hook,
    ex: *mut ExecuteData,
    rv: *mut Zval,
    body: impl FnOnce() -> Result<Action, Bailout>,
) {
    let next = entry(
        hook.name(),
        |reason| {
            socket_error(None, "unable to complete the call", reason.errno(), &reason)?;
            // SAFETY: the engine's return slot for this call.
            unsafe { return_false(rv) };
            Ok(Next::Done)
        },
        || {
            let action = body()?;
            engine::flush_logs()?;
            // SAFETY: forwarded.
            unsafe { carry_out(ex, rv, action) }
        },
    );
    if next == Next::Original {
        // SAFETY: forwarded; nothing of the decision is alive any more.
        unsafe { call_original(hook, ex, rv) };
    }
}

//! The only code that touches the Zend engine: the module entry, the
//! function-handler swaps and the ext/sockets overrides. Every entry point
//! turns raw pointers into references, asks the pure policy (through
//! [`crate::config::Config::enforce`]) and then either fails the call the PHP
//! way or runs the original handler.
//!
//! Rust work runs under `catch_unwind`; a panic denies the call (only
//! `mode=off` passes through untouched). The engine side effects (warnings,
//! calling the original) happen in [`finish`], after every Rust value of the
//! decision has been dropped, so a bailout (longjmp) skips no destructor.

mod clock;
mod curl;
pub mod ffi;
mod ftp;
mod functions;
pub mod module;
mod options;
mod php;
mod reclaim;
mod sendmsg;
mod soap;
mod socket_types;
mod sockets;
mod streams;

use std::{
    borrow::Cow,
    panic::{catch_unwind, AssertUnwindSafe},
};

use ext_php_rs::{types::Zval, zend::ExecuteData};

use crate::{config::Mode, runtime};
use functions::{call_original, Hook};
use php::Socket;

/// What a hook decided; carried out by [`finish`].
pub enum Action {
    /// Run the original handler (its arguments may have been rewritten).
    Original,
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
        reason: String,
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

/// Applies the mode to a verdict (through [`crate::config::Config::enforce`])
/// and writes denials and would-be denials to the audit log.
pub fn enforce<'a>(
    config: &crate::config::Config,
    verdict: Result<Vec<std::net::IpAddr>, crate::policy::Reason>,
    asked: impl FnOnce() -> Asked<'a>,
) -> crate::config::Outcome {
    use crate::config::Outcome;
    let outcome = config.enforce(verdict);
    let (reason, action) = match &outcome {
        Outcome::Allow(_) => return outcome,
        Outcome::Deny(r) => (r, "deny"),
        Outcome::Report(r) => (r, "report"),
    };
    if let Some(path) = &config.audit_log {
        let asked = asked();
        let (file, line) = php::executed_location();
        let function = php::active_function();
        let entry = crate::audit::Entry {
            time: crate::audit::now(),
            app_id: &config.app_id,
            function: &function,
            target: &asked.target,
            addresses: crate::audit::addresses_of(reason),
            port: asked.port,
            transport: asked.transport,
            reason: reason.code(),
            message: reason.to_string(),
            action,
            file: &file,
            line,
        };
        if let Err(e) = crate::audit::write(path, &entry) {
            php::log(&format!(
                "sockguard: cannot write the audit log {path}: {e}"
            ));
        }
    }
    outcome
}

/// The error-log line of a would-be denial in report mode.
pub fn report_line(target: &str, reason: &crate::policy::Reason) -> String {
    format!(
        "sockguard: would deny {}({target}): {reason} [{}]",
        php::active_function(),
        reason.code()
    )
}

/// Whether hooks should step aside entirely.
fn is_off() -> bool {
    runtime::current().mode == Mode::Off
}

/// Runs a hook's decision under `catch_unwind`, then carries it out.
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
pub unsafe fn run(
    hook: Hook,
    ex: *mut ExecuteData,
    rv: *mut Zval,
    decide: impl FnOnce() -> Action,
) {
    let action = catch_unwind(AssertUnwindSafe(decide)).unwrap_or_else(|_| Action::SocketFail {
        socket: None,
        errno: libc::EACCES,
        msg: "unable to complete the call",
        reason: format!("internal error in {}(); the call is denied", hook.name()),
    });
    // SAFETY: forwarded from the caller.
    unsafe { finish(hook, ex, rv, action) }
}

/// Carries out an [`Action`].
///
/// # Safety
/// `ex` and `rv` must be the frame and return slot the engine passed in.
unsafe fn finish(hook: Hook, ex: *mut ExecuteData, rv: *mut Zval, action: Action) {
    match action {
        // SAFETY: forwarded from the caller.
        Action::Original => unsafe { call_original(hook, ex, rv) },
        Action::Done => {}
        Action::SocketFail {
            socket,
            errno,
            msg,
            reason,
        } => {
            php::socket_error(socket, msg, errno, &reason);
            drop(reason);
            // SAFETY: `rv` is the engine's return slot for this call.
            if let Some(rv) = unsafe { rv.as_mut() } {
                rv.set_bool(false);
            }
        }
        Action::Fail { message } => {
            php::warning(&message);
            drop(message);
            // SAFETY: `rv` is the engine's return slot for this call.
            if let Some(rv) = unsafe { rv.as_mut() } {
                rv.set_bool(false);
            }
        }
        Action::Report { line } => {
            php::log(&line);
            drop(line);
            // SAFETY: forwarded from the caller.
            unsafe { call_original(hook, ex, rv) }
        }
    }
}

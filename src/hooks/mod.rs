//! The only code that touches the Zend engine. Every entry point turns raw
//! pointers into references, translates what it was given into a policy
//! operation, and acts on the decision: it fails the call the PHP way or
//! runs the original.
//!
//! The modules form a one-way graph, from the leaves up:
//! - [`ffi`] (bindings), [`entry`] (the one way in from C: panics and
//!   bailouts never cross the boundary, failures deny), [`clock`],
//!   [`allocations`] (the allocator, counting for the tests);
//! - [`engine`] (warnings, the error log), [`args`] (call frames),
//!   [`originals`] (the guarded functions and their saved handlers),
//!   [`sockaddr`] (reading C socket addresses), [`approvals`] (what the
//!   layers above decided, for the floor), [`socket_object`]
//!   (ext/sockets' `Socket`), [`idle`] (idle reclaim), [`recent`] (the
//!   targets allowed at once lately);
//! - [`verdict`]: the mode, the audit log and what a function hook does
//!   with a decision;
//! - the hook modules: [`sockets`] (ext/sockets), [`streams`] (every
//!   stream transport), [`curl`], [`ftp`], [`soap`], [`php_ffi`] (PHP's
//!   FFI), and [`floor`] (the
//!   C library's socket calls, made by every other loaded library);
//! - [`install`] (the handler swaps) and [`module`] (the lifecycle) on top.

pub(crate) mod allocations;
mod approvals;
mod args;
mod clock;
mod counting;
mod curl;
mod engine;
mod entry;
pub mod ffi;
mod floor;
mod ftp;
mod idle;
mod install;
pub mod module;
mod originals;
mod php_ffi;
mod recent;
mod soap;
mod sockaddr;
mod socket_object;
mod sockets;
mod streams;
mod verdict;

//! sockguard: the outbound-socket rules of the Google App Engine PHP runtime
//! for stock PHP, as a native extension. Every socket a PHP app opens is
//! checked against one policy before a packet leaves.
//!
//! Layout: [`policy`] decides (pure Rust, no PHP), [`config`] turns php.ini
//! values into a policy and a mode, [`resolve`] resolves names with a TTL
//! cache, and `hooks` is the only code that touches the Zend engine.

#![deny(clippy::unwrap_used)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod audit;
pub mod config;
pub mod metrics;
pub mod policy;
pub mod registry;
pub mod resolve;
pub mod runtime;
pub mod stats;

mod api;
mod hooks;

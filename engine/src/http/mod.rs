//! The runtime's HTTP side: one connection pool per run, target profiles (emulator, sandbox,
//! custom URLs), integrator OAuth tokens, and the PoS headers cases should not have to write.

pub mod auth;
pub mod client;
pub mod record;
pub mod target;

pub use client::{Exchange, HttpClient, PreparedRequest, TransportError};
pub use target::Target;

//! poscert-emulator: a faithful, stateful emulator of MobilePay's PoS API v10 sandbox,
//! including the self-certification API surface, the user-simulation API, integrator
//! authentication, and a control API (journal, faults, virtual clock) for certification.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use poscert_emulator::{Emulator, EmulatorConfig};
//! let emu = Emulator::start(EmulatorConfig::default(), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("{} {}", emu.base_url(), emu.seed().integrators[0].client_id);
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! See `emulator/README.md` for the behaviour, the control API and every inferred choice.

pub mod app;
pub mod auth;
pub mod callbacks;
pub mod clock;
pub mod config;
pub mod errors;
pub mod faults;
pub mod handlers;
pub mod headers;
pub mod idempotency;
pub mod journal;
pub mod notify;
pub mod reply;
pub mod routes;
pub mod seed;
pub mod server;
pub mod standalone;
pub mod state;
pub mod validation;

pub use config::EmulatorConfig;
pub use seed::Seed;
pub use server::Emulator;
pub use standalone::{banner, run_standalone};

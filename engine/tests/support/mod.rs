//! What the engine's integration tests share (`mod support;` in each test file): the real
//! `poscert-engine` binary run through its command line with a clean environment, the reports it
//! wrote, small HTTP apps served on loopback, and process checks. Every run is checked for a
//! panic, since no input may make the engine panic.

// Each test binary compiles this whole module and uses a different part of it.
#![allow(dead_code, unused_imports)]

mod processes;
mod runs;
mod servers;

pub use processes::{alive, recorded_pids};
pub use runs::{case_in, finish, run, run_env, run_plain, run_plain_env, step, Run};
pub use servers::{closed_port, record, Log, Seen, TestServer};

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_poscert-engine");

/// Environment variables that change what the engine (or the example adapter harness) does and
/// that a developer's shell or a CI runner may carry. Every run starts without them, so a test
/// meets the same engine on every machine; a test that needs one sets it on its command.
/// `e2e_cli.rs` checks that every `POSCERT_*` name the engine reads is here.
pub const CLEARED_ENV: &[&str] = &[
    // Credentials: a run against the sandbox needs them, and they must never leak into a test.
    "POSCERT_CLIENT_ID",
    "POSCERT_CLIENT_SECRET",
    "POSCERT_SIMULATION_CLIENT_ID",
    "POSCERT_SIMULATION_CLIENT_SECRET",
    // Points the sandbox target at another host.
    "POSCERT_SANDBOX_HOST",
    // Make examples/adapter/harness.py misbehave on purpose, or behave differently but legitimately,
    // or serve check-in callbacks, or use a given store id.
    "POSCERT_ADAPTER_DEFECT",
    "POSCERT_ADAPTER_VARIANT",
    "POSCERT_ADAPTER_CALLBACKS",
    "POSCERT_ADAPTER_STORE_ID",
    // The credential variable config_errors.rs names in poscert.yaml (`clientSecretEnv`).
    "ACME_POS_SECRET",
    // Marks a run unattended, which changes how operator steps behave.
    "CI",
];

/// The repository root (where `scenarios/`, `schemas/` and `examples/` live).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("engine/ has a parent")
        .to_path_buf()
}

/// `engine/tests/fixtures`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The binary, run from `cwd`, with no colour, no terminal on stdin and none of `CLEARED_ENV`.
pub fn engine(cwd: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for name in CLEARED_ENV {
        cmd.env_remove(name);
    }
    cmd
}

//! Shared by the adapter tests (`#[path = "support/adapter_run.rs"] mod adapter_run;`): run the
//! real `poscert-engine` binary from the repository root with a JSON report in a temp dir, find
//! cases and steps in the report, and tell whether a process is still alive.

#![allow(dead_code)] // each test binary uses a different part of this file

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_poscert-engine");

/// The repository root (where `scenarios/` and `examples/` live).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("engine/ has a parent")
        .to_path_buf()
}

/// The binary, run from the repository root, with no colour and no credentials or defect
/// inherited from the caller's environment.
pub fn engine() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(repo_root())
        .env("NO_COLOR", "1")
        .env_remove("POSCERT_CLIENT_ID")
        .env_remove("POSCERT_CLIENT_SECRET")
        .env_remove("POSCERT_SIMULATION_CLIENT_ID")
        .env_remove("POSCERT_SIMULATION_CLIENT_SECRET")
        .env_remove("POSCERT_SANDBOX_HOST")
        .env_remove("POSCERT_ADAPTER_DEFECT")
        .stdin(Stdio::null());
    cmd
}

/// What one run left behind.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The JSON report, parsed.
    pub json: Value,
    /// The JSON report as written (to search for leaked secrets).
    pub json_text: String,
    pub dir: tempfile::TempDir,
}

impl Run {
    /// The case whose id ends with `suffix` (e.g. `payments/01-complete-a-payment`).
    pub fn case(&self, suffix: &str) -> &Value {
        let cases = self.json["cases"]
            .as_array()
            .unwrap_or_else(|| panic!("no cases in the report\n{}", self.output()));
        cases
            .iter()
            .find(|c| c["id"].as_str().is_some_and(|id| id.ends_with(suffix)))
            .unwrap_or_else(|| {
                let ids: Vec<&Value> = cases.iter().map(|c| &c["id"]).collect();
                panic!("no case `{suffix}` in the report; cases: {ids:?}")
            })
    }

    /// Everything a user can see, for assertion messages.
    pub fn output(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the engine with `args` and `--report-json` into a temp dir.
pub fn run(args: &[&str], envs: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report.json");
    let mut cmd = engine();
    cmd.args(args).arg("--report-json").arg(&report);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run poscert-engine");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "the engine panicked:\n{stderr}"
    );
    let json_text = std::fs::read_to_string(&report).unwrap_or_default();
    let json = serde_json::from_str(&json_text).unwrap_or(Value::Null);
    Run {
        code: out.status.code(),
        stdout,
        stderr,
        json,
        json_text,
        dir,
    }
}

/// The first step called `name` in a case, searching fragments' and operators' children too.
pub fn step<'a>(case: &'a Value, name: &str) -> &'a Value {
    fn find<'a>(steps: &'a Value, name: &str) -> Option<&'a Value> {
        steps.as_array()?.iter().find_map(|s| {
            if s["name"] == name {
                Some(s)
            } else {
                find(&s["children"], name)
            }
        })
    }
    find(&case["steps"], name).unwrap_or_else(|| panic!("no step `{name}` in case {}", case["id"]))
}

/// Is a process with this id still running? A zombie (exited, not yet reaped by whoever
/// inherited it) counts as gone: it runs nothing. Linux reads `/proc`; elsewhere `kill -0`.
pub fn alive(pid: u32) -> bool {
    let proc_root = Path::new("/proc");
    if proc_root.join("self").exists() {
        let Ok(stat) = std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat")) else {
            return false;
        };
        // `pid (comm) S ...`: the state follows the last `)` (comm may contain spaces).
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        return !matches!(state, Some('Z') | Some('X') | None);
    }
    Command::new("kill")
        .arg("-0")
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The process ids a test harness recorded, one file per process in `dir`.
pub fn recorded_pids(dir: &Path) -> Vec<u32> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

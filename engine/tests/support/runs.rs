//! One run of the real binary to its end: what it printed and the reports it wrote, with ways to
//! find a case and a step in the JSON report.

use super::engine;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run left behind.
pub struct Run {
    /// None when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The JSON report (`Value::Null` when none was written).
    pub json: Value,
    /// The JSON report as written ("" when none was), to search for leaked secrets.
    pub json_text: String,
    /// The JUnit report ("" when none was written).
    pub junit: String,
    /// Holds `report.json` and `junit.xml`; kept alive with the run.
    pub dir: tempfile::TempDir,
}

impl Run {
    pub fn json_path(&self) -> PathBuf {
        self.dir.path().join("report.json")
    }
    pub fn junit_path(&self) -> PathBuf {
        self.dir.path().join("junit.xml")
    }

    /// The case whose file is `file` (as the engine printed it, e.g. `steps/request-pass.yaml`).
    pub fn case(&self, file: &str) -> &Value {
        case_in(&self.json, file)
    }

    /// The case whose id ends with `suffix` (e.g. `payments/01-complete-a-payment`).
    pub fn case_by_id(&self, suffix: &str) -> &Value {
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

    /// Everything a user can see: stdout and stderr, for error messages in assertions.
    pub fn output(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn case_in<'a>(report: &'a Value, file: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("no cases in the report: {report}"))
        .iter()
        .find(|c| c["file"] == file)
        .unwrap_or_else(|| {
            let files: Vec<&Value> = report["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| &c["file"])
                .collect();
            panic!("no case for {file} in the report; cases: {files:?}")
        })
}

/// The first step called `name`, searching fragments' and operators' children too.
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
    find(&case["steps"], name)
        .unwrap_or_else(|| panic!("no step `{name}` in case {} ({})", case["file"], case["id"]))
}

/// Runs `args` from `cwd` with JSON and JUnit reports written into a temp dir.
pub fn run(cwd: &Path, args: &[&str]) -> Run {
    run_env(cwd, args, &[])
}

/// `run` with these environment variables set.
pub fn run_env(cwd: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("report.json");
    let junit = dir.path().join("junit.xml");
    let mut cmd = engine(cwd);
    cmd.args(args)
        .arg("--report-json")
        .arg(&json)
        .arg("--report-junit")
        .arg(&junit)
        .envs(envs.iter().copied());
    finish(cmd, dir)
}

/// Runs `args` exactly as given (subcommands, usage errors, reports where the args say).
pub fn run_plain(cwd: &Path, args: &[&str]) -> Run {
    run_plain_env(cwd, args, &[])
}

/// `run_plain` with these environment variables set.
pub fn run_plain_env(cwd: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let mut cmd = engine(cwd);
    cmd.args(args).envs(envs.iter().copied());
    finish(cmd, tempfile::tempdir().expect("temp dir"))
}

/// Runs `cmd` to its end and reads the reports it wrote into `dir`, if any.
pub fn finish(mut cmd: Command, dir: tempfile::TempDir) -> Run {
    let out = cmd.output().expect("the poscert-engine binary runs");
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).ok();
    let json_text = read("report.json").unwrap_or_default();
    let json = if json_text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&json_text).unwrap_or_else(|e| panic!("report.json: {e}\n{json_text}"))
    };
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        json,
        json_text,
        junit: read("junit.xml").unwrap_or_default(),
        dir,
    };
    assert!(
        !run.stderr.contains("panicked"),
        "the engine panicked:\n{}",
        run.output()
    );
    run
}

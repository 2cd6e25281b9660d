//! The `exec` step: run a command with templated arguments; stdout may be captured as JSON.

use super::scope::Scope;
use super::step::{fail, failure_at};
use super::RunContext;
use crate::http::client::Response;
use crate::run::result::{FailureCategory, StepReport};
use crate::scenario::model::{ExecStep, Step};
use crate::template::Renderer;
use std::time::Duration;

const DEFAULT_EXEC_TIMEOUT: Duration = Duration::from_secs(60);

pub async fn run_exec(
    ctx: &RunContext,
    step: &Step,
    e: &ExecStep,
    scope: &mut Scope,
    report: &mut StepReport,
) {
    let r = Renderer::global();
    let command = match r.render_str(&e.command.text, scope.as_value()) {
        Ok(c) => c,
        Err(err) => {
            return fail(
                report,
                failure_at(
                    &step.location,
                    Some(e.command.pos),
                    FailureCategory::Configuration,
                    err.to_string(),
                ),
            )
        }
    };
    let mut args = Vec::new();
    for a in &e.args {
        match r.render_str(&a.text, scope.as_value()) {
            Ok(v) => args.push(v),
            Err(err) => {
                return fail(
                    report,
                    failure_at(
                        &step.location,
                        Some(a.pos),
                        FailureCategory::Configuration,
                        err.to_string(),
                    ),
                )
            }
        }
    }
    if ctx.options.dry_run {
        report.skip_reason = Some(format!("dry run: would run {command} {}", args.join(" ")));
        report.status = crate::run::result::Status::Skipped;
        return;
    }
    // `./tool` and `../tool` are relative to the case file, like fragments and schema files, so a
    // case runs the same from any working directory. Bare names are looked up on PATH.
    let command = if command.starts_with("./") || command.starts_with("../") {
        let dir = step
            .location
            .file
            .path
            .parent()
            .unwrap_or(std::path::Path::new("."));
        dir.join(&command).display().to_string()
    } else {
        command
    };
    let child = tokio::process::Command::new(&command)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(err) => {
            return fail(
                report,
                failure_at(
                    &step.location,
                    Some(e.command.pos),
                    FailureCategory::Configuration,
                    format!("cannot run `{command}`: {err}"),
                ),
            )
        }
    };
    let timeout = e.timeout.unwrap_or(DEFAULT_EXEC_TIMEOUT);
    let output = tokio::select! {
        out = tokio::time::timeout(timeout, child.wait_with_output()) => out,
        _ = ctx.cancel.cancelled(), if scope.interruptible => {
            report.status = crate::run::result::Status::Skipped;
            report.skip_reason = Some(super::step::INTERRUPTED.into());
            return;
        }
    };
    let output = match output {
        Ok(Ok(o)) => o,
        Ok(Err(err)) => {
            return fail(
                report,
                failure_at(
                    &step.location,
                    None,
                    FailureCategory::Transport,
                    format!("`{command}` failed: {err}"),
                ),
            )
        }
        Err(_) => {
            return fail(
                report,
                failure_at(
                    &step.location,
                    None,
                    FailureCategory::Timeout,
                    format!(
                        "`{command}` did not finish within {}",
                        crate::scenario::duration::format_duration(timeout)
                    ),
                ),
            )
        }
    };
    let code = output.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if code != e.exit_code {
        let mut f = failure_at(
            &step.location,
            None,
            FailureCategory::Assertion,
            format!("`{command}` exited with {code}, expected {}", e.exit_code),
        );
        f.evidence = stderr
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .map(str::to_string)
            .collect();
        return fail(report, f);
    }
    if !e.capture.is_empty() {
        let resp = Response {
            status: 0,
            headers: vec![],
            json: serde_json::from_str(stdout.trim()).ok(),
            body: stdout,
        };
        if let Err(f) = super::request::capture(ctx, step, &e.capture, &resp, scope, report) {
            fail(report, f);
        }
    }
}

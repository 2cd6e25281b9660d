//! The `exec` step: run a command with templated arguments; stdout may be captured as JSON.

use super::error::{Ran, StepError, StepResult};
use super::scope::Scope;
use super::RunContext;
use crate::http::client::Response;
use crate::run::result::StepReport;
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
) -> StepResult {
    let r = Renderer::global();
    let command = r
        .render_str(&e.command.text, scope.as_value())
        .map_err(|err| StepError::template(e.command.pos, err))?;
    let mut args = Vec::new();
    for a in &e.args {
        args.push(
            r.render_str(&a.text, scope.as_value())
                .map_err(|err| StepError::template(a.pos, err))?,
        );
    }
    if ctx.options.dry_run {
        let would = format!("dry run: would run {command} {}", args.join(" "));
        return Ok(Ran::Skipped(would));
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
    let child = child.map_err(|err| {
        StepError::configuration(
            Some(e.command.pos),
            format!("cannot run `{command}`: {err}"),
        )
    })?;
    let timeout = e.timeout.unwrap_or(DEFAULT_EXEC_TIMEOUT);
    let output = tokio::select! {
        out = tokio::time::timeout(timeout, child.wait_with_output()) => out,
        _ = ctx.cancel.cancelled(), if scope.interruptible => return Err(StepError::Interrupted),
    };
    let output = match output {
        Ok(Ok(o)) => o,
        Ok(Err(err)) => {
            return Err(StepError::Transport {
                pos: None,
                message: format!("`{command}` failed: {err}"),
            })
        }
        Err(_) => {
            return Err(StepError::Timeout {
                pos: None,
                message: format!(
                    "`{command}` did not finish within {}",
                    crate::scenario::duration::format_duration(timeout)
                ),
            })
        }
    };
    let code = output.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if code != e.exit_code {
        let lines: Vec<&str> = stderr.lines().collect();
        let stderr_tail = lines[lines.len().saturating_sub(20)..]
            .iter()
            .map(|l| l.to_string())
            .collect();
        return Err(StepError::ExitCode {
            message: format!("`{command}` exited with {code}, expected {}", e.exit_code),
            stderr_tail,
        });
    }
    if !e.capture.is_empty() {
        let resp = Response {
            status: 0,
            headers: vec![],
            json: serde_json::from_str(stdout.trim()).ok(),
            body: stdout,
        };
        super::request::capture(ctx, &e.capture, &resp, scope, report)?;
    }
    Ok(Ran::Done)
}

//! One step: decide whether it applies (`when:`, `if:`), run its action, and report.

use super::error::{Ran, StepError, StepResult};
use super::scope::Scope;
use super::RunContext;
use crate::run::result::{Failure, FailureCategory, Phase, Status, StepKind, StepReport, Warning};
use crate::scenario::model::{Action, Severity, Step, WaitFor, WhenCondition};
use crate::template::Renderer;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

pub const INTERRUPTED: &str = "interrupted (Ctrl-C)";
pub const EARLIER_FAILURE: &str = "not run: an earlier step failed";

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs steps in order. In `setup` and `steps`, the first failure skips the rest; in `finally`
/// every step runs (clean-up should try everything), and Ctrl-C does not stop it.
pub fn run_steps<'a>(
    ctx: &'a RunContext,
    steps: &'a [Step],
    phase: Phase,
    scope: &'a mut Scope,
) -> BoxFuture<'a, Vec<StepReport>> {
    Box::pin(async move {
        let mut reports = Vec::with_capacity(steps.len());
        let mut failed = false;
        for step in steps {
            if phase != Phase::Finally {
                if failed {
                    reports.push(skipped(step, phase, EARLIER_FAILURE));
                    continue;
                }
                if ctx.cancel.is_cancelled() {
                    reports.push(skipped(step, phase, INTERRUPTED));
                    continue;
                }
            }
            let report = run_step(ctx, step, phase, scope).await;
            if report.failure.is_some() {
                failed = true;
            }
            reports.push(report);
        }
        reports
    })
}

pub fn new_report(step: &Step, phase: Phase) -> StepReport {
    StepReport {
        name: step.name.clone(),
        kind: StepKind::of(&step.action),
        phase,
        file: step.location.file.path.display().to_string(),
        line: step.location.pos.line,
        column: step.location.pos.col,
        status: Status::Passed,
        skip_reason: None,
        failure: None,
        warning: None,
        duration_ms: 0.0,
        attempts: vec![],
        captures: vec![],
        operator: None,
        children: vec![],
    }
}

pub fn skipped(step: &Step, phase: Phase, reason: &str) -> StepReport {
    let mut r = new_report(step, phase);
    r.status = Status::Skipped;
    r.skip_reason = Some(reason.to_string());
    r
}

/// The first failure among `steps`, named after the step that failed (fragments, `automate`
/// blocks and whole phases all report the first thing that went wrong).
pub fn first_failure(steps: &[StepReport]) -> Option<Failure> {
    steps.iter().find_map(|s| {
        s.failure.clone().map(|mut f| {
            f.step.get_or_insert_with(|| s.name.clone());
            f
        })
    })
}

/// Renders `values` in order and sets them as variables (`set:`, and a fragment's `with:`).
fn set_vars(
    values: &[(String, crate::scenario::yaml::Node)],
    what: &str,
    scope: &mut Scope,
) -> Result<(), StepError> {
    for (name, node) in values {
        let value = Renderer::global()
            .render_node(node, scope.as_value())
            .map_err(|e| StepError::template(node.pos, format!("{what} {name}: {e}")))?;
        scope.set(name, value);
    }
    Ok(())
}

/// Sets a failure on the report and its status from the category.
pub fn fail(report: &mut StepReport, failure: Failure) {
    report.status = failure.category.status();
    report.failure = Some(failure);
}

/// Why `when:` rules this step out, if it does.
pub(super) fn when_excludes(ctx: &RunContext, when: &[WhenCondition]) -> Option<String> {
    let clients: Vec<_> = when
        .iter()
        .filter_map(|w| match w {
            WhenCondition::Client(c) => Some(*c),
            _ => None,
        })
        .collect();
    let targets: Vec<_> = when
        .iter()
        .filter_map(|w| match w {
            WhenCondition::Target(t) => Some(*t),
            _ => None,
        })
        .collect();
    let mode = ctx.options.client_mode;
    if !clients.is_empty() && !clients.contains(&mode) {
        return Some(format!(
            "only for client mode {}; this run uses {}",
            clients
                .iter()
                .map(|c| format!("{c:?}").to_lowercase())
                .collect::<Vec<_>>()
                .join("/"),
            format!("{mode:?}").to_lowercase()
        ));
    }
    let kind = ctx.target_kind();
    if !targets.is_empty() && !targets.contains(&kind) {
        return Some(match kind {
            crate::scenario::TargetKind::Sandbox => {
                "needs the emulator's request journal, which the real sandbox does not offer; judged only against the emulator".to_string()
            }
            crate::scenario::TargetKind::Emulator => "only against the real sandbox".to_string(),
        });
    }
    None
}

pub fn run_step<'a>(
    ctx: &'a RunContext,
    step: &'a Step,
    phase: Phase,
    scope: &'a mut Scope,
) -> BoxFuture<'a, StepReport> {
    Box::pin(async move {
        let start = Instant::now();
        if let Some(reason) = when_excludes(ctx, &step.when) {
            return skipped(step, phase, &reason);
        }
        for cond in &step.conditions {
            match Renderer::global().render_condition(&cond.text, scope.as_value()) {
                Ok(true) => {}
                Ok(false) => {
                    return skipped(step, phase, &format!("condition `{}` is false", cond.text))
                }
                Err(e) => {
                    let mut r = new_report(step, phase);
                    settle(
                        &mut r,
                        step,
                        Err(StepError::template(cond.pos, format!("if: {e}"))),
                    );
                    return r;
                }
            }
        }
        let mut report = new_report(step, phase);
        let result = run_action(ctx, step, phase, scope, &mut report).await;
        settle(&mut report, step, result);
        report.duration_ms = start.elapsed().as_secs_f64() * 1000.0;
        report
    })
}

/// Runs the step's one action. Executors return what happened; they never decide how it is
/// reported.
async fn run_action(
    ctx: &RunContext,
    step: &Step,
    phase: Phase,
    scope: &mut Scope,
    report: &mut StepReport,
) -> StepResult {
    match &step.action {
        Action::Request(req) => super::request::run_request(ctx, step, req, scope, report).await,
        Action::Wait(wait) => {
            let duration = match wait {
                WaitFor::Fixed(d) => *d,
                WaitFor::Template(t) => Renderer::global()
                    .render_str(&t.text, scope.as_value())
                    .map_err(|e| e.to_string())
                    .and_then(|text| crate::scenario::duration::parse_duration(&text))
                    .map_err(|m| StepError::template(t.pos, format!("wait: {m}")))?,
            };
            if !ctx.options.dry_run && !ctx.cancel.sleep(duration, scope.interruptible).await {
                return Err(StepError::Interrupted);
            }
            Ok(Ran::Done)
        }
        Action::Set(values) => set_vars(values, "set", scope).map(|()| Ran::Done),
        Action::Use(use_step) => {
            set_vars(&use_step.with, "with", scope)?;
            // Optional params that neither `with:` nor the scope gives take their default.
            let defaults = use_step.defaults_for(scope.as_value());
            set_vars(&defaults, "default for", scope)?;
            let children = run_steps(ctx, &use_step.steps, phase, scope).await;
            let failure = first_failure(&children);
            report.children = children;
            match failure {
                Some(f) => Err(StepError::Nested(f)),
                None => Ok(Ran::Done),
            }
        }
        Action::Assert(a) => super::assert::run_assert(ctx, a, scope).await,
        Action::Exec(e) => super::exec::run_exec(ctx, step, e, scope, report).await,
        Action::Operator(op) => {
            crate::run::operator::perform(ctx, step, op, phase, scope, report).await
        }
    }
}

/// The one place a step's result becomes its report: status, skip reason, the located failure,
/// and the step's `explain` in front of an assertion's message.
fn settle(report: &mut StepReport, step: &Step, result: StepResult) {
    match result {
        Ok(Ran::Done) => {}
        Ok(Ran::Skipped(reason)) => {
            report.status = Status::Skipped;
            report.skip_reason = Some(reason);
        }
        Err(StepError::Interrupted) => {
            report.status = Status::Skipped;
            report.skip_reason = Some(INTERRUPTED.into());
        }
        Err(e) => {
            if let Some(mut f) = e.into_failure(&step.location) {
                if let Some(explain) = &step.explain {
                    if f.category == FailureCategory::Assertion {
                        f.message = format!("{explain} ({})", f.message);
                    }
                }
                match &step.severity {
                    // Only a verdict is softened: an advisory step that could not judge at all
                    // (no journal, a template error) is still an error to fix.
                    Severity::Advisory { because } if f.category == FailureCategory::Assertion => {
                        report.warning = Some(Warning {
                            message: f.message,
                            because: because.clone(),
                            step: step.name.clone(),
                            file: f.file,
                            line: f.line,
                            column: f.column,
                        });
                    }
                    _ => fail(report, f),
                }
            }
        }
    }
}

//! `--client operator` / `--customer human` on a terminal: show the instructions, ask for the
//! inputs and the outcome, count down to the timeout, and let `watch` finish the step by itself.
//! (Being built: see issue 5. Until then a person cannot be prompted.)

use crate::report::model::{FailureCategory, OperatorReport, StepReport};
use crate::run::step_runner::{fail, failure_at};
use crate::run::{RunContext, Scope};
use crate::scenario::model::{OperatorStep, Step};
use std::time::Instant;

pub async fn perform(
    _ctx: &RunContext,
    step: &Step,
    op: &OperatorStep,
    _scope: &mut Scope,
    report: &mut StepReport,
    mut record: OperatorReport,
    start: Instant,
) {
    record.actor = "person".into();
    record.outcome = "failed".into();
    record.wait_ms = start.elapsed().as_secs_f64() * 1000.0;
    let message = format!(
        "terminal prompts are not available yet; cannot ask for `{}`",
        op.action
    );
    record.message = Some(message.clone());
    report.operator = Some(record);
    fail(
        report,
        failure_at(&step.location, None, FailureCategory::Operator, message),
    );
}

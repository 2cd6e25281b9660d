//! `--client adapter`: the integrator's harness performs cashier actions over JSON lines.
//! (Being built: see issue 5. Until then every adapter action fails with a clear message.)

use crate::report::model::{FailureCategory, OperatorReport, StepReport};
use crate::run::step_runner::{fail, failure_at};
use crate::run::{RunContext, Scope};
use crate::scenario::model::{OperatorStep, Step};
use std::time::Instant;

/// One harness process, started at a case's first cashier action and stopped when it ends.
#[derive(Debug, Default)]
pub struct AdapterProcess {}

impl AdapterProcess {
    /// Closes stdin, waits a grace period, then kills. Returns the harness's stderr.
    pub async fn shutdown(self) -> String {
        String::new()
    }
}

pub async fn perform(
    _ctx: &RunContext,
    step: &Step,
    op: &OperatorStep,
    _scope: &mut Scope,
    report: &mut StepReport,
    mut record: OperatorReport,
    start: Instant,
) {
    record.actor = "adapter".into();
    record.outcome = "failed".into();
    record.wait_ms = start.elapsed().as_secs_f64() * 1000.0;
    let message = format!(
        "the adapter protocol is not available yet; cannot perform `{}`",
        op.action
    );
    record.message = Some(message.clone());
    report.operator = Some(record);
    fail(
        report,
        failure_at(&step.location, None, FailureCategory::Operator, message),
    );
}

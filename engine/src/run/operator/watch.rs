//! An operator step's `watch`: a poll the engine runs while a person works, so the step completes
//! by itself as soon as the API shows the expected state. It is an ordinary request step (same
//! rendering, retries, poll, captures and attempt records), located at the operator step so its
//! failures point there, and sent as the judge (it observes; it is not the client's work).

use crate::run::result::{Phase, Status, StepReport};
use crate::run::{RunContext, Scope};
use crate::scenario::model::{Action, RequestStep, Step};

/// The watch as a step of its own, named after the operator step.
pub fn step_for(step: &Step, watch: &RequestStep) -> Step {
    Step {
        name: format!("{} (watch)", step.name),
        location: step.location.clone(),
        when: Vec::new(),
        conditions: Vec::new(),
        explain: None,
        severity: Default::default(),
        action: Action::Request(Box::new(watch.clone())),
    }
}

/// Polls until the watch's `until` holds (its captures then are in `scope`), it gives up, or the
/// run is interrupted.
pub async fn run(ctx: &RunContext, watch: &Step, phase: Phase, scope: &mut Scope) -> StepReport {
    crate::run::step_runner::run_step(ctx, watch, phase, scope).await
}

/// Did the watch see the expected state?
pub fn succeeded(report: &StepReport) -> bool {
    report.failure.is_none() && report.status != Status::Skipped
}

/// Why the watch stopped without seeing it, for the person at the till.
pub fn why_stopped(report: &StepReport) -> String {
    match (&report.failure, &report.skip_reason) {
        (Some(f), _) => f.message.clone(),
        (None, Some(r)) => r.clone(),
        (None, None) => "it stopped".into(),
    }
}

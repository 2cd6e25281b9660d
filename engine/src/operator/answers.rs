//! `--answers FILE`: prompts answered in advance, by case and step, for semi-automated runs.
//! (Being built: see issue 5.)

use crate::report::model::{OperatorReport, StepReport};
use crate::run::{RunContext, Scope};
use crate::scenario::model::{OperatorStep, Step};
use std::time::Instant;

/// The parsed answers file.
#[derive(Debug, Default)]
pub struct Answers {}

/// One pre-answered prompt.
#[derive(Debug, Clone)]
pub struct Answer {}

impl Answers {
    pub fn find(&self, _case_id: &str, _step: &str) -> Option<Answer> {
        None
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn apply(
    _ctx: &RunContext,
    _step: &Step,
    _op: &OperatorStep,
    _answer: Answer,
    _scope: &mut Scope,
    _report: &mut StepReport,
    _record: OperatorReport,
    _start: Instant,
) {
}

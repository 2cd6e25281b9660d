//! Finished cases' reports, gathered in the cases' order as their tasks are joined.

use super::result::{CaseReport, Status};
use super::{case, plan, spool, RunContext};
use std::sync::Arc;

/// The reports of the cases run so far, in the cases' order.
pub(super) struct Collected {
    /// The first cases, in order, every one of them finished.
    pub(super) done: Vec<CaseReport>,
    /// Cases finished before one ahead of them, by index.
    pub(super) early: std::collections::BTreeMap<usize, CaseReport>,
    /// The cases whose tasks have not been joined, by task.
    pub(super) running: std::collections::HashMap<tokio::task::Id, (usize, Arc<plan::PlannedCase>)>,
}

impl Collected {
    pub(super) fn new(cases: usize) -> Collected {
        Collected {
            done: Vec::with_capacity(cases),
            early: Default::default(),
            running: Default::default(),
        }
    }

    /// A joined task: its report (none when it is spooled), or for a task that panicked (or
    /// was aborted) an error, spooled when there is a spool.
    pub(super) fn take(
        &mut self,
        ctx: &RunContext,
        spool: Option<&spool::Spool>,
        joined: Result<(tokio::task::Id, Option<CaseReport>), tokio::task::JoinError>,
    ) {
        let (id, report) = match joined {
            Ok((id, report)) => (id, Ok(report)),
            Err(e) => (e.id(), Err(e)),
        };
        let Some((index, case)) = self.running.remove(&id) else {
            return;
        };
        let report = report.unwrap_or_else(|e| {
            let why = if e.is_panic() {
                "the engine failed (panicked) while running this case; please report it"
            } else {
                "the case was aborted"
            };
            let mut crashed = case::planned_report(&case, Status::Error);
            let category = crate::run::result::FailureCategory::Configuration;
            crashed.failure = Some(Box::new(case::case_failure(&crashed.file, category, why)));
            ctx.progress.case_finished(&crashed);
            match spool {
                Some(spool) => {
                    spool.put(index, crashed);
                    None
                }
                None => Some(crashed),
            }
        });
        let Some(report) = report else {
            return;
        };
        self.early.insert(index, report);
        while let Some(next) = self.early.remove(&self.done.len()) {
            self.done.push(next);
        }
    }
}

//! The executor: cases in parallel (bounded by `--jobs`), steps in order within a case, `finally`
//! always, Ctrl-C honoured between and inside steps.

mod assert;
mod case;
pub mod error;
mod exec;
pub mod operator;
mod request;
pub mod result;
mod scope;
pub mod spool;
pub mod step;

pub use case::run_case;
pub use scope::Scope;
pub use step as step_runner;

use crate::http::HttpClient;
use crate::run::operator::OperatorConfig;
use crate::run::result::{CaseReport, Status};
use crate::scenario::model::{Case, ClientMode, TargetKind};
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

/// Who plays the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CustomerMode {
    Simulated,
    Human,
}

/// Options that hold for the whole run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub client_mode: ClientMode,
    pub customer_mode: CustomerMode,
    pub jobs: usize,
    /// Render every request, send none.
    pub dry_run: bool,
    /// `--var` and `--vars-file` values; they override case `vars`.
    pub cli_vars: Map<String, Value>,
    pub default_timeout: Duration,
    pub operator: OperatorConfig,
}

/// Run-wide cancellation (Ctrl-C): new work stops, waits end early, `finally` still runs.
#[derive(Default)]
pub struct Cancellation {
    flag: AtomicBool,
    notify: Notify,
}

impl Cancellation {
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
    /// Resolves when the run is cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
    /// Sleeps, returning false when cancelled first. With `interruptible` false (clean-up in
    /// `finally`), Ctrl-C does not cut the sleep short.
    pub async fn sleep(&self, d: Duration, interruptible: bool) -> bool {
        if !interruptible {
            tokio::time::sleep(d).await;
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.cancelled() => false,
        }
    }
}

/// Progress callbacks for the console.
pub trait Progress: Send + Sync {
    fn case_started(&self, _case: &Case) {}
    fn case_finished(&self, _report: &CaseReport) {}
    /// A prompt takes the terminal (true) or gives it back (false): stop drawing meanwhile.
    fn pause(&self, _paused: bool) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// Everything shared by the cases of one run.
pub struct RunContext {
    pub http: HttpClient,
    pub options: RunOptions,
    pub cancel: Arc<Cancellation>,
    /// Environment variables, exposed to templates as `env.NAME`.
    pub env: Value,
    pub progress: Arc<dyn Progress>,
}

impl RunContext {
    pub fn target_kind(&self) -> TargetKind {
        self.http.target.kind
    }
}

/// Runs `cases` with at most `jobs` at a time; reports come back in the cases' order, one per
/// case: a case never started because of Ctrl-C is reported skipped, and a case whose task
/// panicked (an engine bug) is reported as an error, so neither can vanish from a green run.
///
/// Except in a dry run, each finished case is spooled ([`spool::Spool`]) and comes back as a
/// summary, its full report in the returned store: memory stays flat however many cases run.
pub async fn run_cases(
    ctx: Arc<RunContext>,
    cases: Vec<Case>,
) -> (Vec<CaseReport>, Option<Arc<spool::Spool>>) {
    let spool = if ctx.options.dry_run {
        None
    } else {
        spool::Spool::new().ok().map(Arc::new)
    };
    let permits = Arc::new(Semaphore::new(ctx.options.jobs.max(1)));
    let mut handles = Vec::with_capacity(cases.len());
    let mut not_started = Vec::new();
    for (index, case) in cases.into_iter().enumerate() {
        // The permit is taken here, before the case's task exists, so cases start in the order
        // they were selected (onboarding first; `--jobs 1` runs them exactly in that order).
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.ok(),
            _ = ctx.cancel.cancelled() => None,
        };
        let Some(permit) = permit.filter(|_| !ctx.cancel.is_cancelled()) else {
            not_started.push(case);
            continue;
        };
        let ctx = ctx.clone();
        let spool = spool.clone();
        // Prepared now: if the case's task panics, the case itself is gone with it.
        let crashed = case::case_report(&case, Status::Error);
        handles.push((
            crashed,
            tokio::spawn(async move {
                let _permit = permit;
                ctx.progress.case_started(&case);
                let report = run_case(&ctx, &case).await;
                ctx.progress.case_finished(&report);
                match &spool {
                    Some(spool) => spool.put(index, report),
                    None => report,
                }
            }),
        ));
    }
    let mut reports = Vec::new();
    for (mut crashed, handle) in handles {
        match handle.await {
            Ok(report) => reports.push(report),
            Err(e) => {
                let why = if e.is_panic() {
                    "the engine failed (panicked) while running this case; please report it"
                } else {
                    "the case was aborted"
                };
                let category = crate::run::result::FailureCategory::Configuration;
                crashed.failure = Some(case::case_failure(&crashed.file, category, why));
                ctx.progress.case_finished(&crashed);
                reports.push(crashed);
            }
        }
    }
    for case in not_started {
        reports.push(unrun_report(
            &case,
            Status::Skipped,
            Some("not started: the run was interrupted (Ctrl-C)"),
        ));
    }
    (reports, spool)
}

/// A report for a case that produced none of its own.
fn unrun_report(case: &Case, status: Status, skip: Option<&str>) -> CaseReport {
    CaseReport {
        skip_reason: skip.map(str::to_string),
        ..case::case_report(case, status)
    }
}

//! The executor: cases in parallel (bounded by `--jobs`), steps in order within a case, `finally`
//! always, Ctrl-C honoured between and inside steps.

mod assert;
mod case;
mod collect;
pub mod error;
mod exec;
pub mod journal_marks;
pub mod operator;
pub mod plan;
mod request;
pub mod result;
mod scope;
pub mod spool;
pub mod step;

use collect::Collected;
pub use journal_marks::{JournalMarks, MarkGuard};

pub use case::run_case;
pub use scope::Scope;
pub use step as step_runner;

use crate::http::HttpClient;
use crate::run::operator::OperatorConfig;
use crate::run::result::{CaseReport, Status};
use crate::scenario::model::{ClientMode, TargetKind};
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
    fn case_started(&self, _case: &plan::PlannedCase) {}
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
    /// Where each running case's journal entries start, for the embedded emulator's low-water
    /// mark (see [`case`]'s release of a finished case).
    pub journal_marks: JournalMarks,
}

impl RunContext {
    pub fn target_kind(&self) -> TargetKind {
        self.http.target.kind
    }
}

/// Runs `cases` with at most `jobs` at a time, each parsed again as it starts (`reloader`, see
/// [`plan`]); reports come back in the cases' order, one per case: a case never started because
/// of Ctrl-C is reported skipped, and a case whose task panicked (an engine bug) is reported as an
/// error, so neither can vanish from a green run.
///
/// Except in a dry run, each finished case is spooled ([`spool::Spool`]), full and summarized,
/// and the returned reports are empty (every case is in the returned store): memory stays flat
/// however many cases run. Without a spool, the reports are the cases, in order.
/// Finished tasks are collected as they end, not at the end of the run: a finished task holds
/// its whole allocation (the case's future) until it is joined.
pub async fn run_cases(
    ctx: Arc<RunContext>,
    cases: Vec<plan::PlannedCase>,
    reloader: Arc<crate::scenario::Reloader>,
) -> (Vec<CaseReport>, Option<Arc<spool::Spool>>) {
    let spool = if ctx.options.dry_run {
        None
    } else {
        spool::Spool::new().ok().map(Arc::new)
    };
    // What loading and planning freed (every file parsed once) goes back before the run.
    release_freed_memory();
    let permits = Arc::new(Semaphore::new(ctx.options.jobs.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let total = cases.len();
    // Spooled reports are not collected: no room for them.
    let mut collected = Collected::new(if spool.is_some() { 0 } else { total });
    // Taken from the back, and the buffer shrunk as it empties: a planned case leaves memory
    // when it starts (an iterator over the Vec would hold its whole buffer to the end).
    let mut pending = cases;
    pending.reverse();
    let mut not_started = Vec::new();
    while let Some(case) = pending.pop() {
        let index = total - pending.len() - 1;
        if pending.capacity() > 64 && pending.len() < pending.capacity() / 2 {
            pending.shrink_to_fit();
        }
        // The permit is taken here, before the case's task exists, so cases start in the order
        // they were selected (onboarding first; `--jobs 1` runs them exactly in that order).
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.ok(),
            _ = ctx.cancel.cancelled() => None,
        };
        let Some(permit) = permit.filter(|_| !ctx.cancel.is_cancelled()) else {
            not_started.push(case);
            not_started.extend(pending.drain(..).rev());
            break;
        };
        while let Some(done) = tasks.try_join_next_with_id() {
            collected.take(&ctx, spool.as_deref(), done);
        }
        let case = Arc::new(case);
        let ctx = ctx.clone();
        let spool = spool.clone();
        let reloader = reloader.clone();
        let planned = case.clone();
        let handle = tasks.spawn(async move {
            let _permit = permit;
            ctx.progress.case_started(&planned);
            let report = match planned.load(&reloader) {
                Ok(case) => {
                    let _mark = ctx.journal_marks.start();
                    run_case(&ctx, &case).await
                }
                Err(why) => {
                    let mut report = case::planned_report(&planned, Status::Error);
                    let category = crate::run::result::FailureCategory::Configuration;
                    report.failure =
                        Some(Box::new(case::case_failure(&report.file, category, &why)));
                    report
                }
            };
            ctx.progress.case_finished(&report);
            let report = match &spool {
                Some(spool) => {
                    spool.put(index, report);
                    None
                }
                None => Some(report),
            };
            release_freed_memory();
            report
        });
        // Kept to report the case if its task panics (the case itself is gone with it).
        collected.running.insert(handle.id(), (index, case));
    }
    while let Some(done) = tasks.join_next_with_id().await {
        collected.take(&ctx, spool.as_deref(), done);
    }
    // Every task has been joined, so every report is in `done`; were one ever missing, the
    // cases after it would wait in `early`: they are reported, not dropped.
    debug_assert!(collected.early.is_empty(), "a case's report never arrived");
    let mut reports = collected.done;
    reports.extend(collected.early.into_values());
    let first_not_started = total - not_started.len();
    for (k, case) in not_started.into_iter().enumerate() {
        let report = unrun_report(
            &case,
            Status::Skipped,
            Some("not started: the run was interrupted (Ctrl-C)"),
        );
        match &spool {
            Some(spool) => spool.put(first_not_started + k, report),
            None => reports.push(report),
        }
    }
    (reports, spool)
}

/// Gives the pages a finished case freed back to the system. glibc keeps freed memory in the
/// arena of the thread that allocated it (one per worker thread), and a case's requests, reports
/// and parsed steps are allocated on whichever worker ran them: without this, a long run's peak
/// creeps up with its length, memory that is free but still resident.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A report for a case that produced none of its own.
fn unrun_report(case: &plan::PlannedCase, status: Status, skip: Option<&str>) -> CaseReport {
    CaseReport {
        skip_reason: skip.map(str::to_string),
        ..case::planned_report(case, status)
    }
}

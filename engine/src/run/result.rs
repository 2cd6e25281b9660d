//! What a run produced: the one structure every sink (console, JSON, JUnit, certificate) reads.
//! Values in here may still hold secrets; sinks pass their final text through
//! [`crate::redact::Redactor`] before it leaves the process.

pub use crate::http::record::{RequestRecord, ResponseRecord};
use serde::{Deserialize, Serialize};

/// Bumped when the JSON report changes incompatibly; `schemas/report.schema.json` describes it.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub schema_version: u32,
    pub engine_version: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: f64,
    /// True when Ctrl-C stopped the run: cases not started are absent, `finally` steps ran.
    pub interrupted: bool,
    pub target: TargetInfo,
    pub client_mode: String,
    pub customer_mode: String,
    pub identity: Option<Identity>,
    pub summary: Summary,
    /// The cases, unless they are in [`RunReport::store`] (then empty): read them through
    /// [`RunReport::case_count`], [`RunReport::case_summary`] and [`RunReport::full_case`].
    pub cases: Vec<CaseReport>,
    /// Files that could not be loaded (each is also counted as an errored case).
    pub load_errors: Vec<LoadErrorReport>,
    pub hostname: String,
    /// Only in a shard of a partitioned run (`--partition`): `partition`, `selection` and
    /// `approval` at the top level, for `poscert-engine merge`.
    #[serde(flatten)]
    pub shard: Option<ShardRecord>,
    /// Where the cases are when `cases` is empty (a run spools each case to a file as it
    /// finishes, full and summarized, so memory stays flat however many cases run). `None`:
    /// `cases` are complete (a merge, a dry run, a test).
    #[serde(skip)]
    pub store: Option<std::sync::Arc<dyn CaseStore>>,
}

/// Case reports kept out of memory, full and summarized: [`RunReport::cases`] is then empty and
/// the cases are read back one at a time ([`RunReport::full_case`], [`RunReport::case_summary`]).
pub trait CaseStore: Send + Sync + std::fmt::Debug {
    /// The full report of case `index`.
    fn load(&self, index: usize) -> std::io::Result<CaseReport>;
    /// The summary of case `index` (no steps; [`CaseReport::summary`] says what the
    /// certificate needs from them).
    fn summary(&self, index: usize) -> std::io::Result<CaseReport>;
    /// How many cases it holds (numbered from 0).
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The status of case `index`, kept in memory (counting needs no reading back).
    fn status(&self, index: usize) -> Option<Status>;
    /// The advisory warnings of every case, counted.
    fn warnings(&self) -> usize;
}

/// What is kept of a finished case's steps when the case itself is spooled: what the
/// certificate and the JUnit counts read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepSummary {
    /// Steps passed, those inside fragments and `automate` included.
    pub passed: usize,
    /// Every skipped step (inside fragments too), in the order they ran: name, file, line, reason.
    /// Shared: the same step skipped for the same reason in many cases (a fragment's
    /// `when: adapter` step) is held once, not once per case.
    pub skipped: Vec<std::sync::Arc<SkippedStep>>,
    /// The status of each top-level step (a JUnit `<testcase>` each with `--junit-granularity step`).
    pub top: Vec<Status>,
}

/// A skipped step as a summary keeps it: name, file, line, reason.
pub type SkippedStep = (String, String, u32, String);

/// One shared copy of each distinct skipped step. Bounded: past `LIMIT` distinct ones (reasons
/// rendered with per-case values), new ones are not shared, so the table cannot grow per case.
fn shared_skip(name: &str, file: &str, line: u32, reason: &str) -> std::sync::Arc<SkippedStep> {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex, OnceLock};
    const LIMIT: usize = 4096;
    static TABLE: OnceLock<Mutex<HashSet<Arc<SkippedStep>>>> = OnceLock::new();
    let step: SkippedStep = (name.into(), file.into(), line, reason.into());
    let mut table = TABLE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(shared) = table.get(&step) {
        return shared.clone();
    }
    let step = Arc::new(step);
    if table.len() < LIMIT {
        table.insert(step.clone());
    }
    step
}

impl StepSummary {
    pub fn of(steps: &[StepReport]) -> StepSummary {
        fn walk(steps: &[StepReport], out: &mut StepSummary) {
            for s in steps {
                if s.status == Status::Passed {
                    out.passed += 1;
                }
                if s.status == Status::Skipped {
                    out.skipped.push(shared_skip(
                        &s.name,
                        &s.file,
                        s.line,
                        s.skip_reason.as_deref().unwrap_or_default(),
                    ));
                }
                walk(&s.children, out);
            }
        }
        let mut out = StepSummary {
            top: steps.iter().map(|s| s.status).collect(),
            ..StepSummary::default()
        };
        walk(steps, &mut out);
        out
    }
}

/// What a shard of a partitioned run (`--partition`) records beyond its cases, so `merge` can
/// check that the shards belong together and ran every selected case exactly once, and write the
/// certificate the unsharded run would have written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ShardRecord {
    pub partition: PartitionInfo,
    pub selection: SelectionInfo,
    pub approval: ApprovalInfo,
}

/// Which shard: `slice:1/3` is `{kind: slice, shard: 1, of: 3}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PartitionInfo {
    /// `slice` (round-robin in certification order) or `hash` (FNV-1a of the case id).
    pub kind: String,
    /// 1-based.
    pub shard: u32,
    pub of: u32,
}

/// The whole selection, the same in every shard: computed before partitioning.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SelectionInfo {
    /// Every selected case id, of every shard, in certification order.
    pub cases: Vec<String>,
    /// The features loaded: names, what each requires, how many cases each has.
    pub features: Vec<SelectedFeature>,
    /// The digest of every selected case's files, as the certificate computes it (null when a
    /// fragment could not be read; `digestError` says why).
    pub digest: Option<String>,
    /// The digest's input.
    pub files: Vec<CaseFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SelectedFeature {
    pub id: String,
    pub name: String,
    pub requires: Vec<String>,
    /// Cases of this feature that were loaded (a certificate covers whole features).
    pub loaded: usize,
}

/// One file of the digest: `case` or `fragment`, with its SHA-256.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CaseFile {
    pub path: String,
    pub role: String,
    pub sha256: String,
}

/// What a certificate says beyond the cases, known to the shard and not to `merge`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalInfo {
    pub merchant_vat: String,
    pub token_url: String,
    /// The target was MobilePay's sandbox at its real address (a certification, not a rehearsal).
    pub official_host: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TargetInfo {
    /// `emulator`, `sandbox` or `custom`.
    pub kind: String,
    pub name: String,
    pub pos_base_url: String,
}

/// The client being certified (from poscert.yaml; issue 6).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub system_name: String,
    pub version: String,
    pub client_id_sandbox: Option<String>,
    pub client_id_production: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub errored: usize,
    pub skipped: usize,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    /// An assertion did not hold: the client (or the API) behaved wrongly.
    Failed,
    /// Anything else went wrong: transport, configuration, operator, setup.
    Error,
    Skipped,
}

/// The failure taxonomy of the JSON report (and `<failure>` vs `<error>` in JUnit).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FailureCategory {
    Assertion,
    Transport,
    Timeout,
    Operator,
    Configuration,
    Interrupted,
}

impl FailureCategory {
    /// Assertions are `<failure>`s; everything else is an `<error>`.
    pub fn status(self) -> Status {
        match self {
            FailureCategory::Assertion => Status::Failed,
            _ => Status::Error,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub category: FailureCategory,
    pub message: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// The step's name (for case-level failures).
    pub step: Option<String>,
    /// Supporting lines: journal entries, adapter stderr.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

/// An advisory judgement that did not hold: reported everywhere, never failing the case.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    /// What did not hold (the failure's message).
    pub message: String,
    /// Why the judgement is advisory: the inferred rule it rests on.
    pub because: String,
    pub step: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseReport {
    /// Stable id: the file path without extension.
    pub id: String,
    pub name: String,
    pub feature: String,
    pub case_number: Option<u32>,
    pub file: String,
    pub tags: Vec<String>,
    pub status: Status,
    /// Boxed: most cases pass, and a run without a spool (a dry run, a merge) keeps every case
    /// until its reports are written (an unboxed `Failure` would add its size to each of them).
    pub failure: Option<Box<Failure>>,
    pub started_at: String,
    pub duration_ms: f64,
    pub steps: Vec<StepReport>,
    /// Advisory judgements of this case that did not hold, in the order they ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// Why a case that never ran is skipped (e.g. Ctrl-C before it started).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    /// Set on a summary whose full report is in [`RunReport::store`] (its `steps` are empty).
    #[serde(skip)]
    pub summary: Option<Box<StepSummary>>,
}

impl CaseReport {
    /// This case as a summary: the steps dropped, what is needed of them kept. Its start time
    /// and tags go too: only a case's own section of a report shows them, and that is written
    /// from the full case ([`RunReport::full_case`]).
    pub fn summarized(mut self) -> CaseReport {
        let steps = std::mem::take(&mut self.steps);
        self.summary = Some(Box::new(StepSummary::of(&steps)));
        self.started_at = String::new();
        self.tags = Vec::new();
        self
    }

    /// What the steps add up to, from the summary or from the steps themselves.
    pub fn step_summary(&self) -> std::borrow::Cow<'_, StepSummary> {
        match &self.summary {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(StepSummary::of(&self.steps)),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Setup,
    Steps,
    Finally,
}

/// What kind of step this was: the action's YAML key.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    Request,
    Operator,
    Exec,
    Assert,
    Wait,
    Set,
    Use,
}

impl StepKind {
    pub fn of(action: &crate::scenario::model::Action) -> StepKind {
        use crate::scenario::model::Action;
        match action {
            Action::Request(_) => StepKind::Request,
            Action::Operator(_) => StepKind::Operator,
            Action::Exec(_) => StepKind::Exec,
            Action::Assert(_) => StepKind::Assert,
            Action::Wait(_) => StepKind::Wait,
            Action::Set(_) => StepKind::Set,
            Action::Use(_) => StepKind::Use,
        }
    }
}

/// Why an HTTP attempt was made.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum AttemptKind {
    /// The step's first sending.
    Send,
    /// The identical request sent again after a transport fault.
    Retry,
    /// One poll of a `poll:` step.
    Poll,
    /// `--dry-run`: rendered, not sent.
    DryRun,
}

impl std::fmt::Display for AttemptKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AttemptKind::Send => "send",
            AttemptKind::Retry => "retry",
            AttemptKind::Poll => "poll",
            AttemptKind::DryRun => "dry-run",
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepReport {
    pub name: String,
    pub kind: StepKind,
    pub phase: Phase,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    pub failure: Option<Failure>,
    /// An advisory judgement of this step that did not hold (the step still passed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<Warning>,
    pub duration_ms: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub captures: Vec<CaptureReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<OperatorReport>,
    /// Steps run inside this one: a fragment's steps, an operator's `automate` steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<StepReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub number: u32,
    pub kind: AttemptKind,
    pub started_at: String,
    pub duration_ms: f64,
    pub request: RequestRecord,
    pub response: Option<ResponseRecord>,
    /// Transport error (timeout, connection refused...), when there was no response.
    pub error: Option<String>,
    /// Why this attempt did not end the step (e.g. "status 500, retrying", "$.status is Initiated").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureReport {
    pub name: String,
    /// The captured value, or `***` for a secret capture.
    pub value: serde_json::Value,
    pub secret: bool,
}

/// Who performed an operator action.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OperatorActor {
    /// The engine's reference client ran the step's `automate` steps.
    Reference,
    /// The user-simulation API played the customer (`automate` steps).
    Simulated,
    /// The integrator's harness (`--client adapter`).
    Adapter,
    /// A person at the terminal.
    Person,
    /// A pre-answered prompt (`--answers`).
    Answers,
    /// The step's `watch` saw the expected state before anyone answered.
    Watch,
    /// Nobody could perform it (no terminal, nothing to automate).
    Unattended,
}

/// How an operator action ended.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OperatorOutcome {
    Done,
    Failed,
    Skipped,
    Timeout,
    Interrupted,
}

impl OperatorActor {
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorActor::Reference => "reference",
            OperatorActor::Simulated => "simulated",
            OperatorActor::Adapter => "adapter",
            OperatorActor::Person => "person",
            OperatorActor::Answers => "answers",
            OperatorActor::Watch => "watch",
            OperatorActor::Unattended => "unattended",
        }
    }
}

impl OperatorOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorOutcome::Done => "done",
            OperatorOutcome::Failed => "failed",
            OperatorOutcome::Skipped => "skipped",
            OperatorOutcome::Timeout => "timeout",
            OperatorOutcome::Interrupted => "interrupted",
        }
    }
}

impl std::fmt::Display for OperatorActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for OperatorOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who performed an operator action and how it ended (issue 5).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatorReport {
    pub role: String,
    pub action: String,
    pub actor: OperatorActor,
    pub outcome: OperatorOutcome,
    pub values: serde_json::Map<String, serde_json::Value>,
    pub wait_ms: f64,
    pub message: Option<String>,
    pub prompt: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadErrorReport {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl RunReport {
    pub fn compute_summary(cases: &[CaseReport], load_errors: usize) -> Summary {
        Self::count_statuses(cases.iter().map(|c| c.status), load_errors)
    }

    /// The summary of cases with these statuses.
    pub fn count_statuses(statuses: impl Iterator<Item = Status>, load_errors: usize) -> Summary {
        let mut s = Summary {
            total: load_errors,
            errored: load_errors,
            ..Default::default()
        };
        for status in statuses {
            s.total += 1;
            match status {
                Status::Passed => s.passed += 1,
                Status::Failed => s.failed += 1,
                Status::Error => s.errored += 1,
                Status::Skipped => s.skipped += 1,
            }
        }
        s
    }

    /// How many cases the run has (in `cases` or in the store).
    pub fn case_count(&self) -> usize {
        match &self.store {
            Some(store) => store.len(),
            None => self.cases.len(),
        }
    }

    /// The full report of case `index`: from [`RunReport::store`] when there is one, else the
    /// case itself.
    pub fn full_case(&self, index: usize) -> std::io::Result<std::borrow::Cow<'_, CaseReport>> {
        match &self.store {
            Some(store) => store.load(index).map(std::borrow::Cow::Owned),
            None => Ok(std::borrow::Cow::Borrowed(&self.cases[index])),
        }
    }

    /// Case `index` as far as the run's summaries need it (its steps may be missing: read
    /// [`CaseReport::step_summary`]).
    pub fn case_summary(&self, index: usize) -> std::io::Result<std::borrow::Cow<'_, CaseReport>> {
        match &self.store {
            Some(store) => store.summary(index).map(std::borrow::Cow::Owned),
            None => Ok(std::borrow::Cow::Borrowed(&self.cases[index])),
        }
    }

    /// Every case's summary, in order, read back one at a time.
    pub fn case_summaries(
        &self,
    ) -> impl Iterator<Item = std::io::Result<std::borrow::Cow<'_, CaseReport>>> + '_ {
        (0..self.case_count()).map(|i| self.case_summary(i))
    }

    /// The status of case `index`, without reading it back.
    pub fn case_status(&self, index: usize) -> std::io::Result<Status> {
        match &self.store {
            Some(store) => store
                .status(index)
                .ok_or_else(|| std::io::Error::other(format!("case {index} is not in the spool"))),
            None => Ok(self.cases[index].status),
        }
    }

    /// The advisory warnings of every case.
    pub fn warning_count(&self) -> usize {
        match &self.store {
            Some(store) => store.warnings(),
            None => self.cases.iter().map(|c| c.warnings.len()).sum(),
        }
    }

    pub fn all_passed(&self) -> bool {
        self.summary.failed == 0 && self.summary.errored == 0 && !self.interrupted
    }
}

/// A report with what every sink reads (two features, steps nested, attempts, a failure, a
/// warning, a skipped case, an operator step), for the sinks' streaming tests.
#[cfg(test)]
pub fn sample_report() -> RunReport {
    let step = |name: &str, status: &str, children: serde_json::Value| {
        serde_json::json!({
            "name": name, "kind": "request", "phase": "steps", "file": "s/p/01.yaml",
            "line": 7, "column": 5, "status": status, "failure": null, "durationMs": 12.5,
            "attempts": [{
                "number": 1, "kind": "send", "startedAt": "2026-01-01T00:00:00.000Z",
                "durationMs": 3.25,
                "request": {"method": "POST", "url": "http://x/pos/v10/payments",
                            "headers": [["content-type", "application/json"]],
                            "body": "{\"posId\": \"a<b>&\\\"c\\\"\", \"secret\": \"s3cr3t\"}"},
                "response": {"status": 200, "headers": [], "body": "{\"paymentId\":\"p\"}"},
                "error": null
            }],
            "captures": [{"name": "paymentId", "value": {"b": 1, "a": [1.5, "x"]}, "secret": false}],
            "children": children
        })
    };
    let failure = serde_json::json!({
        "category": "assertion", "message": "status is <Initiated> & not \"Reserved\"",
        "expected": "Reserved", "actual": "Initiated", "file": "s/p/01.yaml", "line": 9,
        "column": 3, "step": "poll", "evidence": ["one", "two"]
    });
    let warning = serde_json::json!({
        "message": "polled too fast", "because": "inferred", "step": "poll",
        "file": "s/p/01.yaml", "line": 9, "column": 3
    });
    let mut failed_step = step("poll", "failed", serde_json::json!([]));
    failed_step["failure"] = failure.clone();
    failed_step["warning"] = warning.clone();
    let skipped = serde_json::json!({
        "name": "optional", "kind": "wait", "phase": "finally", "file": "s/p/01.yaml",
        "line": 20, "column": 5, "status": "skipped", "skipReason": "not against the sandbox",
        "failure": null, "durationMs": 0.0,
        "operator": {"role": "cashier", "action": "scan", "actor": "reference", "outcome": "done",
                     "values": {"z": 1, "a": "b"}, "waitMs": 10.0, "message": null, "prompt": "Scan"}
    });
    let case = |id: &str, feature: &str, n: u32, status: &str, steps: serde_json::Value| {
        serde_json::json!({
            "id": id, "name": format!("Case {id}"), "feature": feature, "caseNumber": n,
            "file": format!("{id}.yaml"), "tags": ["certification"], "status": status,
            "failure": null, "startedAt": "2026-01-01T00:00:00.123Z", "durationMs": 40.125,
            "steps": steps
        })
    };
    let mut failing = case(
        "s/p/01",
        "payments",
        1,
        "failed",
        serde_json::json!([
            step(
                "start",
                "passed",
                serde_json::json!([step("inner", "passed", serde_json::json!([]))])
            ),
            failed_step,
            skipped
        ]),
    );
    failing["failure"] = failure;
    failing["warnings"] = serde_json::json!([warning]);
    let mut never = case("s/o/02", "onboarding", 2, "skipped", serde_json::json!([]));
    never["skipReason"] = serde_json::json!("not started: the run was interrupted (Ctrl-C)");
    let report = serde_json::json!({
        "schemaVersion": 1, "engineVersion": "0.1.0", "startedAt": "2026-01-01T00:00:00.000Z",
        "finishedAt": "2026-01-01T00:00:01.000Z", "durationMs": 1000.5, "interrupted": false,
        "target": {"kind": "emulator", "name": "emulator", "posBaseUrl": "http://x/pos/v10"},
        "clientMode": "reference", "customerMode": "simulated",
        "identity": {"systemName": "Till", "version": "1.0", "clientIdSandbox": "c", "clientIdProduction": null},
        "summary": {"total": 4, "passed": 1, "failed": 1, "errored": 1, "skipped": 1},
        "cases": [
            case("s/o/01", "onboarding", 1, "passed", serde_json::json!([step("onboard", "passed", serde_json::json!([]))])),
            failing,
            never,
        ],
        "loadErrors": [{"file": "bad.yaml", "line": 1, "column": 2, "message": "no <name>"}],
        "hostname": "host"
    });
    serde_json::from_value(report).expect("a valid sample report")
}

/// `report` with its cases spooled, as a run leaves it.
#[cfg(test)]
pub fn spooled(mut report: RunReport) -> RunReport {
    let spool = crate::run::spool::Spool::new().expect("a temporary file");
    for (i, c) in std::mem::take(&mut report.cases).into_iter().enumerate() {
        spool.put(i, c);
    }
    report.store = Some(std::sync::Arc::new(spool));
    report
}

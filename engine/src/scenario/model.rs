//! The typed model of the scenario language: what a certification case *is*, independent of how
//! it was written (see `convert/`) or how it runs (see `crate::run`).
//!
//! Strings that may contain `{{ }}` templates are kept as [`Template`]s (text plus the position
//! they came from) or as raw YAML [`Node`]s for structured values (JSON bodies, params); they are
//! rendered only when the step runs, because their variables come from earlier steps.

use super::yaml::{Node, Pos};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Text that may contain `{{ }}` expressions, with the position of its YAML node.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub text: String,
    pub pos: Pos,
}

/// A source file the model came from; shared by every step so reports can say `file:line:col`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceFile {
    /// The path as the user gave it (relative paths stay relative: that is what CI shows).
    pub path: PathBuf,
}

/// Where a step or check is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub file: Arc<SourceFile>,
    pub pos: Pos,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.path.display(), self.pos)
    }
}

/// One certification case: one YAML file.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub feature: String,
    pub case_number: Option<u32>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// Case variables, rendered in order before `setup` (a later var may use an earlier one).
    pub vars: Vec<(String, Node)>,
    /// The case's own `when:` and `if:` (checked after `vars`): when they rule the case out it
    /// is skipped as a whole, nothing of it runs (not even `setup` or `finally`), and the
    /// report says why: `skip_reason` for a false `if:`, the `when:` rule otherwise.
    pub when: Vec<WhenCondition>,
    pub condition: Option<Template>,
    pub skip_reason: Option<Template>,
    pub setup: Vec<Step>,
    pub steps: Vec<Step>,
    pub finally: Vec<Step>,
    pub file: Arc<SourceFile>,
    /// The file's bytes, for the certificate's digest.
    pub source_text: Arc<str>,
    /// The folder's `feature.yaml` when this case runs its default `setup` or `finally` (the
    /// case gave none of its own): those steps are part of what the case is, so the certificate's
    /// digest covers that file too.
    pub feature_defaults: Option<PathBuf>,
}

impl Case {
    /// A stable identifier: the file path without extension, slash-separated.
    pub fn id(&self) -> String {
        let p = self.file.path.with_extension("");
        p.to_string_lossy().replace('\\', "/")
    }
}

/// A feature folder's `feature.yaml`.
#[derive(Debug, Clone)]
pub struct Feature {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub requires: Vec<String>,
    /// Steps every case of the folder runs as its `setup` / `finally` when it gives none.
    pub setup: Vec<Step>,
    pub finally: Vec<Step>,
    pub file: Arc<SourceFile>,
}

/// One step: a name, one action, and when it applies.
#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub location: Location,
    /// Modes and targets this step is for; empty means always.
    pub when: Vec<WhenCondition>,
    /// Templates rendered before the step, in order: the `if:` of each `group:` around it, then
    /// its own. The step is skipped as soon as one renders falsy.
    pub conditions: Vec<Template>,
    /// What an assertion failure of this step means for the integrator ("your client must...");
    /// put in front of the failure message.
    pub explain: Option<String>,
    /// `severity: advisory` (with `because:`): the judgement rests on an [inferred] rule, so its
    /// failure is reported as a warning and never fails the case.
    pub severity: Severity,
    pub action: Action,
}

/// How much a judgement's failure weighs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Severity {
    /// A documented rule: a failure fails the case.
    #[default]
    Hard,
    /// An inferred rule: a failure is a warning; `because` says why it is not hard.
    Advisory { because: String },
}

/// `when:` values: who plays the client, or which target is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenCondition {
    Client(ClientMode),
    Target(TargetKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientMode {
    Reference,
    Adapter,
    Operator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Emulator,
    Sandbox,
}

/// Exactly one of these per step.
#[derive(Debug, Clone)]
pub enum Action {
    Request(Box<RequestStep>),
    Operator(Box<OperatorStep>),
    Exec(Box<ExecStep>),
    Assert(Box<AssertStep>),
    Wait(WaitFor),
    Set(Vec<(String, Node)>),
    /// A fragment called with `use:`; its steps were loaded with the case.
    Use(UseStep),
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Request(_) => "request",
            Action::Operator(_) => "operator",
            Action::Exec(_) => "exec",
            Action::Assert(_) => "assert",
            Action::Wait(_) => "wait",
            Action::Set(_) => "set",
            Action::Use(_) => "use",
        }
    }
}

/// How long a `wait` step pauses: fixed, or a template rendered when the step runs
/// (`wait: "{{pollDelayInMs}}ms"`).
#[derive(Debug, Clone)]
pub enum WaitFor {
    Fixed(Duration),
    Template(Template),
}

#[derive(Debug, Clone)]
pub struct UseStep {
    pub fragment: PathBuf,
    /// Parameters, rendered in the caller's scope and set as variables before the fragment runs.
    pub with: Vec<(String, Node)>,
    /// Shared with every other `use:` of the fragment.
    pub steps: Arc<Vec<Step>>,
    /// What the fragment declares it takes and gives.
    pub interface: Arc<FragmentInterface>,
    /// Where `use:` is written: errors about the call point there.
    pub pos: Pos,
}

impl UseStep {
    /// The optional params that neither `with:` nor the scope gives, with their defaults, in
    /// declaration order (a default may read an earlier param: `captureAmount: "{{amount}}"`).
    /// `scope` is the caller's variables after `with:` was set; a variable set to null counts
    /// as given. Each default is placed at the `use:` (it is rendered in the caller's scope,
    /// so a failure to render it is the caller's to fix).
    pub fn defaults_for(&self, scope: &serde_json::Value) -> Vec<(String, Node)> {
        self.interface
            .params
            .iter()
            .filter(|p| scope.get(&p.name).is_none())
            .filter_map(|p| {
                let mut default = p.default.clone()?;
                default.pos = self.pos;
                Some((p.name.clone(), default))
            })
            .collect()
    }
}

/// A fragment's declared interface (`params:` and `gives:`). A fragment that declares neither
/// is `declared: false`: its `with:` is not checked, and callers count every variable its steps
/// set as given (what fragments did before they could declare anything).
#[derive(Debug, Clone, Default)]
pub struct FragmentInterface {
    pub declared: bool,
    pub params: Vec<Param>,
    pub gives: Vec<Give>,
}

impl FragmentInterface {
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// One param of a fragment: required unless it has a default.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub description: String,
    /// Rendered in the caller's scope when neither `with:` nor the scope gives the param.
    pub default: Option<Node>,
    pub pos: Pos,
}

/// A variable a fragment sets for the steps after it.
#[derive(Debug, Clone)]
pub struct Give {
    pub name: String,
    pub description: String,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub struct RequestStep {
    pub method: String,
    pub url: Template,
    pub headers: Vec<(String, Node)>,
    pub query: Vec<(String, Node)>,
    pub body: Option<Body>,
    pub expect: Expect,
    pub capture: Vec<Capture>,
    pub retry: Option<Retry>,
    pub timeout: Option<Duration>,
    pub poll: Option<Poll>,
    /// Whether the engine adds the target's PoS headers (token, version, VAT). Default true.
    pub target_headers: bool,
}

#[derive(Debug, Clone)]
pub enum Body {
    /// A JSON document; strings that are exactly one `{{var}}` keep the variable's JSON type.
    Json(Node),
    /// Raw text, sent as is (after rendering).
    Text(Template),
    /// `application/x-www-form-urlencoded` fields.
    Form(Vec<(String, Node)>),
}

/// What the response must satisfy.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub status: Option<Check>,
    pub headers: Vec<(String, Check)>,
    /// JSONPath → matcher over the response body.
    pub json: Vec<(String, Check)>,
    /// A matcher over the whole body text.
    pub body: Option<Check>,
    pub schema: Option<SchemaRef>,
}

impl Expect {
    pub fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.headers.is_empty()
            && self.json.is_empty()
            && self.body.is_none()
            && self.schema.is_none()
    }
}

#[derive(Debug, Clone)]
pub enum SchemaRef {
    /// A PoS v10 response component shipped with the engine, e.g. `QueryPaymentResponse`.
    Named(String),
    /// A JSON Schema file, relative to the case file.
    File(PathBuf),
}

/// One matcher with where it is written, so a failure can point at it.
#[derive(Debug, Clone)]
pub struct Check {
    pub matcher: Matcher,
    pub pos: Pos,
}

/// The matchers of the language. A literal means equality; a map of operators means all of them.
#[derive(Debug, Clone)]
pub enum Matcher {
    Eq(Node),
    Ne(Node),
    Gt(Node),
    Gte(Node),
    Lt(Node),
    Lte(Node),
    In(Node),
    NotIn(Node),
    /// A regular expression (validated at load time when it has no template).
    Matches(Template),
    Contains(Node),
    Exists(bool),
    Type(JsonType),
    Len(Box<Check>),
    All(Vec<Check>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
    Null,
}

impl JsonType {
    pub fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Object => "object",
            JsonType::Array => "array",
            JsonType::Null => "null",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Capture {
    pub name: String,
    pub source: CaptureSource,
    pub secret: bool,
    /// Used when the source finds nothing; without it, finding nothing fails the step.
    pub default: Option<Node>,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub enum CaptureSource {
    JsonPath(String),
    Header(String),
    /// A regex over the body; the first group (or the whole match).
    Regex(String),
    Status,
    Body,
}

/// Transport faults a request may be retried on. Assertion failures and 4xx never are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RetryOn {
    Timeout,
    Connection,
    #[serde(rename = "5xx")]
    ServerError,
}

#[derive(Debug, Clone)]
pub struct Retry {
    /// Total attempts including the first.
    pub attempts: u32,
    pub on: Vec<RetryOn>,
    pub delay: Duration,
}

#[derive(Debug, Clone)]
pub struct Poll {
    /// Every check must hold for the poll to succeed. Keys are JSONPaths or `status`.
    pub until: Vec<(String, Check)>,
    /// Any of these holding ends the poll at once as failed (a terminal state was reached).
    pub abort_if: Vec<(String, Check)>,
    pub interval: PollInterval,
    pub timeout: Duration,
    pub max_attempts: Option<u32>,
}

#[derive(Debug, Clone)]
pub enum PollInterval {
    Fixed(Duration),
    /// Read from the last response (e.g. `$.pollDelayInMs`, in ms), with a fallback.
    FromResponse {
        path: String,
        fallback: Duration,
    },
}

#[derive(Debug, Clone)]
pub struct OperatorStep {
    pub role: Role,
    pub action: String,
    pub params: Vec<(String, Node)>,
    pub prompt: Option<Template>,
    pub inputs: Vec<Input>,
    pub timeout: Duration,
    /// What the reference client (or the simulated customer) does for this action.
    pub automate: Vec<Step>,
    /// A poll that completes the action by itself once the API shows the expected state.
    pub watch: Option<Box<RequestStep>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Cashier,
    Customer,
}

#[derive(Debug, Clone)]
pub struct Input {
    pub name: String,
    pub label: Option<String>,
    pub kind: InputKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Text,
    Number,
    Secret,
}

#[derive(Debug, Clone)]
pub struct ExecStep {
    pub command: Template,
    pub args: Vec<Template>,
    pub timeout: Option<Duration>,
    /// Expected exit code; default 0.
    pub exit_code: i32,
    /// Captures from stdout parsed as JSON.
    pub capture: Vec<Capture>,
}

#[derive(Debug, Clone)]
pub struct AssertStep {
    /// Variable path (dotted, e.g. `payment.status`) → matcher.
    pub vars: Vec<(String, Check)>,
    pub journal: Option<JournalAssert>,
}

/// A judgement over the emulator's request journal.
#[derive(Debug, Clone)]
pub struct JournalAssert {
    pub method: Option<Template>,
    pub path: Option<Template>,
    pub path_prefix: Option<Template>,
    pub body_contains: Option<Template>,
    /// Only requests whose query string contains this text (e.g. `posId={{posId}}`).
    pub query_contains: Option<Template>,
    /// Number of matching requests.
    pub count: Option<Check>,
    /// Entry JSONPath → matcher, for every matching request.
    pub each: Vec<(String, Check)>,
    /// Entry JSONPaths whose value must be the same in every matching request.
    pub same: Vec<String>,
    /// Minimum gap between consecutive matching requests.
    pub min_interval: Option<MinInterval>,
    /// No matching request may come after the first whose entry matches these.
    pub none_after: Vec<(String, Check)>,
    /// A message for the integrator when the judgement fails ("your client ...").
    pub explain: Option<String>,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub enum MinInterval {
    Fixed(Duration),
    /// Each gap must be at least the previous response's field (ms), e.g. `pollDelayInMs`.
    FromResponse(String),
}

impl Step {
    /// Adds to `out` the fragments this step uses, directly or through other fragments or
    /// `automate` steps (what a case's digest and its plan take from the fragment files).
    pub fn collect_fragments(&self, out: &mut Vec<PathBuf>) {
        match &self.action {
            Action::Use(u) => {
                out.push(u.fragment.clone());
                for s in u.steps.iter() {
                    s.collect_fragments(out);
                }
            }
            Action::Operator(op) => {
                for s in &op.automate {
                    s.collect_fragments(out);
                }
            }
            _ => {}
        }
    }
}

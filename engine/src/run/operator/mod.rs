//! Who plays the POS client and the customer in an `operator` step:
//! - the reference client (the engine runs the step's `automate` steps),
//! - the integrator's adapter harness (JSON lines over stdin/stdout, see `adapter.rs`),
//! - a person at the till (a prompt on the terminal, see `prompt.rs`),
//!
//! and for the customer: the simulated user (the `automate` steps call the user-simulation API)
//! or a person with the MobilePay test app.

pub mod adapter;
pub mod answers;
pub mod prompt;
pub mod terminal;
pub mod watch;

use crate::run::error::{Ran, StepError, StepResult};
use crate::run::result::{OperatorActor, OperatorOutcome, OperatorReport, Phase, StepReport};
use crate::run::{CustomerMode, RunContext, Scope};
use crate::scenario::model::{ClientMode, OperatorStep, Role, Step};
use crate::template::Renderer;
use serde_json::{Map, Value};
use std::time::Instant;

/// The reference client's own request timeout (ms): ours to choose, short so the onboarding
/// fault cases stay fast against the emulator.
pub const REFERENCE_CLIENT_TIMEOUT_MS: u64 = 400;
/// The timeout MobilePay prescribes for POST/DELETE (notes §2.4); real clients use it.
pub const DOCUMENTED_CLIENT_TIMEOUT_MS: u64 = 2000;

/// Operator settings for the run.
#[derive(Debug, Clone, Default)]
pub struct OperatorConfig {
    /// Is a person at a terminal? False in CI or when stdin is not a TTY.
    pub interactive: bool,
    /// `--adapter CMD`: the integrator's harness, started once per case (`--client adapter`).
    pub adapter_command: Option<String>,
    /// `--answers FILE`: pre-answered prompts by case and step.
    pub answers: Option<std::sync::Arc<answers::Answers>>,
    /// Colour in the terminal prompt (the CLI decides: NO_COLOR turns it off).
    pub prompt_color: bool,
}

/// Who performs this action in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    /// The engine runs `automate` (reference client, or simulated customer).
    Automation,
    /// The integrator's harness process (`--client adapter`).
    Adapter,
    /// A person: prompted on a terminal, pre-answered from `--answers`, or nobody (unattended).
    Person,
}

fn actor_for(ctx: &RunContext, op: &OperatorStep) -> Actor {
    match op.role {
        Role::Cashier => match ctx.options.client_mode {
            ClientMode::Reference => Actor::Automation,
            ClientMode::Adapter => Actor::Adapter,
            ClientMode::Operator => Actor::Person,
        },
        Role::Customer => match ctx.options.customer_mode {
            CustomerMode::Simulated => Actor::Automation,
            CustomerMode::Human => Actor::Person,
        },
    }
}

/// What an executor (reference automation, adapter, prompt, answers file, nobody) hands back:
/// who acted, how it ended, what it reported, and the step's result. [`perform`] records it in
/// one place, so no executor stores the record or shapes the failure itself.
pub struct Performed {
    pub actor: OperatorActor,
    pub outcome: OperatorOutcome,
    pub values: Map<String, Value>,
    pub message: Option<String>,
    pub result: StepResult,
}

impl Performed {
    pub fn done(actor: OperatorActor, values: Map<String, Value>, message: Option<String>) -> Self {
        Performed {
            actor,
            outcome: OperatorOutcome::Done,
            values,
            message,
            result: Ok(Ran::Done),
        }
    }

    /// Failed (or, for [`StepError::Timeout`], timed out); the record carries the error's text.
    pub fn failed(actor: OperatorActor, error: StepError) -> Self {
        let outcome = match error {
            StepError::Timeout { .. } => OperatorOutcome::Timeout,
            _ => OperatorOutcome::Failed,
        };
        let message = match &error {
            StepError::Template { message, .. }
            | StepError::Configuration { message, .. }
            | StepError::Timeout { message, .. }
            | StepError::Operator { message, .. }
            | StepError::Check { message, .. } => Some(message.clone()),
            _ => None,
        };
        Performed {
            actor,
            outcome,
            values: Map::new(),
            message,
            result: Err(error),
        }
    }

    pub fn skipped(actor: OperatorActor, reason: String) -> Self {
        Performed {
            actor,
            outcome: OperatorOutcome::Skipped,
            values: Map::new(),
            message: None,
            result: Ok(Ran::Skipped(reason)),
        }
    }

    pub fn interrupted(actor: OperatorActor, why: Option<&str>) -> Self {
        Performed {
            actor,
            outcome: OperatorOutcome::Interrupted,
            values: Map::new(),
            message: why.map(str::to_string),
            result: Err(StepError::Interrupted),
        }
    }

    /// Keeps the values and message already gathered (e.g. an adapter's answer) on a failure.
    pub fn with_report(mut self, values: Map<String, Value>, message: Option<String>) -> Self {
        self.values = values;
        self.message = message.or(self.message);
        self
    }
}

pub async fn perform(
    ctx: &RunContext,
    step: &Step,
    op: &OperatorStep,
    phase: Phase,
    scope: &mut Scope,
    report: &mut StepReport,
) -> StepResult {
    let start = Instant::now();
    let renderer = Renderer::global();
    let prompt = op
        .prompt
        .as_ref()
        .and_then(|p| renderer.render_str(&p.text, scope.as_value()).ok());
    let performed = match actor_for(ctx, op) {
        Actor::Automation if !op.automate.is_empty() => {
            automate(ctx, op, phase, scope, report).await
        }
        Actor::Adapter => adapter::perform(ctx, op, phase, scope).await,
        _ => {
            let answer = ctx
                .options
                .operator
                .answers
                .as_ref()
                .and_then(|a| a.find(scope, &step.name));
            if let Some(answer) = answer {
                answers::apply(ctx, op, answer, scope)
            } else if ctx.options.operator.interactive {
                prompt::perform(ctx, step, op, scope, report, prompt.as_deref(), start).await
            } else {
                unattended(op, prompt.as_deref())
            }
        }
    };
    report.operator = Some(OperatorReport {
        role: match op.role {
            Role::Cashier => "cashier".into(),
            Role::Customer => "customer".into(),
        },
        action: op.action.clone(),
        actor: performed.actor,
        outcome: performed.outcome,
        values: performed.values,
        wait_ms: start.elapsed().as_secs_f64() * 1000.0,
        message: performed.message,
        prompt,
    });
    performed.result
}

/// The engine plays the part: the reference client or the simulated customer runs `automate`.
async fn automate(
    ctx: &RunContext,
    op: &OperatorStep,
    phase: Phase,
    scope: &mut Scope,
    report: &mut StepReport,
) -> Performed {
    let actor = match op.role {
        Role::Customer => OperatorActor::Simulated,
        Role::Cashier => OperatorActor::Reference,
    };
    let was_client = scope.acting_as_client;
    scope.acting_as_client = op.role == Role::Cashier;
    let children = crate::run::step_runner::run_steps(ctx, &op.automate, phase, scope).await;
    scope.acting_as_client = was_client;
    let failure = crate::run::step_runner::first_failure(&children);
    report.children = children;
    match failure {
        Some(f) => Performed {
            outcome: OperatorOutcome::Failed,
            ..Performed::failed(actor, StepError::Nested(f))
        },
        None => Performed::done(actor, Map::new(), None),
    }
}

/// Nobody can perform it: fail at once rather than block the run.
fn unattended(op: &OperatorStep, prompt: Option<&str>) -> Performed {
    let (role, hint) = match op.role {
        Role::Cashier => ("cashier", "run with --client adapter --adapter CMD, or add `automate` steps and use --client reference"),
        Role::Customer => ("customer", "use --customer simulated with `automate` steps that call the user-simulation API"),
    };
    let message = format!(
        "operator action needed but running unattended: the {role} must `{}`{}; {hint}",
        op.action,
        prompt
            .map(|p| format!(" (\"{}\")", p.trim()))
            .unwrap_or_default()
    );
    Performed::failed(OperatorActor::Unattended, StepError::operator(message))
}

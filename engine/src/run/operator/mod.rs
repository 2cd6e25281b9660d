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

use crate::run::result::{FailureCategory, OperatorReport, Phase, StepReport};
use crate::run::{CustomerMode, RunContext, Scope};
use crate::scenario::model::{ClientMode, OperatorStep, Role, Step};
use crate::template::Renderer;
use serde_json::Map;
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

pub async fn perform(
    ctx: &RunContext,
    step: &Step,
    op: &OperatorStep,
    phase: Phase,
    scope: &mut Scope,
    report: &mut StepReport,
) {
    let start = Instant::now();
    let renderer = Renderer::global();
    let prompt = op
        .prompt
        .as_ref()
        .and_then(|p| renderer.render_str(&p.text, scope.as_value()).ok());
    let role = match op.role {
        Role::Cashier => "cashier",
        Role::Customer => "customer",
    };
    let mut record = OperatorReport {
        role: role.into(),
        action: op.action.clone(),
        actor: String::new(),
        outcome: String::new(),
        values: Map::new(),
        wait_ms: 0.0,
        message: None,
        prompt: prompt.clone(),
    };
    let actor = actor_for(ctx, op);
    if actor == Actor::Automation && !op.automate.is_empty() {
        record.actor = if op.role == Role::Customer {
            "simulated".into()
        } else {
            "reference".into()
        };
        let was_client = scope.acting_as_client;
        scope.acting_as_client = op.role == Role::Cashier;
        let children = crate::run::step_runner::run_steps(ctx, &op.automate, phase, scope).await;
        scope.acting_as_client = was_client;
        let failure = crate::run::step_runner::first_failure(&children);
        report.children = children;
        record.outcome = if failure.is_some() {
            "failed".into()
        } else {
            "done".into()
        };
        record.wait_ms = start.elapsed().as_secs_f64() * 1000.0;
        report.operator = Some(record);
        if let Some(f) = failure {
            crate::run::step_runner::fail(report, f);
        }
        return;
    }
    if actor == Actor::Adapter {
        return adapter::perform(ctx, step, op, phase, scope, report, record, start).await;
    }
    if let Some(answer) = ctx
        .options
        .operator
        .answers
        .as_ref()
        .and_then(|a| a.find(scope, &step.name))
    {
        return answers::apply(ctx, step, op, answer, scope, report, record, start).await;
    }
    if ctx.options.operator.interactive {
        return prompt::perform(ctx, step, op, scope, report, record, start).await;
    }
    // Nobody can perform it: fail at once rather than block the run.
    record.actor = "unattended".into();
    record.outcome = "failed".into();
    let hint = match op.role {
        Role::Cashier => "run with --client adapter --adapter CMD, or add `automate` steps and use --client reference",
        Role::Customer => "use --customer simulated with `automate` steps that call the user-simulation API",
    };
    let message = format!(
        "operator action needed but running unattended: the {role} must `{}`{}; {hint}",
        op.action,
        prompt
            .as_ref()
            .map(|p| format!(" (\"{}\")", p.trim()))
            .unwrap_or_default()
    );
    record.message = Some(message.clone());
    report.operator = Some(record);
    crate::run::step_runner::fail(
        report,
        crate::run::step_runner::failure_at(
            &step.location,
            None,
            FailureCategory::Operator,
            message,
        ),
    );
}

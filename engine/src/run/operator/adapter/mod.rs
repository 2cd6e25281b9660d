//! `--client adapter`: the integrator's harness performs cashier actions over JSON lines
//! (DESIGN.md, "Operator actions and the adapter protocol"; docs/adapter-protocol.md).
//!
//! One harness process per case ([`process`]): started at the case's first cashier action, kept
//! in the case's scope, stopped when the case ends. Each cashier action is one request line and
//! one answer line with the same `id`. Whatever the harness does wrong (exits, writes garbage,
//! answers another id, stays silent past the step's timeout) fails the one case with a message
//! that names the problem, never the run. This file turns an action into a request and the
//! answer into the step's result.

pub mod process;

pub use process::{kill_all_now, AdapterProcess, GRACE_PERIOD, STDERR_TAIL_LINES};

use super::Performed;
use crate::run::error::StepError;
use crate::run::result::{OperatorActor, OperatorOutcome, Phase};
use crate::run::{RunContext, Scope};
use crate::scenario::model::OperatorStep;
use crate::template::Renderer;
use process::{CallError, Outcome};
use serde_json::{json, Map, Value};

/// The `target` object: where the API is and how to authenticate, as the harness needs it.
fn target_object(ctx: &RunContext, scope: &Scope) -> Value {
    let t = &ctx.http.target;
    let (client_id, client_secret) = t
        .credentials
        .as_ref()
        .map(|c| (c.client_id.clone(), c.client_secret.clone()))
        .unwrap_or_default();
    let mut target = json!({
        "baseUrl": t.pos_base_url,
        "tokenUrl": t.token_url,
        "clientId": client_id,
        // The harness is the client being certified: it needs the secret to get its token.
        // The redactor knows it, so it never reaches a report.
        "clientSecret": client_secret,
        "merchantVat": t.merchant_vat,
        "clientVersion": t.client_version,
        "userSimulationUrl": t.user_simulation_url,
    });
    // The POST/DELETE timeout the case's faults are calibrated against (faultDelayMs beats it).
    if let Some(ms) = scope.get("clientTimeoutMs").filter(|v| v.is_number()) {
        target["clientTimeoutMs"] = ms.clone();
    }
    target
}

/// The case's scalar variables (posId, beaconId, storeId, orderId, paymentId...).
fn scalar_vars(scope: &Scope) -> Map<String, Value> {
    match scope.as_value() {
        Value::Object(m) => m
            .iter()
            .filter(|(_, v)| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Map::new(),
    }
}

/// Asks the case's harness to perform the action (starting the harness at the case's first
/// cashier action) and reads its answer.
pub async fn perform(
    ctx: &RunContext,
    op: &OperatorStep,
    phase: Phase,
    scope: &mut Scope,
) -> Performed {
    const ACTOR: OperatorActor = OperatorActor::Adapter;
    let renderer = Renderer::global();
    let mut params = Map::new();
    for (name, node) in &op.params {
        match renderer.render_node(node, scope.as_value()) {
            Ok(v) => params.insert(name.clone(), v),
            Err(e) => {
                let error = StepError::template(node.pos, format!("params.{name}: {e}"));
                return Performed::failed(ACTOR, error);
            }
        };
    }
    if ctx.options.dry_run {
        let would = format!(
            "dry run: would ask the adapter to {} with {}",
            op.action,
            Value::Object(params)
        );
        return Performed::skipped(ACTOR, would);
    }
    let Some(command) = ctx.options.operator.adapter_command.as_deref() else {
        let error = StepError::configuration(
            None,
            "--client adapter needs --adapter CMD (the command that starts your harness)",
        );
        return Performed::failed(ACTOR, error);
    };
    if scope.adapter.is_none() {
        match AdapterProcess::start(command) {
            Ok(p) => scope.adapter = Some(p),
            Err(message) => {
                return Performed::failed(ACTOR, StepError::configuration(None, message))
            }
        }
    }

    let mut request = Map::new();
    request.insert("action".into(), json!(op.action));
    request.insert("role".into(), json!("cashier"));
    request.insert("params".into(), Value::Object(params));
    request.insert("target".into(), target_object(ctx, scope));
    request.insert("vars".into(), Value::Object(scalar_vars(scope)));

    // In `finally` the run may already be cancelled, and clean-up must still happen.
    let cancel = (phase != Phase::Finally).then(|| ctx.cancel.as_ref());
    let result = match scope.adapter.as_mut() {
        Some(adapter) => adapter.call(&op.action, request, op.timeout, cancel).await,
        None => Err(CallError::Broken("the adapter is not running".into())),
    };
    let answer = match result {
        Ok(a) => a,
        Err(CallError::Interrupted) => return Performed::interrupted(ACTOR, None),
        Err(CallError::Timeout(message)) => {
            // A silent harness is the client failing its action (an operator failure), though
            // the record says it timed out.
            return Performed {
                outcome: OperatorOutcome::Timeout,
                ..Performed::failed(ACTOR, StepError::operator(message))
            };
        }
        Err(CallError::Broken(message)) => {
            return Performed::failed(ACTOR, StepError::operator(message))
        }
    };

    match answer.outcome {
        Outcome::Done => {
            let missing: Vec<&str> = crate::scenario::catalogue::find(op.role, &op.action)
                .map(|spec| {
                    spec.returns
                        .iter()
                        .copied()
                        .filter(|r| !answer.values.contains_key(*r))
                        .collect()
                })
                .unwrap_or_default();
            for (k, v) in &answer.values {
                scope.set(k, v.clone());
            }
            if missing.is_empty() {
                return Performed::done(ACTOR, answer.values, answer.message);
            }
            let error = StepError::operator(format!(
                "the adapter answered {} done without {} in `values` (the catalogue says {} returns {})",
                op.action,
                missing.join(", "),
                op.action,
                missing.join(", ")
            ));
            Performed {
                outcome: OperatorOutcome::Done,
                ..Performed::failed(ACTOR, error)
            }
            .with_report(answer.values, answer.message)
        }
        Outcome::Failed => {
            let error = StepError::operator(format!(
                "the client reported that {} failed: {}",
                op.action,
                answer
                    .message
                    .as_deref()
                    .filter(|m| !m.trim().is_empty())
                    .unwrap_or("the adapter said `failed` and gave no message")
            ));
            Performed::failed(ACTOR, error).with_report(answer.values, answer.message)
        }
        Outcome::Skipped => {
            let reason = format!(
                "the adapter skipped {}: {}",
                op.action,
                answer
                    .message
                    .as_deref()
                    .filter(|m| !m.trim().is_empty())
                    .unwrap_or("no reason given")
            );
            Performed::skipped(ACTOR, reason).with_report(answer.values, answer.message)
        }
    }
}

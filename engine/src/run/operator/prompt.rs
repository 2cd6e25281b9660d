//! `--client operator` / `--customer human` on a terminal: a person performs the action.
//!
//! Four things race, and the first to finish decides the step:
//! - the person answers the dialogue (`terminal.rs`, on a blocking thread): done, failed, skipped;
//! - the step's `watch` sees the expected state: done by "watch", no key needed;
//! - the step's `timeout` passes: the step fails;
//! - the run is interrupted (Ctrl-C as a key in the dialogue, or SIGINT): the step is skipped as
//!   interrupted, so `finally` runs and the reports are written.
//!
//! Whatever wins, a dialogue that is showing is dismissed and awaited before the step ends, so the
//! terminal is back to normal before anything else prints. One dialogue owns the terminal at a
//! time (cases run in parallel); a case waiting for it still watches and counts down.

use super::terminal::{self, Answer, Control, Outcome, Question, Reply, Screen};
use super::watch;
use super::Performed;
use crate::run::error::StepError;
use crate::run::result::{OperatorActor, StepReport};
use crate::run::{RunContext, Scope};
use crate::scenario::model::{OperatorStep, Role, Step};
use crate::template::Renderer;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// The terminal belongs to one dialogue at a time.
static TERMINAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How the race ended.
enum Ending {
    Reply(Reply),
    Watch(Box<StepReport>),
    Timeout,
    Interrupted,
}

pub async fn perform(
    ctx: &RunContext,
    step: &Step,
    op: &OperatorStep,
    scope: &mut Scope,
    report: &mut StepReport,
    prompt: Option<&str>,
    start: Instant,
) -> Performed {
    const ACTOR: OperatorActor = OperatorActor::Person;
    if ctx.cancel.is_cancelled() {
        // Ctrl-C already asked to stop: nobody is going to do this (not even in `finally`).
        let why = "the run was interrupted before this step";
        return Performed::interrupted(ACTOR, Some(why));
    }
    if ctx.options.dry_run {
        return Performed::skipped(ACTOR, "dry run: the operator was not prompted".into());
    }
    let params = match render_params(op, scope) {
        Ok(p) => p,
        Err((pos, message)) => return Performed::failed(ACTOR, StepError::template(pos, message)),
    };
    let deadline = start + op.timeout;
    let watch_step = op.watch.as_ref().map(|w| watch::step_for(step, w));
    let screen = Screen {
        header: ctx.http.redactor.redact(&header(
            step,
            op,
            &params,
            prompt,
            watch_step.as_ref(),
            scope,
        )),
        questions: op
            .inputs
            .iter()
            .map(|i| Question {
                name: i.name.clone(),
                label: i.label.clone().unwrap_or_else(|| i.name.clone()),
                kind: i.kind,
            })
            .collect(),
        deadline,
        redactor: ctx.http.redactor.clone(),
        color: ctx.options.operator.prompt_color,
    };
    let control = Arc::new(Control::default());
    let showing = Arc::new(AtomicBool::new(false));
    let phase = report.phase;
    let mut watch_gave_up = None;

    let ending = {
        let dialogue = dialogue(ctx, screen, control.clone(), showing.clone());
        tokio::pin!(dialogue);
        let watching = async {
            match &watch_step {
                Some(w) => watch::run(ctx, w, phase, scope).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(watching);
        let mut watch_running = watch_step.is_some();
        let ending = loop {
            tokio::select! {
                biased;
                _ = ctx.cancel.cancelled() => break Ending::Interrupted,
                reply = &mut dialogue => break Ending::Reply(reply),
                w = &mut watching, if watch_running => {
                    if watch::succeeded(&w) {
                        break Ending::Watch(Box::new(w));
                    }
                    // The watch is a convenience: when it gives up, the person still decides.
                    control.notice(format!(
                        "the watch stopped without seeing it ({}); answer when the action is finished",
                        watch::why_stopped(&w)
                    ));
                    watch_running = false;
                    watch_gave_up = Some(w);
                }
                _ = tokio::time::sleep_until(deadline.into()) => break Ending::Timeout,
            }
        };
        if !matches!(ending, Ending::Reply(_)) && showing.load(Ordering::SeqCst) {
            control.stop(match &ending {
                Ending::Watch(_) => "the watch saw the action happen: done, no key needed",
                Ending::Timeout => "time is up",
                _ => "interrupted: stopping the run; finally steps run and reports are written",
            });
            // Wait for the dialogue to hand the terminal back (it looks every 100 ms).
            let _ = (&mut dialogue).await;
        }
        ending
    };
    if let Some(w) = watch_gave_up {
        report.children.push(w);
    }
    let wait = human_duration(op.timeout);
    match ending {
        Ending::Reply(Reply::Answered {
            answers,
            outcome,
            reason,
        }) => conclude(ctx, op, scope, ACTOR, outcome, answers, reason),
        Ending::Reply(Reply::Interrupted) => {
            ctx.cancel.cancel();
            Performed::interrupted(ACTOR, Some("Ctrl-C during the prompt"))
        }
        Ending::Interrupted | Ending::Reply(Reply::Dismissed) => {
            Performed::interrupted(ACTOR, Some("Ctrl-C during the prompt"))
        }
        Ending::Timeout | Ending::Reply(Reply::TimedOut) => {
            let message = format!(
                "the operator did not finish `{}` within {wait}{}",
                op.action,
                if op.watch.is_some() {
                    ", and the watch did not see it happen"
                } else {
                    ""
                }
            );
            Performed::failed(ACTOR, StepError::Timeout { pos: None, message })
        }
        Ending::Reply(Reply::Unavailable(e)) => {
            let message = format!(
                "cannot prompt the operator for `{}` on this terminal: {e}",
                op.action
            );
            Performed::failed(ACTOR, StepError::operator(message))
        }
        Ending::Watch(w) => {
            let values = w
                .captures
                .iter()
                .map(|c| (c.name.clone(), c.value.clone()))
                .collect();
            report.children.push(*w);
            let message = "the watch saw the expected state; no key was pressed";
            Performed::done(OperatorActor::Watch, values, Some(message.into()))
        }
    }
}

/// Owns the terminal for one dialogue: waits its turn, quiets the progress bar, runs the
/// blocking dialogue, and gives everything back.
async fn dialogue(
    ctx: &RunContext,
    screen: Screen,
    control: Arc<Control>,
    showing: Arc<AtomicBool>,
) -> Reply {
    let _turn = TERMINAL.lock().await;
    showing.store(true, Ordering::SeqCst);
    let _quiet = Quiet::new(ctx);
    let handle = tokio::task::spawn_blocking(move || terminal::ask(&screen, &control));
    let reply = handle
        .await
        .unwrap_or_else(|e| Reply::Unavailable(format!("the prompt stopped unexpectedly: {e}")));
    showing.store(false, Ordering::SeqCst);
    reply
}

/// The console's progress bar stays off the terminal while a dialogue shows.
struct Quiet<'a>(&'a RunContext);

impl<'a> Quiet<'a> {
    fn new(ctx: &'a RunContext) -> Self {
        ctx.progress.pause(true);
        Quiet(ctx)
    }
}

impl Drop for Quiet<'_> {
    fn drop(&mut self) {
        self.0.progress.pause(false);
    }
}

/// What a person (at the terminal or through `--answers`) reported: values become case
/// variables (secret ones registered with the redactor and shown as `***`), `failed` fails the
/// step as a verdict on the client, `skipped` skips it as not applicable.
pub(super) fn conclude(
    ctx: &RunContext,
    op: &OperatorStep,
    scope: &mut Scope,
    actor: OperatorActor,
    outcome: Outcome,
    answers: Vec<Answer>,
    reason: Option<String>,
) -> Performed {
    let mut values = serde_json::Map::new();
    for a in answers {
        if a.secret {
            match &a.value {
                Value::String(s) => ctx.http.redactor.add(s),
                other => ctx.http.redactor.add(&other.to_string()),
            };
        }
        values.insert(
            a.name.clone(),
            if a.secret {
                Value::String(crate::redact::MASK.into())
            } else {
                a.value.clone()
            },
        );
        scope.set(&a.name, a.value);
    }
    let because = reason
        .as_ref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    match outcome {
        Outcome::Done => Performed::done(actor, values, reason),
        Outcome::Failed => {
            // The person's word is a verdict on the client, like a failed assertion.
            let error = StepError::Check {
                pos: None,
                message: format!("the operator reported that `{}` failed{because}", op.action),
                expected: None,
                actual: None,
            };
            Performed::failed(actor, error).with_report(values, reason)
        }
        Outcome::Skipped => {
            let why = format!(
                "the operator skipped `{}` as not applicable{because}",
                op.action
            );
            Performed::skipped(actor, why).with_report(values, reason)
        }
    }
}

type Params = Vec<(String, Value)>;

fn render_params(
    op: &OperatorStep,
    scope: &Scope,
) -> Result<Params, (crate::scenario::yaml::Pos, String)> {
    let r = Renderer::global();
    op.params
        .iter()
        .map(|(name, node)| {
            r.render_node(node, scope.as_value())
                .map(|v| (name.clone(), v))
                .map_err(|e| (node.pos, format!("params {name}: {e}")))
        })
        .collect()
}

/// The instructions block: which case and step, what to do, with what, and for how long.
fn header(
    step: &Step,
    op: &OperatorStep,
    params: &Params,
    prompt: Option<&str>,
    watch_step: Option<&Step>,
    scope: &Scope,
) -> String {
    let text = |name: &str| {
        scope
            .get(name)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let role = match op.role {
        Role::Cashier => "cashier",
        Role::Customer => "customer",
    };
    let mut out = format!(
        "== operator action: {role} `{}` ==\ncase:    {} ({})\nstep:    {} ({})\n",
        op.action,
        text("caseName"),
        text("caseId"),
        step.name,
        step.location
    );
    if let Some(p) = prompt.map(str::trim).filter(|p| !p.is_empty()) {
        out.push('\n');
        for line in p.lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
    }
    if let Some(spec) = crate::scenario::catalogue::find(op.role, &op.action) {
        let then = match op.role {
            Role::Cashier => "then the client",
            Role::Customer => "that is:",
        };
        out.push_str(&format!(
            "action:  {} ({then} {})\n",
            op.action, spec.summary
        ));
    }
    let shown: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    if !shown.is_empty() {
        out.push_str(&format!("params:  {}\n", shown.join(", ")));
    }
    if op.role == Role::Customer {
        out.push_str(&test_user(params));
    }
    if let Some(w) = watch_step {
        if let crate::scenario::model::Action::Request(req) = &w.action {
            let r = Renderer::global();
            let mut url = r
                .render_str(&req.url.text, scope.as_value())
                .unwrap_or_else(|_| req.url.text.clone());
            let query: Vec<String> = req
                .query
                .iter()
                .map(|(k, node)| {
                    let v = r
                        .render_node_text(node, scope.as_value())
                        .unwrap_or_else(|_| "…".into());
                    format!("{k}={v}")
                })
                .collect();
            if !query.is_empty() {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&query.join("&"));
            }
            out.push_str(&format!(
                "watch:   {} {url}: the step completes by itself once the API shows it\n",
                req.method
            ));
        }
    }
    out.push_str(&format!(
        "time:    {} (Ctrl-C stops the run; finally steps still run)\n",
        human_duration(op.timeout)
    ));
    out
}

/// The sandbox test user to act as, and how to log on in the test app (notes §8.2, §8.3).
fn test_user(params: &Params) -> String {
    let phone = params
        .iter()
        .find(|(k, _)| k == "phoneNumber")
        .and_then(|(_, v)| v.as_str().map(str::to_string).or(Some(v.to_string())))
        .filter(|p| !p.is_empty() && p != "null");
    let mut out = String::new();
    match phone {
        Some(p) => out.push_str(&format!(
            "user:    the test user {p} in the MobilePay sandbox test app\n"
        )),
        None => out.push_str(
            "user:    a sandbox test user (e.g. +4520031801) in the MobilePay sandbox test app\n",
        ),
    }
    out.push_str(
        "app:     log on: \"Log on (existing user)\", the phone number above, SSN (fresh install only) \
         DK 000000-0000 / FI 00000000000, PIN 1234, activation code 123456\n",
    );
    out
}

/// `3m` rather than `180s`: how a person (and the case file) says it.
fn human_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 && secs.is_multiple_of(60) && d.subsec_nanos() == 0 {
        format!("{}m", secs / 60)
    } else {
        crate::scenario::duration::format_duration(d)
    }
}

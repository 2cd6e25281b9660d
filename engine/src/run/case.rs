//! One case: variables, then `setup` (a failure here is an error, not a verdict), `steps` until
//! the first failure, and `finally` always, even after a failure or Ctrl-C.

use super::scope::Scope;
use super::step::{first_failure, run_steps};
use super::RunContext;
use crate::run::result::{
    CaseReport, Failure, FailureCategory, Phase, Status, StepReport, Warning,
};
use crate::scenario::model::Case;
use crate::template::Renderer;
use serde_json::{json, Value};
use std::time::Instant;

pub async fn run_case(ctx: &RunContext, case: &Case) -> CaseReport {
    let started_at = chrono::Utc::now();
    let start = Instant::now();
    let mut steps: Vec<StepReport> = Vec::new();
    let mut failure: Option<Failure> = None;

    let scope = initial_scope(ctx, case);
    let mut scope = match scope {
        Ok(s) => s,
        Err(f) => {
            return finish(case, started_at, start, steps, Some(f));
        }
    };
    // The case's own `when:` / `if:`: a case that does not apply to this run is skipped whole.
    match case_excluded(ctx, case, &scope) {
        Ok(None) => {}
        Ok(Some(reason)) => {
            let mut report = finish(case, started_at, start, steps, None);
            report.status = Status::Skipped;
            report.skip_reason = Some(reason);
            return report;
        }
        Err(f) => return finish(case, started_at, start, steps, Some(f)),
    }

    // setup: any failure is an error of the case, not a verdict on the client.
    let setup = run_steps(ctx, &case.setup, Phase::Setup, &mut scope).await;
    if let Some(mut f) = first_failure(&setup) {
        if f.category == FailureCategory::Assertion {
            f.message = format!("setup failed: {}", f.message);
            f.category = FailureCategory::Configuration;
        }
        failure = Some(f);
    }
    steps.extend(setup);

    if failure.is_none() {
        let main = run_steps(ctx, &case.steps, Phase::Steps, &mut scope).await;
        failure = first_failure(&main);
        steps.extend(main);
    }

    // finally: always, and not cancelled by Ctrl-C (clean-up is what Ctrl-C must not lose).
    scope.interruptible = false;
    let cleanup = run_steps(ctx, &case.finally, Phase::Finally, &mut scope).await;
    if failure.is_none() {
        if let Some(mut f) = first_failure(&cleanup) {
            f.message = format!("clean-up failed: {}", f.message);
            if f.category == FailureCategory::Assertion {
                f.category = FailureCategory::Configuration;
            }
            failure = Some(f);
        }
    }
    steps.extend(cleanup);
    release_pos(ctx, &scope).await;
    if let Some(adapter) = scope.adapter.take() {
        let stderr = adapter.shutdown().await;
        // The harness's log is the integrator's best clue to any failure of the case, not
        // only to a protocol failure: it shows what their client did when the judge objected.
        if let Some(f) = failure.as_mut().filter(|_| !stderr.trim().is_empty()) {
            f.evidence.push("adapter stderr (last lines):".into());
            f.evidence.extend(
                stderr
                    .lines()
                    .rev()
                    .take(40)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .map(str::to_string),
            );
        }
    }

    if failure.is_none()
        && ctx.cancel.is_cancelled()
        && steps
            .iter()
            .any(|s| s.skip_reason.as_deref() == Some(super::step::INTERRUPTED))
    {
        failure = Some(case_failure(
            &case.file.path.display().to_string(),
            FailureCategory::Interrupted,
            "the run was interrupted (Ctrl-C) before this case finished",
        ));
    }
    let mut report = finish(case, started_at, start, steps, failure);
    if ctx.options.dry_run && report.failure.is_none() {
        report.status = Status::Skipped; // nothing was sent, so nothing was judged
    }
    report
}

/// The case is over: the embedded emulator drops its journal entries and, once the PoS is
/// deleted, the PoS's state (`DELETE /_emulator/journal?posId=`), and the entries older than
/// every running case (`before=`, see [`super::JournalMarks`]: token requests and GET /stores
/// name no PoS), so a long run's memory stays flat. Housekeeping, never judged: a failure here
/// changes nothing.
async fn release_pos(ctx: &RunContext, scope: &Scope) {
    let target = &ctx.http.target;
    let (true, Some(control)) = (
        target.release_cases && !ctx.options.dry_run,
        &target.control_url,
    ) else {
        return;
    };
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(pos) = scope.get("posId").and_then(Value::as_str) {
        query.push(("posId", pos.to_string()));
    }
    let low_water = ctx.journal_marks.low_water();
    if low_water > 0 {
        query.push(("before", low_water.to_string()));
    }
    if query.is_empty() {
        return; // no PoS, and no mark learned yet: nothing to release
    }
    let Ok(response) = ctx
        .http
        .inner
        .delete(format!("{control}/journal"))
        .query(&query)
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
    else {
        return;
    };
    // The first release teaches the first mark; without one, no `before=` is ever sent.
    if let Ok(answer) = response.json::<Value>().await {
        if let Some(next) = answer.get("nextSeq").and_then(Value::as_u64) {
            ctx.journal_marks.learned(next);
        }
    }
}

fn finish(
    case: &Case,
    started_at: chrono::DateTime<chrono::Utc>,
    start: Instant,
    steps: Vec<StepReport>,
    failure: Option<Failure>,
) -> CaseReport {
    let all_skipped = !steps.is_empty() && steps.iter().all(|s| s.status == Status::Skipped);
    let status = match &failure {
        Some(f) => f.category.status(),
        None if all_skipped => Status::Skipped,
        None => Status::Passed,
    };
    let mut warnings = Vec::new();
    collect_warnings(&steps, &mut warnings);
    CaseReport {
        failure: failure.map(Box::new),
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: start.elapsed().as_secs_f64() * 1000.0,
        steps,
        warnings,
        ..case_report(case, status)
    }
}

/// Every advisory warning among `steps` and the steps inside them, in the order they ran.
fn collect_warnings(steps: &[StepReport], out: &mut Vec<Warning>) {
    for s in steps {
        collect_warnings(&s.children, out);
        out.extend(s.warning.clone());
    }
}

/// A case's report with its identity and `status`, and nothing run yet.
pub(super) fn case_report(case: &Case, status: Status) -> CaseReport {
    identity_report(
        case.id(),
        &case.name,
        &case.feature,
        case.case_number,
        &case.file.path,
        &case.tags,
        status,
    )
}

/// The same for a planned case (one that did not run, or could not be loaded again).
pub(super) fn planned_report(case: &super::plan::PlannedCase, status: Status) -> CaseReport {
    identity_report(
        case.id(),
        &case.name,
        &case.feature,
        case.case_number,
        &case.file.path,
        &case.tags,
        status,
    )
}

fn identity_report(
    id: String,
    name: &str,
    feature: &str,
    case_number: Option<u32>,
    file: &std::path::Path,
    tags: &[String],
    status: Status,
) -> CaseReport {
    CaseReport {
        id,
        name: name.to_string(),
        feature: feature.to_string(),
        case_number,
        file: file.display().to_string(),
        tags: tags.to_vec(),
        status,
        failure: None,
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: 0.0,
        steps: Vec::new(),
        warnings: Vec::new(),
        skip_reason: None,
        summary: None,
    }
}

/// A failure of the case as a whole (no step to point at): located at the file's start.
pub(super) fn case_failure(file: &str, category: FailureCategory, message: &str) -> Failure {
    Failure {
        category,
        message: message.to_string(),
        expected: None,
        actual: None,
        file: file.to_string(),
        line: 1,
        column: 1,
        step: None,
        evidence: vec![],
    }
}

/// Why the case's own `when:` or `if:` rules it out of this run, if they do.
fn case_excluded(ctx: &RunContext, case: &Case, scope: &Scope) -> Result<Option<String>, Failure> {
    if let Some(reason) = super::step::when_excludes(ctx, &case.when) {
        return Ok(Some(reason));
    }
    let Some(cond) = &case.condition else {
        return Ok(None);
    };
    let renderer = Renderer::global();
    let failure = |pos: crate::scenario::yaml::Pos, what: &str, e: String| Failure {
        category: FailureCategory::Configuration,
        message: format!("{what}: {e}"),
        expected: None,
        actual: None,
        file: case.file.path.display().to_string(),
        line: pos.line,
        column: pos.col,
        step: None,
        evidence: vec![],
    };
    match renderer.render_condition(&cond.text, scope.as_value()) {
        Ok(true) => Ok(None),
        Ok(false) => match &case.skip_reason {
            Some(t) => renderer
                .render_str(&t.text, scope.as_value())
                .map(|r| Some(r.trim().to_string()))
                .map_err(|e| failure(t.pos, "skip_reason", e.to_string())),
            None => Ok(Some(format!("condition `{}` is false", cond.text))),
        },
        Err(e) => Err(failure(cond.pos, "if", e.to_string())),
    }
}

/// The longest POST/DELETE timeout of a client MobilePay certified: [NPR]'s 5 s (notes §2.4).
const CERTIFIED_CLIENT_TIMEOUT_MS: u64 = 5000;

/// Target variables, run-wide values, case `vars` (rendered in order), then `--var` overrides.
fn initial_scope(ctx: &RunContext, case: &Case) -> Result<Scope, Failure> {
    let mut base = ctx.http.target.variables();
    base.insert("env".into(), ctx.env.clone());
    base.insert("clientMode".into(), json!(ctx.options.client_mode));
    base.insert("customerMode".into(), json!(ctx.options.customer_mode));
    base.insert("caseName".into(), json!(case.name));
    base.insert("caseId".into(), json!(case.id()));
    base.insert("feature".into(), json!(case.feature));
    // The timeout a POS client is expected to use, and the delay that beats it (onboarding).
    let client_timeout_ms = if ctx.options.client_mode == crate::scenario::ClientMode::Reference {
        crate::run::operator::REFERENCE_CLIENT_TIMEOUT_MS
    } else {
        crate::run::operator::DOCUMENTED_CLIENT_TIMEOUT_MS
    };
    base.insert("clientTimeoutMs".into(), json!(client_timeout_ms));
    for (k, v) in &ctx.options.cli_vars {
        base.insert(k.clone(), v.clone());
    }
    // The hold that beats the client's timeout: past `clientTimeoutMs` (as given with --var
    // too), and for a real client past 5 s as well, the timeout of a certified client ([NPR],
    // notes §2.4), so that one is judged on its retries, not failed for waiting the hold out.
    if !ctx.options.cli_vars.contains_key("faultDelayMs") {
        let timeout = base
            .get("clientTimeoutMs")
            .and_then(Value::as_u64)
            .unwrap_or(client_timeout_ms);
        let beaten = if ctx.options.client_mode == crate::scenario::ClientMode::Reference {
            timeout
        } else {
            timeout.max(CERTIFIED_CLIENT_TIMEOUT_MS)
        };
        base.insert("faultDelayMs".into(), json!(beaten + 600));
    }
    let mut scope = Scope::new(base);
    let renderer = Renderer::global();
    for (name, node) in &case.vars {
        if ctx.options.cli_vars.contains_key(name) {
            continue; // --var wins over the case's default
        }
        let value: Value = renderer
            .render_node(node, scope.as_value())
            .map_err(|e| Failure {
                category: FailureCategory::Configuration,
                message: format!("var `{name}`: {e}"),
                expected: None,
                actual: None,
                file: case.file.path.display().to_string(),
                line: node.pos.line,
                column: node.pos.col,
                step: None,
                evidence: vec![],
            })?;
        scope.set(name, value);
    }
    Ok(scope)
}

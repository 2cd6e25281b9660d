//! The `assert` step: matchers over variables, and judgements over the emulator's journal.

use super::scope::Scope;
use super::step::{fail, failure_at};
use super::RunContext;
use crate::check::journal::{judge, JournalJudgement, FETCH_TIMEOUT};
use crate::check::matcher::{evaluate, CheckError};
use crate::run::result::{FailureCategory, StepReport};
use crate::scenario::model::{AssertStep, JournalAssert, Step};
use crate::template::Renderer;

pub async fn run_assert(
    ctx: &RunContext,
    step: &Step,
    a: &AssertStep,
    scope: &mut Scope,
    report: &mut StepReport,
) {
    if ctx.options.dry_run {
        // Nothing was sent, so captures are placeholders and there is nothing to judge.
        report.status = crate::run::result::Status::Skipped;
        report.skip_reason = Some("dry run: nothing is judged".into());
        return;
    }
    for (path, check) in &a.vars {
        if let Err(e) = evaluate(path, check, scope.get(path), scope.as_value()) {
            let f = match e {
                CheckError::Failed(f) => {
                    let mut out = failure_at(
                        &step.location,
                        Some(f.pos),
                        FailureCategory::Assertion,
                        f.to_string(),
                    );
                    out.expected = Some(f.expected);
                    out.actual = Some(f.actual);
                    out
                }
                CheckError::Template(t, pos) => failure_at(
                    &step.location,
                    Some(pos),
                    FailureCategory::Configuration,
                    t.to_string(),
                ),
            };
            return fail(report, f);
        }
    }
    if let Some(j) = &a.journal {
        if let Err(f) = journal(ctx, step, j, scope).await {
            fail(report, f);
        }
    }
}

async fn journal(
    ctx: &RunContext,
    step: &Step,
    j: &JournalAssert,
    scope: &Scope,
) -> Result<(), crate::run::result::Failure> {
    let Some(control) = &ctx.http.target.control_url else {
        return Err(failure_at(
            &step.location,
            Some(j.pos),
            FailureCategory::Configuration,
            "a journal assertion needs the emulator; mark the step `when: emulator`",
        ));
    };
    let r = Renderer::global();
    let render = |t: &Option<crate::scenario::model::Template>| -> Result<Option<String>, crate::run::result::Failure> {
        t.as_ref()
            .map(|t| {
                r.render_str(&t.text, scope.as_value())
                    .map_err(|e| failure_at(&step.location, Some(t.pos), FailureCategory::Configuration, e.to_string()))
            })
            .transpose()
    };
    let method = render(&j.method)?;
    let path = render(&j.path)?;
    let prefix = render(&j.path_prefix)?;
    let body_contains = render(&j.body_contains)?;
    let query_contains = render(&j.query_contains)?;
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(m) = &method {
        query.push(("method", m.to_ascii_uppercase()));
    }
    if let Some(p) = &path {
        query.push(("path", p.clone()));
    }
    if let Some(p) = &prefix {
        query.push(("pathPrefix", p.clone()));
    }
    let url = format!("{control}/journal");
    let response = ctx
        .http
        .inner
        .get(&url)
        .query(&query)
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(|e| {
            failure_at(
                &step.location,
                Some(j.pos),
                FailureCategory::Transport,
                format!("cannot read the emulator journal: {e}"),
            )
        })?;
    let doc: serde_json::Value = response.json().await.map_err(|e| {
        failure_at(
            &step.location,
            Some(j.pos),
            FailureCategory::Transport,
            format!("the emulator journal is not JSON: {e}"),
        )
    })?;
    let mut entries: Vec<serde_json::Value> =
        doc["entries"].as_array().cloned().unwrap_or_default();
    // The judge's own requests (the engine checking results) are never what is judged.
    entries.retain(|e| e["headers"]["x-poscert-actor"].as_str() != Some("judge"));
    if let Some(needle) = &query_contains {
        entries.retain(|e| {
            e["query"]
                .as_str()
                .is_some_and(|q| q.contains(needle.as_str()))
        });
    }
    if let Some(needle) = &body_contains {
        entries.retain(|e| {
            e["body"].to_string().contains(needle.as_str())
                || e["body"]
                    .as_str()
                    .is_some_and(|b| b.contains(needle.as_str()))
        });
    }
    let description = format!(
        "{} {}",
        method.as_deref().unwrap_or("any"),
        path.or(prefix.map(|p| format!("{p}*")))
            .unwrap_or_else(|| "*".into())
    );
    let judgement = JournalJudgement {
        description,
        count: j.count.as_ref(),
        each: &j.each,
        same: &j.same,
        min_interval: j.min_interval.as_ref(),
        none_after: &j.none_after,
    };
    judge(&entries, &judgement, scope.as_value()).map_err(|jf| {
        let message = match &j.explain {
            Some(explain) => format!("{explain} ({})", jf.message),
            None => jf.message,
        };
        let mut f = failure_at(
            &step.location,
            Some(j.pos),
            FailureCategory::Assertion,
            message,
        );
        f.evidence = jf.evidence;
        f
    })
}

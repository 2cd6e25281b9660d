//! The `assert` step: matchers over variables, and judgements over the emulator's journal.

use super::error::{Ran, StepError, StepResult};
use super::scope::Scope;
use super::RunContext;
use crate::check::journal::{judge, JournalJudgement, FETCH_TIMEOUT};
use crate::check::matcher::evaluate;
use crate::scenario::model::{AssertStep, JournalAssert, Template};
use crate::template::Renderer;

pub async fn run_assert(ctx: &RunContext, a: &AssertStep, scope: &mut Scope) -> StepResult {
    if ctx.options.dry_run {
        // Nothing was sent, so captures are placeholders and there is nothing to judge.
        return Ok(Ran::Skipped("dry run: nothing is judged".into()));
    }
    for (path, check) in &a.vars {
        evaluate(path, check, scope.get(path), scope.as_value())?;
    }
    if let Some(j) = &a.journal {
        journal(ctx, j, scope).await?;
    }
    Ok(Ran::Done)
}

async fn journal(ctx: &RunContext, j: &JournalAssert, scope: &Scope) -> Result<(), StepError> {
    let Some(control) = &ctx.http.target.control_url else {
        return Err(StepError::configuration(
            Some(j.pos),
            "a journal assertion needs the emulator; mark the step `when: emulator`",
        ));
    };
    let r = Renderer::global();
    let render = |t: &Option<Template>| -> Result<Option<String>, StepError> {
        t.as_ref()
            .map(|t| {
                r.render_str(&t.text, scope.as_value())
                    .map_err(|e| StepError::template(t.pos, e))
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
        .map_err(|e| StepError::Transport {
            pos: Some(j.pos),
            message: format!("cannot read the emulator journal: {e}"),
        })?;
    let doc: serde_json::Value = response.json().await.map_err(|e| StepError::Transport {
        pos: Some(j.pos),
        message: format!("the emulator journal is not JSON: {e}"),
    })?;
    if doc["complete"] == serde_json::Value::Bool(false) {
        // Judging on a journal that misses requests still in flight could pass or fail a client
        // for requests it did not see: no verdict, an error to look at.
        return Err(StepError::Transport {
            pos: Some(j.pos),
            message: format!(
                "the emulator journal was still incomplete when read (requests in flight: {}); nothing was judged",
                doc["inFlight"]
            ),
        });
    }
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
        StepError::Journal {
            pos: j.pos,
            message,
            evidence: jf.evidence,
        }
    })
}

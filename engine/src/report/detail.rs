//! The text that explains a failure, shared by the console, the JUnit `<failure>` body and the
//! failure report: the case, the step, `file:line:col`, expected vs actual, the evidence, and
//! the last request and response.

use crate::run::result::{Attempt, CaseReport, Failure, StepReport};
use crate::scenario::error::render_snippet;
use crate::scenario::yaml::Pos;
use std::path::Path;

/// The step whose failure decided the case (searching into fragments and automate steps).
pub fn failing_step(steps: &[StepReport]) -> Option<&StepReport> {
    for s in steps {
        if s.failure.is_some() {
            return failing_step(&s.children).or(Some(s));
        }
    }
    None
}

pub fn location(f: &Failure) -> String {
    format!("{}:{}:{}", f.file, f.line, f.column)
}

/// The line of YAML that asked for what failed, with a caret under the failing key: the same
/// excerpt load errors show. Empty when the file cannot be read (it moved since the run).
pub fn source_excerpt(f: &Failure) -> String {
    let Ok(source) = std::fs::read_to_string(&f.file) else {
        return String::new();
    };
    let pos = Pos::new(f.line, f.column);
    let rendered = render_snippet("", "", Path::new(&f.file), pos, Some(&source), None);
    // Drop the headline and the `-->` line: the caller prints its own.
    rendered.lines().skip(2).map(|l| format!("{l}\n")).collect()
}

/// Multi-line explanation of a case's failure.
pub fn failure_text(case: &CaseReport) -> String {
    let Some(f) = &case.failure else {
        return String::new();
    };
    let mut out = String::new();
    out.push_str(&format!("{}\n", f.message));
    out.push_str(&format!(
        "  case: {}{}\n",
        case.name,
        case.case_number
            .map(|n| format!(" (case {n})"))
            .unwrap_or_default()
    ));
    if let Some(step) = &f.step {
        out.push_str(&format!("  step: {step}\n"));
    }
    out.push_str(&format!("  at ({})\n", location(f)));
    for line in source_excerpt(f).lines() {
        out.push_str(&format!("  {line}\n"));
    }
    if let Some(e) = &f.expected {
        out.push_str(&format!("  expected: {e}\n"));
    }
    if let Some(a) = &f.actual {
        out.push_str(&format!("  actual:   {a}\n"));
    }
    for line in &f.evidence {
        out.push_str(&format!("  | {line}\n"));
    }
    if let Some(attempt) = failing_step(&case.steps).and_then(|s| s.attempts.last()) {
        out.push_str(&exchange_text(attempt));
    }
    out
}

/// The request and response of one attempt, indented (secrets are redacted by the sink).
pub fn exchange_text(a: &Attempt) -> String {
    let mut out = format!("  > {} {}\n", a.request.method, a.request.url);
    for (k, v) in &a.request.headers {
        out.push_str(&format!("  > {k}: {v}\n"));
    }
    if let Some(b) = &a.request.body {
        out.push_str(&format!("  > {}\n", shorten(b, 600)));
    }
    match (&a.response, &a.error) {
        (Some(r), _) => {
            out.push_str(&format!("  < {}\n", r.status));
            for (k, v) in r
                .headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                out.push_str(&format!("  < {k}: {v}\n"));
            }
            if !r.body.is_empty() {
                out.push_str(&format!("  < {}\n", shorten(&r.body, 1200)));
            }
        }
        (None, Some(e)) => out.push_str(&format!("  ! {e}\n")),
        (None, None) => {}
    }
    out
}

fn shorten(s: &str, max: usize) -> String {
    let one_line = s.replace('\n', " ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        format!("{}…", one_line.chars().take(max).collect::<String>())
    }
}

/// A plain log of every step of a case, for JUnit `system-out`.
pub fn step_log(steps: &[StepReport], depth: usize, out: &mut String) {
    for s in steps {
        let pad = "  ".repeat(depth);
        let status = format!("{:?}", s.status).to_lowercase();
        out.push_str(&format!(
            "{pad}[{status}] {} ({}:{}) {:.0} ms\n",
            s.name, s.file, s.line, s.duration_ms
        ));
        if let Some(r) = &s.skip_reason {
            out.push_str(&format!("{pad}  skipped: {r}\n"));
        }
        if let Some(op) = &s.operator {
            out.push_str(&format!(
                "{pad}  operator: {} {} by {}: {} after {:.0} ms{}\n",
                op.role,
                op.action,
                op.actor,
                op.outcome,
                op.wait_ms,
                op.message
                    .as_ref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ));
            if let Some(p) = &op.prompt {
                out.push_str(&format!("{pad}  prompt: {}\n", p.trim()));
            }
            if !op.values.is_empty() {
                out.push_str(&format!(
                    "{pad}  values: {}\n",
                    serde_json::Value::Object(op.values.clone())
                ));
            }
        }
        for a in &s.attempts {
            out.push_str(&format!(
                "{pad}  #{} {} {} {} -> {}{}\n",
                a.number,
                a.kind,
                a.request.method,
                a.request.url,
                a.response
                    .as_ref()
                    .map(|r| r.status.to_string())
                    .or_else(|| a.error.clone())
                    .unwrap_or_else(|| "-".into()),
                a.note
                    .as_ref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            ));
        }
        for c in &s.captures {
            out.push_str(&format!("{pad}  captured {} = {}\n", c.name, c.value));
        }
        if let Some(f) = &s.failure {
            if s.children.iter().all(|c| c.failure.is_none()) {
                out.push_str(&format!("{pad}  FAILED: {} ({})\n", f.message, location(f)));
            }
        }
        step_log(&s.children, depth + 1, out);
    }
}

/// One line per advisory warning: what did not hold, where, and why it does not fail the case.
pub fn warning_lines(warnings: &[crate::run::result::Warning]) -> Vec<String> {
    warnings
        .iter()
        .map(|w| {
            format!(
                "WARNING (advisory, not failing the case): {} [step: {}; {}:{}:{}; advisory because {}]",
                w.message, w.step, w.file, w.line, w.column, w.because
            )
        })
        .collect()
}

//! The failure report: written instead of a certificate when something did not pass. It lists
//! each failed case and every failed step in it, with the reason and `file:line:col`, so the
//! integrator knows what to fix before trying again (MobilePay's tool: "information of which
//! steps that failed").

use super::certificate::{cell, status_word, CertIdentity, CertTarget};
use crate::run::result::{CaseReport, Failure, LoadErrorReport, RunReport, Status, StepReport};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureReport {
    pub schema_version: u32,
    /// `failed`, or `interrupted` when Ctrl-C stopped the run.
    pub outcome: String,
    pub identity: Option<CertIdentity>,
    pub target: CertTarget,
    pub client_mode: String,
    pub customer_mode: String,
    pub engine_version: String,
    pub written_at: String,
    pub summary: crate::run::result::Summary,
    pub failed_cases: Vec<FailedCase>,
    /// Cases that passed (so the report alone tells the whole story).
    pub passed_cases: Vec<String>,
    pub load_errors: Vec<LoadErrorReport>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedCase {
    pub id: String,
    pub feature: String,
    pub case_number: Option<u32>,
    pub name: String,
    pub file: String,
    /// `failed` (an assertion did not hold), `error` or `skipped`.
    pub status: String,
    pub failed_steps: Vec<FailedStep>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedStep {
    /// The step and the steps it ran inside, outermost first (`Cashier onboards › Create the PoS`).
    pub step: String,
    pub phase: String,
    pub category: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl FailedStep {
    fn from_failure(step: String, phase: String, f: &Failure) -> FailedStep {
        FailedStep {
            step,
            phase,
            category: serde_json::to_value(f.category)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            reason: f.message.clone(),
            expected: f.expected.clone(),
            actual: f.actual.clone(),
            file: f.file.clone(),
            line: f.line,
            column: f.column,
        }
    }
}

/// The innermost failed steps: a fragment or operator step fails *because* a child failed, and
/// the child is where the reason and the line are.
fn failed_steps(steps: &[StepReport], trail: &str, out: &mut Vec<FailedStep>) {
    for s in steps {
        let name = if trail.is_empty() {
            s.name.clone()
        } else {
            format!("{trail} › {}", s.name)
        };
        let before = out.len();
        failed_steps(&s.children, &name, out);
        if out.len() == before {
            if let Some(f) = &s.failure {
                let phase = serde_json::to_value(s.phase)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                out.push(FailedStep::from_failure(name, phase, f));
            }
        }
    }
}

fn failed_case(c: &CaseReport) -> FailedCase {
    let mut steps = Vec::new();
    failed_steps(&c.steps, "", &mut steps);
    // A failure outside any step (interrupted, adapter crashed) is still a reason.
    if steps.is_empty() {
        if let Some(f) = &c.failure {
            steps.push(FailedStep::from_failure(
                f.step.clone().unwrap_or_else(|| "(the case)".into()),
                String::new(),
                f,
            ));
        }
    }
    FailedCase {
        id: c.id.clone(),
        feature: c.feature.clone(),
        case_number: c.case_number,
        name: c.name.clone(),
        file: c.file.clone(),
        status: status_word(c.status).into(),
        failed_steps: steps,
    }
}

impl FailureReport {
    pub fn build(
        report: &RunReport,
        identity: Option<CertIdentity>,
        target: CertTarget,
        written_at: String,
    ) -> FailureReport {
        FailureReport {
            schema_version: 1,
            outcome: if report.interrupted {
                "interrupted".into()
            } else {
                "failed".into()
            },
            identity,
            target,
            client_mode: report.client_mode.clone(),
            customer_mode: report.customer_mode.clone(),
            engine_version: report.engine_version.clone(),
            written_at,
            summary: report.summary.clone(),
            // A run's cases are in its spool: the failed ones are read back whole (their
            // steps), or when that fails as summaries (failed_case says what those know).
            failed_cases: (0..report.case_count())
                .filter(|&i| report.case_status(i).map_or(true, |s| s != Status::Passed))
                .filter_map(|i| match report.full_case(i) {
                    Ok(c) => Some(failed_case(&c)),
                    Err(_) => report.case_summary(i).ok().map(|c| failed_case(&c)),
                })
                .collect(),
            passed_cases: (0..report.case_count())
                .filter(|&i| report.case_status(i).is_ok_and(|s| s == Status::Passed))
                .filter_map(|i| report.case_summary(i).ok().map(|c| c.id.clone()))
                .collect(),
            load_errors: report.load_errors.clone(),
        }
    }

    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let who = self
            .identity
            .as_ref()
            .map(|i| format!("{} {}", i.system_name, i.version))
            .unwrap_or_else(|| "the client".into());
        let headline = if self.outcome == "interrupted" {
            "Certification interrupted"
        } else {
            "Certification failed"
        };
        md.push_str(&format!("# {headline}: {who}\n\n"));
        let s = &self.summary;
        md.push_str(&format!(
            "{} passed, {} failed, {} errors, {} skipped of {} cases against {} ({}), client played by {}, on {}. No certificate was written; fix what is listed below and run again.\n",
            s.passed, s.failed, s.errored, s.skipped, s.total,
            self.target.name, self.target.pos_base_url, self.client_mode, self.written_at
        ));
        if !self.failed_cases.is_empty() {
            md.push_str("\n## Cases that did not pass\n");
        }
        for c in &self.failed_cases {
            md.push_str(&format!(
                "\n### {} case {}: {} ({})\n\nFile: `{}`\n\n",
                c.feature,
                c.case_number.map(|n| n.to_string()).unwrap_or_default(),
                c.name,
                c.status,
                c.file
            ));
            if c.failed_steps.is_empty() {
                md.push_str("- no step failed; the case was not run to the end\n");
            }
            for st in &c.failed_steps {
                md.push_str(&format!(
                    "- **{}** at `{}:{}:{}` ({}{})\n  - {}\n",
                    cell(&st.step),
                    st.file,
                    st.line,
                    st.column,
                    st.category,
                    if st.phase.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", st.phase)
                    },
                    st.reason.replace('\n', "\n    ")
                ));
                if let Some(e) = &st.expected {
                    md.push_str(&format!("  - expected: {}\n", e.replace('\n', " ")));
                }
                if let Some(a) = &st.actual {
                    md.push_str(&format!("  - actual: {}\n", a.replace('\n', " ")));
                }
            }
        }
        if !self.load_errors.is_empty() {
            md.push_str("\n## Files that could not be loaded\n\n");
            for e in &self.load_errors {
                md.push_str(&format!(
                    "- `{}:{}:{}`: {}\n",
                    e.file, e.line, e.column, e.message
                ));
            }
        }
        if !self.passed_cases.is_empty() {
            md.push_str("\n## Cases that passed\n\n");
            for c in &self.passed_cases {
                md.push_str(&format!("- `{c}`\n"));
            }
        }
        md
    }
}

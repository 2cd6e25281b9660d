//! The certificate (Approval step): written only when every selected feature passed. JSON for
//! machines (`schemas/certificate.schema.json`), Markdown for people; both say the same.

use super::digest::FileDigest;
use crate::run::result::{CaseReport, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bumped when the certificate JSON changes incompatibly.
pub const CERTIFICATE_SCHEMA_VERSION: u32 = 1;

/// A certification, or a rehearsal of one (see [`super::Kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The integrator's own client against MobilePay's sandbox.
    Certification,
    /// Anything else: the embedded emulator, a custom URL, an overridden sandbox host, or the
    /// engine's reference client standing in for the integrator's.
    Rehearsal,
}

/// The Identification step's data (notes §7.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertIdentity {
    pub system_name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_sandbox: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_production: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertTarget {
    /// `sandbox`, `emulator`, `custom`.
    pub name: String,
    pub pos_base_url: String,
    pub token_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    pub schema_version: u32,
    pub kind: Kind,
    /// Why this is only a rehearsal (empty for a certification).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rehearsal_reasons: Vec<String>,
    pub identity: CertIdentity,
    pub merchant_vat: String,
    pub target: CertTarget,
    pub client_mode: String,
    pub customer_mode: String,
    pub engine_version: String,
    pub issued_at: String,
    pub run_started_at: String,
    pub run_finished_at: String,
    pub features: Vec<CertFeature>,
    pub files: Vec<FileDigest>,
    pub digest: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertFeature {
    pub id: String,
    pub name: String,
    pub cases: Vec<CertCase>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertCase {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_number: Option<u32>,
    pub name: String,
    pub file: String,
    /// `passed`, or `skipped` for a case that does not apply to this client (`skipReason`).
    pub verdict: String,
    /// Why a case was skipped as a whole (its own `when:`/`if:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    pub steps_passed: usize,
    /// Steps that did not run, with why: checks the target cannot support (the journal against
    /// the sandbox) are listed here so a reader sees what was *not* judged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps_skipped: Vec<SkippedStep>,
    /// Advisory judgements (inferred rules) that did not hold: listed, never failing the case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<CertWarning>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertWarning {
    pub step: String,
    pub message: String,
    pub because: String,
    pub file: String,
    pub line: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedStep {
    pub step: String,
    pub file: String,
    pub line: u32,
    pub reason: String,
}

/// Features in certification order, each with its cases' verdicts.
pub fn features_of<'a>(
    cases: impl IntoIterator<Item = std::io::Result<std::borrow::Cow<'a, CaseReport>>>,
    names: &BTreeMap<String, String>,
) -> std::io::Result<Vec<CertFeature>> {
    let mut out: Vec<CertFeature> = Vec::new();
    for c in cases {
        let c = c?;
        let steps = c.step_summary();
        let case = CertCase {
            id: c.id.clone(),
            case_number: c.case_number,
            name: c.name.clone(),
            file: c.file.clone(),
            verdict: status_word(c.status).to_string(),
            skip_reason: c.skip_reason.clone(),
            steps_passed: steps.passed,
            steps_skipped: steps
                .skipped
                .iter()
                .map(|skipped| {
                    let (step, file, line, reason) = &**skipped;
                    SkippedStep {
                        step: step.clone(),
                        file: file.clone(),
                        line: *line,
                        reason: reason.clone(),
                    }
                })
                .collect(),
            warnings: c
                .warnings
                .iter()
                .map(|w| CertWarning {
                    step: w.step.clone(),
                    message: w.message.clone(),
                    because: w.because.clone(),
                    file: w.file.clone(),
                    line: w.line,
                })
                .collect(),
        };
        match out.iter_mut().find(|f| f.id == c.feature) {
            Some(f) => f.cases.push(case),
            None => out.push(CertFeature {
                id: c.feature.clone(),
                name: names
                    .get(&c.feature)
                    .cloned()
                    .unwrap_or_else(|| c.feature.clone()),
                cases: vec![case],
            }),
        }
    }
    out.sort_by_key(|f| crate::scenario::convert::feature_rank(&f.id));
    Ok(out)
}

impl Certificate {
    pub fn feature_ids(&self) -> Vec<String> {
        self.features.iter().map(|f| f.id.clone()).collect()
    }

    pub fn to_markdown(&self) -> String {
        let id = &self.identity;
        let mut md = String::new();
        match self.kind {
            Kind::Certification => md.push_str(&format!(
                "# Certificate: {} {}\n\nMobilePay PoS API v10 self-certification: every case of the features below passed.\n\n",
                id.system_name, id.version
            )),
            Kind::Rehearsal => {
                md.push_str(&format!(
                    "# Rehearsal certificate (not a certification): {} {}\n\n",
                    id.system_name, id.version
                ));
                md.push_str("> Every case passed, but this run does not certify the client:\n");
                for r in &self.rehearsal_reasons {
                    md.push_str(&format!("> - {r}\n"));
                }
                md.push_str(
                    "> \n> Only your own client (`--client adapter` or `--client operator`) against MobilePay's sandbox (`--target sandbox`) counts.\n\n",
                );
            }
        }
        let mut rows: Vec<(&str, String)> = vec![
            ("Client system name", id.system_name.clone()),
            ("Version", id.version.clone()),
        ];
        if let Some(v) = &id.client_id_sandbox {
            rows.push(("Client id (sandbox)", v.clone()));
        }
        if let Some(v) = &id.client_id_production {
            rows.push(("Client id (production)", v.clone()));
        }
        match (&id.callback_alias, &id.callback_url) {
            (Some(a), Some(u)) => rows.push(("Callback", format!("{a} ({u})"))),
            (Some(a), None) => rows.push(("Callback", a.clone())),
            (None, Some(u)) => rows.push(("Callback", u.clone())),
            (None, None) => {}
        }
        rows.push(("Merchant VAT", self.merchant_vat.clone()));
        rows.push((
            "Target",
            format!("{} ({})", self.target.name, self.target.pos_base_url),
        ));
        rows.push(("Client played by", self.client_mode.clone()));
        rows.push(("Customer played by", self.customer_mode.clone()));
        rows.push(("Engine", format!("poscert-engine {}", self.engine_version)));
        rows.push(("Issued", self.issued_at.clone()));
        rows.push(("Digest of the case files", format!("`{}`", self.digest)));
        md.push_str("| | |\n|---|---|\n");
        for (k, v) in rows {
            md.push_str(&format!("| {k} | {} |\n", cell(&v)));
        }
        md.push_str("\n## Features\n");
        for f in &self.features {
            md.push_str(&format!("\n### {} (`{}`)\n\n", f.name, f.id));
            md.push_str("| Case | Name | Verdict | Steps passed | File |\n|---|---|---|---|---|\n");
            for c in &f.cases {
                md.push_str(&format!(
                    "| {} | {} | {} | {} | `{}` |\n",
                    c.case_number.map(|n| n.to_string()).unwrap_or_default(),
                    cell(&c.name),
                    match &c.skip_reason {
                        Some(why) => cell(&format!("{} ({why})", c.verdict)),
                        None => c.verdict.clone(),
                    },
                    c.steps_passed,
                    c.file
                ));
            }
            // Grouped by reason: "12 steps: needs the emulator's request journal..." reads
            // better than twelve lines saying the same.
            let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
            for s in f.cases.iter().flat_map(|c| &c.steps_skipped) {
                *reasons.entry(s.reason.as_str()).or_default() += 1;
            }
            if !reasons.is_empty() {
                md.push_str("\nSteps not run (each is listed in the JSON certificate):\n");
                for (reason, n) in reasons {
                    md.push_str(&format!(
                        "- {n} step{}: {reason}\n",
                        if n == 1 { "" } else { "s" }
                    ));
                }
            }
            let warnings: Vec<(&CertCase, &CertWarning)> = f
                .cases
                .iter()
                .flat_map(|c| c.warnings.iter().map(move |w| (c, w)))
                .collect();
            if !warnings.is_empty() {
                md.push_str("\nAdvisories (inferred rules; they do not fail a case, but MobilePay may judge them):\n");
                for (c, w) in warnings {
                    md.push_str(&format!(
                        "- case {} `{}` ({}:{}): {}; advisory because {}\n",
                        c.case_number.map(|n| n.to_string()).unwrap_or_default(),
                        cell(&w.step),
                        w.file,
                        w.line,
                        cell(&w.message),
                        cell(&w.because)
                    ));
                }
            }
        }
        md.push_str("\n## Case files (the digest's input)\n\n");
        md.push_str(
            "`digest = sha256(sorted(sha256(file) + \"\\n\" for each file))`, over the files below.\n\n",
        );
        md.push_str("| SHA-256 | Role | File |\n|---|---|---|\n");
        for file in &self.files {
            md.push_str(&format!(
                "| `{}` | {} | `{}` |\n",
                file.sha256, file.role, file.path
            ));
        }
        md
    }
}

pub fn status_word(s: Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Error => "error",
        Status::Skipped => "skipped",
    }
}

/// Text safe inside a Markdown table cell.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

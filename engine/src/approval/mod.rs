//! Approval, the last step of MobilePay's self-certification: when every selected feature
//! passed, a certificate (Markdown + JSON) and an entry in the local ledger; when something
//! failed, a failure report instead. `status` reads the ledger back.
//!
//! What counts as a *certification*: the integrator's own client (`--client adapter` or
//! `operator`) against MobilePay's sandbox at its real address. Everything else that passes (the
//! embedded emulator, a custom URL, an overridden sandbox host, or the engine's reference client
//! playing the client) is recorded as a *rehearsal*: useful evidence in CI, never mistaken for
//! a certification by `status`.

pub mod certificate;
pub mod digest;
pub mod failure;
pub mod ledger;
pub mod session;
pub mod status;

use crate::redact::Redactor;
use crate::run::result::{RunReport, Status};
use certificate::{CertIdentity, CertTarget, Certificate, Kind, CERTIFICATE_SCHEMA_VERSION};
use digest::Manifest;
use failure::FailureReport;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where certificates and failure reports go when nothing says otherwise.
pub const DEFAULT_CERTIFICATE_DIR: &str = "reports";

/// Everything approval needs beyond the run report.
pub struct Approval<'a> {
    pub report: &'a RunReport,
    pub identity: CertIdentity,
    pub merchant_vat: String,
    pub target: CertTarget,
    /// Empty for a certification; see [`rehearsal_reasons`].
    pub rehearsal_reasons: Vec<String>,
    /// Feature id → name (from `feature.yaml`).
    pub feature_names: BTreeMap<String, String>,
    /// Why the selection cannot be certified even if it passes (see [`completeness`]).
    pub incomplete: Option<String>,
    /// The case files that ran (an error when a fragment could not be read for the digest).
    pub manifest: Result<Manifest, String>,
    pub certificate_dir: PathBuf,
    pub ledger: PathBuf,
}

/// What approval did.
#[derive(Debug)]
pub enum Outcome {
    Certified {
        kind: Kind,
        markdown: PathBuf,
        json: PathBuf,
        ledger: PathBuf,
    },
    /// Everything passed but the selection is not a whole certification (reason given).
    NotCertified(String),
    Failed {
        markdown: PathBuf,
        json: PathBuf,
    },
}

/// Why a passing run would only be a rehearsal (empty: a certification).
pub fn rehearsal_reasons(
    target_name: &str,
    pos_base_url: &str,
    official_host: bool,
    client_mode: &str,
) -> Vec<String> {
    let mut reasons = Vec::new();
    match target_name {
        "sandbox" if official_host => {}
        "sandbox" => reasons.push(format!(
            "the sandbox host was overridden ({pos_base_url}), so this was not MobilePay's sandbox"
        )),
        "emulator" => reasons.push(
            "the target was poscert's embedded emulator, not MobilePay's sandbox".to_string(),
        ),
        other => reasons.push(format!(
            "the target was {other} ({pos_base_url}), not MobilePay's sandbox"
        )),
    }
    if client_mode == "reference" {
        reasons.push(
            "the engine's reference client played the client, not yours (use --client adapter or --client operator)"
                .to_string(),
        );
    }
    reasons
}

/// A certificate covers whole features: onboarding (mandatory), what each feature requires,
/// and every case of each feature that was loaded. `--tag` or `--filter` leaving cases out, or
/// a run of `scenarios/payments` alone, passes but certifies nothing.
pub fn completeness(
    ran: &BTreeMap<String, usize>,
    loaded: &BTreeMap<String, usize>,
    requires: &BTreeMap<String, Vec<String>>,
) -> Option<String> {
    if ran.is_empty() {
        return Some("no case ran".into());
    }
    if !ran.contains_key("onboarding") {
        return Some(
            "onboarding is mandatory in every certification: include its cases (e.g. scenarios/onboarding)"
                .into(),
        );
    }
    for feature in ran.keys() {
        for req in requires.get(feature).into_iter().flatten() {
            if !ran.contains_key(req) {
                return Some(format!(
                    "feature `{feature}` requires `{req}`, whose cases did not run"
                ));
            }
        }
    }
    let partial: Vec<String> = ran
        .iter()
        .filter_map(|(f, n)| {
            let all = loaded.get(f).copied().unwrap_or(*n);
            (*n < all).then(|| format!("{n} of {all} cases of `{f}`"))
        })
        .collect();
    if !partial.is_empty() {
        return Some(format!(
            "only {} ran (--tag or --filter left the others out); a certificate needs every case of a feature",
            partial.join(", ")
        ));
    }
    None
}

/// Writes the certificate and the ledger entry, or the failure report.
pub fn approve(a: &Approval, redactor: &Redactor) -> Result<Outcome, String> {
    let report = a.report;
    let now = chrono::Utc::now();
    let issued_at = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let passed = report.all_passed() && report.load_errors.is_empty();
    if !passed {
        let fr = FailureReport::build(
            report,
            Some(a.identity.clone()),
            a.target.clone(),
            issued_at,
        );
        let markdown = a.certificate_dir.join("failure-report.md");
        let json = a.certificate_dir.join("failure-report.json");
        write(&json, &to_json(&fr)?, redactor)?;
        write(&markdown, &fr.to_markdown(), redactor)?;
        return Ok(Outcome::Failed { markdown, json });
    }
    // A case that ruled itself out (its own `when:`/`if:`, with the reason: the check-in
    // notification case of a client without a callback) does not apply to this client; any
    // other case that passed nothing leaves the feature unproven.
    let applies = |c: &crate::run::result::CaseReport| {
        !(c.status == Status::Skipped && c.skip_reason.is_some() && c.steps.is_empty())
    };
    let unreadable = |e: std::io::Error| format!("cannot read the run's cases back: {e}");
    let mut unproven = None;
    for i in 0..report.case_count() {
        if report.case_status(i).map_err(unreadable)? == Status::Passed {
            continue;
        }
        let c = report.case_summary(i).map_err(unreadable)?;
        if applies(&c) {
            unproven = Some(c);
            break;
        }
    }
    if let Some(c) = unproven {
        return Ok(Outcome::NotCertified(format!(
            "case `{}` did not run a single step here (every step was skipped)",
            c.id
        )));
    }
    if let Some(reason) = &a.incomplete {
        return Ok(Outcome::NotCertified(reason.clone()));
    }
    let manifest = a.manifest.as_ref().map_err(Clone::clone)?;
    // An unreadable ledger stops approval before the certificate is written, so there is never
    // a certificate the ledger does not know about.
    ledger::load(&a.ledger)?;
    let kind = if a.rehearsal_reasons.is_empty() {
        Kind::Certification
    } else {
        Kind::Rehearsal
    };
    let cert = Certificate {
        schema_version: CERTIFICATE_SCHEMA_VERSION,
        kind,
        rehearsal_reasons: a.rehearsal_reasons.clone(),
        identity: a.identity.clone(),
        merchant_vat: a.merchant_vat.clone(),
        target: a.target.clone(),
        client_mode: report.client_mode.clone(),
        customer_mode: report.customer_mode.clone(),
        engine_version: report.engine_version.clone(),
        issued_at: issued_at.clone(),
        run_started_at: report.started_at.clone(),
        run_finished_at: report.finished_at.clone(),
        features: certificate::features_of(report.case_summaries(), &a.feature_names)
            .map_err(unreadable)?,
        files: manifest.files.clone(),
        digest: manifest.digest(),
    };
    let stem = unique_stem(
        &a.certificate_dir,
        &format!(
            "certificate-{}-{}",
            safe(&a.identity.version),
            now.format("%Y%m%dT%H%M%SZ")
        ),
    );
    let json = a.certificate_dir.join(format!("{stem}.json"));
    let markdown = a.certificate_dir.join(format!("{stem}.md"));
    write(&json, &to_json(&cert)?, redactor)?;
    write(&markdown, &cert.to_markdown(), redactor)?;
    ledger::append(
        &a.ledger,
        ledger::LedgerEntry {
            system_name: cert.identity.system_name.clone(),
            version: cert.identity.version.clone(),
            client_id_sandbox: cert.identity.client_id_sandbox.clone(),
            client_id_production: cert.identity.client_id_production.clone(),
            features: cert.feature_ids(),
            kind,
            rehearsal_reasons: cert.rehearsal_reasons.clone(),
            target: cert.target.name.clone(),
            pos_base_url: cert.target.pos_base_url.clone(),
            client_mode: cert.client_mode.clone(),
            time: issued_at,
            digest: cert.digest.clone(),
            certificate: json.to_string_lossy().replace('\\', "/"),
            engine_version: cert.engine_version.clone(),
        },
    )?;
    Ok(Outcome::Certified {
        kind,
        markdown,
        json,
        ledger: a.ledger.clone(),
    })
}

/// Features that ran, with how many cases each.
pub fn count_by_feature<'a>(
    features: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for f in features {
        *out.entry(f.to_string()).or_default() += 1;
    }
    out
}

/// Feature ids in certification order.
pub fn ordered(features: &BTreeSet<String>) -> Vec<String> {
    let mut v: Vec<String> = features.iter().cloned().collect();
    v.sort_by_key(|f| crate::scenario::convert::feature_rank(f));
    v
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string_pretty(value)
        .map(|t| t + "\n")
        .map_err(|e| format!("cannot encode: {e}"))
}

fn write(path: &Path, text: &str, redactor: &Redactor) -> Result<(), String> {
    crate::report::write_redacted(path, text, redactor)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A version is digits and dots, but the identity may come from elsewhere one day: keep file
/// names tame.
fn safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `stem`, or `stem-2`, `stem-3`… when a certificate of the same second exists.
fn unique_stem(dir: &Path, stem: &str) -> String {
    let taken =
        |s: &str| dir.join(format!("{s}.json")).exists() || dir.join(format!("{s}.md")).exists();
    if !taken(stem) {
        return stem.to_string();
    }
    (2..)
        .map(|n| format!("{stem}-{n}"))
        .find(|s| !taken(s))
        .unwrap_or_else(|| stem.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn whole_features_only() {
        let requires: BTreeMap<String, Vec<String>> =
            [("payments".to_string(), vec!["onboarding".to_string()])].into();
        let loaded = counts(&[("onboarding", 3), ("payments", 5)]);
        assert_eq!(
            completeness(
                &counts(&[("onboarding", 3), ("payments", 5)]),
                &loaded,
                &requires
            ),
            None
        );
        let partial = completeness(
            &counts(&[("onboarding", 3), ("payments", 2)]),
            &loaded,
            &requires,
        )
        .unwrap();
        assert!(partial.contains("2 of 5 cases of `payments`"), "{partial}");
        let no_onboarding = completeness(&counts(&[("payments", 5)]), &loaded, &requires).unwrap();
        assert!(
            no_onboarding.contains("onboarding is mandatory"),
            "{no_onboarding}"
        );
    }

    #[test]
    fn only_the_real_sandbox_with_a_real_client_certifies() {
        assert!(rehearsal_reasons("sandbox", "x", true, "adapter").is_empty());
        assert!(rehearsal_reasons("sandbox", "x", true, "operator").is_empty());
        assert_eq!(rehearsal_reasons("sandbox", "x", false, "adapter").len(), 1);
        assert_eq!(
            rehearsal_reasons("emulator", "x", false, "reference").len(),
            2
        );
        assert_eq!(rehearsal_reasons("custom", "x", false, "adapter").len(), 1);
    }
}

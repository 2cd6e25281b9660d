//! The bridge from a run to approval: what to take from the cases before they run (the files
//! for the digest, which features were selected and how many cases each has), and, after the
//! reports, the certificate or the failure report with the lines the console prints.

use super::certificate::{CertIdentity, CertTarget, Kind};
use super::digest::Manifest;
use super::{Approval, Outcome};
use crate::config::Config;
use crate::http::Target;
use crate::redact::Redactor;
use crate::run::plan::PlannedCase;
use crate::run::result::{Identity, RunReport};
use crate::scenario::model::Feature;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Taken from the selected cases before they run.
pub struct Pending {
    manifest: Result<Manifest, String>,
    ran: BTreeMap<String, usize>,
    loaded: BTreeMap<String, usize>,
    names: BTreeMap<String, String>,
    requires: BTreeMap<String, Vec<String>>,
}

/// Paths the command line may give (they win over poscert.yaml).
pub struct Paths<'a> {
    pub report_dir: Option<&'a Path>,
    pub ledger: Option<&'a Path>,
}

/// What to print after approval.
#[derive(Debug, Default)]
pub struct Lines {
    pub info: Vec<String>,
    /// Approval could not write something: the run exits 2.
    pub errors: Vec<String>,
}

/// The identity for the JSON and JUnit reports.
pub fn report_identity(config: &Config, version: &str) -> Identity {
    let id = &config.identity;
    Identity {
        system_name: id.system_name.value.clone(),
        version: version.to_string(),
        client_id_sandbox: id.client_id_sandbox.as_ref().map(|v| v.value.clone()),
        client_id_production: id.client_id_production.as_ref().map(|v| v.value.clone()),
    }
}

fn cert_identity(config: &Config, version: &str) -> CertIdentity {
    let id = &config.identity;
    let opt = |v: &Option<crate::config::model::At<String>>| v.as_ref().map(|a| a.value.clone());
    CertIdentity {
        system_name: id.system_name.value.clone(),
        version: version.to_string(),
        client_id_sandbox: opt(&id.client_id_sandbox),
        client_id_production: opt(&id.client_id_production),
        callback_alias: opt(&id.callback_alias),
        callback_url: opt(&id.callback_url),
    }
}

/// Where certificates and failure reports go: `reports.certificateDir`, else `--report-dir`,
/// else `reports.dir`, else `reports/` beside poscert.yaml.
pub fn certificate_dir(config: &Config, cli_report_dir: Option<&Path>) -> PathBuf {
    config
        .reports
        .certificate_dir
        .clone()
        .or_else(|| cli_report_dir.map(Path::to_path_buf))
        .or_else(|| config.reports.dir.clone())
        .unwrap_or_else(|| beside_config(config, super::DEFAULT_CERTIFICATE_DIR))
}

/// A default path, resolved beside poscert.yaml like every path written in it, so a run with
/// `--config elsewhere/poscert.yaml` keeps its certificates and ledger with that file, not in
/// whatever folder the run started from.
fn beside_config(config: &Config, default: &str) -> PathBuf {
    match config.file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(default),
        _ => PathBuf::from(default),
    }
}

/// `--ledger`, else `reports.ledger`, else `.poscert/ledger.json` beside poscert.yaml.
pub fn ledger_path(config: &Config, cli: Option<&Path>) -> PathBuf {
    cli.map(Path::to_path_buf)
        .or_else(|| config.reports.ledger.clone())
        .unwrap_or_else(|| beside_config(config, super::ledger::DEFAULT_LEDGER))
}

impl Pending {
    pub fn new(
        cases: &[PlannedCase],
        features: &[Feature],
        loaded: BTreeMap<String, usize>,
    ) -> Pending {
        Pending {
            manifest: Manifest::of_cases(cases),
            ran: super::count_by_feature(cases.iter().map(|c| &*c.feature)),
            loaded,
            names: features
                .iter()
                .map(|f| (f.id.clone(), f.name.clone()))
                .collect(),
            requires: features
                .iter()
                .map(|f| (f.id.clone(), f.requires.clone()))
                .collect(),
        }
    }

    /// Writes the certificate and the ledger entry, or the failure report.
    pub fn finish(
        self,
        config: &Config,
        report: &RunReport,
        target: &Target,
        official_host: bool,
        paths: Paths<'_>,
        redactor: &Redactor,
    ) -> Lines {
        let rehearsal_reasons = super::rehearsal_reasons(
            &target.name,
            &target.pos_base_url,
            official_host,
            &report.client_mode,
        );
        let approval = Approval {
            report,
            identity: cert_identity(config, &target.client_version),
            merchant_vat: target.merchant_vat.clone(),
            target: CertTarget {
                name: target.name.clone(),
                pos_base_url: target.pos_base_url.clone(),
                token_url: target.token_url.clone(),
            },
            rehearsal_reasons,
            feature_names: self.names,
            incomplete: super::completeness(&self.ran, &self.loaded, &self.requires),
            manifest: self.manifest,
            certificate_dir: certificate_dir(config, paths.report_dir),
            ledger: ledger_path(config, paths.ledger),
        };
        lines_of(super::approve(&approval, redactor))
    }
}

/// The console lines for what approval did (a run and `merge` print the same).
pub fn lines_of(outcome: Result<Outcome, String>) -> Lines {
    let mut lines = Lines::default();
    match outcome {
        Ok(Outcome::Certified {
            kind,
            markdown,
            json,
            ledger,
        }) => {
            let what = match kind {
                Kind::Certification => "certificate".to_string(),
                Kind::Rehearsal => {
                    "certificate (a rehearsal, not a certification; the file says why)".to_string()
                }
            };
            lines.info.push(format!(
                "{what}: {} ({})",
                markdown.display(),
                json.display()
            ));
            lines.info.push(format!(
                "ledger: {} (entry added; `poscert-engine status` reads it)",
                ledger.display()
            ));
        }
        Ok(Outcome::NotCertified(reason)) => {
            lines.info.push(format!("certificate: none ({reason})"));
        }
        Ok(Outcome::Failed { markdown, json }) => {
            lines.info.push(format!(
                "failure report: {} ({}); no certificate, the ledger is unchanged",
                markdown.display(),
                json.display()
            ));
        }
        Err(e) => lines.errors.push(e),
    }
    lines
}

//! `poscert-engine status`: which versions of this client are certified for which features, and
//! whether the current version needs a new certification (notes §2.3): Major or Minor changed
//! since the last certification of a feature → required; only Build changed → recommended; the
//! same version → certified. Rehearsals are listed but never count.
//!
//! Exit code: 0 when nothing is required (certified, or only recommended), 1 when a certification
//! is required, 2 for a configuration or ledger problem. CI can gate a release on it.

use super::certificate::Kind;
use super::ledger::{self, LedgerEntry};
use crate::config::Config;
use crate::identity::{need_for, Need, Version};
use crate::scenario::convert::FEATURE_IDS;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const EXIT_OK: i32 = 0;
const EXIT_REQUIRED: i32 = 1;
const EXIT_INVALID: i32 = 2;

/// The verdict for one feature.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeatureStatus {
    pub feature: String,
    pub need: Need,
    /// The certified version the verdict was measured against.
    pub certified_version: Option<String>,
    /// A rehearsal of exactly this version passed (it does not count).
    pub rehearsed: bool,
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub system_name: Option<String>,
    pub version: String,
    pub ledger: String,
    pub verdict: Need,
    pub features: Vec<FeatureStatus>,
    pub certifications: Vec<LedgerEntry>,
    pub rehearsals: Vec<LedgerEntry>,
}

/// Does a ledger entry belong to the client `config` describes? The production client id
/// decides when both sides have one (MobilePay certifies per production client id and
/// Major.Minor); otherwise the system name does.
fn same_client(entry: &LedgerEntry, config: Option<&Config>) -> bool {
    let Some(c) = config else {
        return true;
    };
    match (
        &c.identity.client_id_production,
        &entry.client_id_production,
    ) {
        (Some(mine), Some(theirs)) => mine.value == *theirs,
        _ => c.identity.system_name.value == entry.system_name,
    }
}

/// Computes the status. `features` empty means: the config's `features`, else every feature
/// the ledger knows for this client, else onboarding.
pub fn compute(
    config: Option<&Config>,
    version: Version,
    features: &[String],
    ledger_path: &Path,
) -> Result<StatusReport, String> {
    let ledger = ledger::load(ledger_path)?;
    let mine: Vec<&LedgerEntry> = ledger
        .entries
        .iter()
        .filter(|e| same_client(e, config))
        .collect();
    let mut wanted: BTreeSet<String> = features.iter().cloned().collect();
    if wanted.is_empty() {
        if let Some(c) = config {
            wanted.extend(c.features.iter().map(|f| f.value.clone()));
        }
    }
    if wanted.is_empty() {
        wanted.extend(mine.iter().flat_map(|e| e.features.iter().cloned()));
    }
    wanted.insert("onboarding".into()); // mandatory in every certification
    let mut out = Vec::new();
    for feature in super::ordered(&wanted) {
        let covering = |kind: Kind| {
            let feature = &feature;
            mine.iter()
                .filter(move |e| e.kind == kind && e.features.contains(feature))
                .filter_map(|e| Version::parse(&e.version).ok())
        };
        let certified: Vec<Version> = covering(Kind::Certification).collect();
        let rehearsed = covering(Kind::Rehearsal).any(|v| v == version);
        let (need, against) = need_for(&version, &certified);
        let explanation = match (need, against) {
            (Need::Certified, _) => format!("{version} is certified"),
            (Need::Recommended, Some(v)) => format!(
                "certification recommended: only the Build part changed since {v} (not required)"
            ),
            (Need::Required, Some(v)) => {
                let part = if version.major != v.major {
                    "Major"
                } else {
                    "Minor"
                };
                format!(
                    "certification required: the {part} version changed since {v}, the closest certified version (Major and Minor changes must be certified)"
                )
            }
            (_, None) => {
                "certification required: no certification of this feature is recorded".into()
            }
        };
        out.push(FeatureStatus {
            feature: feature.clone(),
            need,
            certified_version: against.map(|v| v.to_string()),
            rehearsed,
            explanation,
        });
    }
    let verdict = out.iter().map(|f| f.need).max().unwrap_or(Need::Required);
    let (certifications, rehearsals): (Vec<LedgerEntry>, Vec<LedgerEntry>) = mine
        .into_iter()
        .cloned()
        .partition(|e| e.kind == Kind::Certification);
    Ok(StatusReport {
        system_name: config.map(|c| c.identity.system_name.value.clone()),
        version: version.to_string(),
        ledger: ledger_path.display().to_string(),
        verdict,
        features: out,
        certifications,
        rehearsals,
    })
}

fn need_word(n: Need) -> &'static str {
    match n {
        Need::Certified => "certified",
        Need::Recommended => "certification recommended",
        Need::Required => "certification required",
    }
}

impl StatusReport {
    pub fn to_text(&self) -> String {
        let mut t = String::new();
        t.push_str(&format!(
            "{} {} (ledger {}: {} certification{}, {} rehearsal{})\n",
            self.system_name.as_deref().unwrap_or("client"),
            self.version,
            self.ledger,
            self.certifications.len(),
            if self.certifications.len() == 1 {
                ""
            } else {
                "s"
            },
            self.rehearsals.len(),
            if self.rehearsals.len() == 1 { "" } else { "s" },
        ));
        let line = |e: &LedgerEntry| {
            format!(
                "  {:<10} {:<50} {}  {}\n",
                e.version,
                e.features.join(", "),
                e.time,
                e.digest.chars().take(19).collect::<String>()
            )
        };
        t.push_str("\nCertified versions (MobilePay's sandbox, your client):\n");
        if self.certifications.is_empty() {
            t.push_str("  none\n");
        }
        for e in &self.certifications {
            t.push_str(&line(e));
        }
        if !self.rehearsals.is_empty() {
            t.push_str("\nRehearsals (passed, but they do not certify: emulator, custom target or reference client):\n");
            for e in &self.rehearsals {
                t.push_str(line(e).trim_end_matches('\n'));
                t.push_str(&format!(
                    "  [{} target, {} client]\n",
                    e.target, e.client_mode
                ));
            }
        }
        t.push_str(&format!("\nVersion {}:\n", self.version));
        for f in &self.features {
            t.push_str(&format!("  {:<36} {}", f.feature, f.explanation));
            if f.rehearsed && f.need != Need::Certified {
                t.push_str(" (a rehearsal of this version passed; rehearsals do not count)");
            }
            t.push('\n');
        }
        t.push_str(&format!("\nVerdict: {}\n", need_word(self.verdict)));
        t
    }

    pub fn exit_code(&self) -> i32 {
        if self.verdict == Need::Required {
            EXIT_REQUIRED
        } else {
            EXIT_OK
        }
    }
}

/// The `status` command.
pub fn command(
    config_path: Option<&Path>,
    ledger_path: Option<&Path>,
    client_version: Option<&str>,
    features: &[String],
    json: bool,
) -> i32 {
    let config = match crate::config::discover(config_path) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{}", e.render());
            return EXIT_INVALID;
        }
    };
    let version = match (client_version, &config) {
        (Some(v), _) => match Version::parse(v) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("error: --client-version {e}");
                return EXIT_INVALID;
            }
        },
        (None, Some(c)) => c.identity.version.value,
        (None, None) => {
            eprintln!(
                "error: which version? give --client-version 2.1.0, or run where poscert.yaml is (or pass --config FILE)"
            );
            return EXIT_INVALID;
        }
    };
    let mut wanted = Vec::new();
    for f in features.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        if !FEATURE_IDS.contains(&f) {
            eprintln!(
                "error: unknown feature `{f}`; expected one or more of: {}",
                FEATURE_IDS.join(", ")
            );
            return EXIT_INVALID;
        }
        wanted.push(f.to_string());
    }
    // The same rule as the run that wrote it: --ledger, else reports.ledger, else the default
    // beside poscert.yaml.
    let ledger_path: PathBuf = match config.as_ref() {
        Some(c) => super::session::ledger_path(c, ledger_path),
        None => ledger_path
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(ledger::DEFAULT_LEDGER)),
    };
    match compute(config.as_ref(), version, &wanted, &ledger_path) {
        Ok(report) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                print!("{}", report.to_text());
            }
            report.exit_code()
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_INVALID
        }
    }
}

//! The local ledger of certified versions: one JSON file, one entry per passing certification
//! (or rehearsal), appended and never rewritten otherwise. A failing run does not touch it, so
//! a certification is never taken back by a later failure (MobilePay's rule, notes §7.1).
//!
//! Appends take an exclusive lock on `<ledger>.lock` and replace the file atomically, so two
//! runs finishing at once both land and a crash never leaves half a ledger. A ledger that cannot
//! be read is never overwritten: the run says so and leaves it for a person to fix.

use super::certificate::Kind;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const LEDGER_SCHEMA_VERSION: u32 = 1;
/// Where the ledger lives when neither `--ledger` nor `reports.ledger` says otherwise.
pub const DEFAULT_LEDGER: &str = ".poscert/ledger.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ledger {
    pub schema_version: u32,
    pub entries: Vec<LedgerEntry>,
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger {
            schema_version: LEDGER_SCHEMA_VERSION,
            entries: vec![],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    pub system_name: String,
    /// `Major.Minor.Build`.
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_sandbox: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_production: Option<String>,
    /// Feature ids, in certification order.
    pub features: Vec<String>,
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rehearsal_reasons: Vec<String>,
    /// `sandbox`, `emulator`, `custom`.
    pub target: String,
    pub pos_base_url: String,
    pub client_mode: String,
    /// When the certificate was issued (RFC 3339, UTC).
    pub time: String,
    /// The certificate's digest of the case files.
    pub digest: String,
    /// The certificate's JSON file, as the run wrote it.
    pub certificate: String,
    pub engine_version: String,
}

/// Reads the ledger; a missing file is an empty ledger.
pub fn load(path: &Path) -> Result<Ledger, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ledger::default()),
        Err(e) => return Err(format!("cannot read the ledger {}: {e}", path.display())),
    };
    let ledger: Ledger = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: the ledger is not a poscert ledger ({e}); fix it or move it away (it is never overwritten)",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if ledger.schema_version > LEDGER_SCHEMA_VERSION {
        return Err(format!(
            "{}: ledger schemaVersion {} is newer than this engine understands ({LEDGER_SCHEMA_VERSION}); use a newer poscert-engine",
            path.display(),
            ledger.schema_version
        ));
    }
    Ok(ledger)
}

/// Appends one entry under an exclusive lock.
pub fn append(path: &Path, entry: LedgerEntry) -> Result<(), String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let lock_path = sibling(path, ".lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    let mut ledger = load(path)?;
    ledger.entries.push(entry);
    let text = serde_json::to_string_pretty(&ledger)
        .map_err(|e| format!("cannot encode the ledger: {e}"))?;
    let tmp = sibling(path, ".tmp");
    std::fs::write(&tmp, text + "\n")
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write the ledger {}: {e}", path.display()))
    // The lock is released when `lock` is dropped.
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

//! Reports: the run's results ([`crate::run::result`]) written to the console, JSON, JUnit and HTML,
//! each through the one redaction layer ([`crate::redact`]). Reports read results; they never
//! write back into the run.

pub mod console;
pub mod detail;
pub mod dry_run;
pub mod html;
pub mod json;
pub mod junit;

use crate::redact::Redactor;
use std::path::Path;

/// Writes `text` (already redacted by the caller) atomically: a report is never half-written,
/// even when the run is interrupted while writing.
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("tmp-poscert");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// Redacts and writes.
pub fn write_redacted(path: &Path, text: &str, redactor: &Redactor) -> std::io::Result<()> {
    write_file(path, &redactor.redact(text))
}

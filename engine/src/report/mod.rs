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

/// Writes what `write` produces (already redacted) atomically, through a buffer: a report
/// written a part at a time is never half-written either.
pub fn write_file_with(
    path: &Path,
    write: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("tmp-poscert");
    let written = std::fs::File::create(&tmp).and_then(|file| {
        let mut out = std::io::BufWriter::new(file);
        write(&mut out)?;
        out.flush()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path)
}

/// Redacts and writes.
pub fn write_redacted(path: &Path, text: &str, redactor: &Redactor) -> std::io::Result<()> {
    write_file(path, &redactor.redact(text))
}

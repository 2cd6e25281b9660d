//! Where a command's JSON, JUnit and HTML reports go, and writing them: one rule for `run` and
//! `merge`, so the two can never disagree about a flag.

use crate::redact::Redactor;
use crate::report::junit::Granularity;
use crate::report::{html, json, junit, write_file_with};
use crate::run::result::RunReport;
use std::path::PathBuf;

/// The three report files; a flag names one directly, else `--report-dir` holds it.
pub struct ReportFiles {
    pub json: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub html: Option<PathBuf>,
}

impl ReportFiles {
    pub fn new(
        json: &Option<PathBuf>,
        junit: &Option<PathBuf>,
        html: &Option<PathBuf>,
        dir: &Option<PathBuf>,
    ) -> ReportFiles {
        let or_in_dir = |explicit: &Option<PathBuf>, name: &str| {
            explicit
                .clone()
                .or_else(|| dir.as_ref().map(|d| d.join(name)))
        };
        ReportFiles {
            json: or_in_dir(json, "report.json"),
            junit: or_in_dir(junit, "junit.xml"),
            html: or_in_dir(html, "report.html"),
        }
    }

    pub fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        [&self.json, &self.junit, &self.html].into_iter().flatten()
    }

    /// Writes each report asked for, a case at a time (a run's cases are read back from its
    /// spool). Returns the paths written, and whether any write failed (the caller's exit code
    /// then says so: a CI dashboard must not read a stale file as this run's).
    pub fn write(
        &self,
        report: &RunReport,
        granularity: Granularity,
        redactor: &Redactor,
    ) -> (Vec<PathBuf>, bool) {
        type Writer<'a> = &'a dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>;
        let writers: [(&Option<PathBuf>, Writer); 3] = [
            (&self.json, &|w| json::write(report, redactor, w)),
            (&self.junit, &|w| {
                junit::write(report, granularity, redactor, w)
            }),
            (&self.html, &|w| html::write(report, redactor, w)),
        ];
        let (mut written, mut failed) = (Vec::new(), false);
        for (path, write) in writers {
            let Some(path) = path else { continue };
            match write_file_with(path, write) {
                Ok(()) => written.push(path.clone()),
                Err(e) => {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    failed = true;
                }
            }
        }
        (written, failed)
    }
}

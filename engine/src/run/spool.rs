//! Finished cases leave memory: as each case ends, its full report and its summary are appended
//! to a temporary file (one JSON line each), and the run keeps only where they are and the
//! case's status. Reports read them back one at a time ([`RunReport::full_case`],
//! [`RunReport::case_summary`]). The file is deleted when the last handle to the spool goes.
//!
//! [`RunReport::full_case`]: crate::run::result::RunReport::full_case
//! [`RunReport::case_summary`]: crate::run::result::RunReport::case_summary

use crate::run::result::{CaseReport, CaseStore, SkippedStep, Status, StepSummary};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub struct Spool {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: File,
    /// The end of the file: where the next case is written.
    end: u64,
    /// Per case index: where it is.
    places: Vec<Place>,
    /// The advisory warnings of every case put so far (the console's closing line counts them).
    warnings: usize,
}

/// Where case `index` is. 24 bytes a case: a run of 10,000 keeps 240 KB of these.
#[derive(Debug)]
enum Place {
    /// Not put (yet).
    Missing,
    /// In the file: the full report's line at `start`, `full` bytes, then the summary's line,
    /// `summary` bytes.
    Disk {
        start: u64,
        full: u32,
        summary: u32,
        status: Status,
    },
    /// Could not be written (a full disk): kept whole in memory, so a report is never lost.
    Memory(Box<CaseReport>),
}

/// A summary as spooled: the summarized case (no steps) and its [`StepSummary`], which the
/// case's own serialization leaves out.
#[derive(Serialize, Deserialize)]
struct SummaryLine {
    case: CaseReport,
    passed: usize,
    skipped: Vec<SkippedStep>,
    top: Vec<Status>,
}

impl Spool {
    /// A spool in a new anonymous temporary file (gone with the process, whatever happens).
    pub fn new() -> std::io::Result<Spool> {
        Ok(Spool {
            inner: Mutex::new(Inner {
                file: tempfile::tempfile()?,
                end: 0,
                places: Vec::new(),
                warnings: 0,
            }),
        })
    }

    /// Writes the full report of case `index` and its summary. When they cannot be written
    /// (a full disk), the case stays whole in memory instead: a report is never lost.
    pub fn put(&self, index: usize, case: CaseReport) {
        let Ok(full) = serde_json::to_vec(&case) else {
            self.place(index, case.warnings.len(), Place::Memory(Box::new(case)));
            return;
        };
        let warnings = case.warnings.len();
        let status = case.status;
        let mut case = case.summarized();
        let steps = case.summary.take().map(|s| *s).unwrap_or_default();
        let line = SummaryLine {
            case,
            passed: steps.passed,
            skipped: steps.skipped.iter().map(|s| (**s).clone()).collect(),
            top: steps.top,
        };
        let summary = serde_json::to_vec(&line);
        drop(line);
        // Serialized before the lock: other cases finishing meanwhile do not wait for it.
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let start = inner.end;
        let lens = summary.as_ref().ok().and_then(|summary| {
            Some((
                u32::try_from(full.len()).ok()?,
                u32::try_from(summary.len()).ok()?,
            ))
        });
        let written = match (&summary, lens) {
            (Ok(summary), Some(_)) => inner
                .file
                .seek(SeekFrom::Start(start))
                .and_then(|_| inner.file.write_all(&full))
                .and_then(|_| inner.file.write_all(summary)),
            _ => Err(std::io::Error::other("a case too large to spool")),
        };
        let place = match (written, lens) {
            (Ok(()), Some((full_len, summary_len))) => {
                inner.end += u64::from(full_len) + u64::from(summary_len);
                Place::Disk {
                    start,
                    full: full_len,
                    summary: summary_len,
                    status,
                }
            }
            // Read back from the bytes still in hand (the case itself is summarized by now).
            _ => match serde_json::from_slice(&full) {
                Ok(case) => Place::Memory(Box::new(case)),
                Err(_) => Place::Missing,
            },
        };
        drop(inner);
        self.place(index, warnings, place);
    }

    fn place(&self, index: usize, warnings: usize, place: Place) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.places.len() <= index {
            inner.places.resize_with(index + 1, || Place::Missing);
        }
        inner.warnings += warnings;
        inner.places[index] = place;
    }

    fn read(&self, index: usize, summary: bool) -> std::io::Result<Result<Vec<u8>, CaseReport>> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (at, len) = match inner.places.get(index) {
            Some(Place::Disk {
                start,
                full,
                summary: s,
                ..
            }) => match summary {
                false => (*start, *full),
                true => (*start + u64::from(*full), *s),
            },
            Some(Place::Memory(case)) => {
                let case = (**case).clone();
                return Ok(Err(if summary { case.summarized() } else { case }));
            }
            _ => {
                return Err(std::io::Error::other(format!(
                    "case {index} is not in the spool"
                )))
            }
        };
        let mut buf = vec![0; len as usize];
        inner.file.seek(SeekFrom::Start(at))?;
        inner.file.read_exact(&mut buf)?;
        Ok(Ok(buf))
    }
}

impl CaseStore for Spool {
    fn load(&self, index: usize) -> std::io::Result<CaseReport> {
        match self.read(index, false)? {
            Ok(buf) => serde_json::from_slice(&buf).map_err(std::io::Error::other),
            Err(case) => Ok(case),
        }
    }

    fn summary(&self, index: usize) -> std::io::Result<CaseReport> {
        match self.read(index, true)? {
            Ok(buf) => {
                let line: SummaryLine =
                    serde_json::from_slice(&buf).map_err(std::io::Error::other)?;
                let mut case = line.case;
                case.summary = Some(Box::new(StepSummary {
                    passed: line.passed,
                    skipped: line.skipped.into_iter().map(Arc::new).collect(),
                    top: line.top,
                }));
                Ok(case)
            }
            Err(case) => Ok(case),
        }
    }

    fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .places
            .len()
    }

    fn status(&self, index: usize) -> Option<Status> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match inner.places.get(index)? {
            Place::Disk { status, .. } => Some(*status),
            Place::Memory(case) => Some(case.status),
            Place::Missing => None,
        }
    }

    fn warnings(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .warnings
    }
}

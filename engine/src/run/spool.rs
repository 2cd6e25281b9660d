//! Finished cases leave memory: each case's full report is appended to a temporary file (one
//! JSON line) as the case ends, and only its summary stays in [`RunReport::cases`]; reports read
//! the full cases back one at a time ([`RunReport::full_case`]). The file is deleted when the
//! last handle to the spool goes.
//!
//! [`RunReport::cases`]: crate::run::result::RunReport::cases
//! [`RunReport::full_case`]: crate::run::result::RunReport::full_case

use crate::run::result::{CaseReport, CaseStore};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

#[derive(Debug)]
pub struct Spool {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: File,
    /// The end of the file: where the next case is written.
    end: u64,
    /// Per case index: where its line starts and how long it is.
    places: Vec<Option<(u64, u64)>>,
}

impl Spool {
    /// A spool in a new anonymous temporary file (gone with the process, whatever happens).
    pub fn new() -> std::io::Result<Spool> {
        Ok(Spool {
            inner: Mutex::new(Inner {
                file: tempfile::tempfile()?,
                end: 0,
                places: Vec::new(),
            }),
        })
    }

    /// Writes the full report of case `index` and returns its summary. When it cannot be written
    /// (a full disk), the case stays whole in memory instead: a report is never lost.
    pub fn put(&self, index: usize, case: CaseReport) -> CaseReport {
        let Ok(line) = serde_json::to_vec(&case) else {
            return case;
        };
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let start = inner.end;
        if inner
            .file
            .seek(SeekFrom::Start(start))
            .and_then(|_| inner.file.write_all(&line))
            .is_err()
        {
            return case;
        }
        inner.end += line.len() as u64;
        if inner.places.len() <= index {
            inner.places.resize(index + 1, None);
        }
        inner.places[index] = Some((start, line.len() as u64));
        drop(inner);
        case.summarized()
    }
}

impl CaseStore for Spool {
    fn load(&self, index: usize) -> std::io::Result<CaseReport> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let Some((start, len)) = inner.places.get(index).copied().flatten() else {
            return Err(std::io::Error::other(format!(
                "case {index} is not in the spool"
            )));
        };
        let mut buf = vec![0; len as usize];
        inner.file.seek(SeekFrom::Start(start))?;
        inner.file.read_exact(&mut buf)?;
        drop(inner);
        serde_json::from_slice(&buf).map_err(std::io::Error::other)
    }
}

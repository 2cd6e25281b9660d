//! What a run keeps of each case until the case runs: enough to select, order, partition and
//! digest the cases and to prepare the target, not the parsed steps. The case is parsed again
//! when its turn comes ([`PlannedCase::load`]), so a run of 10,000 cases never holds 10,000
//! parsed cases (about 3.5 KB each) at once.

use crate::scenario::model::{Action, Case, Role, SourceFile, Step};
use crate::scenario::{LoadError, Reloader};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// A case as planned: its identity and what the digest and the target need of its steps.
#[derive(Debug, Clone)]
pub struct PlannedCase {
    pub name: Box<str>,
    /// Shared by every case of the feature (a run holds thousands of planned cases at first).
    pub feature: Arc<str>,
    pub case_number: Option<u32>,
    /// Shared by every case with the same tags, in the same order.
    pub tags: Arc<[String]>,
    pub file: Arc<SourceFile>,
    /// SHA-256 of the file's bytes when the run was planned: the certificate's digest is of
    /// these bytes, so a file changed since does not run (see [`PlannedCase::load`]).
    pub sha256: [u8; 32],
    /// The other files its steps come from, sorted: every fragment it uses (through other
    /// fragments too) and the feature file whose default `setup` or `finally` it runs. Shared
    /// by every case with the same list.
    pub fragments: Arc<[PathBuf]>,
    /// Does the customer act in it (check in, accept, cancel)?
    pub uses_customer: bool,
}

impl PlannedCase {
    /// A stable identifier: the file path without extension, slash-separated (as [`Case::id`]).
    pub fn id(&self) -> String {
        let p = self.file.path.with_extension("");
        p.to_string_lossy().replace('\\', "/")
    }

    /// The case parsed again to run, with the fragments loaded when the run was planned. An
    /// error (the file is gone, or no longer the one planned with) is the sentence to report.
    pub fn load(&self, reloader: &Reloader) -> Result<Case, String> {
        let case = reloader
            .load_case(&self.file.path)
            .map_err(|e: LoadError| {
                format!("cannot load the case again to run it: {}", e.message())
            })?;
        if Sha256::digest(case.source_text.as_bytes()).as_slice() != self.sha256 {
            return Err(
                "the case file changed after the run started (the run's digest is of the file as it was then); run again"
                    .to_string(),
            );
        }
        Ok(case)
    }
}

/// Makes [`PlannedCase`]s, sharing one fragment list among the cases that use the same files.
#[derive(Default)]
pub struct Planner {
    lists: HashMap<Vec<PathBuf>, Arc<[PathBuf]>>,
    features: HashMap<String, Arc<str>>,
    tags: HashMap<Vec<String>, Arc<[String]>>,
}

impl Planner {
    pub fn plan(&mut self, case: Case) -> PlannedCase {
        let mut fragments: Vec<PathBuf> = case.feature_defaults.iter().cloned().collect();
        for step in case.setup.iter().chain(&case.steps).chain(&case.finally) {
            step.collect_fragments(&mut fragments);
        }
        fragments.sort();
        fragments.dedup();
        let fragments = match self.lists.get(&fragments) {
            Some(shared) => shared.clone(),
            None => {
                let shared: Arc<[PathBuf]> = fragments.clone().into();
                self.lists.insert(fragments, shared.clone());
                shared
            }
        };
        let uses_customer = [&case.setup, &case.steps, &case.finally]
            .into_iter()
            .any(|steps| customer_acts(steps));
        let feature = match self.features.get(&case.feature) {
            Some(shared) => shared.clone(),
            None => {
                let shared: Arc<str> = case.feature.as_str().into();
                self.features.insert(case.feature, shared.clone());
                shared
            }
        };
        let tags = match self.tags.get(&case.tags) {
            Some(shared) => shared.clone(),
            None => {
                let shared: Arc<[String]> = case.tags.clone().into();
                self.tags.insert(case.tags, shared.clone());
                shared
            }
        };
        PlannedCase {
            sha256: Sha256::digest(case.source_text.as_bytes()).into(),
            fragments,
            uses_customer,
            name: case.name.into_boxed_str(),
            feature,
            case_number: case.case_number,
            tags,
            file: case.file,
        }
    }
}

/// Does the customer act in `steps` (an operator step of the customer, in a fragment or an
/// `automate` too)?
fn customer_acts(steps: &[Step]) -> bool {
    steps.iter().any(|s| match &s.action {
        Action::Operator(op) => op.role == Role::Customer || customer_acts(&op.automate),
        Action::Use(u) => customer_acts(&u.steps),
        _ => false,
    })
}

/// Loads `paths` for a run: the planned cases (the same cases, errors and order as
/// [`crate::scenario::load_paths`]) and the loader that parses each again when it runs.
pub fn plan_paths(paths: &[PathBuf]) -> (crate::scenario::Suite<PlannedCase>, Arc<Reloader>) {
    let mut planner = Planner::default();
    let (suite, reloader) = crate::scenario::load_paths_keeping(paths, |case| planner.plan(case));
    (suite, Arc::new(reloader))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A planned run sees the cases, errors and order a full load sees, keeps each case's
    /// digest input, and parses a case again only as it was planned.
    #[test]
    fn a_plan_is_the_load_in_compact_form_and_a_changed_file_does_not_run() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("fragments")).unwrap();
        std::fs::write(d.join("fragments/f.yaml"), "steps:\n  - wait: 1ms\n").unwrap();
        let case = |name: &str, n: u32| {
            format!(
                "name: {name}\nfeature: payments\ncase: {n}\nsteps:\n  - use: fragments/f.yaml\n"
            )
        };
        std::fs::write(d.join("a.yaml"), case("first", 2)).unwrap();
        std::fs::write(d.join("b.yaml"), case("second", 1)).unwrap();
        std::fs::write(d.join("c.yaml"), case("twin", 1)).unwrap();
        std::fs::write(d.join("d.yaml"), "name: broken\nsteps: [").unwrap();
        let paths = [d.to_path_buf()];
        let full = crate::scenario::load_paths(&paths);
        let (planned, reloader) = plan_paths(&paths);
        let names = |v: Vec<&str>| v.join(",");
        assert_eq!(
            names(planned.cases.iter().map(|c| &*c.name).collect()),
            names(full.cases.iter().map(|c| c.name.as_str()).collect())
        );
        let errors = |s: &[LoadError]| s.iter().map(|e| e.message()).collect::<Vec<_>>();
        assert_eq!(errors(&planned.errors), errors(&full.errors));
        assert_eq!(planned.errors.len(), 2);
        assert_eq!(planned.sources.len(), full.sources.len());
        let first = &planned.cases[0];
        assert_eq!(first.id(), full.cases[0].id());
        assert_eq!(first.fragments.len(), 1);
        assert!(Arc::ptr_eq(&first.fragments, &planned.cases[1].fragments));
        let again = first.load(&reloader).unwrap();
        assert_eq!(again.name, "first");
        assert_eq!(again.steps.len(), 1);
        std::fs::write(d.join("a.yaml"), case("edited", 2)).unwrap();
        let e = first.load(&reloader).unwrap_err();
        assert!(e.contains("changed after the run started"), "{e}");
        std::fs::remove_file(d.join("a.yaml")).unwrap();
        let e = first.load(&reloader).unwrap_err();
        assert!(e.starts_with("cannot load the case again"), "{e}");
    }
}

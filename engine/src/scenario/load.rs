//! Finds and loads case files, feature files and fragments from the paths given on the command
//! line. A broken file becomes a [`LoadError`] in the result; it never stops the other files from
//! loading, so one typo does not hide the verdict of every other case.

use super::convert::{Converter, FragmentResolver};
use super::error::{LoadError, LoadErrorKind};
use super::model::{Case, Feature, FragmentInterface, SourceFile, Step};
use super::yaml::{self, Node, Pos};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod reload;
pub use reload::Reloader;

/// Everything found under the given paths; `C` is what is kept of each case (the case itself,
/// or a compact form of it: see [`load_paths_keeping`]).
#[derive(Debug)]
pub struct Suite<C = Case> {
    pub cases: Vec<C>,
    pub features: Vec<Feature>,
    pub errors: Vec<LoadError>,
    /// Source text of files that failed, for rustc-style rendering.
    pub sources: HashMap<PathBuf, Arc<str>>,
}

impl<C> Default for Suite<C> {
    fn default() -> Self {
        Suite {
            cases: Vec::new(),
            features: Vec::new(),
            errors: Vec::new(),
            sources: HashMap::new(),
        }
    }
}

/// The name of a feature folder's description file.
pub const FEATURE_FILE: &str = "feature.yaml";
/// Folders with this name hold fragments, not cases.
pub const FRAGMENTS_DIR: &str = "fragments";

pub fn load_paths(paths: &[PathBuf]) -> Suite {
    load_paths_keeping(paths, |case| case).0
}

/// Loads every file as [`load_paths`] does (the same cases, errors and order), but keeps of each
/// case only what `keep` makes of it, as soon as it is loaded: a run of thousands of cases then
/// never holds them all parsed at once. The [`Reloader`] loads a case again when it runs, with
/// the fragments and feature files loaded here.
pub fn load_paths_keeping<C>(
    paths: &[PathBuf],
    keep: impl FnMut(Case) -> C,
) -> (Suite<C>, Reloader) {
    let mut suite = Suite::default();
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect_yaml(path, &mut files);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            suite.errors.push(LoadError::new(
                path,
                Pos::new(1, 1),
                LoadErrorKind::Io("no such file or folder".into()),
            ));
        }
    }
    files.sort();
    // One file given twice (`scenarios/refunds ./scenarios/refunds/`, or relative and absolute)
    // loads once, under the first spelling.
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    drop(seen); // a path per file: not kept while the files load
    load_files(Loader::default(), files, suite, keep)
}

/// Loads `sources` (a path, which places errors and resolves `use:`, and the file's bytes) the
/// way [`load_paths`] loads files it found on disk, reading nothing from disk: `use:` fragments
/// and a case's folder `feature.yaml` are looked up among `sources`. As in a folder given on
/// the command line, a file under a `fragments/` folder is only there to be used and a
/// `feature.yaml` is a feature. Public so the loader can be fuzzed through the code real files
/// take.
pub fn load_sources(sources: Vec<(PathBuf, Vec<u8>)>) -> Suite {
    let memory: HashMap<PathBuf, Vec<u8>> = sources
        .into_iter()
        .map(|(path, bytes)| (normalize(&path), bytes))
        .collect();
    let mut files: Vec<PathBuf> = memory
        .keys()
        .filter(|p| !p.components().any(|c| c.as_os_str() == FRAGMENTS_DIR))
        .cloned()
        .collect();
    files.sort();
    let loader = Loader {
        files: Files::Memory(memory),
        ..Loader::default()
    };
    load_files(loader, files, Suite::default(), |case| case).0
}

/// Loads each of `files` as a feature or a case into `suite`, keeping of each case what `keep`
/// makes of it.
fn load_files<C>(
    mut loader: Loader,
    files: Vec<PathBuf>,
    mut suite: Suite<C>,
    mut keep: impl FnMut(Case) -> C,
) -> (Suite<C>, Reloader) {
    // "payments case 1" must name one case: reports, certificates and people refer to cases so.
    // The later file of a pair becomes a load error (it does not run); the first one runs. Files
    // load in order, so the first seen is the first file; the errors follow every other error.
    let mut numbered: HashMap<(String, u32), Arc<SourceFile>> = HashMap::new();
    let mut duplicates = Vec::new();
    for file in files {
        let is_feature = file.file_name().is_some_and(|n| n == FEATURE_FILE);
        let result = if is_feature {
            loader.load_feature(&file).map(|f| suite.features.push(f))
        } else {
            loader.load_case(&file).map(|case| {
                match duplicate_number(&mut numbered, &case) {
                    Some(e) => {
                        if let Some(text) = loader.sources.get(&case.file.path) {
                            suite.sources.insert(case.file.path.clone(), text.clone());
                        }
                        duplicates.push(e);
                    }
                    None => suite.cases.push(keep(case)),
                }
                loader.forget_case_source(&file);
            })
        };
        if let Err(e) = result {
            if let Some(text) = loader.sources.get(&e.file) {
                suite.sources.insert(e.file.clone(), text.clone());
            }
            suite.errors.push(e);
            // The suite has its own copy for the error; the loader, which lives on for the
            // run (the Reloader), need not. A feature file's text stays: its cached error is
            // given again to every case of the feature.
            if !is_feature {
                loader.forget_case_source(&file);
            }
        }
    }
    suite.errors.extend(duplicates);
    (suite, Reloader::new(loader))
}

/// The error for `case` if an earlier case of its feature has its number.
fn duplicate_number(
    seen: &mut HashMap<(String, u32), Arc<SourceFile>>,
    case: &Case,
) -> Option<LoadError> {
    let number = case.case_number?;
    let key = (case.feature.clone(), number);
    match seen.get(&key) {
        Some(first) => Some(LoadError::new(
            &case.file.path,
            case_number_position(&case.source_text),
            LoadErrorKind::DuplicateCaseNumber {
                feature: case.feature.clone(),
                number,
                first: first.path.clone(),
            },
        )),
        None => {
            // The case's own file handle (shared with what is kept of it), not a copy of its path.
            seen.insert(key, case.file.clone());
            None
        }
    }
}

/// Where `case:` is written (the model keeps only the number).
fn case_number_position(text: &str) -> Pos {
    yaml::parse(text)
        .ok()
        .and_then(|root| {
            root.as_map()?
                .iter()
                .find(|(k, _)| k.name == "case")
                .map(|(_, v)| v.pos)
        })
        .unwrap_or(Pos::new(1, 1))
}

/// YAML files under `dir`, recursively, skipping `fragments/` folders and hidden entries.
fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            if name != FRAGMENTS_DIR {
                collect_yaml(&path, out);
            }
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            out.push(path);
        }
    }
}

/// A loaded fragment: its steps and what it declares.
/// A fragment's steps are loaded once and shared by every `use:` of it (a run of thousands of
/// cases holds one copy).
type Fragment = (Arc<Vec<Step>>, Arc<FragmentInterface>);

/// Where the loader's files are: on disk, or given as texts ([`load_sources`]).
#[derive(Default)]
enum Files {
    #[default]
    Disk,
    /// By normalized path.
    Memory(HashMap<PathBuf, Vec<u8>>),
}

impl Files {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        match self {
            Files::Disk => std::fs::read(path),
            Files::Memory(files) => files
                .get(&normalize(path))
                .cloned()
                .ok_or_else(|| std::io::ErrorKind::NotFound.into()),
        }
    }

    fn is_file(&self, path: &Path) -> bool {
        match self {
            Files::Disk => path.is_file(),
            Files::Memory(files) => files.contains_key(&normalize(path)),
        }
    }
}

#[derive(Default)]
struct Loader {
    files: Files,
    /// Loaded fragments by resolved path (a fragment used by 30 cases is parsed once).
    fragments: HashMap<PathBuf, Result<Fragment, LoadError>>,
    /// Loaded `feature.yaml` files by path: read once whether a case (for its default setup
    /// and finally) or the file list asks first.
    features: HashMap<PathBuf, Result<Feature, LoadError>>,
    /// Fragments being loaded, to detect cycles.
    stack: Vec<PathBuf>,
    sources: HashMap<PathBuf, Arc<str>>,
}

impl Loader {
    /// A case file's text is kept only to show a load error in it: once the case has loaded
    /// (or its error has been taken), it goes, unless the file is a fragment too.
    fn forget_case_source(&mut self, path: &Path) {
        if !self.fragments.contains_key(path) {
            self.sources.remove(path);
        }
    }

    fn read(&mut self, path: &Path) -> Result<(Arc<str>, Node), LoadError> {
        let bytes = self
            .files
            .read(path)
            .map_err(|e| LoadError::new(path, Pos::new(1, 1), LoadErrorKind::Io(e.to_string())))?;
        let text: Arc<str> = match String::from_utf8(bytes) {
            Ok(t) => t.into(),
            Err(e) => {
                let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let line = valid.iter().filter(|b| **b == b'\n').count() as u32 + 1;
                let col = valid.iter().rev().take_while(|b| **b != b'\n').count() as u32 + 1;
                return Err(LoadError::new(
                    path,
                    Pos::new(line, col),
                    LoadErrorKind::NotUtf8,
                ));
            }
        };
        self.sources.insert(path.to_path_buf(), text.clone());
        let node = yaml::parse(&text)
            .map_err(|e| LoadError::new(path, e.pos, LoadErrorKind::Syntax(e.message)))?;
        Ok((text, node))
    }

    fn load_case(&mut self, path: &Path) -> Result<Case, LoadError> {
        let (text, node) = self.read(path)?;
        let file = Arc::new(SourceFile {
            path: path.to_path_buf(),
        });
        Converter {
            file,
            fragments: self,
        }
        .case(&node, text)
    }

    fn load_feature(&mut self, path: &Path) -> Result<Feature, LoadError> {
        if let Some(cached) = self.features.get(path) {
            return cached.clone();
        }
        let result = self.read(path).and_then(|(_, node)| {
            let id = path
                .parent()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let file = Arc::new(SourceFile {
                path: path.to_path_buf(),
            });
            Converter {
                file,
                fragments: self,
            }
            .feature(&node, id)
        });
        self.features.insert(path.to_path_buf(), result.clone());
        result
    }
}

impl FragmentResolver for Loader {
    fn load_fragment(
        &mut self,
        from_file: &Path,
        reference: &str,
        pos: Pos,
    ) -> Result<(PathBuf, Arc<Vec<Step>>), LoadError> {
        let Some(path) = resolve_fragment(&self.files, from_file, reference) else {
            return Err(LoadError::new(
                from_file,
                pos,
                LoadErrorKind::FragmentNotFound(reference.into()),
            ));
        };
        if self.stack.contains(&path) {
            return Err(LoadError::new(
                from_file,
                pos,
                LoadErrorKind::FragmentCycle(path),
            ));
        }
        if let Some(cached) = self.fragments.get(&path) {
            return cached.clone().map(|(steps, _)| (path, steps));
        }
        self.stack.push(path.clone());
        let result = self.read(&path).and_then(|(_, node)| {
            let file = Arc::new(SourceFile { path: path.clone() });
            let (steps, interface) = Converter {
                file,
                fragments: self,
            }
            .fragment(&node)?;
            Ok((Arc::new(steps), Arc::new(interface)))
        });
        self.stack.pop();
        self.fragments.insert(path.clone(), result.clone());
        result.map(|(steps, _)| (path, steps))
    }

    fn fragment_interface(&self, path: &Path) -> Arc<FragmentInterface> {
        match self.fragments.get(path) {
            Some(Ok((_, interface))) => interface.clone(),
            _ => Arc::default(),
        }
    }

    fn folder_feature(&mut self, case_file: &Path) -> Option<Result<Feature, LoadError>> {
        let path = case_file.parent()?.join(FEATURE_FILE);
        self.files.is_file(&path).then(|| self.load_feature(&path))
    }
}

/// A fragment reference is looked up beside the referencing file, then in each parent folder, so
/// `use: fragments/onboarded-pos.yaml` in `scenarios/payments/01.yaml` finds
/// `scenarios/fragments/onboarded-pos.yaml`.
fn resolve_fragment(files: &Files, from_file: &Path, reference: &str) -> Option<PathBuf> {
    let reference = Path::new(reference);
    if reference.is_absolute() {
        return files.is_file(reference).then(|| reference.to_path_buf());
    }
    let mut dir = from_file.parent();
    while let Some(d) = dir {
        let candidate = d.join(reference);
        if files.is_file(&candidate) {
            return Some(normalize(&candidate));
        }
        dir = d.parent();
    }
    None
}

/// Removes `.` and `folder/..` parts so one fragment has one cache key and one display path.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_cases_with_one_number_in_a_feature_are_an_error_at_the_second() {
        let dir = tempfile::tempdir().unwrap();
        let case = |name: &str| {
            format!("name: {name}\nfeature: payments\ncase: 1\nsteps:\n  - wait: 1ms\n")
        };
        std::fs::write(dir.path().join("a.yaml"), case("first")).unwrap();
        std::fs::write(dir.path().join("b.yaml"), case("second")).unwrap();
        std::fs::write(
            dir.path().join("c.yaml"),
            case("other feature").replace("payments", "refunds"),
        )
        .unwrap();
        let suite = load_paths(&[dir.path().to_path_buf()]);
        let names: Vec<&str> = suite.cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["first", "other feature"]);
        assert_eq!(suite.errors.len(), 1);
        let e = &suite.errors[0];
        assert!(e.file.ends_with("b.yaml"));
        assert_eq!(e.pos, Pos::new(3, 7));
        assert!(
            e.message().starts_with("payments case 1 is also "),
            "{}",
            e.message()
        );
    }

    /// The only case of `text`, loaded from a temp dir.
    fn one_case(text: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), text).unwrap();
        let mut suite = load_paths(&[dir.path().to_path_buf()]);
        assert!(suite.errors.is_empty(), "{:?}", suite.errors);
        suite.cases.remove(0)
    }

    #[test]
    fn a_watch_without_timeout_watches_as_long_as_the_operator_waits() {
        use crate::scenario::model::Action;
        let case = one_case(
            "name: n\nfeature: payments\nsteps:\n  - operator:\n      role: cashier\n      action: cancel-payment\n      timeout: 2m\n      watch: { request: { url: x }, until: { $.ok: true } }\n  - operator:\n      role: cashier\n      action: cancel-payment\n      timeout: 2m\n      watch: { request: { url: x }, until: { $.ok: true }, timeout: 5s }\n",
        );
        let watch_timeout = |i: usize| match &case.steps[i].action {
            Action::Operator(op) => op.watch.as_ref().unwrap().poll.as_ref().unwrap().timeout,
            _ => unreachable!(),
        };
        assert_eq!(watch_timeout(0), std::time::Duration::from_secs(120));
        assert_eq!(watch_timeout(1), std::time::Duration::from_secs(5));
    }

    #[test]
    fn retry_as_a_number_is_that_many_attempts_with_the_defaults() {
        use crate::scenario::convert::{DEFAULT_RETRY_DELAY, DEFAULT_RETRY_ON};
        use crate::scenario::model::Action;
        let case = one_case(
            "name: n\nfeature: payments\nsteps:\n  - request: { url: x, retry: 4 }\n  - request: { url: x, retry: {} }\n",
        );
        let retry = |i: usize| match &case.steps[i].action {
            Action::Request(r) => r.retry.clone().unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(retry(0).attempts, 4);
        assert_eq!(retry(0).on, DEFAULT_RETRY_ON);
        assert_eq!(retry(0).delay, DEFAULT_RETRY_DELAY);
        // `retry: 3` and the written-out default are one thing.
        assert_eq!(retry(1).attempts, 3);
        assert_eq!(retry(1).on, retry(0).on);
        assert_eq!(retry(1).delay, retry(0).delay);
    }

    #[test]
    fn a_group_merges_its_when_into_each_step_and_puts_its_if_first() {
        use crate::scenario::model::{ClientMode, TargetKind, WhenCondition};
        let case = one_case(
            "name: n\nfeature: payments\nsteps:\n  - group: g\n    when: [reference, adapter]\n    if: '{{a}}'\n    steps:\n      - wait: 0s\n        when: [adapter, emulator]\n        if: '{{b}}'\n      - wait: 0s\n",
        );
        assert_eq!(case.steps.len(), 2);
        assert_eq!(
            case.steps[0].when,
            [
                WhenCondition::Client(ClientMode::Adapter),
                WhenCondition::Target(TargetKind::Emulator)
            ]
        );
        let texts: Vec<&str> = case.steps[0]
            .conditions
            .iter()
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(texts, ["{{a}}", "{{b}}"]);
        assert_eq!(
            case.steps[1].when,
            [
                WhenCondition::Client(ClientMode::Reference),
                WhenCondition::Client(ClientMode::Adapter)
            ]
        );
        assert_eq!(case.steps[1].conditions.len(), 1);
    }

    #[test]
    fn one_file_given_twice_loads_once() {
        let dir = tempfile::tempdir().unwrap();
        let case = "name: only\nfeature: payments\ncase: 1\nsteps:\n  - wait: 1ms\n";
        std::fs::write(dir.path().join("a.yaml"), case).unwrap();
        let twice = [
            dir.path().to_path_buf(),
            dir.path().join(".").join("a.yaml"),
        ];
        let suite = load_paths(&twice);
        assert!(suite.errors.is_empty(), "{:?}", suite.errors);
        assert_eq!(suite.cases.len(), 1);
    }
}

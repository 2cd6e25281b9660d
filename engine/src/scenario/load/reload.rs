//! Loading a case again when it runs (see [`super::load_paths_keeping`]): a long run keeps a
//! compact form of each case, not thousands of parsed ones, and parses each as its turn comes.

use super::{Case, LoadError, Loader};
use std::path::Path;
use std::sync::Mutex;

/// The loader of a planned run, kept for the run: fragments and `feature.yaml` files stay as
/// they were loaded when the run was planned (parsed once, shared by every case), and only the
/// case file itself is read again.
pub struct Reloader {
    loader: Mutex<Loader>,
}

impl std::fmt::Debug for Reloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reloader")
    }
}

impl Reloader {
    pub(super) fn new(loader: Loader) -> Reloader {
        Reloader {
            loader: Mutex::new(loader),
        }
    }

    /// The case in the file at `path`, parsed again. The caller checks that the text is the one
    /// planned with ([`Case::source_text`]): the file may have changed since.
    pub fn load_case(&self, path: &Path) -> Result<Case, LoadError> {
        let mut loader = self.loader.lock().unwrap_or_else(|p| p.into_inner());
        let case = loader.load_case(path);
        loader.forget_case_source(path);
        case
    }
}

//! The digest of the case files that ran: what a certificate vouches for.
//!
//! Fragments are included: a case's behaviour is its file *and* the fragments it `use:`s, so a
//! change to a shared fragment must change the digest of every certificate that depended on
//! it. A feature file (`feature.yaml`) is included for the cases that run its default `setup` or
//! `finally` (as a `fragment`: shared steps); otherwise it only names a feature and what it
//! requires, and is not.
//!
//! The definition, so anyone can recompute it from the files and the certificate:
//! 1. for each file, `sha256(bytes)` in lower-case hex;
//! 2. sort those hex strings, each followed by `\n`, and concatenate;
//! 3. `digest = "sha256:" + sha256(that text)`.
//!
//! Paths are listed in the certificate for people but are not part of the digest, so the same
//! files run from another folder (or another checkout) give the same digest.

use crate::run::plan::PlannedCase;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One file that ran.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDigest {
    /// As the run named it (relative paths stay relative), with `/` separators.
    pub path: String,
    /// `case` or `fragment`.
    pub role: String,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// The files of a run and their combined digest.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    pub files: Vec<FileDigest>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The combined digest of file hashes (see the module documentation).
pub fn combine<'a>(hashes: impl IntoIterator<Item = &'a str>) -> String {
    let mut sorted: Vec<&str> = hashes.into_iter().collect();
    sorted.sort_unstable();
    let mut text = String::with_capacity(sorted.len() * 65);
    for h in sorted {
        text.push_str(h);
        text.push('\n');
    }
    format!("sha256:{}", sha256_hex(text.as_bytes()))
}

fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

impl Manifest {
    /// The case files (their text as loaded, byte for byte what ran) and every fragment they
    /// use, directly or through other fragments. Fragments are read again from disk; a file
    /// that vanished since loading is an error rather than a silent hole in the digest.
    pub fn of_cases<'a>(
        cases: impl IntoIterator<Item = &'a PlannedCase>,
    ) -> Result<Manifest, String> {
        let mut files: BTreeMap<String, FileDigest> = BTreeMap::new();
        let mut fragments: Vec<&Path> = Vec::new();
        for case in cases {
            let path = display(&case.file.path);
            files.insert(
                path.clone(),
                FileDigest {
                    path,
                    role: "case".into(),
                    sha256: hex::encode(case.sha256),
                },
            );
            fragments.extend(case.fragments.iter().map(PathBuf::as_path));
        }
        for fragment in fragments {
            let path = display(fragment);
            if files.contains_key(&path) {
                continue;
            }
            let bytes = std::fs::read(fragment)
                .map_err(|e| format!("cannot read the fragment {path} for the digest: {e}"))?;
            files.insert(
                path.clone(),
                FileDigest {
                    path,
                    role: "fragment".into(),
                    sha256: sha256_hex(&bytes),
                },
            );
        }
        Ok(Manifest {
            files: files.into_values().collect(),
        })
    }

    pub fn digest(&self) -> String {
        combine(self.files.iter().map(|f| f.sha256.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_ignores_order_and_paths() {
        let a = sha256_hex(b"a");
        let b = sha256_hex(b"b");
        assert_eq!(
            combine([a.as_str(), b.as_str()]),
            combine([b.as_str(), a.as_str()])
        );
        assert_ne!(combine([a.as_str()]), combine([b.as_str()]));
        // The documented recipe, spelled out.
        let mut sorted = [a.clone(), b.clone()];
        sorted.sort();
        let text = format!("{}\n{}\n", sorted[0], sorted[1]);
        assert_eq!(
            combine([a.as_str(), b.as_str()]),
            format!("sha256:{}", sha256_hex(text.as_bytes()))
        );
    }
}

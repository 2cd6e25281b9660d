//! `poscert.yaml`: who is being certified (the Identification step), against what, with which
//! credentials (named, never written), and where the reports, certificates and ledger go.
//!
//! The file is found in the current folder (`poscert.yaml`, or `poscert.yml`) or given with
//! `--config FILE`; only the current folder is searched, so a run never picks up a file from
//! somewhere up the tree by surprise. Command-line flags win over the file. Relative paths in
//! the file are relative to the file's folder.

pub mod credentials;
pub mod model;
mod parse;

pub use credentials::{resolve_credentials, CredentialError, CredentialKind};
pub use model::{Config, CredentialSources, Identity, Reports};
pub use parse::{
    CALLBACK_KEYS, CLIENT_IDS_KEYS, CREDENTIALS_KEYS, CUSTOM_TARGET_KEYS, IDENTITY_KEYS,
    REPORTS_KEYS, ROOT_KEYS, SANDBOX_TARGET_KEYS, SECRETS_FILE_KEYS,
};

use crate::scenario::error::{LoadError, LoadErrorKind};
use crate::scenario::yaml::{self, Pos};
use std::path::{Path, PathBuf};

/// The names looked for in the current folder, in order.
pub const CONFIG_FILES: &[&str] = &["poscert.yaml", "poscert.yml"];

/// A configuration error, ready to print rustc-style. The source excerpt never shows a secret:
/// the line of an inline secret is masked, and the secrets file is never quoted.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub error: LoadError,
    /// The text to quote under the error (already masked), when quoting is safe.
    source: Option<String>,
}

impl ConfigError {
    pub fn new(error: LoadError, source: Option<String>) -> Self {
        ConfigError { error, source }
    }

    /// `error: …\n  --> poscert.yaml:3:5\n  |\n3 | …\n  | ^`
    pub fn render(&self) -> String {
        self.error.render(self.source.as_deref())
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.error.one_line())
    }
}

/// The file to use: `explicit` (which must exist), else the first of [`CONFIG_FILES`] in `dir`.
pub fn locate(explicit: Option<&Path>, dir: &Path) -> Result<Option<PathBuf>, ConfigError> {
    if let Some(path) = explicit {
        if !path.is_file() {
            let reason = if path.exists() {
                "--config names a folder, not a file".to_string()
            } else {
                "--config names a file that does not exist (see examples/poscert.yaml for one)"
                    .to_string()
            };
            return Err(ConfigError::new(
                LoadError::new(path, Pos::new(1, 1), LoadErrorKind::Io(reason)),
                None,
            ));
        }
        return Ok(Some(path.to_path_buf()));
    }
    Ok(CONFIG_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        // Show `poscert.yaml`, not `./poscert.yaml`, when found in the current folder.
        .map(|p| p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p)))
}

/// `--config FILE`, or `poscert.yaml` in the current folder; `None` when there is neither.
pub fn discover(explicit: Option<&Path>) -> Result<Option<Config>, ConfigError> {
    match locate(explicit, Path::new("."))? {
        Some(path) => load(&path).map(Some),
        None => Ok(None),
    }
}

/// Reads and checks one config file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    parse_text(path, &read_text(path)?)
}

/// Checks the text of a config file read from `path` (which places errors and is the base of
/// the file's relative paths; nothing is read from it). [`load`] is this after reading the file;
/// public so the parser can be fuzzed through the path real files take.
pub fn parse_text(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let root = yaml::parse(text).map_err(|e| {
        ConfigError::new(
            LoadError::new(path, e.pos, LoadErrorKind::Syntax(e.message)),
            Some(mask_secret_lines(text)),
        )
    })?;
    parse::Parser { file: path }
        .config(&root)
        .map_err(|e| ConfigError::new(e, Some(mask_secret_lines(text))))
}

pub(crate) fn read_text(path: &Path) -> Result<String, ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| {
        ConfigError::new(
            LoadError::new(path, Pos::new(1, 1), LoadErrorKind::Io(e.to_string())),
            None,
        )
    })?;
    String::from_utf8(bytes).map_err(|_| {
        ConfigError::new(
            LoadError::new(path, Pos::new(1, 1), LoadErrorKind::NotUtf8),
            None,
        )
    })
}

/// The file's text with everything after a secret-looking key (`clientSecret: …`, also inside
/// a flow mapping) replaced by `***`, so quoting a line under an error cannot leak what was
/// pasted there.
fn mask_secret_lines(text: &str) -> String {
    let key =
        regex::Regex::new(r#"["']?([A-Za-z_][A-Za-z0-9_\-]*)["']?\s*:"#).expect("valid regex");
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let cut = key
            .captures_iter(line)
            .filter_map(|c| {
                let end = c.get(0).map_or(0, |m| m.end());
                let secret = parse::is_secret_key(&c[1])
                    // A `*SecretEnv` whose value is not a variable name may be the secret itself.
                    || (c[1].ends_with("Env")
                        && CREDENTIALS_KEYS.contains(&&c[1])
                        && !is_env_name_value(&line[end..]));
                secret.then_some(end)
            })
            .next();
        match cut {
            Some(end) => {
                out.push_str(&line[..end]);
                out.push_str(" ***");
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Is the rest of a `key: value` line a plain environment variable name?
fn is_env_name_value(rest: &str) -> bool {
    let value = rest
        .split(" #")
        .next()
        .unwrap_or("")
        .trim()
        .trim_end_matches([',', '}'])
        .trim()
        .trim_matches(|c| c == '"' || c == '\'');
    value.is_empty()
        || (value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_lines_are_masked_in_quotes() {
        let text = "identity:\n  clientSecret: hunter2-very-secret\n  version: 1.0.0\nx: { a: 1, password: hunter3 }\n";
        let masked = mask_secret_lines(text);
        assert!(!masked.contains("hunter2"), "{masked}");
        assert!(!masked.contains("hunter3"), "{masked}");
        assert!(masked.contains("  clientSecret: ***\n"), "{masked}");
        assert!(masked.contains("  version: 1.0.0\n"));
        let text = "  clientSecretEnv: MY_SECRET\n  clientIdEnv: 'pasted-secret!'\n  secretsFile: a.yaml\n";
        let masked = mask_secret_lines(text);
        assert!(masked.contains("MY_SECRET"), "{masked}");
        assert!(!masked.contains("pasted"), "{masked}");
        assert!(masked.contains("a.yaml"), "{masked}");
    }
}

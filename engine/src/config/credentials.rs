//! Credentials come from environment variables (names configurable in `poscert.yaml`) and,
//! for what the environment does not hold, from a secrets file that is never committed. They
//! are never read from `poscert.yaml` itself (see `parse.rs`), and never printed: errors name
//! the variable or the key, not the value.

use super::model::{At, CredentialSources};
use super::parse::Parser;
use crate::http::target::Credentials;
use crate::scenario::yaml::{self, Pos};
use std::path::{Path, PathBuf};

/// Which pair of credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// The OAuth client id and secret of the Integrator Authentication API (MobilePay's zip).
    Integrator,
    /// The developer-portal app's `x-ibm-client-id` / `x-ibm-client-secret`, for the
    /// user-simulation API (notes §4.5).
    UserSimulation,
}

impl CredentialKind {
    fn vars(self, s: &CredentialSources) -> (&At<String>, &At<String>) {
        match self {
            CredentialKind::Integrator => (&s.client_id_env, &s.client_secret_env),
            CredentialKind::UserSimulation => {
                (&s.simulation_client_id_env, &s.simulation_client_secret_env)
            }
        }
    }

    fn file_keys(self) -> (&'static str, &'static str) {
        match self {
            CredentialKind::Integrator => ("clientId", "clientSecret"),
            CredentialKind::UserSimulation => ("simulationClientId", "simulationClientSecret"),
        }
    }

    fn what(self) -> &'static str {
        match self {
            CredentialKind::Integrator => {
                "your integrator credentials (the sandbox client id and secret from MobilePay's zip)"
            }
            CredentialKind::UserSimulation => {
                "the user-simulation credentials (your developer-portal app's client id and secret, subscribed to \"PoS User Simulation for Integrators\")"
            }
        }
    }
}

/// A credential problem; says which variable or key to set, and where it is configured.
#[derive(Debug, Clone)]
pub struct CredentialError {
    pub message: String,
    pub at: Option<(PathBuf, Pos)>,
}

impl CredentialError {
    pub fn render(&self) -> String {
        match &self.at {
            Some((file, pos)) => format!(
                "error: {}\n  --> {}:{}:{}\n",
                self.message,
                file.display(),
                pos.line,
                pos.col
            ),
            None => format!("error: {}\n", self.message),
        }
    }

    /// `kind` is needed by `purpose` (e.g. "the sandbox target") and was not found.
    pub fn missing(
        sources: &CredentialSources,
        kind: CredentialKind,
        config_file: Option<&Path>,
        purpose: &str,
    ) -> CredentialError {
        let (id, secret) = kind.vars(sources);
        let (id_key, secret_key) = kind.file_keys();
        let file_hint = match &sources.secrets_file {
            Some(f) if f.value.is_file() => format!(
                ", or write `{id_key}` and `{secret_key}` in the secrets file {}",
                f.value.display()
            ),
            Some(f) => format!(
                ", or create the secrets file {} with `{id_key}` and `{secret_key}` (it does not exist; keep it out of git)",
                f.value.display()
            ),
            None => String::new(),
        };
        CredentialError {
            message: format!(
                "{purpose} needs {}: set the environment variables {} and {}{file_hint}",
                kind.what(),
                id.value,
                secret.value
            ),
            at: where_configured(sources, config_file, &[id, secret]),
        }
    }
}

/// The position of the first explicitly configured name, else of `credentials:`.
fn where_configured(
    sources: &CredentialSources,
    config_file: Option<&Path>,
    names: &[&At<String>],
) -> Option<(PathBuf, Pos)> {
    let file = config_file?;
    let pos = names
        .iter()
        .map(|n| n.pos)
        .find(|p| *p != Pos::default())
        .or(sources.pos)?;
    Some((file.to_path_buf(), pos))
}

/// The credentials of `kind`: both values found, `None` when neither is set anywhere, an
/// error when only one of the pair is (a half-configured pair is always a mistake).
pub fn resolve_credentials(
    sources: &CredentialSources,
    kind: CredentialKind,
    config_file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Credentials>, CredentialError> {
    let (id_var, secret_var) = kind.vars(sources);
    let (id_key, secret_key) = kind.file_keys();
    let from_env = |var: &At<String>| env(&var.value).filter(|v| !v.is_empty());
    let mut id = from_env(id_var);
    let mut secret = from_env(secret_var);
    if id.is_none() || secret.is_none() {
        if let Some(file) = sources.secrets_file.as_ref().filter(|f| f.value.is_file()) {
            let values = read_secrets_file(&file.value)?;
            let get = |key: &str| {
                values
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.value.clone())
                    .filter(|v| !v.is_empty())
            };
            id = id.or_else(|| get(id_key));
            secret = secret.or_else(|| get(secret_key));
        }
    }
    match (id, secret) {
        (Some(client_id), Some(client_secret)) => Ok(Some(Credentials {
            client_id,
            client_secret,
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(CredentialError {
            message: format!(
                "{} is set but {} is not: set both (the client id and its secret)",
                id_var.value, secret_var.value
            ),
            at: where_configured(sources, config_file, &[secret_var]),
        }),
        (None, Some(_)) => Err(CredentialError {
            message: format!(
                "{} is set but {} is not: set both (the client id and its secret)",
                secret_var.value, id_var.value
            ),
            at: where_configured(sources, config_file, &[id_var]),
        }),
    }
}

/// Reads the secrets file. Its text is never quoted in an error (it holds secrets), and a
/// file git would commit earns a warning.
fn read_secrets_file(path: &Path) -> Result<Vec<(String, At<String>)>, CredentialError> {
    let fail = |pos: Pos, message: String| CredentialError {
        message,
        at: Some((path.to_path_buf(), pos)),
    };
    let text = super::read_text(path).map_err(|e| fail(Pos::new(1, 1), e.error.message()))?;
    let values = parse_secrets_text(path, &text)?;
    warn_if_committable(path);
    Ok(values)
}

/// Checks the text of a secrets file read from `path` (which only places errors).
/// Reading a secrets file is this after the read; public so the parser can be fuzzed.
pub fn parse_secrets_text(
    path: &Path,
    text: &str,
) -> Result<Vec<(String, At<String>)>, CredentialError> {
    let fail = |pos: Pos, message: String| CredentialError {
        message,
        at: Some((path.to_path_buf(), pos)),
    };
    let root = yaml::parse(text).map_err(|e| {
        fail(
            e.pos,
            "the secrets file is not valid YAML here (details are not shown: the file holds secrets)"
                .into(),
        )
    })?;
    let values = Parser { file: path }
        .secrets(&root)
        .map_err(|e| fail(e.pos, e.message()))?;
    Ok(values)
}

/// `git check-ignore` answers 1 for a path git would track: say so (a warning, not an error:
/// the file may live outside any repository, or git may be missing).
fn warn_if_committable(path: &Path) {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Some(name) = path.file_name() else {
        return;
    };
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["check-ignore", "-q", "--"])
        .arg(name)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if status.is_ok_and(|s| s.code() == Some(1)) {
        eprintln!(
            "warning: the secrets file {} is not git-ignored: add it to .gitignore so it is never committed",
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn both_from_the_environment() {
        let s = CredentialSources::default();
        let env = env_of(&[
            ("POSCERT_CLIENT_ID", "id"),
            ("POSCERT_CLIENT_SECRET", "secret-1"),
        ]);
        let c = resolve_credentials(&s, CredentialKind::Integrator, None, &env)
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.client_id.as_str(), c.client_secret.as_str()),
            ("id", "secret-1")
        );
        assert!(
            resolve_credentials(&s, CredentialKind::UserSimulation, None, &env)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn half_a_pair_names_the_missing_variable() {
        let s = CredentialSources::default();
        let env = env_of(&[("POSCERT_CLIENT_ID", "id")]);
        let e = resolve_credentials(&s, CredentialKind::Integrator, None, &env).unwrap_err();
        assert!(
            e.message.contains("POSCERT_CLIENT_SECRET is not"),
            "{}",
            e.message
        );
    }
}

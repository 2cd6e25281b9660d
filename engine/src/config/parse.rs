//! `poscert.yaml` → [`Config`], with `file:line:col` on every error.
//!
//! The same positioned YAML tree and the same rustc-style errors as the scenario language
//! (`scenario::yaml`, `scenario::error`): an unknown key gets a did-you-mean, a wrong type says
//! what was expected. The allowed keys of each object are the `*_KEYS` constants;
//! `schemas/config.schema.json` is tested against them (engine/tests/config_errors.rs).
//!
//! Secrets are refused before anything else: `poscert.yaml` is meant to be committed, so a
//! `clientSecret:` (or any key that names a secret) anywhere in it is an error that says where
//! the value belongs instead.

use super::model::*;
use crate::identity::Version;
use crate::scenario::convert::FEATURE_IDS;
use crate::scenario::error::LoadError;
use crate::scenario::read::NodeReader;
use crate::scenario::yaml::{Node, Pos, Value};
use std::path::{Path, PathBuf};

pub const ROOT_KEYS: &[&str] = &[
    "identity",
    "merchantVat",
    "features",
    "target",
    "targets",
    "adapter",
    "credentials",
    "reports",
];
pub const IDENTITY_KEYS: &[&str] = &["systemName", "version", "clientIds", "callback"];
pub const CLIENT_IDS_KEYS: &[&str] = &["sandbox", "production"];
pub const CALLBACK_KEYS: &[&str] = &["alias", "url"];
pub const SANDBOX_TARGET_KEYS: &[&str] = &["host"];
pub const CUSTOM_TARGET_KEYS: &[&str] = &["url"];
pub const CREDENTIALS_KEYS: &[&str] = &[
    "clientIdEnv",
    "clientSecretEnv",
    "simulationClientIdEnv",
    "simulationClientSecretEnv",
    "secretsFile",
];
pub const REPORTS_KEYS: &[&str] = &["dir", "json", "junit", "certificateDir", "ledger"];
/// The keys of the secrets file (`credentials.secretsFile`).
pub const SECRETS_FILE_KEYS: &[&str] = &[
    "clientId",
    "clientSecret",
    "simulationClientId",
    "simulationClientSecret",
];

/// Keys that hold a secret, compared in lower case without `_` and `-`.
const SECRET_KEY_NAMES: &[&str] = &[
    "clientsecret",
    "simulationclientsecret",
    "xibmclientsecret",
    "secret",
    "password",
    "accesstoken",
    "token",
    "apikey",
];

type Res<T> = Result<T, LoadError>;

pub(super) struct Parser<'a> {
    pub file: &'a Path,
}

/// A secret written in the file: the key and where.
pub(super) struct InlineSecret {
    pub key: String,
    pub pos: Pos,
}

/// Does this key name a secret (`clientSecret`, `client_secret`, `password`, `token`...)?
pub(super) fn is_secret_key(name: &str) -> bool {
    let norm: String = name
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    SECRET_KEY_NAMES.contains(&norm.as_str())
}

/// The first key anywhere in `node` that names a secret.
pub(super) fn find_inline_secret(node: &Node) -> Option<InlineSecret> {
    match &node.value {
        Value::Map(entries) => entries.iter().find_map(|(k, v)| {
            if is_secret_key(&k.name) {
                Some(InlineSecret {
                    key: k.name.clone(),
                    pos: k.pos,
                })
            } else {
                find_inline_secret(v)
            }
        }),
        Value::Seq(items) => items.iter().find_map(find_inline_secret),
        _ => None,
    }
}

/// What to say about an inline secret: where it belongs instead.
pub(super) fn inline_secret_message(key: &str) -> String {
    let norm = key.to_ascii_lowercase().replace(['_', '-'], "");
    let (var, env_key, file_key) = if norm.contains("simulation") {
        (
            ENV_SIMULATION_CLIENT_SECRET,
            "simulationClientSecretEnv",
            "simulationClientSecret",
        )
    } else {
        (ENV_CLIENT_SECRET, "clientSecretEnv", "clientSecret")
    };
    format!(
        "`{key}` holds a secret, and poscert.yaml is meant to be committed: remove it, rotate the \
         secret if this file was ever shared, and set the environment variable {var} instead \
         (another name can be given with `credentials.{env_key}`), or write `{file_key}:` in the \
         secrets file named by `credentials.secretsFile`, which must be git-ignored and never committed"
    )
}

impl NodeReader for Parser<'_> {
    fn file_path(&self) -> &Path {
        self.file
    }
}

impl<'a> Parser<'a> {
    /// Non-empty text (numbers are accepted as text: a client id may look like one).
    fn text(&self, node: &Node) -> Res<At<String>> {
        let value = node
            .scalar_text()
            .ok_or_else(|| self.wrong_type(node, "text"))?;
        if value.trim().is_empty() {
            return Err(self.invalid(node.pos, "must not be empty"));
        }
        Ok(At {
            value: value.trim().to_string(),
            pos: node.pos,
        })
    }

    fn url(&self, node: &Node) -> Res<At<String>> {
        let at = self.text(node)?;
        if !(at.value.starts_with("http://") || at.value.starts_with("https://")) {
            return Err(self.invalid(
                node.pos,
                format!("`{}` is not a URL: write http://… or https://…", at.value),
            ));
        }
        Ok(At {
            value: at.value.trim_end_matches('/').to_string(),
            pos: at.pos,
        })
    }

    fn path(&self, node: &Node, base: &Path) -> Res<At<PathBuf>> {
        let at = self.text(node)?;
        Ok(At {
            value: base.join(&at.value),
            pos: at.pos,
        })
    }

    fn env_name(&self, node: &Node) -> Res<At<String>> {
        let at = self.text(node)?;
        let valid = at
            .value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && at
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            // Never echo the value: someone may have written the secret itself here.
            return Err(self.invalid(
                node.pos,
                "not an environment variable name (letters, digits and `_`, e.g. POSCERT_CLIENT_SECRET): \
                 this key names the variable that holds the value, never the value itself",
            ));
        }
        Ok(at)
    }

    pub fn config(&self, root: &Node) -> Res<Config> {
        if let Some(secret) = find_inline_secret(root) {
            return Err(self.invalid(secret.pos, inline_secret_message(&secret.key)));
        }
        if matches!(root.value, Value::Null) {
            return Err(self.invalid(
                root.pos,
                "the file is empty: it needs at least `identity:` with `systemName` and `version` (see examples/poscert.yaml)",
            ));
        }
        self.map(root, ROOT_KEYS)?;
        let base = self.file.parent().unwrap_or(Path::new("")).to_path_buf();
        let identity = self.identity(self.required(root, "identity")?)?;
        let merchant_vat = root.get("merchantVat").map(|n| self.vat(n)).transpose()?;
        let features = root
            .get("features")
            .map(|n| self.features(n))
            .transpose()?
            .unwrap_or_default();
        let (sandbox_host, custom_targets) = match root.get("targets") {
            Some(n) => self.targets(n)?,
            None => (None, vec![]),
        };
        let target = match root.get("target") {
            Some(n) => {
                let at = self.text(n)?;
                let known = matches!(at.value.as_str(), "emulator" | "sandbox")
                    || at.value.starts_with("http://")
                    || at.value.starts_with("https://")
                    || custom_targets.iter().any(|(name, _)| *name == at.value);
                if !known {
                    return Err(self.invalid(
                        n.pos,
                        format!(
                            "unknown target `{}`: use emulator, sandbox, a base URL, or a name defined under `targets:`",
                            at.value
                        ),
                    ));
                }
                Some(at)
            }
            None => None,
        };
        let adapter = root.get("adapter").map(|n| self.text(n)).transpose()?;
        let credentials = match root.get("credentials") {
            Some(n) => self.credentials(n, &base)?,
            None => CredentialSources::default(),
        };
        let reports = match root.get("reports") {
            Some(n) => self.reports(n, &base)?,
            None => Reports::default(),
        };
        Ok(Config {
            file: self.file.to_path_buf(),
            identity,
            merchant_vat,
            features,
            target,
            sandbox_host,
            custom_targets,
            adapter,
            credentials,
            reports,
        })
    }

    fn identity(&self, node: &Node) -> Res<Identity> {
        self.map(node, IDENTITY_KEYS)?;
        let system_name = self.text(self.required(node, "systemName")?)?;
        let version_node = self.required(node, "version")?;
        let version_text = self.text(version_node)?;
        let version = Version::parse(&version_text.value)
            .map_err(|e| self.invalid(version_node.pos, format!("version {e}")))?;
        let (mut sandbox, mut production) = (None, None);
        if let Some(ids) = node.get("clientIds") {
            self.map(ids, CLIENT_IDS_KEYS)?;
            sandbox = ids.get("sandbox").map(|n| self.text(n)).transpose()?;
            production = ids.get("production").map(|n| self.text(n)).transpose()?;
        }
        let (mut alias, mut url) = (None, None);
        if let Some(cb) = node.get("callback") {
            self.map(cb, CALLBACK_KEYS)?;
            alias = cb.get("alias").map(|n| self.text(n)).transpose()?;
            url = cb.get("url").map(|n| self.url(n)).transpose()?;
        }
        Ok(Identity {
            system_name,
            version: At {
                value: version,
                pos: version_node.pos,
            },
            client_id_sandbox: sandbox,
            client_id_production: production,
            callback_alias: alias,
            callback_url: url,
        })
    }

    fn vat(&self, node: &Node) -> Res<At<String>> {
        let at = self.text(node)?;
        let vat = at.value.to_ascii_uppercase();
        if !is_well_formed_vat(&vat) {
            return Err(self.invalid(
                node.pos,
                format!(
                    "merchantVat `{}`: write DK or FI followed by 8 digits, no dash (the certification store is DK90000028 or FI90000040)",
                    at.value
                ),
            ));
        }
        Ok(At {
            value: vat,
            pos: at.pos,
        })
    }

    fn features(&self, node: &Node) -> Res<Vec<At<String>>> {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Str(_) => vec![node],
            _ => return Err(self.wrong_type(node, "a list of features")),
        };
        items
            .into_iter()
            .map(|n| {
                let at = self.text(n)?;
                if !FEATURE_IDS.contains(&at.value.as_str()) {
                    return Err(self.invalid(
                        n.pos,
                        format!(
                            "unknown feature `{}`; expected one of: {}",
                            at.value,
                            FEATURE_IDS.join(", ")
                        ),
                    ));
                }
                Ok(at)
            })
            .collect()
    }

    #[allow(clippy::type_complexity)]
    fn targets(&self, node: &Node) -> Res<(Option<At<String>>, Vec<(String, At<String>)>)> {
        let entries = node
            .as_map()
            .ok_or_else(|| self.wrong_type(node, "a mapping of target names"))?;
        let mut sandbox = None;
        let mut custom = Vec::new();
        for (key, value) in entries {
            match key.name.as_str() {
                "emulator" => {
                    return Err(self.invalid(
                        key.pos,
                        "the embedded emulator needs no settings; remove `emulator` from `targets`",
                    ))
                }
                "sandbox" => {
                    self.map(value, SANDBOX_TARGET_KEYS)?;
                    sandbox = value.get("host").map(|n| self.url(n)).transpose()?;
                }
                name => {
                    let valid_name = !name.is_empty()
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                    if !valid_name {
                        return Err(self.invalid(
                            key.pos,
                            format!("target name `{name}`: use letters, digits, `-` and `_`"),
                        ));
                    }
                    let url = match &value.value {
                        Value::Str(_) => self.url(value)?,
                        _ => {
                            self.map(value, CUSTOM_TARGET_KEYS)?;
                            self.url(self.required(value, "url")?)?
                        }
                    };
                    custom.push((name.to_string(), url));
                }
            }
        }
        Ok((sandbox, custom))
    }

    fn credentials(&self, node: &Node, base: &Path) -> Res<CredentialSources> {
        self.map(node, CREDENTIALS_KEYS)?;
        let mut c = CredentialSources {
            pos: Some(node.pos),
            ..CredentialSources::default()
        };
        if let Some(n) = node.get("clientIdEnv") {
            c.client_id_env = self.env_name(n)?;
        }
        if let Some(n) = node.get("clientSecretEnv") {
            c.client_secret_env = self.env_name(n)?;
        }
        if let Some(n) = node.get("simulationClientIdEnv") {
            c.simulation_client_id_env = self.env_name(n)?;
        }
        if let Some(n) = node.get("simulationClientSecretEnv") {
            c.simulation_client_secret_env = self.env_name(n)?;
        }
        c.secrets_file = node
            .get("secretsFile")
            .map(|n| self.path(n, base))
            .transpose()?;
        Ok(c)
    }

    fn reports(&self, node: &Node, base: &Path) -> Res<Reports> {
        self.map(node, REPORTS_KEYS)?;
        let path = |key: &str| -> Res<Option<PathBuf>> {
            node.get(key)
                .map(|n| self.path(n, base).map(|at| at.value))
                .transpose()
        };
        Ok(Reports {
            dir: path("dir")?,
            json: path("json")?,
            junit: path("junit")?,
            certificate_dir: path("certificateDir")?,
            ledger: path("ledger")?,
        })
    }

    /// The secrets file: a mapping of [`SECRETS_FILE_KEYS`] to text.
    pub fn secrets(&self, root: &Node) -> Res<Vec<(String, At<String>)>> {
        if matches!(root.value, Value::Null) {
            return Ok(vec![]);
        }
        let entries = self.map(root, SECRETS_FILE_KEYS)?;
        entries
            .iter()
            .map(|(k, v)| {
                let text = v.scalar_text().ok_or_else(|| self.wrong_type(v, "text"))?;
                Ok((
                    k.name.clone(),
                    At {
                        value: text,
                        pos: v.pos,
                    },
                ))
            })
            .collect()
    }
}

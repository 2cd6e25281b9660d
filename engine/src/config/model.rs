//! What `poscert.yaml` says, typed. Every value keeps the position it was written at, so a
//! problem found later (a credential variable that is not set, a target that does not answer)
//! can still point at `poscert.yaml:LINE:COL`.

use crate::identity::Version;
use crate::scenario::yaml::Pos;
use std::path::PathBuf;

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct At<T> {
    pub value: T,
    pub pos: Pos,
}

/// The whole file.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, as found or given (relative paths inside resolve beside it).
    pub file: PathBuf,
    pub identity: Identity,
    /// `merchantVat`: the merchant the token is asked for.
    pub merchant_vat: Option<At<String>>,
    /// `features`: the Selection step, used when `--feature` is not given.
    pub features: Vec<At<String>>,
    /// `target`: the default `--target`.
    pub target: Option<At<String>>,
    /// `targets.sandbox.host`.
    pub sandbox_host: Option<At<String>>,
    /// `targets.NAME.url`: custom targets by name.
    pub custom_targets: Vec<(String, At<String>)>,
    /// `adapter`: the integrator's harness command line (the default `--adapter`).
    pub adapter: Option<At<String>>,
    pub credentials: CredentialSources,
    pub reports: Reports,
}

/// The Identification step of MobilePay's self-certification (notes §7.2).
#[derive(Debug, Clone)]
pub struct Identity {
    pub system_name: At<String>,
    pub version: At<Version>,
    pub client_id_sandbox: Option<At<String>>,
    pub client_id_production: Option<At<String>>,
    pub callback_alias: Option<At<String>>,
    pub callback_url: Option<At<String>>,
}

/// Where credentials come from: environment variables (names configurable) and, for values
/// the environment does not hold, a secrets file kept out of version control.
#[derive(Debug, Clone)]
pub struct CredentialSources {
    /// Position of the `credentials:` key, when written (errors point at it).
    pub pos: Option<Pos>,
    pub client_id_env: At<String>,
    pub client_secret_env: At<String>,
    pub simulation_client_id_env: At<String>,
    pub simulation_client_secret_env: At<String>,
    /// Resolved against the config file's folder.
    pub secrets_file: Option<At<PathBuf>>,
}

/// The default environment variable names.
pub const ENV_CLIENT_ID: &str = "POSCERT_CLIENT_ID";
pub const ENV_CLIENT_SECRET: &str = "POSCERT_CLIENT_SECRET";
pub const ENV_SIMULATION_CLIENT_ID: &str = "POSCERT_SIMULATION_CLIENT_ID";
pub const ENV_SIMULATION_CLIENT_SECRET: &str = "POSCERT_SIMULATION_CLIENT_SECRET";

impl Default for CredentialSources {
    fn default() -> Self {
        let at = |v: &str| At {
            value: v.to_string(),
            pos: Pos::default(),
        };
        CredentialSources {
            pos: None,
            client_id_env: at(ENV_CLIENT_ID),
            client_secret_env: at(ENV_CLIENT_SECRET),
            simulation_client_id_env: at(ENV_SIMULATION_CLIENT_ID),
            simulation_client_secret_env: at(ENV_SIMULATION_CLIENT_SECRET),
            secrets_file: None,
        }
    }
}

/// Report paths, resolved against the config file's folder.
#[derive(Debug, Clone, Default)]
pub struct Reports {
    pub dir: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub certificate_dir: Option<PathBuf>,
    pub ledger: Option<PathBuf>,
}

/// The certification store's merchants (notes §7.3).
pub const CERTIFICATION_VATS: &[&str] = &["DK90000028", "FI90000040"];

/// `DK` or `FI` followed by 8 digits (notes §2.1).
pub fn is_well_formed_vat(vat: &str) -> bool {
    (vat.starts_with("DK") || vat.starts_with("FI"))
        && vat.len() == 10
        && vat[2..].chars().all(|c| c.is_ascii_digit())
}

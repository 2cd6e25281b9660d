//! Builds the run's target: the embedded emulator (started on a free loopback port with a fresh
//! secret per run), MobilePay's sandbox (credentials from the environment), or a custom URL
//! (our standalone emulator is recognised by its `/_emulator/seed` and needs no credentials).

use super::args::{ClientArg, RunArgs, EXIT_INTERRUPTED, EXIT_INVALID};
use crate::http::target::{Credentials, Target, SANDBOX_HOST};
use crate::scenario::model::TargetKind;
use poscert_emulator::{Emulator, EmulatorConfig};

/// The environment variables that hold credentials (never written in files).
pub const ENV_CLIENT_ID: &str = "POSCERT_CLIENT_ID";
pub const ENV_CLIENT_SECRET: &str = "POSCERT_CLIENT_SECRET";
pub const ENV_SIMULATION_CLIENT_ID: &str = "POSCERT_SIMULATION_CLIENT_ID";
pub const ENV_SIMULATION_CLIENT_SECRET: &str = "POSCERT_SIMULATION_CLIENT_SECRET";
pub const DEFAULT_MERCHANT_VAT: &str = "DK90000028";

pub struct PreparedTarget {
    pub target: Target,
    /// Kept alive for the run; shut down after it.
    pub emulator: Option<Emulator>,
}

fn env_credentials(id_var: &str, secret_var: &str) -> Option<Credentials> {
    let id = std::env::var(id_var).ok().filter(|v| !v.is_empty())?;
    let secret = std::env::var(secret_var).ok().filter(|v| !v.is_empty())?;
    Some(Credentials {
        client_id: id,
        client_secret: secret,
    })
}

pub async fn prepare(args: &RunArgs) -> Result<PreparedTarget, String> {
    let vat = args
        .merchant_vat
        .clone()
        .unwrap_or_else(|| DEFAULT_MERCHANT_VAT.to_string());
    if !is_valid_vat(&vat) {
        return Err(format!(
            "--merchant-vat `{vat}`: write DK or FI followed by 8 digits, e.g. DK90000028"
        ));
    }
    let version = args
        .client_version
        .clone()
        .unwrap_or_else(|| "1.0.0".to_string());
    if !crate::identity::is_valid_version(&version) {
        return Err(format!(
            "--client-version `{version}`: write Major.Minor.Build, e.g. 2.1.0"
        ));
    }
    let mut prepared = match args.target.as_str() {
        "emulator" => {
            let poll_delay = args.emulator_poll_delay_ms.unwrap_or(match args.client {
                // The reference client honours whatever the API says, so a short delay only makes
                // the run faster; real clients (adapter, operator) get MobilePay's 1000 ms.
                ClientArg::Reference => 100,
                _ => 1000,
            });
            let config = EmulatorConfig {
                payment_poll_delay_ms: poll_delay,
                client_secret: format!("emu-{}", uuid::Uuid::new_v4().simple()),
                user_simulation_client_secret: format!("sim-{}", uuid::Uuid::new_v4().simple()),
                ..EmulatorConfig::default()
            };
            let emulator = Emulator::start(
                config.clone(),
                "127.0.0.1:0".parse().expect("valid address"),
            )
            .await
            .map_err(|e| format!("cannot start the embedded emulator: {e}"))?;
            let mut target = Target::custom(&emulator.base_url(), &vat);
            target.kind = TargetKind::Emulator;
            target.name = "emulator".into();
            target.control_url = Some(format!("{}/_emulator", emulator.base_url()));
            target.credentials = Some(Credentials {
                client_id: config.client_id,
                client_secret: config.client_secret,
            });
            target.simulation_credentials = Some(Credentials {
                client_id: config.user_simulation_client_id,
                client_secret: config.user_simulation_client_secret,
            });
            PreparedTarget {
                target,
                emulator: Some(emulator),
            }
        }
        "sandbox" => {
            let host = args
                .sandbox_host
                .clone()
                .unwrap_or_else(|| SANDBOX_HOST.to_string());
            let mut target = Target::sandbox(&host, &vat);
            target.credentials = env_credentials(ENV_CLIENT_ID, ENV_CLIENT_SECRET);
            target.simulation_credentials =
                env_credentials(ENV_SIMULATION_CLIENT_ID, ENV_SIMULATION_CLIENT_SECRET);
            if target.credentials.is_none() && !args.dry_run {
                return Err(format!(
                    "the sandbox needs your integrator credentials: set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} (the sandbox client id and secret from MobilePay's zip)"
                ));
            }
            if target.credentials.is_none() {
                target.credentials = Some(Credentials {
                    client_id: "<client-id>".into(),
                    client_secret: "<client-secret>".into(),
                });
            }
            PreparedTarget {
                target,
                emulator: None,
            }
        }
        url if url.starts_with("http://") || url.starts_with("https://") => {
            let mut target = Target::custom(url, &vat);
            target.credentials = env_credentials(ENV_CLIENT_ID, ENV_CLIENT_SECRET);
            target.simulation_credentials =
                env_credentials(ENV_SIMULATION_CLIENT_ID, ENV_SIMULATION_CLIENT_SECRET);
            if let Some(seed) = discover_emulator(url).await {
                target.kind = TargetKind::Emulator;
                target.control_url = Some(format!("{}/_emulator", url.trim_end_matches('/')));
                if target.credentials.is_none() {
                    target.credentials = seed.0;
                }
                if target.simulation_credentials.is_none() {
                    target.simulation_credentials = seed.1;
                }
            }
            if target.credentials.is_none() && !args.dry_run {
                return Err(format!(
                    "{url} is not a poscert emulator: set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}"
                ));
            }
            PreparedTarget {
                target,
                emulator: None,
            }
        }
        other => {
            return Err(format!(
                "--target `{other}`: use emulator, sandbox, or a base URL (http://host:port)"
            ))
        }
    };
    prepared.target.client_version = version;
    Ok(prepared)
}

fn is_valid_vat(vat: &str) -> bool {
    (vat.starts_with("DK") || vat.starts_with("FI"))
        && vat.len() == 10
        && vat[2..].chars().all(|c| c.is_ascii_digit())
}

/// Reads `/_emulator/seed` at a custom URL: the standalone emulator tells how to talk to it.
async fn discover_emulator(url: &str) -> Option<(Option<Credentials>, Option<Credentials>)> {
    let seed: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/_emulator/seed", url.trim_end_matches('/')))
        .timeout(std::time::Duration::from_secs(3))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let creds = |v: &serde_json::Value| {
        Some(Credentials {
            client_id: v["clientId"].as_str()?.to_string(),
            client_secret: v["clientSecret"].as_str()?.to_string(),
        })
    };
    Some((
        creds(&seed["integrators"][0]),
        creds(&seed["userSimulation"]),
    ))
}

/// `poscert-engine emulator`: serve until Ctrl-C.
pub async fn serve_emulator(port: u16, poll_delay_ms: u64, refund_poll_delay_ms: u64) -> i32 {
    let config = EmulatorConfig {
        payment_poll_delay_ms: poll_delay_ms,
        refund_poll_delay_ms,
        ..EmulatorConfig::default()
    };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    match poscert_emulator::run_standalone(config, addr).await {
        Ok(()) => EXIT_INTERRUPTED,
        Err(e) => {
            eprintln!("error: cannot serve the emulator on {addr}: {e}");
            EXIT_INVALID
        }
    }
}

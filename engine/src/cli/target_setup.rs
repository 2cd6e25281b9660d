//! Builds the run's target: the embedded emulator (started on a free loopback port with a fresh
//! secret per run), MobilePay's sandbox (credentials from the environment or the secrets file
//! named in poscert.yaml), a target named in poscert.yaml, or a custom URL (our standalone
//! emulator is recognised by its `/_emulator/seed` and needs no credentials).
//!
//! Errors come back rendered (`error: …`, with `--> poscert.yaml:LINE:COL` when the problem is
//! written there), ready for stderr.

use super::args::{ClientArg, RunArgs, EXIT_INTERRUPTED, EXIT_INVALID};
use crate::config::model::CERTIFICATION_VATS;
use crate::config::{resolve_credentials, Config, CredentialError, CredentialKind};
use crate::http::target::{Credentials, Target, SANDBOX_HOST};
use crate::run::plan::PlannedCase;
use crate::scenario::model::TargetKind;
use poscert_emulator::{Emulator, EmulatorConfig};

pub const DEFAULT_MERCHANT_VAT: &str = "DK90000028";

pub struct PreparedTarget {
    pub target: Target,
    /// Kept alive for the run; shut down after it.
    pub emulator: Option<Emulator>,
    /// The sandbox at MobilePay's own address (not overridden): only then can a run certify.
    pub official_host: bool,
}

/// Does any case have the customer act (check in, accept, cancel)? Against the sandbox the
/// simulated customer needs the user-simulation credentials; a run without customer steps
/// (onboarding alone) should not demand them.
pub fn uses_customer(cases: &[PlannedCase]) -> bool {
    cases.iter().any(|c| c.uses_customer)
}

fn rendered(message: String) -> String {
    format!("error: {message}\n")
}

/// A value given on the command line, else written in poscert.yaml (with its position).
fn pick<'a>(
    cli: Option<&'a str>,
    file: Option<&'a crate::config::model::At<String>>,
) -> Option<(&'a str, Option<crate::scenario::yaml::Pos>)> {
    cli.map(|v| (v, None))
        .or_else(|| file.map(|a| (a.value.as_str(), Some(a.pos))))
}

pub async fn prepare(
    args: &RunArgs,
    config: Option<&Config>,
    needs_simulation: bool,
) -> Result<PreparedTarget, String> {
    let config_file = config.map(|c| c.file.as_path());
    let at = |pos: Option<crate::scenario::yaml::Pos>| match (config_file, pos) {
        (Some(f), Some(p)) => format!("\n  --> {}:{}:{}", f.display(), p.line, p.col),
        _ => String::new(),
    };
    let (vat, vat_pos) = pick(
        args.merchant_vat.as_deref(),
        config.and_then(|c| c.merchant_vat.as_ref()),
    )
    .unwrap_or((DEFAULT_MERCHANT_VAT, None));
    let vat = vat.to_ascii_uppercase();
    if !crate::config::model::is_well_formed_vat(&vat) {
        return Err(rendered(format!(
            "--merchant-vat `{vat}`: write DK or FI followed by 8 digits, e.g. DK90000028"
        )));
    }
    if !CERTIFICATION_VATS.contains(&vat.as_str()) {
        eprintln!(
            "note: merchant VAT {vat} is not the certification store's (DK90000028 or FI90000040); MobilePay's self-certification API knows only those{}",
            at(vat_pos)
        );
    }
    let version = match (args.client_version.as_deref(), config) {
        (Some(v), _) => crate::identity::Version::parse(v)
            .map_err(|e| rendered(format!("--client-version {e}")))?,
        (None, Some(c)) => c.identity.version.value,
        (None, None) => crate::identity::Version {
            major: 1,
            minor: 0,
            build: 0,
        },
    };
    let sources = config.map(|c| c.credentials.clone()).unwrap_or_default();
    let env = |name: &str| std::env::var(name).ok();
    let credentials = |kind: CredentialKind| {
        resolve_credentials(&sources, kind, config_file, &env).map_err(|e| e.render())
    };
    let (target_name, target_pos) = pick(
        args.target.as_deref(),
        config.and_then(|c| c.target.as_ref()),
    )
    .unwrap_or(("emulator", None));
    let named_url = config.and_then(|c| {
        c.custom_targets
            .iter()
            .find(|(name, _)| name == target_name)
            .map(|(_, url)| url.value.clone())
    });
    let mut official_host = false;
    let mut prepared = match (target_name, named_url) {
        ("emulator", _) => {
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
            .map_err(|e| rendered(format!("cannot start the embedded emulator: {e}")))?;
            let mut target = Target::custom(&emulator.base_url(), &vat);
            target.kind = TargetKind::Emulator;
            target.name = "emulator".into();
            target.control_url = Some(format!("{}/_emulator", emulator.base_url()));
            target.release_cases = true;
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
                official_host,
            }
        }
        ("sandbox", _) => {
            let host = args
                .sandbox_host
                .clone()
                .or_else(|| config.and_then(|c| c.sandbox_host.as_ref().map(|h| h.value.clone())))
                .unwrap_or_else(|| SANDBOX_HOST.to_string());
            official_host = host.trim_end_matches('/') == SANDBOX_HOST;
            let mut target = Target::sandbox(&host, &vat);
            target.credentials = credentials(CredentialKind::Integrator)?;
            target.simulation_credentials = credentials(CredentialKind::UserSimulation)?;
            if !args.dry_run {
                if target.credentials.is_none() {
                    return Err(CredentialError::missing(
                        &sources,
                        CredentialKind::Integrator,
                        config_file,
                        "the sandbox target",
                    )
                    .render());
                }
                if needs_simulation && target.simulation_credentials.is_none() {
                    return Err(CredentialError::missing(
                        &sources,
                        CredentialKind::UserSimulation,
                        config_file,
                        "the simulated customer (--customer simulated) on the sandbox",
                    )
                    .render());
                }
            }
            // A dry run sends nothing; placeholders let it render every request.
            if target.credentials.is_none() {
                target.credentials = Some(Credentials {
                    client_id: "<client-id>".into(),
                    client_secret: "<client-secret>".into(),
                });
            }
            if target.simulation_credentials.is_none() && needs_simulation {
                target.simulation_credentials = Some(Credentials {
                    client_id: "<simulation-client-id>".into(),
                    client_secret: "<simulation-client-secret>".into(),
                });
            }
            PreparedTarget {
                target,
                emulator: None,
                official_host,
            }
        }
        (name, named)
            if named.is_some() || name.starts_with("http://") || name.starts_with("https://") =>
        {
            let url = named.unwrap_or_else(|| name.trim_end_matches('/').to_string());
            let url = url.as_str();
            let mut target = Target::custom(url, &vat);
            target.credentials = credentials(CredentialKind::Integrator)?;
            target.simulation_credentials = credentials(CredentialKind::UserSimulation)?;
            // A dry run sends nothing, not even the discovery probe.
            let seed = if args.dry_run {
                None
            } else {
                discover_emulator(url).await
            };
            if let Some(seed) = seed {
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
                return Err(CredentialError::missing(
                    &sources,
                    CredentialKind::Integrator,
                    config_file,
                    &format!("{url} (not a poscert emulator)"),
                )
                .render());
            }
            PreparedTarget {
                target,
                emulator: None,
                official_host,
            }
        }
        (other, _) => {
            let defined: Vec<&str> = config
                .map(|c| c.custom_targets.iter().map(|(n, _)| n.as_str()).collect())
                .unwrap_or_default();
            return Err(rendered(format!(
                "target `{other}`: use emulator, sandbox, a base URL (http://host:port){}{}",
                if defined.is_empty() {
                    ", or a name defined under `targets:` in poscert.yaml".to_string()
                } else {
                    format!(
                        ", or one of the targets in poscert.yaml: {}",
                        defined.join(", ")
                    )
                },
                at(target_pos)
            )));
        }
    };
    prepared.target.client_version = version.to_string();
    // The Identification's callback (notes §7.2): the check-in notification case runs only
    // for a client that has one.
    if let Some(identity) = config.map(|c| &c.identity) {
        prepared.target.callback_alias = identity.callback_alias.as_ref().map(|a| a.value.clone());
        prepared.target.callback_url = identity.callback_url.as_ref().map(|a| a.value.clone());
    }
    Ok(prepared)
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

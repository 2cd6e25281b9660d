//! Run the emulator standalone until Ctrl-C:
//! `cargo run -p poscert-emulator --example standalone -- --port 8080 --poll-delay-ms 1000`
//!
//! Flags: `--port P` (default 8080; 0 picks a free one), `--bind ADDR` (default 127.0.0.1),
//! `--poll-delay-ms N` (payments and check-in; refunds keep 100 unless `--refund-poll-delay-ms`),
//! `--client-secret S`, `--inactivity-timeout-secs N`, `--reject-unknown-fields` (400/1099 for
//! JSON properties the spec does not define; `--allow-unknown-fields`, the default, is kept
//! for old command lines).

use poscert_emulator::{run_standalone, EmulatorConfig};
use std::net::{IpAddr, SocketAddr};

fn usage(msg: &str) -> ! {
    eprintln!("{msg}\nusage: standalone [--port P] [--bind ADDR] [--poll-delay-ms N] [--refund-poll-delay-ms N] [--client-secret S] [--inactivity-timeout-secs N] [--reject-unknown-fields]");
    std::process::exit(2)
}

fn main() -> std::io::Result<()> {
    let mut config = EmulatorConfig::default();
    let mut port: u16 = 8080;
    let mut ip: IpAddr = IpAddr::from([127, 0, 0, 1]);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match flag.as_str() {
            "--port" => {
                port = value("--port")
                    .parse()
                    .unwrap_or_else(|_| usage("--port must be a number"))
            }
            "--bind" => {
                ip = value("--bind")
                    .parse()
                    .unwrap_or_else(|_| usage("--bind must be an IP address"))
            }
            "--poll-delay-ms" => {
                config.payment_poll_delay_ms = value("--poll-delay-ms")
                    .parse()
                    .unwrap_or_else(|_| usage("--poll-delay-ms must be a number"))
            }
            "--refund-poll-delay-ms" => {
                config.refund_poll_delay_ms = value("--refund-poll-delay-ms")
                    .parse()
                    .unwrap_or_else(|_| usage("--refund-poll-delay-ms must be a number"))
            }
            "--client-secret" => config.client_secret = value("--client-secret"),
            "--inactivity-timeout-secs" => {
                config.inactivity_timeout_secs = Some(
                    value("--inactivity-timeout-secs")
                        .parse()
                        .unwrap_or_else(|_| usage("--inactivity-timeout-secs must be a number")),
                )
            }
            "--allow-unknown-fields" => config.reject_unknown_fields = false,
            "--reject-unknown-fields" => config.reject_unknown_fields = true,
            "-h" | "--help" => usage("poscert PoS v10 emulator"),
            other => usage(&format!("unknown flag {other}")),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_standalone(config, SocketAddr::new(ip, port)))
}

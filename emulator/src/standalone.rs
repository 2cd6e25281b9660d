//! Standalone mode (`poscert-engine emulator`, `cargo run --example standalone`): start, print
//! where everything is and which credentials to use, serve until Ctrl-C (or SIGTERM).

use crate::config::EmulatorConfig;
use crate::server::Emulator;
use std::net::SocketAddr;

/// The banner printed at start: base URLs and credentials.
pub fn banner(emulator: &Emulator) -> String {
    let base = emulator.base_url();
    let seed = emulator.seed();
    let mut out = String::new();
    out.push_str("poscert PoS v10 emulator\n");
    out.push_str(&format!("  PoS API:             {base}/pos/v10\n"));
    out.push_str(&format!(
        "  Self-cert PoS API:   {base}/pos-self-certification-api/pos/v10\n"
    ));
    out.push_str(&format!(
        "  Token URL:           {base}/integrator-authentication/connect/token\n"
    ));
    out.push_str(&format!(
        "  User simulation:     {base}/pos/app/usersimulation\n"
    ));
    out.push_str(&format!(
        "  Control API:         {base}/_emulator  (seed: {base}/_emulator/seed)\n"
    ));
    for i in &seed.integrators {
        out.push_str(&format!(
            "  Integrator {:<8}  client_id={}  client_secret={}\n",
            i.name, i.client_id, i.client_secret
        ));
    }
    out.push_str(&format!(
        "  User simulation:     x-ibm-client-id={}  x-ibm-client-secret={}\n",
        seed.user_simulation.client_id, seed.user_simulation.client_secret
    ));
    for m in &seed.merchants {
        out.push_str(&format!(
            "  Merchant: {} (VAT {})\n",
            m.name,
            m.vat_numbers.join(", ")
        ));
        for s in &m.stores {
            out.push_str(&format!(
                "    store {} brand {} location {}{}\n",
                s.store_id,
                s.merchant_brand_id,
                s.merchant_location_id,
                if s.active {
                    ""
                } else {
                    " (not activated: 1204)"
                }
            ));
        }
    }
    let phones: Vec<&str> = seed
        .test_users
        .iter()
        .map(|u| u.phone_number.as_str())
        .collect();
    out.push_str(&format!("  Test users: {}\n", phones.join(" ")));
    out.push_str(&format!(
        "  pollDelayInMs: payments {} / refunds {}\n",
        seed.poll_delays.payment_ms, seed.poll_delays.refund_ms
    ));
    out
}

async fn terminated() {
    #[cfg(unix)]
    {
        if let Ok(mut sig) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            sig.recv().await;
            return;
        }
    }
    std::future::pending::<()>().await
}

/// Serve until Ctrl-C or SIGTERM, printing the banner first.
pub async fn run_standalone(config: EmulatorConfig, bind: SocketAddr) -> std::io::Result<()> {
    let emulator = Emulator::start(config, bind).await?;
    print!("{}", banner(&emulator));
    println!("Serving on {}; Ctrl-C to stop.", emulator.base_url());
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = terminated() => {}
    }
    emulator.shutdown().await;
    Ok(())
}

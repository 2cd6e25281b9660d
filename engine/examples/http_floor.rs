//! The floor of poscert's HTTP stack, for `bench/per-step.sh`: N sequential GETs of one URL
//! with the same reqwest client settings and tokio runtime the engine uses, each body parsed as
//! JSON and two fields checked, and nothing else (no case file, no templates, no reports).
//! What poscert takes beyond this per step is the engine's own work; what this takes beyond
//! wrk is the cost of reqwest, hyper and tokio, which no engine built on them can avoid.
//!
//!   cargo run --release -p poscert-engine --example http_floor -- URL N

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(n)) = (args.next(), args.next().and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!("usage: http_floor URL N");
        std::process::exit(2);
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let failed = runtime.block_on(async move {
        let client = poscert_engine::http::client::reqwest_client().expect("an HTTP client");
        for i in 0..n {
            let judged = async {
                let response = client.get(&url).send().await.ok()?;
                if response.status() != 200 {
                    return None;
                }
                let body: serde_json::Value =
                    serde_json::from_slice(&response.bytes().await.ok()?).ok()?;
                let ok = body["storeIds"].as_array().is_some_and(|a| a.len() == 1)
                    && body["pollDelayInMs"] == 1000;
                ok.then_some(())
            };
            if judged.await.is_none() {
                return Some(i + 1);
            }
        }
        None
    });
    if let Some(i) = failed {
        eprintln!("request {i} failed or did not hold");
        std::process::exit(1);
    }
}

//! The default command: load, select, prepare the target, run, report, exit code.

use super::args::{
    ClientArg, CustomerArg, RunArgs, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK,
};
use super::report_files::ReportFiles;
use super::select::select;
use super::target_setup::prepare;
use crate::http::HttpClient;
use crate::redact::Redactor;
use crate::report::console::Console;
use crate::run::operator::answers::Answers;
use crate::run::operator::OperatorConfig;
use crate::run::result::{LoadErrorReport, RunReport, TargetInfo, REPORT_SCHEMA_VERSION};
use crate::run::{run_cases, Cancellation, CustomerMode, RunContext, RunOptions};
use crate::scenario::ClientMode;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Instant;

pub async fn run(args: RunArgs) -> i32 {
    let started = chrono::Utc::now();
    let clock = Instant::now();
    let stdout_terminal = std::io::stdout().is_terminal();
    let color = super::use_color(stdout_terminal);
    // poscert.yaml first: a configuration error stops the run before anything starts.
    let config = match crate::config::discover(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{}", e.render());
            return EXIT_INVALID;
        }
    };
    let args = with_config_defaults(args, config.as_ref());
    let paths = super::default_paths(args.paths.clone());

    // Each case is kept in a compact form until it runs, then parsed again (`reloader`).
    let (suite, reloader) = crate::run::plan::plan_paths(&paths);
    super::print_load_errors(&suite, super::use_color(std::io::stderr().is_terminal()));
    let load_errors: Vec<LoadErrorReport> = suite
        .errors
        .iter()
        .map(|e| LoadErrorReport {
            file: e.file.display().to_string(),
            line: e.pos.line,
            column: e.pos.col,
            message: e.message(),
        })
        .collect();
    let loaded_per_feature =
        crate::approval::count_by_feature(suite.cases.iter().map(|c| &*c.feature));
    let cases = match select(&args.selection, &suite.features, suite.cases) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INVALID;
        }
    };
    if cases.is_empty() && load_errors.is_empty() {
        eprintln!(
            "error: no cases to run in {} (check the paths, --feature, --tag and --filter)",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return EXIT_INVALID;
    }
    // After the whole selection (the --feature closure included): every shard sees the same.
    let (cases, shard) = match args.partition {
        Some(p) => {
            let (mine, selection) =
                super::partition::split(p, cases, &suite.features, &loaded_per_feature);
            (mine, Some((p, selection)))
        }
        None => (cases, None),
    };
    let cli_vars = match super::vars::parse_cli_vars(&args.vars, args.vars_file.as_deref()) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INVALID;
        }
    };
    let default_timeout = match crate::scenario::duration::parse_duration(&args.timeout) {
        Ok(d) if !d.is_zero() => d,
        _ => {
            eprintln!("error: --timeout `{}`: write e.g. 10s", args.timeout);
            return EXIT_INVALID;
        }
    };
    if args.client == ClientArg::Adapter && args.adapter.is_none() {
        eprintln!(
            "error: --client adapter needs --adapter CMD (the command that starts your harness)"
        );
        return EXIT_INVALID;
    }
    // Read before the run (and before the embedded emulator starts): a bad file is exit 2.
    let answers = match args.answers.as_deref().map(Answers::load).transpose() {
        Ok(a) => a.map(Arc::new),
        Err(e) => {
            eprintln!("{e}");
            return EXIT_INVALID;
        }
    };
    let needs_simulation =
        args.customer == CustomerArg::Simulated && super::target_setup::uses_customer(&cases);
    let prepared = match prepare(&args, config.as_ref(), needs_simulation).await {
        Ok(p) => p,
        Err(e) => {
            eprint!("{e}");
            return EXIT_INVALID;
        }
    };
    // What a certificate would vouch for, taken before the cases are handed to the runner.
    let approval_input = (config.is_some() && !args.dry_run && shard.is_none()).then(|| {
        crate::approval::session::Pending::new(&cases, &suite.features, loaded_per_feature)
    });
    let redactor = Redactor::new();
    let super::target_setup::PreparedTarget {
        target,
        emulator,
        official_host,
    } = prepared;
    let target = Arc::new(target);
    let http = match HttpClient::new(target.clone(), redactor.clone()) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INVALID;
        }
    };
    let (client_mode, customer_mode) = modes(&args);
    let jobs = args
        .jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        })
        .max(1);
    let console = Arc::new(Console::new(
        cases.len(),
        stdout_terminal && !args.dry_run,
        color,
        args.verbose,
        redactor.clone(),
    ));
    let env: serde_json::Map<String, serde_json::Value> = std::env::vars()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    let cancel = Arc::new(Cancellation::default());
    let ctx = Arc::new(RunContext {
        http,
        options: RunOptions {
            client_mode,
            customer_mode,
            jobs,
            dry_run: args.dry_run,
            cli_vars,
            default_timeout,
            operator: OperatorConfig {
                interactive: std::io::stdin().is_terminal()
                    && stdout_terminal
                    && std::env::var_os("CI").is_none(),
                adapter_command: args.adapter.clone(),
                answers,
                // The prompt draws on the terminal, so only NO_COLOR can turn colour off there.
                prompt_color: super::use_color(true),
            },
        },
        cancel: cancel.clone(),
        env: serde_json::Value::Object(env),
        progress: console.clone(),
        journal_marks: Default::default(),
    });

    handle_ctrl_c(cancel.clone(), console.clone());

    if !args.dry_run && !cases.is_empty() {
        console.line(&format!(
            "poscert {}: {} cases{} against {} ({}), client: {}, customer: {}, jobs: {jobs}",
            env!("CARGO_PKG_VERSION"),
            cases.len(),
            shard.as_ref().map_or(String::new(), |(p, s)| format!(
                " (shard {p} of {} selected)",
                s.cases.len()
            )),
            target.name,
            target.pos_base_url,
            format!("{client_mode:?}").to_lowercase(),
            format!("{customer_mode:?}").to_lowercase()
        ));
    }
    let (case_reports, spool) = run_cases(ctx.clone(), cases, reloader).await;
    let summary = match &spool {
        Some(spool) => {
            use crate::run::result::CaseStore;
            RunReport::count_statuses(
                (0..spool.len()).filter_map(|i| spool.status(i)),
                load_errors.len(),
            )
        }
        None => RunReport::compute_summary(&case_reports, load_errors.len()),
    };
    console.finish();
    let interrupted = cancel.is_cancelled();

    let identity = config
        .as_ref()
        .map(|c| crate::approval::session::report_identity(c, &target.client_version));
    let report = RunReport {
        schema_version: REPORT_SCHEMA_VERSION,
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: clock.elapsed().as_secs_f64() * 1000.0,
        interrupted,
        target: TargetInfo {
            kind: format!("{:?}", target.kind).to_lowercase(),
            name: target.name.clone(),
            pos_base_url: target.pos_base_url.clone(),
        },
        client_mode: format!("{client_mode:?}").to_lowercase(),
        customer_mode: format!("{customer_mode:?}").to_lowercase(),
        identity,
        summary,
        cases: case_reports,
        load_errors,
        hostname: gethostname::gethostname().to_string_lossy().into_owned(),
        shard: shard.map(|(p, selection)| crate::run::result::ShardRecord {
            partition: p.info(),
            selection,
            approval: crate::run::result::ApprovalInfo {
                merchant_vat: target.merchant_vat.clone(),
                token_url: target.token_url.clone(),
                official_host,
                callback_alias: config
                    .as_ref()
                    .and_then(|c| c.identity.callback_alias.as_ref().map(|a| a.value.clone())),
                callback_url: config
                    .as_ref()
                    .and_then(|c| c.identity.callback_url.as_ref().map(|a| a.value.clone())),
            },
        }),
        store: spool.map(|s| s as Arc<dyn crate::run::result::CaseStore>),
    };

    if args.dry_run {
        print!(
            "{}",
            redactor.redact(&crate::report::dry_run::render(&report, &target))
        );
    }
    let files = ReportFiles::new(
        &args.report_json,
        &args.report_junit,
        &args.report_html,
        &args.report_dir,
    );
    let (written, mut write_failed) = files.write(&report, args.junit_granularity, &redactor);
    console.summary(&report);
    for p in &written {
        console.line(&format!("report: {}", p.display()));
    }
    // Approval: a certificate and a ledger entry, or a failure report (issue 6).
    match (&config, approval_input) {
        (Some(config), Some(input)) => {
            let lines = input.finish(
                config,
                &report,
                &target,
                official_host,
                crate::approval::session::Paths {
                    report_dir: args.report_dir.as_deref(),
                    ledger: args.ledger.as_deref(),
                },
                &redactor,
            );
            for line in &lines.info {
                console.line(line);
            }
            for line in &lines.errors {
                eprintln!("error: {line}");
                write_failed = true;
            }
        }
        (_, None) if args.partition.is_some() && !args.dry_run => {
            if let Some(p) = args.partition {
                console.line(&super::partition::certificate_line(p));
            }
        }
        _ if !args.dry_run && report.all_passed() && report.load_errors.is_empty() => {
            console.line("certificate: none (no poscert.yaml to say which client this is; see examples/poscert.yaml)");
        }
        _ => {}
    }
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    exit_code(&report, write_failed)
}

/// Interrupted beats invalid input beats a failed case: the code says the most urgent thing.
fn exit_code(report: &RunReport, write_failed: bool) -> i32 {
    if report.interrupted {
        EXIT_INTERRUPTED
    } else if !report.load_errors.is_empty() || write_failed {
        EXIT_INVALID
    } else if report.summary.failed > 0 || report.summary.errored > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

fn modes(args: &RunArgs) -> (ClientMode, CustomerMode) {
    let client = match args.client {
        ClientArg::Reference => ClientMode::Reference,
        ClientArg::Adapter => ClientMode::Adapter,
        ClientArg::Operator => ClientMode::Operator,
    };
    let customer = match args.customer {
        CustomerArg::Simulated => CustomerMode::Simulated,
        CustomerArg::Human => CustomerMode::Human,
    };
    (client, customer)
}

/// Ctrl-C: stop new work, let `finally` steps run, write the reports; a second Ctrl-C exits at
/// once.
fn handle_ctrl_c(cancel: Arc<Cancellation>, console: Arc<Console>) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            console.line("\ninterrupted: stopping; running finally steps and writing reports (Ctrl-C again to quit at once)");
            cancel.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                // `exit` runs no destructors: stop the harnesses here or they outlive us.
                crate::run::operator::adapter::kill_all_now();
                std::process::exit(EXIT_INTERRUPTED);
            }
        }
    });
}

/// Fills what the command line left unsaid from poscert.yaml: command-line flags win.
fn with_config_defaults(mut args: RunArgs, config: Option<&crate::config::Config>) -> RunArgs {
    let Some(c) = config else {
        return args;
    };
    if args.adapter.is_none() {
        args.adapter = c.adapter.as_ref().map(|a| a.value.clone());
    }
    if args.selection.feature.is_empty() {
        args.selection.feature = c.features.iter().map(|f| f.value.clone()).collect();
    }
    // `--report-dir` on the command line also beats the file's individual report paths.
    let cli_dir = args.report_dir.is_some();
    if args.report_json.is_none() && !cli_dir {
        args.report_json = c.reports.json.clone();
    }
    if args.report_junit.is_none() && !cli_dir {
        args.report_junit = c.reports.junit.clone();
    }
    if args.report_dir.is_none() {
        args.report_dir = c.reports.dir.clone();
    }
    args
}

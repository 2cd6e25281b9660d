//! The `poscert-engine` command line: run (the default), `validate`, `list`, `emulator`,
//! `status`, `merge`, `completions`. Each returns an exit code; `main.rs` only calls [`main`].

pub mod args;
mod list;
pub mod merge;
pub mod partition;
mod report_files;
mod run;
pub mod select;
mod target_setup;
mod validate;
pub mod vars;

use args::{Cli, Command, EXIT_INVALID};
use clap::{CommandFactory, Parser};

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => EXIT_INVALID,
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return EXIT_INVALID;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            None => run::run(cli.run).await,
            Some(Command::Validate { paths, config }) => {
                validate::validate(&default_paths(paths), config.as_deref())
            }
            Some(Command::List { paths, selection }) => {
                list::list(&default_paths(paths), &selection)
            }
            Some(Command::Emulator {
                port,
                poll_delay_ms,
                refund_poll_delay_ms,
            }) => target_setup::serve_emulator(port, poll_delay_ms, refund_poll_delay_ms).await,
            Some(Command::Status {
                config,
                ledger,
                client_version,
                feature,
                json,
            }) => crate::approval::status::command(
                config.as_deref(),
                ledger.as_deref(),
                client_version.as_deref(),
                &feature,
                json,
            ),
            Some(Command::Merge(args)) => merge::merge(args),
            Some(Command::Completions { shell }) => {
                clap_complete::generate(
                    shell,
                    &mut Cli::command(),
                    "poscert-engine",
                    &mut std::io::stdout(),
                );
                0
            }
        }
    })
}

/// No paths means the `scenarios` folder of the current directory.
pub fn default_paths(paths: Vec<std::path::PathBuf>) -> Vec<std::path::PathBuf> {
    if paths.is_empty() {
        vec!["scenarios".into()]
    } else {
        paths
    }
}

/// Prints load errors rustc-style on stderr.
pub fn print_load_errors<C>(suite: &crate::scenario::Suite<C>, color: bool) {
    for e in &suite.errors {
        let source = suite.sources.get(&e.file).map(|s| s.as_ref());
        let text = e.render(source);
        if color {
            eprintln!("\x1b[31m{}\x1b[0m", text.trim_end());
        } else {
            eprintln!("{}", text.trim_end());
        }
    }
}

/// Colour only on a terminal and when NO_COLOR is unset (https://no-color.org).
pub fn use_color(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

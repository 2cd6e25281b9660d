//! Command-line arguments (clap derive). Exit codes are documented in `--help` and README.

use crate::report::junit::Granularity;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_INVALID: i32 = 2;
pub const EXIT_INTERRUPTED: i32 = 130;

const AFTER_HELP: &str = "\
Exit codes:
  0    every case passed
  1    a case failed (an assertion did not hold, or a step errored)
  2    invalid input, configuration or usage (bad YAML, unknown key, missing credential...)
  130  interrupted (Ctrl-C): finally steps ran, reports were written and marked interrupted

The embedded emulator is the default target: no set-up, no network. Its credentials are
generated per run and handed to the cases as variables ({{pos}}, {{tokenUrl}}, ...).

Examples:
  poscert-engine scenarios                          run every case against the emulator
  poscert-engine scenarios --feature payments       payments plus what it requires (onboarding)
  poscert-engine validate scenarios                 check every file, run nothing
  poscert-engine scenarios --target sandbox --client operator
  poscert-engine emulator --port 8080               serve the emulator for client development
  poscert-engine status                             is this version certified? (reads the ledger)

poscert.yaml in the current folder (or --config FILE) names the client being certified, the
target and where credentials come from; command-line flags win over it. A passing run writes a
certificate and a ledger entry, a failing one a failure report (see examples/poscert.yaml).";

#[derive(Debug, Parser)]
#[command(
    name = "poscert-engine",
    version,
    about = "Certification cases for MobilePay PoS API v10 clients, written in YAML",
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check every case, feature and fragment; run nothing.
    Validate {
        /// Files or folders (default: scenarios)
        paths: Vec<PathBuf>,
        /// The configuration file to check too (default: poscert.yaml in the current folder,
        /// when there is one)
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// List the cases with their feature, tags and file.
    List {
        paths: Vec<PathBuf>,
        #[command(flatten)]
        selection: SelectionArgs,
    },
    /// Serve the PoS v10 emulator until Ctrl-C, for client development.
    Emulator {
        /// Port on 127.0.0.1 (0 picks a free one)
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// pollDelayInMs for payments and check-in
        #[arg(long, default_value_t = 1000)]
        poll_delay_ms: u64,
        /// pollDelayInMs for refunds
        #[arg(long, default_value_t = 100)]
        refund_poll_delay_ms: u64,
    },
    /// Which versions are certified for which features, and whether this version needs a new
    /// certification (exit 0: certified or only recommended, 1: required, 2: bad config or ledger).
    Status {
        /// The configuration file (default: poscert.yaml in the current folder)
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The ledger (default: reports.ledger in poscert.yaml, else .poscert/ledger.json)
        #[arg(long, value_name = "FILE")]
        ledger: Option<PathBuf>,
        /// The version to judge (default: identity.version in poscert.yaml)
        #[arg(long, value_name = "VERSION")]
        client_version: Option<String>,
        /// Features to judge (comma-separated; default: poscert.yaml's features, else those in the ledger)
        #[arg(long, value_delimiter = ',', value_name = "FEATURES")]
        feature: Vec<String>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Combine the JSON reports of a partitioned run's shards (--partition) into one JSON, JUnit
    /// and HTML report; write the certificate (or the failure report) when the shards together
    /// ran every selected case exactly once (exit 0, 1 or 2 as for a run).
    Merge(super::merge::MergeArgs),
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args, Default, Clone)]
pub struct SelectionArgs {
    /// Only cases whose tags satisfy this expression, e.g. "certification and not slow"
    #[arg(long, value_name = "EXPR")]
    pub tag: Option<String>,
    /// Only cases whose id, file or name contains this text (or matches it as a regex)
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Only these features (comma-separated) plus the features they require
    #[arg(long, value_delimiter = ',', value_name = "FEATURES")]
    pub feature: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientArg {
    Reference,
    Adapter,
    Operator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CustomerArg {
    Simulated,
    Human,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Case files or folders, searched recursively (default: scenarios)
    pub paths: Vec<PathBuf>,
    /// emulator (the default, embedded), sandbox, a base URL such as http://127.0.0.1:8080, or
    /// a target named in poscert.yaml (whose `target:` is the default when this is not given)
    #[arg(long, value_name = "TARGET")]
    pub target: Option<String>,
    /// The configuration file (default: poscert.yaml in the current folder, when there is one)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The ledger of certified versions (default: reports.ledger in poscert.yaml, else .poscert/ledger.json)
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Who plays the POS client
    #[arg(long, value_enum, default_value_t = ClientArg::Reference)]
    pub client: ClientArg,
    /// Who plays the customer
    #[arg(long, value_enum, default_value_t = CustomerArg::Simulated)]
    pub customer: CustomerArg,
    /// The integrator's harness for --client adapter (a command line)
    #[arg(long, value_name = "CMD")]
    pub adapter: Option<String>,
    /// Pre-answered operator prompts (YAML), for semi-automated runs
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Set a variable (repeatable): --var amount=12.5
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Variables from a YAML or JSON file (a mapping)
    #[arg(long, value_name = "FILE")]
    pub vars_file: Option<PathBuf>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Run one shard of the selected cases: slice:K/N (round-robin in certification order) or
    /// hash:K/N (by a hash of the case id), K from 1 to N; `merge` combines the shards' reports
    #[arg(long, value_name = "KIND:K/N", value_parser = super::partition::parse)]
    pub partition: Option<super::partition::Partition>,
    /// Cases run at once (default: the number of CPUs)
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Write the JSON report here
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
    /// Write the JUnit report here
    #[arg(long, value_name = "FILE")]
    pub report_junit: Option<PathBuf>,
    /// Write the HTML report here (one self-contained file: timelines, requests, responses)
    #[arg(long, value_name = "FILE")]
    pub report_html: Option<PathBuf>,
    /// Write report.json, junit.xml and report.html into this folder
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// One JUnit testcase per case or per step
    #[arg(long, value_enum, default_value_t = Granularity::Case)]
    pub junit_granularity: Granularity,
    /// Render every request (redacted) and send none
    #[arg(long)]
    pub dry_run: bool,
    /// Show every step of passing cases too
    #[arg(short, long)]
    pub verbose: bool,
    /// Per-request timeout when a step sets none, e.g. 10s
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub timeout: String,
    /// The version the client reports in X-MobilePay-Client-System-Version (Major.Minor.Build)
    #[arg(long, value_name = "VERSION")]
    pub client_version: Option<String>,
    /// Merchant VAT number for the token (DK90000028 or FI90000040 for certification)
    #[arg(long, value_name = "VAT")]
    pub merchant_vat: Option<String>,
    /// Override the sandbox host (tests point it at a local emulator)
    #[arg(long, value_name = "URL", env = "POSCERT_SANDBOX_HOST", hide = true)]
    pub sandbox_host: Option<String>,
    /// pollDelayInMs of the embedded emulator for payments (default: 1000, or 100 with --client reference)
    #[arg(long, value_name = "MS")]
    pub emulator_poll_delay_ms: Option<u64>,
}

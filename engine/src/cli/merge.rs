//! `poscert-engine merge REPORT.json...`: the shards of a partitioned run (`--partition`) become
//! one run again. One JSON, JUnit and HTML report is written (cases in certification order), and
//! approval runs as after an unsharded run: a certificate and a ledger entry when every selected
//! case passed, a failure report when one did not.
//!
//! Merge refuses (exit 2, writing nothing) reports that do not belong together: a file that is
//! not a poscert shard report, different partitions, engine versions, identities, merchant VATs,
//! targets, client or customer modes, selections or case-file digests, a shard given twice, or a
//! shard holding cases its partition does not assign. A shard that is missing is reported with
//! the cases that did not run; the reports of what did run are written, no certificate is, and
//! the exit code is 2.

use super::args::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK};
use super::partition::{Kind, Partition};
use super::report_files::ReportFiles;
use crate::approval::certificate::{CertIdentity, CertTarget};
use crate::approval::digest::{FileDigest, Manifest};
use crate::approval::session::{certificate_dir, ledger_path, lines_of};
use crate::approval::{approve, completeness, count_by_feature, rehearsal_reasons, Approval};
use crate::redact::Redactor;
use crate::report::console::Console;
use crate::report::junit::Granularity;
use crate::run::result::{
    CaseReport, LoadErrorReport, RunReport, ShardRecord, Status, REPORT_SCHEMA_VERSION,
};
use clap::Args;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' JSON reports (each written by a run with --partition)
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,
    /// Write the merged JSON report here
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
    /// Write the merged JUnit report here
    #[arg(long, value_name = "FILE")]
    pub report_junit: Option<PathBuf>,
    /// Write the merged HTML report here
    #[arg(long, value_name = "FILE")]
    pub report_html: Option<PathBuf>,
    /// Write report.json, junit.xml and report.html into this folder
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// One JUnit testcase per case or per step
    #[arg(long, value_enum, default_value_t = Granularity::Case)]
    pub junit_granularity: Granularity,
    /// The configuration file: where the certificate goes (default: poscert.yaml in the
    /// current folder, when there is one)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The ledger (default: reports.ledger in poscert.yaml, else .poscert/ledger.json)
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
}

/// One shard's report, read back.
struct Shard {
    /// As the command line named it.
    file: String,
    partition: Partition,
    report: RunReport,
    record: ShardRecord,
}

pub fn merge(args: MergeArgs) -> i32 {
    let color = super::use_color(std::io::stdout().is_terminal());
    let config = match crate::config::discover(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{}", e.render());
            return EXIT_INVALID;
        }
    };
    let args = with_config_defaults(args, config.as_ref());
    let (mut shards, mut problems) = (Vec::new(), Vec::new());
    for path in &args.reports {
        match read(path) {
            Ok(s) => shards.push(s),
            Err(e) => problems.push(e),
        }
    }
    if problems.is_empty() {
        problems = inconsistencies(&shards, config.as_ref());
    }
    for out in output_files(&args).paths() {
        if let Some(input) = args.reports.iter().find(|i| same_file(i, out)) {
            problems.push(format!(
                "{} is both an input and where the merged report would be written: write it elsewhere (--report-dir DIR or --report-json FILE)",
                input.display()
            ));
        }
    }
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("error: {p}");
        }
        eprintln!("error: nothing merged, no report or certificate written");
        return EXIT_INVALID;
    }
    shards.sort_by_key(|s| s.partition.shard);
    let first = &shards[0];
    let (kind, of) = (first.partition.kind, first.partition.of);
    let selection = &first.record.selection;

    // Shards not given: their cases did not run.
    let given: BTreeSet<u32> = shards.iter().map(|s| s.partition.shard).collect();
    let missing: Vec<u32> = (1..=of).filter(|k| !given.contains(k)).collect();
    let mut not_run_lines = Vec::new();
    let mut not_run = 0;
    for k in &missing {
        let p = Partition {
            kind,
            shard: *k,
            of,
        };
        let ids = p.assigned(&selection.cases);
        not_run += ids.len();
        if ids.is_empty() {
            not_run_lines.push(format!("shard {p} was not given; it holds no case"));
        } else {
            not_run_lines.push(format!(
                "shard {p} was not given: its {} case{} did not run: {}",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" },
                ids.join(", ")
            ));
        }
    }

    let merged = combine(&shards);
    let redactor = Redactor::new();
    let console = Console::new(merged.cases.len(), false, color, false, redactor.clone());
    console.line(&format!(
        "poscert {}: merging {} of {of} shards ({}:K/{of}) of {} selected cases",
        env!("CARGO_PKG_VERSION"),
        shards.len(),
        kind.as_str(),
        selection.cases.len()
    ));
    for s in &shards {
        let sum = &s.report.summary;
        console.line(&format!(
            "  shard {}: {} ({} cases, {} passed; {}, {:.2} s{})",
            s.partition,
            s.file,
            s.report.cases.len(),
            sum.passed,
            s.report.hostname,
            s.report.duration_ms / 1000.0,
            if s.report.interrupted {
                ", interrupted"
            } else {
                ""
            }
        ));
    }
    for c in merged.cases.iter().filter(|c| c.status != Status::Passed) {
        console.line(&case_line(c));
    }
    for line in &not_run_lines {
        eprintln!("{}: {line}", if not_run > 0 { "error" } else { "note" });
    }
    let (written, mut write_failed) =
        output_files(&args).write(&merged, args.junit_granularity, &redactor);
    console.summary(&merged);
    for p in &written {
        console.line(&format!("report: {}", p.display()));
    }
    let incomplete = (not_run > 0).then(|| {
        format!(
            "{not_run} selected case{} did not run: shard{} {} of {of} {} not given to merge",
            if not_run == 1 { "" } else { "s" },
            if missing.len() == 1 { "" } else { "s" },
            missing
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if missing.len() == 1 { "was" } else { "were" }
        )
    });
    match (&config, &merged.identity) {
        (Some(config), Some(identity)) => {
            let a = &first.record.approval;
            let loaded: BTreeMap<String, usize> = selection
                .features
                .iter()
                .map(|f| (f.id.clone(), f.loaded))
                .collect();
            let requires: BTreeMap<String, Vec<String>> = selection
                .features
                .iter()
                .map(|f| (f.id.clone(), f.requires.clone()))
                .collect();
            let ran = count_by_feature(merged.cases.iter().map(|c| c.feature.as_str()));
            let approval = Approval {
                report: &merged,
                identity: CertIdentity {
                    system_name: identity.system_name.clone(),
                    version: identity.version.clone(),
                    client_id_sandbox: identity.client_id_sandbox.clone(),
                    client_id_production: identity.client_id_production.clone(),
                    callback_alias: a.callback_alias.clone(),
                    callback_url: a.callback_url.clone(),
                },
                merchant_vat: a.merchant_vat.clone(),
                target: CertTarget {
                    name: merged.target.name.clone(),
                    pos_base_url: merged.target.pos_base_url.clone(),
                    token_url: a.token_url.clone(),
                },
                rehearsal_reasons: rehearsal_reasons(
                    &merged.target.name,
                    &merged.target.pos_base_url,
                    a.official_host,
                    &merged.client_mode,
                ),
                feature_names: selection
                    .features
                    .iter()
                    .map(|f| (f.id.clone(), f.name.clone()))
                    .collect(),
                incomplete: incomplete
                    .clone()
                    .or_else(|| completeness(&ran, &loaded, &requires)),
                manifest: match &selection.digest_error {
                    Some(e) => Err(e.clone()),
                    None => Ok(Manifest {
                        files: selection
                            .files
                            .iter()
                            .map(|f| FileDigest {
                                path: f.path.clone(),
                                role: f.role.clone(),
                                sha256: f.sha256.clone(),
                            })
                            .collect(),
                    }),
                },
                certificate_dir: certificate_dir(config, args.report_dir.as_deref()),
                ledger: ledger_path(config, args.ledger.as_deref()),
            };
            let lines = lines_of(approve(&approval, &redactor));
            for line in &lines.info {
                console.line(line);
            }
            for line in &lines.errors {
                eprintln!("error: {line}");
                write_failed = true;
            }
        }
        (Some(_), None) => console.line(
            "certificate: none (the shards ran without a poscert.yaml, so they name no client)",
        ),
        (None, _) => match &incomplete {
            Some(reason) => console.line(&format!("certificate: none ({reason})")),
            None if merged.all_passed() && merged.load_errors.is_empty() => console.line(
                "certificate: none (no poscert.yaml to say which client this is; see examples/poscert.yaml)",
            ),
            None => {}
        },
    }
    if merged.interrupted {
        EXIT_INTERRUPTED
    } else if !merged.load_errors.is_empty() || write_failed || not_run > 0 {
        EXIT_INVALID
    } else if merged.summary.failed > 0 || merged.summary.errored > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// Reads one shard's report, or says why it is not one.
fn read(path: &Path) -> Result<Shard, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {file}: {e}"))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{file} is not a poscert report: it is not JSON ({e})"))?;
    let looks_like_a_report = ["schemaVersion", "engineVersion", "cases", "summary"]
        .iter()
        .all(|k| value.get(k).is_some());
    if !looks_like_a_report {
        return Err(format!(
            "{file} is not a poscert report (it has no schemaVersion, engineVersion, summary and cases; merge reads the JSON reports of --report-json or --report-dir)"
        ));
    }
    if value["schemaVersion"] != REPORT_SCHEMA_VERSION {
        return Err(format!(
            "{file} is a poscert report of schema version {}; this engine ({}) reads version {REPORT_SCHEMA_VERSION}",
            value["schemaVersion"],
            env!("CARGO_PKG_VERSION")
        ));
    }
    let has_partition = value.get("partition").is_some();
    let mut report: RunReport = serde_json::from_value(value)
        .map_err(|e| format!("{file} is not a poscert report: {e}"))?;
    let Some(record) = report.shard.take() else {
        return Err(if has_partition {
            format!("{file} is not a complete shard report: its partition, selection or approval is missing or malformed")
        } else {
            format!("{file} is not a shard's report (it has no partition): run each shard with --partition slice:K/N or hash:K/N and merge those reports")
        });
    };
    let p = &record.partition;
    let kind = Kind::parse(&p.kind).ok_or_else(|| {
        format!(
            "{file}: unknown kind of partition `{}` (expected slice or hash)",
            p.kind
        )
    })?;
    if p.of == 0 || p.shard == 0 || p.shard > p.of {
        return Err(format!(
            "{file}: partition {}:{}/{} is not a shard (K must be 1 to N)",
            p.kind, p.shard, p.of
        ));
    }
    Ok(Shard {
        file,
        partition: Partition {
            kind,
            shard: p.shard,
            of: p.of,
        },
        report,
        record,
    })
}

/// Values of `key` with the files that hold each, in the order the files were given.
fn groups(shards: &[Shard], key: impl Fn(&Shard) -> String) -> Vec<(String, Vec<&str>)> {
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    for s in shards {
        let k = key(s);
        match out.iter_mut().find(|(v, _)| *v == k) {
            Some((_, files)) => files.push(&s.file),
            None => out.push((k, vec![&s.file])),
        }
    }
    out
}

fn listed(groups: &[(String, Vec<&str>)]) -> String {
    groups
        .iter()
        .map(|(v, files)| format!("{v} ({})", files.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `what` differs between the shards: the message, naming each value and its files.
fn differs(shards: &[Shard], what: &str, key: impl Fn(&Shard) -> String) -> Option<String> {
    let g = groups(shards, key);
    (g.len() > 1).then(|| format!("the reports are of different {what}: {}", listed(&g)))
}

fn identity_text(s: &Shard) -> String {
    let Some(i) = &s.report.identity else {
        return "no identity (run without a poscert.yaml)".to_string();
    };
    let mut extra = Vec::new();
    if let Some(v) = &i.client_id_sandbox {
        extra.push(format!("sandbox client id {v}"));
    }
    if let Some(v) = &i.client_id_production {
        extra.push(format!("production client id {v}"));
    }
    let a = &s.record.approval;
    for v in [&a.callback_alias, &a.callback_url].into_iter().flatten() {
        extra.push(format!("callback {v}"));
    }
    if extra.is_empty() {
        format!("`{} {}`", i.system_name, i.version)
    } else {
        format!("`{} {}` [{}]", i.system_name, i.version, extra.join(", "))
    }
}

fn target_text(r: &RunReport) -> String {
    // The embedded emulator listens on a fresh port in every run: only its kind counts.
    if r.target.kind == "emulator" {
        r.target.name.clone()
    } else {
        format!("{} ({})", r.target.name, r.target.pos_base_url)
    }
}

/// Everything that keeps these reports from being one run's shards.
fn inconsistencies(shards: &[Shard], config: Option<&crate::config::Config>) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(differs(shards, "partitions", |s| {
        format!("{}:K/{}", s.partition.kind.as_str(), s.partition.of)
    }));
    out.extend(differs(shards, "engine versions", |s| {
        format!("poscert-engine {}", s.report.engine_version)
    }));
    out.extend(differs(shards, "identities", identity_text));
    out.extend(differs(shards, "merchant VATs", |s| {
        s.record.approval.merchant_vat.clone()
    }));
    out.extend(differs(shards, "targets", |s| target_text(&s.report)));
    out.extend(differs(shards, "client modes", |s| {
        format!("--client {}", s.report.client_mode)
    }));
    out.extend(differs(shards, "customer modes", |s| {
        format!("--customer {}", s.report.customer_mode)
    }));
    let selections = groups(shards, |s| s.record.selection.cases.join("\n"));
    if selections.len() > 1 {
        let sets: Vec<BTreeSet<&str>> = shards
            .iter()
            .map(|s| {
                s.record
                    .selection
                    .cases
                    .iter()
                    .map(String::as_str)
                    .collect()
            })
            .collect();
        let all: BTreeSet<&str> = sets.iter().flatten().copied().collect();
        let not_everywhere: Vec<&str> = all
            .into_iter()
            .filter(|id| !sets.iter().all(|s| s.contains(id)))
            .collect();
        out.push(format!(
            "the reports are of different selections (run every shard with the same paths, --feature, --tag and --filter): {}; {}",
            shards
                .iter()
                .map(|s| format!("{} selected {} cases", s.file, s.record.selection.cases.len()))
                .collect::<Vec<_>>()
                .join(", "),
            if not_everywhere.is_empty() {
                "the same cases in another order".to_string()
            } else {
                format!("cases not selected in every shard: {}", not_everywhere.join(", "))
            }
        ));
    }
    let digests = groups(shards, |s| {
        let sel = &s.record.selection;
        match (&sel.digest, &sel.digest_error) {
            (Some(d), _) => d.clone(),
            (None, e) => format!("no digest ({})", e.as_deref().unwrap_or("unknown")),
        }
    });
    if digests.len() > 1 {
        // Which files differ: a path whose hash is not the same in every shard.
        let mut by_path: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for s in shards {
            for f in &s.record.selection.files {
                by_path.entry(&f.path).or_default().insert(&f.sha256);
            }
        }
        let changed: Vec<&str> = by_path
            .iter()
            .filter(|(path, hashes)| {
                hashes.len() > 1
                    || shards
                        .iter()
                        .any(|s| !s.record.selection.files.iter().any(|f| f.path == **path))
            })
            .map(|(path, _)| *path)
            .collect();
        out.push(format!(
            "the reports are of different case files (was a case or fragment edited between the shards?): digest {}{}",
            listed(&digests),
            if changed.is_empty() {
                String::new()
            } else {
                format!("; files that differ: {}", changed.join(", "))
            }
        ));
    }
    for (shard, files) in groups(shards, |s| s.partition.to_string()) {
        if files.len() > 1 {
            out.push(format!(
                "shard {shard} is given more than once: {}",
                files.join(", ")
            ));
        }
    }
    if let (Some(c), Some(first)) = (config, shards.first()) {
        if let Some(i) = &first.report.identity {
            let id = &c.identity;
            let value =
                |v: &Option<crate::config::model::At<String>>| v.as_ref().map(|a| a.value.clone());
            if id.system_name.value != i.system_name
                || value(&id.client_id_sandbox) != i.client_id_sandbox
                || value(&id.client_id_production) != i.client_id_production
            {
                out.push(format!(
                    "the reports are of {} but {} names `{}`: merge with the poscert.yaml the shards ran with (--config FILE)",
                    identity_text(first),
                    c.file.display(),
                    id.system_name.value
                ));
            }
        }
    }
    if !out.is_empty() {
        return out;
    }
    // One selection, one partition: each shard must hold exactly the cases it is assigned,
    // and no case may be in two reports.
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for s in shards {
        let assigned: BTreeSet<&str> = s
            .partition
            .assigned(&s.record.selection.cases)
            .into_iter()
            .collect();
        let held: Vec<&str> = s.report.cases.iter().map(|c| c.id.as_str()).collect();
        let foreign: Vec<&str> = held
            .iter()
            .copied()
            .filter(|id| !assigned.contains(id))
            .collect();
        let lacking: Vec<&str> = assigned
            .iter()
            .copied()
            .filter(|id| !held.contains(id))
            .collect();
        if !foreign.is_empty() || !lacking.is_empty() {
            let mut what = Vec::new();
            if !foreign.is_empty() {
                what.push(format!(
                    "it holds cases its partition does not assign it: {}",
                    foreign.join(", ")
                ));
            }
            if !lacking.is_empty() {
                what.push(format!("it lacks {}", lacking.join(", ")));
            }
            out.push(format!(
                "{} (shard {}) is not what its partition assigns: {}",
                s.file,
                s.partition,
                what.join("; ")
            ));
        }
        for id in held {
            if let Some(other) = seen.insert(id, &s.file) {
                out.push(format!(
                    "case {id} is in two reports: {other} and {}",
                    s.file
                ));
            }
        }
    }
    out
}

/// The shards as one run: cases in certification order, load errors once.
fn combine(shards: &[Shard]) -> RunReport {
    let first = &shards[0];
    let order: HashMap<&str, usize> = first
        .record
        .selection
        .cases
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut cases: Vec<CaseReport> = shards
        .iter()
        .flat_map(|s| s.report.cases.iter().cloned())
        .collect();
    cases.sort_by_key(|c| order.get(c.id.as_str()).copied().unwrap_or(usize::MAX));
    let mut load_errors: Vec<LoadErrorReport> = Vec::new();
    for e in shards.iter().flat_map(|s| &s.report.load_errors) {
        let same = |o: &LoadErrorReport| {
            (o.file.as_str(), o.line, o.column, o.message.as_str())
                == (e.file.as_str(), e.line, e.column, e.message.as_str())
        };
        if !load_errors.iter().any(same) {
            load_errors.push(e.clone());
        }
    }
    let time = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    let started = shards
        .iter()
        .filter_map(|s| time(&s.report.started_at).map(|t| (t, &s.report.started_at)))
        .min_by_key(|(t, _)| *t);
    let finished = shards
        .iter()
        .filter_map(|s| time(&s.report.finished_at).map(|t| (t, &s.report.finished_at)))
        .max_by_key(|(t, _)| *t);
    let longest = shards
        .iter()
        .map(|s| s.report.duration_ms)
        .fold(0.0, f64::max);
    let span = match (started, finished) {
        (Some((s, _)), Some((f, _))) => (f - s).num_milliseconds().max(0) as f64,
        _ => 0.0,
    };
    let mut hosts: Vec<&str> = Vec::new();
    for s in shards {
        if !hosts.contains(&s.report.hostname.as_str()) {
            hosts.push(&s.report.hostname);
        }
    }
    RunReport {
        schema_version: REPORT_SCHEMA_VERSION,
        engine_version: first.report.engine_version.clone(),
        started_at: started.map_or_else(|| first.report.started_at.clone(), |(_, t)| t.clone()),
        finished_at: finished.map_or_else(|| first.report.finished_at.clone(), |(_, t)| t.clone()),
        duration_ms: span.max(longest),
        interrupted: shards.iter().any(|s| s.report.interrupted),
        target: first.report.target.clone(),
        client_mode: first.report.client_mode.clone(),
        customer_mode: first.report.customer_mode.clone(),
        identity: first.report.identity.clone(),
        summary: RunReport::compute_summary(&cases, load_errors.len()),
        cases,
        load_errors,
        hostname: hosts.join(", "),
        shard: None,
        store: None,
    }
}

fn case_line(c: &CaseReport) -> String {
    let word = match c.status {
        Status::Passed => "PASS ",
        Status::Failed => "FAIL ",
        Status::Error => "ERROR",
        Status::Skipped => "SKIP ",
    };
    let number = c
        .case_number
        .map(|n| format!(" case {n}"))
        .unwrap_or_default();
    let why = match (&c.failure, &c.skip_reason) {
        (Some(f), _) => format!(": {} ({}:{}:{})", f.message, f.file, f.line, f.column),
        (None, Some(r)) => format!(": {r}"),
        (None, None) => String::new(),
    };
    format!("{word} {}{number}: {}{why}", c.feature, c.name)
}

/// poscert.yaml's report paths when the command line names none (as for a run).
fn with_config_defaults(mut args: MergeArgs, config: Option<&crate::config::Config>) -> MergeArgs {
    let Some(c) = config else {
        return args;
    };
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

/// Where the merged JSON, JUnit and HTML reports go.
fn output_files(args: &MergeArgs) -> ReportFiles {
    ReportFiles::new(
        &args.report_json,
        &args.report_junit,
        &args.report_html,
        &args.report_dir,
    )
}

/// Both exist and are the same file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

//! JUnit XML in the shape every CI reads (landscape §5): one `<testsuite>` per feature; a dotted,
//! non-empty `classname` derived from the case file, unique with `name`; `file` and `line`
//! attributes; `<failure>` for assertions and `<error>` for everything else; `<skipped message>`;
//! `hostname` and `timestamp`; properties with the client identity and the target; a redacted
//! `system-out` with the step log (operator prompts and answers included).

use super::detail::{failure_text, step_log, warning_lines};
use crate::redact::Redactor;
use crate::run::result::{CaseReport, RunReport, Status, StepReport};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Granularity {
    /// One `<testcase>` per certification case.
    Case,
    /// One `<testcase>` per step (setup, steps and finally), named `NN step name`.
    Step,
}

/// `scenarios/payments/01-complete.yaml` → `scenarios.payments.01-complete`.
pub fn classname(file: &str) -> String {
    let no_ext = file
        .strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))
        .unwrap_or(file);
    let dotted: String = no_ext
        .trim_start_matches("./")
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != "..")
        .map(|p| p.replace('.', "_"))
        .collect::<Vec<_>>()
        .join(".");
    if dotted.is_empty() {
        "poscert.case".into()
    } else if dotted.contains('.') {
        dotted
    } else {
        format!("poscert.{dotted}")
    }
}

fn timestamp(rfc3339: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(rfc3339).ok()
}

fn status_of(
    status: Status,
    failure: Option<&crate::run::result::Failure>,
    skip: Option<&str>,
) -> TestCaseStatus {
    match status {
        Status::Passed => TestCaseStatus::success(),
        Status::Skipped => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(skip.unwrap_or("skipped"));
            s
        }
        Status::Failed | Status::Error => {
            let kind = if status == Status::Failed {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut s = TestCaseStatus::non_success(kind);
            if let Some(f) = failure {
                s.set_message(format!(
                    "{} ({}:{}:{})",
                    f.message, f.file, f.line, f.column
                ));
                s.set_type(format!("{:?}", f.category).to_lowercase());
            }
            s
        }
    }
}

fn run_properties(report: &RunReport) -> Vec<Property> {
    let mut p = vec![
        Property::new("poscert.engine.version", report.engine_version.as_str()),
        Property::new("poscert.target", report.target.name.as_str()),
        Property::new("poscert.target.url", report.target.pos_base_url.as_str()),
        Property::new("poscert.client.mode", report.client_mode.as_str()),
        Property::new("poscert.customer.mode", report.customer_mode.as_str()),
        Property::new("poscert.interrupted", report.interrupted.to_string()),
    ];
    if let Some(id) = &report.identity {
        p.push(Property::new(
            "poscert.client.systemName",
            id.system_name.as_str(),
        ));
        p.push(Property::new("poscert.client.version", id.version.as_str()));
        if let Some(c) = &id.client_id_sandbox {
            p.push(Property::new("poscert.client.id.sandbox", c.as_str()));
        }
        if let Some(c) = &id.client_id_production {
            p.push(Property::new("poscert.client.id.production", c.as_str()));
        }
    }
    p
}

fn case_testcase(case: &CaseReport) -> TestCase {
    let skip = case
        .skip_reason
        .as_deref()
        .or_else(|| case.steps.iter().find_map(|s| s.skip_reason.as_deref()));
    let mut status = status_of(case.status, case.failure.as_deref(), skip);
    if case.failure.is_some() {
        status.set_description(failure_text(case));
    }
    let name = match case.case_number {
        Some(n) => format!("Case {n}: {}", case.name),
        None => case.name.clone(),
    };
    let mut tc = TestCase::new(name, status);
    tc.set_classname(classname(&case.file));
    tc.set_time(Duration::from_secs_f64(case.duration_ms / 1000.0));
    if let Some(t) = timestamp(&case.started_at) {
        tc.set_timestamp(t);
    }
    // `file` is the case file, so `line` must be a line of that file: the failure's own line
    // when it is written there, else the line of the case's step that led into a fragment.
    let line = case
        .failure
        .as_ref()
        .filter(|f| f.file == case.file)
        .map(|f| f.line)
        .or_else(|| {
            case.steps
                .iter()
                .find(|s| s.failure.is_some())
                .map(|s| s.line)
        })
        .unwrap_or(1);
    tc.extra.insert("file".into(), case.file.clone().into());
    tc.extra.insert("line".into(), line.to_string().into());
    let mut log = String::new();
    step_log(&case.steps, 0, &mut log);
    // Advisories are warnings, never `<failure>`s: CI stays green and still shows them.
    for (i, w) in warning_lines(&case.warnings).into_iter().enumerate() {
        log.push_str(&w);
        log.push('\n');
        tc.add_property(Property::new(format!("poscert.warning.{}", i + 1), w));
    }
    tc.set_system_out(log);
    add_operator_properties(&mut tc, &case.steps);
    tc
}

fn collect_step_warnings(steps: &[StepReport], out: &mut Vec<crate::run::result::Warning>) {
    for s in steps {
        collect_step_warnings(&s.children, out);
        out.extend(s.warning.clone());
    }
}

fn add_operator_properties(tc: &mut TestCase, steps: &[StepReport]) {
    for s in steps {
        if let Some(op) = &s.operator {
            tc.add_property(Property::new(
                format!("operator.{}.actor", op.action),
                op.actor.as_str(),
            ));
            tc.add_property(Property::new(
                format!("operator.{}.outcome", op.action),
                op.outcome.as_str(),
            ));
            tc.add_property(Property::new(
                format!("operator.{}.waitMs", op.action),
                format!("{:.0}", op.wait_ms),
            ));
        }
        add_operator_properties(tc, &s.children);
    }
}

fn step_testcases(case: &CaseReport) -> Vec<TestCase> {
    let class = classname(&case.file);
    case.steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut status = status_of(s.status, s.failure.as_ref(), s.skip_reason.as_deref());
            if s.failure.is_some() {
                let mut one = case.clone();
                one.failure = s.failure.clone().map(Box::new);
                one.steps = vec![s.clone()];
                status.set_description(failure_text(&one));
            }
            let mut tc = TestCase::new(format!("{:02} {}", i + 1, s.name), status);
            tc.set_classname(class.clone());
            tc.set_time(Duration::from_secs_f64(s.duration_ms / 1000.0));
            tc.extra.insert("file".into(), s.file.clone().into());
            tc.extra.insert("line".into(), s.line.to_string().into());
            let mut log = String::new();
            step_log(std::slice::from_ref(s), 0, &mut log);
            let mut warnings = Vec::new();
            collect_step_warnings(std::slice::from_ref(s), &mut warnings);
            for (i, w) in warning_lines(&warnings).into_iter().enumerate() {
                log.push_str(&w);
                log.push('\n');
                tc.add_property(Property::new(format!("poscert.warning.{}", i + 1), w));
            }
            tc.set_system_out(log);
            add_operator_properties(&mut tc, std::slice::from_ref(s));
            tc
        })
        .collect()
}

pub fn render(report: &RunReport, granularity: Granularity, redactor: &Redactor) -> String {
    let mut out = Vec::new();
    if let Err(e) = write(report, granularity, redactor, &mut out) {
        return format!("<!-- could not write JUnit: {e} -->");
    }
    String::from_utf8(out).unwrap_or_default()
}

/// What a case adds to its suite's counts: one `<testcase>` per case or per top-level step.
fn count(suite: &mut TestSuite, status: Status) {
    suite.tests += 1;
    match status {
        Status::Passed => {}
        Status::Failed => suite.failures += 1,
        Status::Error => suite.errors += 1,
        Status::Skipped => suite.skipped += 1,
    }
}

/// The `<testcase>` elements of one case, as they appear inside a `<testsuite>` of the report:
/// serialized in a report of their own and cut out of it (the same writer, the same depth).
fn testcases_xml(case: &CaseReport, granularity: Granularity) -> String {
    let mut suite = TestSuite::new("poscert");
    match granularity {
        Granularity::Case => {
            suite.add_test_case(case_testcase(case));
        }
        Granularity::Step => {
            suite.add_test_cases(step_testcases(case));
        }
    }
    if suite.test_cases.is_empty() {
        return String::new();
    }
    let mut one = Report::new("poscert");
    one.add_test_suite(suite);
    let xml = one.to_string().unwrap_or_default();
    match (
        xml.find("\n        <testcase"),
        xml.rfind("\n    </testsuite>"),
    ) {
        (Some(from), Some(to)) if from < to => xml[from..to].to_string(),
        _ => String::new(),
    }
}

/// Writes the JUnit XML a case at a time (a run's cases are read back from its spool one by
/// one): the report's frame is serialized with a placeholder `<testcase>` per suite, and each
/// placeholder replaced by the suite's cases, so the bytes are those of the whole report
/// serialized at once. Redacted chunk by chunk, at case boundaries.
/// A `<testsuite>` with what every suite of a run carries: the run's start (Azure takes the
/// run's start from every suite's timestamp), the host and the run's properties.
fn suite_frame(name: &str, report: &RunReport) -> TestSuite {
    let mut suite = TestSuite::new(name);
    if let Some(t) = timestamp(&report.started_at) {
        suite.set_timestamp(t);
    }
    suite
        .extra
        .insert("hostname".into(), report.hostname.clone().into());
    suite.add_properties(run_properties(report));
    suite
}

/// The `invalid-input` suite: one errored `load` test case per file that could not be loaded.
fn load_errors_suite(report: &RunReport) -> Option<TestSuite> {
    if report.load_errors.is_empty() {
        return None;
    }
    let mut suite = suite_frame("invalid-input", report);
    for e in &report.load_errors {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(format!("{}:{}:{}: {}", e.file, e.line, e.column, e.message));
        status.set_type("configuration");
        let mut tc = TestCase::new("load", status);
        tc.set_classname(classname(&e.file));
        tc.extra.insert("file".into(), e.file.clone().into());
        tc.extra.insert("line".into(), e.line.to_string().into());
        suite.add_test_case(tc);
    }
    Some(suite)
}

pub fn write(
    report: &RunReport,
    granularity: Granularity,
    redactor: &Redactor,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut out = Report::new("poscert");
    if let Some(t) = timestamp(&report.started_at) {
        out.set_timestamp(t);
    }
    out.set_time(Duration::from_secs_f64(report.duration_ms / 1000.0));
    // One pass over the cases' summaries (read back one at a time) for what the suites' frames
    // need: per feature, its cases' durations and the statuses its `<testcase>`s count; per
    // case, its feature.
    let mut tally: Vec<(String, Vec<f64>, Vec<Status>)> = Vec::new();
    let mut feature_of: Vec<u32> = Vec::with_capacity(report.case_count());
    for case in report.case_summaries() {
        let case = case?;
        let k = match tally.iter().position(|(f, ..)| *f == case.feature) {
            Some(k) => k,
            None => {
                tally.push((case.feature.clone(), Vec::new(), Vec::new()));
                tally.len() - 1
            }
        };
        feature_of.push(k as u32);
        let (_, durations, statuses) = &mut tally[k];
        durations.push(case.duration_ms);
        match granularity {
            Granularity::Case => statuses.push(case.status),
            Granularity::Step => statuses.extend_from_slice(&case.step_summary().top),
        }
    }
    let mut features: Vec<usize> = (0..tally.len()).collect();
    features.sort_by(|&a, &b| tally[a].0.cmp(&tally[b].0));
    let marker = format!("poscert-placeholder-{}-", uuid::Uuid::new_v4());
    let mut placeholders = Vec::new();
    for (k, &t) in features.iter().enumerate() {
        let (feature, durations, statuses) = &tally[t];
        let mut suite = suite_frame(feature.as_str(), report);
        suite.set_time(Duration::from_secs_f64(
            durations.iter().sum::<f64>() / 1000.0,
        ));
        for &status in statuses {
            count(&mut suite, status);
        }
        if suite.tests > 0 {
            let name = format!("{marker}{k}");
            suite
                .test_cases
                .push(TestCase::new(name.clone(), TestCaseStatus::success()));
            placeholders.push((name, t as u32));
        }
        out.add_test_suite(suite);
    }
    if let Some(suite) = load_errors_suite(report) {
        out.add_test_suite(suite);
    }
    let xml = out.to_string().map_err(std::io::Error::other)?;
    let mut rest = xml.as_str();
    for (name, feature) in placeholders {
        // The placeholder's whole line: `\n        <testcase name="…"/>`.
        let at = rest
            .find(&format!("\"{name}\""))
            .ok_or_else(|| std::io::Error::other("JUnit placeholder lost"))?;
        let from = rest[..at].rfind('\n').unwrap_or(0);
        let to = at
            + rest[at..]
                .find("/>")
                .ok_or_else(|| std::io::Error::other("JUnit placeholder lost"))?
            + 2;
        w.write_all(redactor.redact(&rest[..from]).as_bytes())?;
        for i in (0..feature_of.len()).filter(|&i| feature_of[i] == feature) {
            let case = report.full_case(i)?;
            w.write_all(
                redactor
                    .redact(&testcases_xml(&case, granularity))
                    .as_bytes(),
            )?;
        }
        rest = &rest[to..];
    }
    w.write_all(redactor.redact(rest).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::result::{sample_report, spooled};

    /// The writer this one replaced: the whole report built, then serialized.
    fn whole(report: &RunReport, granularity: Granularity, redactor: &Redactor) -> String {
        let mut out = Report::new("poscert");
        if let Some(t) = timestamp(&report.started_at) {
            out.set_timestamp(t);
        }
        out.set_time(Duration::from_secs_f64(report.duration_ms / 1000.0));
        let mut features: Vec<&str> = report.cases.iter().map(|c| c.feature.as_str()).collect();
        features.sort();
        features.dedup();
        for feature in features {
            let mut suite = suite_frame(feature, report);
            let cases: Vec<&CaseReport> = report
                .cases
                .iter()
                .filter(|c| c.feature == feature)
                .collect();
            suite.set_time(Duration::from_secs_f64(
                cases.iter().map(|c| c.duration_ms).sum::<f64>() / 1000.0,
            ));
            for case in cases {
                match granularity {
                    Granularity::Case => {
                        suite.add_test_case(case_testcase(case));
                    }
                    Granularity::Step => {
                        suite.add_test_cases(step_testcases(case));
                    }
                }
            }
            out.add_test_suite(suite);
        }
        if let Some(suite) = load_errors_suite(report) {
            out.add_test_suite(suite);
        }
        let xml = out
            .to_string()
            .unwrap_or_else(|e| format!("<!-- could not write JUnit: {e} -->"));
        redactor.redact(&xml)
    }

    #[test]
    fn the_streamed_junit_is_the_report_serialized_at_once() {
        let redactor = Redactor::new();
        redactor.add("s3cr3t");
        for granularity in [Granularity::Case, Granularity::Step] {
            let expected = whole(&sample_report(), granularity, &redactor);
            assert_eq!(render(&sample_report(), granularity, &redactor), expected);
            assert_eq!(
                render(&spooled(sample_report()), granularity, &redactor),
                expected
            );
            let mut empty = sample_report();
            empty.cases.clear();
            assert_eq!(
                render(&empty, granularity, &redactor),
                whole(&empty, granularity, &redactor)
            );
        }
    }

    #[test]
    fn classnames_are_dotted_and_never_empty() {
        assert_eq!(
            classname("scenarios/payments/01-complete.yaml"),
            "scenarios.payments.01-complete"
        );
        assert_eq!(classname("./case.yaml"), "poscert.case");
        assert_eq!(classname("a/v1.2.yaml"), "a.v1_2");
    }
}

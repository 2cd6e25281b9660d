//! The JSON report: the run model serialized as is (`schemas/report.schema.json` describes it),
//! redacted as text so a secret anywhere in it (bodies, URLs, messages) is caught.
//!
//! Written as a stream: the run's fields, then each case as it is read back from the run's spool
//! (one case in memory at a time), then the rest; byte for byte what serializing the whole
//! report at once gives. Redacted chunk by chunk, at case boundaries.

use crate::redact::Redactor;
use crate::run::result::{
    CaseReport, Identity, LoadErrorReport, RunReport, ShardRecord, Summary, TargetInfo,
};
use serde::Serialize;
use std::io::Write;

/// Every field of [`RunReport`], in its order, with no cases: the frame the cases go into.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Frame<'a> {
    schema_version: u32,
    engine_version: &'a str,
    started_at: &'a str,
    finished_at: &'a str,
    duration_ms: f64,
    interrupted: bool,
    target: &'a TargetInfo,
    client_mode: &'a str,
    customer_mode: &'a str,
    identity: &'a Option<Identity>,
    summary: &'a Summary,
    cases: [CaseReport; 0],
    load_errors: &'a [LoadErrorReport],
    hostname: &'a str,
    #[serde(flatten)]
    shard: &'a Option<ShardRecord>,
}

/// Where the cases go in the frame: the top-level `cases` key (a string holding this would have
/// its newline escaped, so it can only be the key).
const CASES: &str = "\n  \"cases\": []";

pub fn render(report: &RunReport, redactor: &Redactor) -> String {
    let mut out = Vec::new();
    if let Err(e) = write(report, redactor, &mut out) {
        return format!("{{\"error\":\"{e}\"}}");
    }
    String::from_utf8(out).unwrap_or_default()
}

pub fn write(report: &RunReport, redactor: &Redactor, out: &mut dyn Write) -> std::io::Result<()> {
    let frame = Frame {
        schema_version: report.schema_version,
        engine_version: &report.engine_version,
        started_at: &report.started_at,
        finished_at: &report.finished_at,
        duration_ms: report.duration_ms,
        interrupted: report.interrupted,
        target: &report.target,
        client_mode: &report.client_mode,
        customer_mode: &report.customer_mode,
        identity: &report.identity,
        summary: &report.summary,
        cases: [],
        load_errors: &report.load_errors,
        hostname: &report.hostname,
        shard: &report.shard,
    };
    let text = serde_json::to_string_pretty(&frame).map_err(std::io::Error::other)?;
    let at = text
        .find(CASES)
        .ok_or_else(|| std::io::Error::other("no cases in the report frame"))?;
    let (head, tail) = (&text[..at], &text[at + CASES.len()..]);
    out.write_all(redactor.redact(head).as_bytes())?;
    if report.case_count() == 0 {
        out.write_all(CASES.as_bytes())?;
    } else {
        out.write_all(b"\n  \"cases\": [")?;
        for i in 0..report.case_count() {
            let case = report.full_case(i)?;
            let json = serde_json::to_string_pretty(&*case).map_err(std::io::Error::other)?;
            drop(case);
            // A case is two levels deep in the report: every line of it indented by four more.
            let mut chunk = String::with_capacity(json.len() + json.len() / 8);
            chunk.push_str(if i == 0 { "\n    " } else { ",\n    " });
            chunk.push_str(&json.replace('\n', "\n    "));
            out.write_all(redactor.redact(&chunk).as_bytes())?;
        }
        out.write_all(b"\n  ]")?;
    }
    out.write_all(redactor.redact(tail).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::result::{sample_report, spooled};

    #[test]
    fn the_streamed_report_is_the_report_serialized_at_once() {
        let redactor = Redactor::new();
        redactor.add("s3cr3t");
        let report = sample_report();
        let whole = redactor.redact(&serde_json::to_string_pretty(&report).expect("serializes"));
        assert_eq!(render(&report, &redactor), whole);
        assert_eq!(render(&spooled(sample_report()), &redactor), whole);
        assert!(!whole.contains("s3cr3t"));
        let mut empty = sample_report();
        empty.cases.clear();
        let whole = serde_json::to_string_pretty(&empty).expect("serializes");
        assert_eq!(render(&empty, &redactor), whole);
    }
}

//! The JSON report: the run model serialized as is (`schemas/report.schema.json` describes it),
//! redacted as text so a secret anywhere in it (bodies, URLs, messages) is caught.

use crate::redact::Redactor;
use crate::run::result::RunReport;

pub fn render(report: &RunReport, redactor: &Redactor) -> String {
    let text =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    redactor.redact(&text)
}

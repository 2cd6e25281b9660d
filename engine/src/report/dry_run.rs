//! `--dry-run`: the requests a run would send, in order, starting with the token request; the
//! caller passes the text through the redactor like every other sink.

use crate::http::Target;
use crate::redact::mask_header_value;
use crate::run::result::{RunReport, StepReport};

/// Every rendered request, in order, after the token request the run would make first.
pub fn render(report: &RunReport, target: &Target) -> String {
    fn walk(steps: &[StepReport], out: &mut String) {
        for s in steps {
            for a in &s.attempts {
                out.push_str(&format!("  # {} ({}:{})\n", s.name, s.file, s.line));
                out.push_str(&format!("  {} {}\n", a.request.method, a.request.url));
                for (k, v) in &a.request.headers {
                    out.push_str(&format!("  {k}: {}\n", mask_header_value(k, v)));
                }
                if let Some(b) = &a.request.body {
                    out.push_str(&format!("  {b}\n"));
                }
                out.push('\n');
            }
            walk(&s.children, out);
        }
    }
    let mut out = String::new();
    out.push_str(&format!(
        "== Integrator token (fetched once and reused until shortly before it expires; again after a 401)\n  POST {}\n  Authorization: Basic ***\n  Content-Type: application/x-www-form-urlencoded\n  grant_type=client_credentials&merchant_vat={}\n\n",
        target.token_url, target.merchant_vat
    ));
    for c in &report.cases {
        out.push_str(&format!("== {} ({})\n", c.name, c.file));
        walk(&c.steps, &mut out);
    }
    out
}

//! Escaping and small formatting helpers of the HTML report.
//!
//! Every text that reaches the page goes through [`Markup::text`] (or [`Markup::short`]):
//! redacted first, so a secret cut in half by shortening is never half-shown, then escaped with
//! exactly the entities [`crate::redact`] knows (`&amp; &lt; &gt; &quot; &apos;`), so the final
//! pass over the whole page still recognises an escaped secret.

use crate::redact::Redactor;
use crate::run::result::Status;

/// The escaper, bound to the run's redactor.
pub(super) struct Markup<'a> {
    pub redactor: &'a Redactor,
}

impl Markup<'_> {
    /// Redacted, then escaped for HTML text and attribute values.
    pub fn text(&self, s: &str) -> String {
        escape(&self.redactor.redact(s))
    }

    /// Redacted, cut to `max` characters (with `…`), then escaped.
    pub fn short(&self, s: &str, max: usize) -> String {
        escape(&cut(&self.redactor.redact(s), max))
    }
}

/// `& < > " '` as entities: safe in text, in quoted attributes and in inline SVG.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newline have no business in a report.
            c if c.is_control() && c != '\n' && c != '\t' && c != '\r' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, `…` marking a cut.
pub(super) fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// `627 ms`, `1.24 s`, `2 min 03 s`.
pub(super) fn duration(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        return "–".into();
    }
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        let s = (ms / 1000.0).round() as u64;
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

/// An id fragment: letters, digits and `-` only.
pub(super) fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "case".into()
    } else {
        trimmed.to_string()
    }
}

pub(super) fn status_name(s: Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Error => "error",
        Status::Skipped => "skipped",
    }
}

/// Failures first, then errors, then skipped, then passed.
pub(super) fn status_rank(s: Status) -> u8 {
    match s {
        Status::Failed => 0,
        Status::Error => 1,
        Status::Skipped => 2,
        Status::Passed => 3,
    }
}

/// A status badge.
pub(super) fn badge(s: Status) -> String {
    let name = status_name(s);
    format!("<span class=\"badge {name}\">{name}</span>")
}

/// The path and query of a URL (`http://h:1/pos/v10/x?a=1` → `/pos/v10/x`, `a=1`).
pub(super) fn path_and_query(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map(|i| &url[i + 3..]).unwrap_or(url);
    let path = after_scheme
        .find('/')
        .map(|i| &after_scheme[i..])
        .unwrap_or("/");
    let path = path.split('#').next().unwrap_or(path);
    match path.split_once('?') {
        Some((p, q)) => (p, q),
        None => (path, ""),
    }
}

/// A path for a label: the PoS API's base dropped, long ids shortened
/// (`/pos/v10/payments/da64e558-f75b-…` → `/payments/da64e558…`).
pub(super) fn short_path(path: &str) -> String {
    let path = ["/pos-self-certification-api/pos/v10/", "/pos/v10/"]
        .iter()
        .find_map(|base| path.strip_prefix(base.trim_end_matches('/')))
        .filter(|rest| rest.starts_with('/'))
        .unwrap_or(path);
    path.split('/')
        .map(|seg| {
            let hexish = seg.len() > 12
                && seg
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == '-' || c == '_');
            if hexish {
                format!("{}…", &seg[..8])
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A JSON body pretty-printed, else the text as it came.
pub(super) fn pretty_body(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| body.to_string())
        }
        _ => body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_html_and_the_redactor_agree_on() {
        assert_eq!(
            escape("<script>alert('x&y')</script>\"\u{7}"),
            "&lt;script&gt;alert(&apos;x&amp;y&apos;)&lt;/script&gt;&quot;\u{FFFD}"
        );
    }

    #[test]
    fn a_secret_is_masked_before_it_is_cut() {
        let r = Redactor::new();
        r.add("s3cret-token-value");
        let m = Markup { redactor: &r };
        assert_eq!(
            m.short("Bearer s3cret-token-value and more", 12),
            "Bearer *** …"
        );
        assert_eq!(m.text("a<s3cret-token-value>"), "a&lt;***&gt;");
    }

    #[test]
    fn paths_and_labels() {
        assert_eq!(
            path_and_query("http://127.0.0.1:9/pos/v10/payments?posId=1"),
            ("/pos/v10/payments", "posId=1")
        );
        assert_eq!(path_and_query("http://h"), ("/", ""));
        assert_eq!(
            short_path("/pos/v10/payments/da64e558-f75b-4674-b45b-b909ed3fe2ec/capture"),
            "/payments/da64e558…/capture"
        );
        assert_eq!(short_path("/pos/v10"), "/pos/v10");
        assert_eq!(
            short_path("/pos-self-certification-api/pos/v10/stores"),
            "/stores"
        );
        assert_eq!(
            slug("payments/01-complete a payment"),
            "payments-01-complete-a-payment"
        );
        assert_eq!(duration(627.4), "627 ms");
        assert_eq!(duration(1240.0), "1.24 s");
        assert_eq!(duration(123_000.0), "2 min 03 s");
    }
}

//! The one redaction layer in front of every sink. Every secret is registered once (the client
//! secret, tokens, Basic credentials, captures marked `secret: true`, values typed at secret
//! prompts); each sink passes its final text through [`Redactor::redact`], which replaces the
//! secret and its derived forms (base64, URL-encoded, JSON- and XML-escaped) with `***`.
//!
//! Redacting the finished text, rather than chosen fields, is deliberate: a token echoed inside
//! a response body, a URL query or an error message is caught as surely as a header.

pub mod encoding;

use base64::Engine;
use std::sync::{Arc, RwLock};

/// Shorter values are not redacted: masking "12" would garble every amount in a report.
pub const MIN_SECRET_LEN: usize = 6;
pub const MASK: &str = "***";

#[derive(Clone, Default)]
pub struct Redactor {
    forms: Arc<RwLock<Vec<String>>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.forms.read().map(|v| v.len()).unwrap_or(0);
        write!(f, "Redactor({n} forms)")
    }
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a secret and its derived forms. Returns false when it is too short to mask.
    pub fn add(&self, secret: &str) -> bool {
        if secret.len() < MIN_SECRET_LEN {
            return false;
        }
        let mut forms = vec![secret.to_string()];
        let b = secret.as_bytes();
        for engine in [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            forms.push(engine.encode(b));
        }
        forms.push(
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
        forms.push(form_urlencode(secret));
        forms.push(encoding::component(secret));
        let json = serde_json::to_string(secret).unwrap_or_default();
        forms.push(json.trim_matches('"').to_string());
        forms.push(xml_escape(secret));
        let mut guard = match self.forms.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        for f in forms {
            if f.len() >= MIN_SECRET_LEN && !guard.contains(&f) {
                guard.push(f);
            }
        }
        // Longest first, so a secret that contains another is masked whole.
        guard.sort_by_key(|f| std::cmp::Reverse(f.len()));
        true
    }

    /// Registers `user:password` Basic credentials (the combined base64 is what travels).
    pub fn add_basic(&self, user: &str, password: &str) {
        self.add(password);
        let combined = format!("{user}:{password}");
        self.add(&combined);
    }

    pub fn redact(&self, text: &str) -> String {
        let guard = match self.forms.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut out = text.to_string();
        for form in guard.iter() {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), MASK);
            }
        }
        out
    }

    /// Redacts every string inside a JSON value.
    pub fn redact_json(&self, value: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::String(s) => Value::String(self.redact(s)),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.redact_json(v)).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), self.redact_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

fn form_urlencode(s: &str) -> String {
    // application/x-www-form-urlencoded: space as '+', the rest percent-encoded.
    s.split(' ')
        .map(|part| {
            percent_encoding::utf8_percent_encode(part, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("+")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Header names whose values are never recorded as sent.
pub fn is_sensitive_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization"
        || n == "x-ibm-client-secret"
        || n == "cookie"
        || n == "set-cookie"
        || n == "proxy-authorization"
}

/// `Bearer abc` → `Bearer ***`, so reports still show which scheme was used.
pub fn mask_header_value(name: &str, value: &str) -> String {
    if !is_sensitive_header(name) {
        return value.to_string();
    }
    match value.split_once(' ') {
        Some((scheme, _)) => format!("{scheme} {MASK}"),
        None => MASK.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_plain_and_derived_forms() {
        let r = Redactor::new();
        let secret = "s3cr3t/with+chars=";
        assert!(r.add(secret));
        let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
        let url = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
        let text = format!("a {secret} b {b64} c {url}");
        let out = r.redact(&text);
        assert!(
            !out.contains(secret) && !out.contains(&b64) && !out.contains(&url),
            "{out}"
        );
        assert_eq!(out.matches(MASK).count(), 3);
    }

    #[test]
    fn basic_credentials_are_masked_in_their_combined_form() {
        let r = Redactor::new();
        r.add_basic("client-id", "client-secret");
        let header = base64::engine::general_purpose::STANDARD.encode("client-id:client-secret");
        assert_eq!(r.redact(&format!("Basic {header}")), "Basic ***");
    }

    #[test]
    fn a_secret_sent_in_a_query_or_form_is_masked_as_encoded_there() {
        let r = Redactor::new();
        let secret = "Sup3r-Secret.Value/42";
        r.add(secret);
        let query = encoding::pairs([("t", secret)]);
        assert_eq!(query, "t=Sup3r-Secret.Value%2F42");
        assert_eq!(r.redact(&format!("GET /x?{query}")), "GET /x?t=***");
    }

    #[test]
    fn short_values_are_not_masked() {
        let r = Redactor::new();
        assert!(!r.add("12"));
        assert_eq!(r.redact("amount 12"), "amount 12");
    }

    #[test]
    fn header_values_keep_their_scheme() {
        assert_eq!(
            mask_header_value("Authorization", "Bearer abc.def"),
            "Bearer ***"
        );
        assert_eq!(mask_header_value("X-Other", "v"), "v");
    }
}

//! Input rules of notes §3: valid characters, 36-character limits, GUIDs, beacon ids,
//! amounts, VAT numbers, versions, and a small typed view over a JSON request body.
//!
//! Bodies are parsed into `serde_json::Value` and checked field by field (not deserialized
//! into structs) because each field has its own error code (1111, 1113, 1102…) and the
//! codes must come out exactly as documented, including for missing fields and wrong types.

use crate::errors::{ApiError, ErrorCode};
use crate::routes::RESTRICTION_FIELDS;
use serde_json::{Map, Value};

/// The extra characters of notes §3 besides ASCII letters, digits and space.
const EXTRA_VALID: &str = "æÆøØåÅäÄöÖšŠžŽâÂàÀáÁãÃéÉêÊëËèÈíÍîÎïÏìÌüÜûÛùÙúÚôÔòÒóÓõÕÿýÝñÑ!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¦¯¨´×«»ðþçß¤ÇµÐÞ±°ªº©§¶¼½¾¬®¢£¥¡¿¹²³";

pub fn is_valid_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == ' ' || EXTRA_VALID.contains(c)
}

/// 1 to 36 characters, all from the valid set.
pub fn is_valid_text36(s: &str) -> bool {
    let n = s.chars().count();
    (1..=36).contains(&n) && s.chars().all(is_valid_char)
}

/// A GUID in the usual 8-4-4-4-12 form (any case).
pub fn parse_guid(s: &str) -> Option<uuid::Uuid> {
    if s.len() != 36 {
        return None;
    }
    uuid::Uuid::parse_str(s).ok()
}

/// A beacon id is a GUID or exactly 15 digits (notes §3).
pub fn is_valid_beacon(s: &str) -> bool {
    parse_guid(s).is_some() || (s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()))
}

/// `DK12345678` / `FI12345678`.
pub fn is_valid_vat(s: &str) -> bool {
    s.len() == 10
        && (s.starts_with("DK") || s.starts_with("FI"))
        && s[2..].bytes().all(|b| b.is_ascii_digit())
}

/// `Major.Minor.Build`, digits only.
pub fn is_valid_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// At most 36 valid characters, not empty.
pub fn is_valid_idempotency_key(s: &str) -> bool {
    is_valid_text36(s) && !s.trim().is_empty()
}

/// `MPPOSXXXXX`, `POSDKXXXXX` or `POSFIXXXXX`: 10 characters.
pub fn is_valid_brand_id(s: &str) -> bool {
    s.len() == 10
        && (s.starts_with("MPPOS") || s.starts_with("POSDK") || s.starts_with("POSFI"))
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Exactly 5 valid characters.
pub fn is_valid_location_id(s: &str) -> bool {
    s.chars().count() == 5 && s.chars().all(is_valid_char)
}

/// Largest accepted amount, in minor units [inferred: no limit is documented].
pub const MAX_AMOUNT_MINOR: i64 = 100_000_000_000;

/// A positive amount in major units with at most two decimals, as minor units (1102 otherwise).
pub fn amount_to_minor(v: &Value) -> Result<i64, ApiError> {
    let x = v.as_f64().ok_or(ApiError::code(ErrorCode::InvalidAmount))?;
    if !x.is_finite() || x <= 0.0 {
        return Err(ErrorCode::InvalidAmount.into());
    }
    let scaled = (x * 100.0).round();
    if scaled < 1.0 || scaled > MAX_AMOUNT_MINOR as f64 {
        return Err(ErrorCode::InvalidAmount.into());
    }
    let minor = scaled as i64;
    if (minor as f64) / 100.0 != x {
        return Err(
            ErrorCode::InvalidAmount.with("Invalid Amount: at most two decimals are allowed")
        );
    }
    Ok(minor)
}

/// Minor units back to the JSON number of major units (`1250` → `12.5`).
pub fn minor_to_json(minor: i64) -> f64 {
    minor as f64 / 100.0
}

/// A JSON object body with the field rules of the spec.
pub struct Body<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Body<'a> {
    /// The body must be an object whose keys are all in `allowed` (when `strict`).
    /// Unknown `calibrationType` on create PoS maps to its historical code 1118.
    pub fn object(value: &'a Value, allowed: &[&str], strict: bool) -> Result<Body<'a>, ApiError> {
        let map = value
            .as_object()
            .ok_or_else(|| ErrorCode::BadRequest.with("The request body must be a JSON object"))?;
        if strict {
            for key in map.keys() {
                if !allowed.contains(&key.as_str()) {
                    if key.eq_ignore_ascii_case("calibrationType") {
                        return Err(ErrorCode::InvalidCalibrationType
                            .with("Invalid CalibrationType: the property has been removed"));
                    }
                    return Err(ErrorCode::BadRequest.with(format!("Unknown property '{key}'")));
                }
            }
        }
        Ok(Body { map })
    }

    /// The raw value, `None` for absent or `null`.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A string field: absent/null → `Ok(None)`, non-string → `err`.
    pub fn opt_str(&self, key: &str, err: ErrorCode) -> Result<Option<&'a str>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(err.with(format!("{}: '{key}' must be a string", err.parts().2))),
        }
    }

    /// A required string field checked with [`is_valid_text36`].
    pub fn text36(&self, key: &str, err: ErrorCode) -> Result<&'a str, ApiError> {
        match self.opt_str(key, err)? {
            Some(s) if is_valid_text36(s) => Ok(s),
            Some(_) => Err(err.with(format!(
                "{}: '{key}' must be 1-36 valid characters",
                err.parts().2
            ))),
            None => Err(err.with(format!("{}: '{key}' is required", err.parts().2))),
        }
    }

    /// An optional string field checked with [`is_valid_text36`].
    pub fn opt_text36(&self, key: &str, err: ErrorCode) -> Result<Option<&'a str>, ApiError> {
        match self.opt_str(key, err)? {
            Some(s) if is_valid_text36(s) => Ok(Some(s)),
            Some(_) => Err(err.with(format!(
                "{}: '{key}' must be 1-36 valid characters",
                err.parts().2
            ))),
            None => Ok(None),
        }
    }

    /// A required GUID field (1099 when missing or malformed: no specific code exists).
    pub fn guid(&self, key: &str) -> Result<uuid::Uuid, ApiError> {
        match self.get(key) {
            Some(Value::String(s)) => parse_guid(s)
                .ok_or_else(|| ErrorCode::BadRequest.with(format!("'{key}' must be a GUID"))),
            Some(_) => Err(ErrorCode::BadRequest.with(format!("'{key}' must be a GUID string"))),
            None => Err(ErrorCode::BadRequest.with(format!("'{key}' is required"))),
        }
    }

    pub fn amount(&self, key: &str) -> Result<i64, ApiError> {
        match self.get(key) {
            Some(v) => amount_to_minor(v),
            None => {
                Err(ErrorCode::InvalidAmount.with(format!("Invalid Amount: '{key}' is required")))
            }
        }
    }

    /// A required enum field (1099 when missing or not one of `allowed`).
    pub fn enum_str(&self, key: &str, allowed: &[&'static str]) -> Result<&'static str, ApiError> {
        match self.get(key) {
            Some(Value::String(s)) => allowed
                .iter()
                .find(|a| **a == s.as_str())
                .copied()
                .ok_or_else(|| {
                    ErrorCode::BadRequest
                        .with(format!("'{key}' must be one of {}", allowed.join(", ")))
                }),
            Some(_) => Err(ErrorCode::BadRequest.with(format!("'{key}' must be a string"))),
            None => Err(ErrorCode::BadRequest.with(format!("'{key}' is required"))),
        }
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ErrorCode::BadRequest.with(format!("'{key}' must be a boolean"))),
        }
    }
}

/// `restrictions`: `null` or `{debitCardDisallowed?: bool|null, creditCardDisallowed?: bool|null}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Restrictions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debit_card_disallowed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_card_disallowed: Option<bool>,
}

pub fn restrictions(body: &Body<'_>, strict: bool) -> Result<Option<Restrictions>, ApiError> {
    match body.get("restrictions") {
        None => Ok(None),
        Some(v) => {
            let r = Body::object(v, &RESTRICTION_FIELDS, strict)?;
            Ok(Some(Restrictions {
                debit_card_disallowed: r.opt_bool("debitCardDisallowed")?,
                credit_card_disallowed: r.opt_bool("creditCardDisallowed")?,
            }))
        }
    }
}

/// The properties of a JSON object body that are not in `fields`, as dotted paths
/// (`"foo"`, `"restrictions.bar"`), sorted. Empty for a body that is not a JSON object and for
/// an operation without a body (`fields` empty).
pub fn unknown_fields(fields: &[&str], body: &[u8]) -> Vec<String> {
    if fields.is_empty() || body.is_empty() {
        return Vec::new();
    }
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in &map {
        if !fields.contains(&key.as_str()) {
            out.push(key.clone());
        } else if key == "restrictions" {
            if let Value::Object(inner) = value {
                out.extend(
                    inner
                        .keys()
                        .filter(|k| !RESTRICTION_FIELDS.contains(&k.as_str()))
                        .map(|k| format!("restrictions.{k}")),
                );
            }
        }
    }
    out.sort();
    out
}

/// A canonical text form of a JSON value (object keys sorted, no whitespace): two requests are
/// "the same request" for idempotency when their canonical bodies are equal.
pub fn canonical_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(inner) = map.get(*k) {
                    canonical_json(inner, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_rules() {
        assert!(is_valid_text36("ORDER-12345"));
        assert!(is_valid_text36("Cafeteria register #2"));
        assert!(is_valid_text36("Smørrebrød ÆØÅ"));
        assert!(!is_valid_text36(""));
        assert!(!is_valid_text36(&"x".repeat(37)));
        assert!(is_valid_text36(&"ø".repeat(36)));
        assert!(!is_valid_text36("emoji 😀"));
        assert!(!is_valid_text36("tab\there"));
    }

    #[test]
    fn beacon_vat_version_rules() {
        assert!(is_valid_beacon("123456789012345"));
        assert!(is_valid_beacon("a7b69d37-6753-4e94-afc3-ef5dab04b7f4"));
        assert!(!is_valid_beacon("12345678901234"));
        assert!(!is_valid_beacon("a7b69d3767534e94afc3ef5dab04b7f4"));
        assert!(is_valid_vat("DK90000028"));
        assert!(!is_valid_vat("DK-90000028"));
        assert!(!is_valid_vat("SE90000028"));
        assert!(is_valid_version("2.1.1"));
        assert!(!is_valid_version("2.1"));
        assert!(!is_valid_version("2.1.x"));
        assert!(is_valid_brand_id("MPPOSCERT1"));
        assert!(!is_valid_brand_id("XXPOSCERT1"));
        assert!(is_valid_location_id("00001"));
        assert!(!is_valid_location_id("0001"));
    }

    #[test]
    fn amounts() {
        assert_eq!(amount_to_minor(&json!(12.5)), Ok(1250));
        assert_eq!(amount_to_minor(&json!(0.29)), Ok(29));
        assert_eq!(amount_to_minor(&json!(100)), Ok(10000));
        for bad in [
            json!(0),
            json!(-1),
            json!(12.345),
            json!("12.5"),
            json!(1e300),
        ] {
            assert_eq!(
                amount_to_minor(&bad).map_err(|e| e.error_code()),
                Err(Some(ErrorCode::InvalidAmount)),
                "{bad}"
            );
        }
        assert_eq!(minor_to_json(1250), 12.5);
    }

    #[test]
    fn canonical_json_ignores_key_order_and_whitespace() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2], "x": null}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":null,"y":[1,2]},"b":1}"#).unwrap();
        let (mut sa, mut sb) = (String::new(), String::new());
        canonical_json(&a, &mut sa);
        canonical_json(&b, &mut sb);
        assert_eq!(sa, sb);
        assert_eq!(sa, r#"{"a":{"x":null,"y":[1,2]},"b":1}"#);
    }

    #[test]
    fn unknown_fields_are_rejected_only_when_strict() {
        let v = json!({"a": 1, "calibrationType": 3});
        let err = Body::object(&v, &["a"], true)
            .err()
            .and_then(|e| e.error_code());
        assert_eq!(err, Some(ErrorCode::InvalidCalibrationType));
        let v = json!({"a": 1, "zzz": 3});
        assert_eq!(
            Body::object(&v, &["a"], true)
                .err()
                .and_then(|e| e.error_code()),
            Some(ErrorCode::BadRequest)
        );
        assert!(Body::object(&v, &["a"], false).is_ok());
    }

    #[test]
    fn unknown_fields_are_listed_with_nested_restrictions() {
        let fields = ["posId", "restrictions"];
        let body = br#"{"posId":"x","foo":1,"restrictions":{"debitCardDisallowed":true,"bar":2}}"#;
        assert_eq!(unknown_fields(&fields, body), ["foo", "restrictions.bar"]);
        assert!(unknown_fields(&fields, br#"{"posId":"x"}"#).is_empty());
        assert!(unknown_fields(&fields, b"not json").is_empty());
        assert!(unknown_fields(&[], br#"{"foo":1}"#).is_empty());
    }
}

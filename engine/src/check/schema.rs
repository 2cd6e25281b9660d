//! `schema:` checks with the jsonschema crate. Compiled validators are cached per schema (a named
//! PoS v10 response or a file), since the same schema is checked on many polls.

use crate::scenario::model::SchemaRef;
use crate::scenario::pos_v10_schemas::named_schema;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

type Cache = Mutex<HashMap<String, Arc<jsonschema::Validator>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Validates `document`; `case_dir` resolves schema files. Errors list at most five violations.
pub fn validate(schema: &SchemaRef, case_dir: &Path, document: &Value) -> Result<(), String> {
    let (key, label) = match schema {
        SchemaRef::Named(n) => (format!("named:{n}"), n.clone()),
        SchemaRef::File(p) => {
            let full = case_dir.join(p);
            (format!("file:{}", full.display()), p.display().to_string())
        }
    };
    let validator = {
        let cached = cache().lock().ok().and_then(|c| c.get(&key).cloned());
        match cached {
            Some(v) => v,
            None => {
                let text = match schema {
                    SchemaRef::Named(n) => named_schema(n)
                        .map(str::to_string)
                        .ok_or_else(|| format!("unknown PoS v10 schema `{n}`"))?,
                    SchemaRef::File(p) => std::fs::read_to_string(case_dir.join(p))
                        .map_err(|e| format!("cannot read schema file `{}`: {e}", p.display()))?,
                };
                let json: Value = serde_json::from_str(&text)
                    .map_err(|e| format!("schema `{label}` is not JSON: {e}"))?;
                let v =
                    Arc::new(jsonschema::validator_for(&json).map_err(|e| {
                        format!("schema `{label}` is not a valid JSON Schema: {e}")
                    })?);
                if let Ok(mut c) = cache().lock() {
                    c.insert(key, v.clone());
                }
                v
            }
        }
    };
    let problems: Vec<String> = validator
        .iter_errors(document)
        .take(5)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("{} {e}", if at.is_empty() { "(root)".into() } else { at })
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the response does not match schema {label}: {}",
            problems.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn named_schema_accepts_and_rejects() {
        let good = json!({"paymentId":"3974eae6-e36f-4148-b5ee-22689e528c75","posId":"c85916b1-8e17-4275-a388-551e16aa6293","orderId":"o","status":"Reserved","pollDelayInMs":1000,"amount":12.5,"currencyCode":"DKK"});
        let schema = SchemaRef::Named("QueryPaymentResponse".into());
        assert_eq!(validate(&schema, Path::new("."), &good), Ok(()));
        let mut bad = good.clone();
        bad["status"] = json!("Bogus");
        let err = validate(&schema, Path::new("."), &bad).unwrap_err();
        assert!(err.contains("/status"), "{err}");
    }
}

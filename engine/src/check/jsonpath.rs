//! JSONPath queries (RFC 9535, via jsonpath-rust) with one rule for how results become a value:
//! no match is "missing", one match is that value, several are an array.

use jsonpath_rust::JsonPath;
use serde_json::Value;

pub fn select(document: &Value, path: &str) -> Result<Option<Value>, String> {
    let found = document
        .query(path)
        .map_err(|e| format!("invalid JSONPath `{path}`: {e}"))?;
    Ok(match found.len() {
        0 => None,
        1 => Some(found[0].clone()),
        _ => Some(Value::Array(found.into_iter().cloned().collect())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn zero_one_many() {
        let doc = json!({"a": {"b": 1}, "list": [1, 2]});
        assert_eq!(select(&doc, "$.a.b").unwrap(), Some(json!(1)));
        assert_eq!(select(&doc, "$.missing").unwrap(), None);
        assert_eq!(select(&doc, "$.list[*]").unwrap(), Some(json!([1, 2])));
        assert_eq!(select(&doc, "$.list").unwrap(), Some(json!([1, 2])));
    }
}

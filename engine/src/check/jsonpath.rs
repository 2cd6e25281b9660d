//! JSONPath queries (RFC 9535, via jsonpath-rust) with one rule for how results become a value:
//! no match is "missing", one match is that value, several are an array.
//!
//! A path is parsed once per process ([`compile`], shared with the loader's check of the
//! paths a case names), since the same few paths are evaluated on every response of a run.

pub use crate::scenario::jsonpath::compile;
use jsonpath_rust::parser::errors::JsonPathError;
use jsonpath_rust::query::js_path_process;
use serde_json::Value;

pub fn select(document: &Value, path: &str) -> Result<Option<Value>, String> {
    let invalid = |e: JsonPathError| format!("invalid JSONPath `{path}`: {e}");
    let query = compile(path).map_err(invalid)?;
    let found = js_path_process(&query, document).map_err(invalid)?;
    Ok(match found.len() {
        0 => None,
        1 => Some(found[0].val.clone()),
        _ => Some(Value::Array(
            found.into_iter().map(|r| r.val.clone()).collect(),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonpath_rust::JsonPath;
    use serde_json::json;

    #[test]
    fn zero_one_many() {
        let doc = json!({"a": {"b": 1}, "list": [1, 2]});
        assert_eq!(select(&doc, "$.a.b").unwrap(), Some(json!(1)));
        assert_eq!(select(&doc, "$.missing").unwrap(), None);
        assert_eq!(select(&doc, "$.list[*]").unwrap(), Some(json!([1, 2])));
        assert_eq!(select(&doc, "$.list").unwrap(), Some(json!([1, 2])));
    }

    #[test]
    fn cached_queries_answer_as_a_fresh_parse_does() {
        let doc = json!({
            "storeIds": ["a", "b"],
            "payments": [{"id": 1, "status": "Reserved"}, {"id": 2, "status": "Captured"}],
            "n": 3
        });
        let paths = [
            "$.storeIds",
            "$.storeIds[0]",
            "$.storeIds[*]",
            "$.payments[?@.status == 'Captured'].id",
            "$..id",
            "$.n",
            "$.missing",
            "$.payments[5]",
        ];
        for _ in 0..2 {
            for p in paths {
                let fresh: Vec<Value> = doc.query(p).unwrap().into_iter().cloned().collect();
                let expected = match fresh.len() {
                    0 => None,
                    1 => Some(fresh[0].clone()),
                    _ => Some(Value::Array(fresh)),
                };
                assert_eq!(select(&doc, p).unwrap(), expected, "{p}");
            }
        }
    }

    #[test]
    fn invalid_paths_are_errors_every_time() {
        let doc = json!({});
        for _ in 0..2 {
            let e = select(&doc, "$.a[").unwrap_err();
            assert!(e.starts_with("invalid JSONPath `$.a[`: "), "{e}");
        }
    }
}

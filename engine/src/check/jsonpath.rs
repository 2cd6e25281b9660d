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
    if let Some(found) = select_member_names(document, path) {
        return Ok(found.cloned());
    }
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

/// `$.a.b` (member-name shorthands only, RFC 9535 §2.5.1.1, ASCII names) walked directly: most
/// paths in cases are this shape, and the general query engine costs several times the lookup.
/// None when `path` is any other shape (the caller runs the query); Some(None) for no match.
fn select_member_names<'v>(document: &'v Value, path: &str) -> Option<Option<&'v Value>> {
    let rest = path.strip_prefix("$.")?;
    let is_name = |name: &str| {
        name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if !rest.split('.').all(is_name) {
        return None;
    }
    // A name selects only from an object; from anything else it selects nothing.
    Some(
        rest.split('.')
            .try_fold(document, |value, name| value.as_object()?.get(name)),
    )
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
    fn member_name_paths_answer_as_the_query_engine_does() {
        let docs = [
            json!({"a": {"b": 1, "c": null, "d": [1, {"e": 2}]}, "_x1": "y", "0": 7, "true": 1, "null": 2, "A": [{"a": 1}]}),
            json!([{"a": 1}]),
            json!("text"),
            json!(null),
        ];
        let paths = [
            "$.a",
            "$.a.b",
            "$.a.c",
            "$.a.c.x",
            "$.a.d",
            "$.a.d.e",
            "$._x1",
            "$.true",
            "$.null",
            "$.A.a",
            "$.missing",
            "$.a.missing.deeper",
            "$.A",
        ];
        for doc in &docs {
            for p in paths {
                assert!(
                    select_member_names(doc, p).is_some(),
                    "{p} takes the short way"
                );
                let query = compile(p).unwrap();
                let fresh: Vec<Value> = js_path_process(&query, doc)
                    .unwrap()
                    .into_iter()
                    .map(|r| r.val.clone())
                    .collect();
                let expected = match fresh.len() {
                    0 => None,
                    1 => Some(fresh[0].clone()),
                    _ => Some(Value::Array(fresh)),
                };
                assert_eq!(select(doc, p).unwrap(), expected, "{p} on {doc}");
            }
        }
        for other in [
            "$", "$..a", "$.a[0]", "$.0", "$.a.", "$.a..b", "$['a']", "$.a-b", "$.é",
        ] {
            assert!(select_member_names(&docs[0], other).is_none(), "{other}");
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

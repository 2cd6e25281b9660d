//! JSONPaths parsed once per process. The loader checks every path a case names, and the
//! run evaluates the same few paths on every response ([`crate::check::jsonpath`]); both go
//! through this cache, so a path is parsed (a pest grammar walk, several times the cost of the
//! query itself) once, not at every step that names it and again at every evaluation.

use jsonpath_rust::parser::errors::JsonPathError;
use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::parser::parse_json_path;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

/// Distinct paths kept; beyond this (paths built at run time), a path is parsed at each use.
const CACHE_LIMIT: usize = 4096;

/// The parsed form of `path`, from the cache when it was parsed before. Invalid paths are not
/// kept: they fail the same way each time.
pub fn compile(path: &str) -> Result<Arc<JpQuery>, JsonPathError> {
    static CACHE: OnceLock<RwLock<HashMap<String, Arc<JpQuery>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(q) = cache
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(path)
    {
        return Ok(q.clone());
    }
    let query = Arc::new(parse_json_path(path)?);
    let mut guard = cache
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if guard.len() < CACHE_LIMIT {
        guard.insert(path.to_string(), query.clone());
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_parsed_once_and_errors_are_not_kept() {
        assert!(Arc::ptr_eq(
            &compile("$.storeIds").unwrap(),
            &compile("$.storeIds").unwrap()
        ));
        let first = compile("$.a[").unwrap_err().to_string();
        assert_eq!(compile("$.a[").unwrap_err().to_string(), first);
        assert_eq!(
            first,
            parse_json_path("$.a[").unwrap_err().to_string(),
            "the parser's own error"
        );
    }
}

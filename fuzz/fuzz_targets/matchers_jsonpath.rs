//! A JSONPath, a matcher and a JSON document → the loader's checks of both (the path parsed
//! through the shared cache, `scenario::jsonpath::compile`; the matcher converted by
//! `Converter::check` from YAML, regexes and templates checked), then what judging a response
//! does: `check::jsonpath::select` on the document and `check::matcher::evaluate` of the
//! value found (or missing), with the failure message rendered.
//!
//! Input: the JSONPath is the first line, the matcher (YAML, as written after `$.path:` in a
//! case) runs up to a line `#@json`, and the rest is the document. Without the marker the
//! document is a fixed payment.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poscert_engine::check::{jsonpath::select, matcher::evaluate};
use poscert_engine::scenario::convert::{Converter, FragmentResolver};
use poscert_engine::scenario::yaml::{self, Pos};
use poscert_engine::scenario::{LoadError, LoadErrorKind, SourceFile, Step};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Matchers name no fragments; a resolver is needed to build a converter.
struct NoFragments;

impl FragmentResolver for NoFragments {
    fn load_fragment(
        &mut self,
        from_file: &Path,
        reference: &str,
        pos: Pos,
    ) -> Result<(PathBuf, Arc<Vec<Step>>), LoadError> {
        Err(LoadError::new(
            from_file,
            pos,
            LoadErrorKind::FragmentNotFound(reference.into()),
        ))
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (path, rest) = text.split_once('\n').unwrap_or((text, ""));
    let (matcher, document) = match rest.split_once("\n#@json\n") {
        Some((m, d)) => (m, serde_json::from_str::<Value>(d).ok()),
        None => (rest, None),
    };
    let document = document.unwrap_or_else(|| {
        json!({"paymentId": "p1", "status": "Reserved", "amount": 12.5,
               "storeIds": ["s1", "s2"], "pollDelayInMs": 1000, "restrictions": null})
    });
    // The loader's check of a path key: it starts with `$` and parses.
    if !path.starts_with('$') || poscert_engine::check::jsonpath::compile(path).is_err() {
        return;
    }
    let Ok(node) = yaml::parse(matcher) else {
        return;
    };
    let mut resolver = NoFragments;
    let converter = Converter {
        file: Arc::new(SourceFile {
            path: "case.yaml".into(),
        }),
        fragments: &mut resolver,
    };
    let check = match converter.check(&node) {
        Ok(check) => check,
        Err(e) => {
            std::hint::black_box(e.render(Some(matcher)));
            return;
        }
    };
    let actual = match select(&document, path) {
        Ok(found) => found,
        Err(_) => return,
    };
    // Expected values may be templates over the case's variables.
    let scope = json!({"want": 3, "status": "Reserved", "ids": ["s1"], "doc": document});
    if let Err(e) = evaluate(path, &check, actual.as_ref(), &scope) {
        std::hint::black_box(format!("{e:?}"));
    }
});

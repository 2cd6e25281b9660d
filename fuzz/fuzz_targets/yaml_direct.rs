//! Differential: the loader's direct YAML path (built from the parser's events, taken for
//! plain documents) against serde-saphyr's general path on the same bytes. Whenever the direct
//! path accepts a document, serde-saphyr must accept it too and give the same tree, positions
//! included; a difference would silently change what a case means or where an error points.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poscert_engine::scenario::yaml::parse_both_ways;

fuzz_target!(|data: &[u8]| {
    // The loader reads text only (non-UTF-8 is refused before parsing).
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The engine takes neither path for an empty document (`parse` answers Null at 1:1).
    if text.trim().is_empty() {
        return;
    }
    let (direct, general) = parse_both_ways(text);
    if let Some(direct) = direct {
        match general {
            Ok(general) => assert_eq!(direct, general, "the two YAML paths differ on {text:?}"),
            Err(e) => panic!(
                "the direct path accepted what serde-saphyr refuses ({}:{}: {}): {text:?}",
                e.pos.line, e.pos.col, e.message
            ),
        }
    }
});

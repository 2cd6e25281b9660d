//! A template and a JSON scope → `template::Renderer` (the process-wide one the run uses):
//! `render_str`, `render_value` and `render_condition`, plus the loader's syntax check
//! (`check_template_syntax`).
//!
//! Input: the template is the first line (with `\n` written as the two characters `\n`, so a
//! template may span lines); the rest is the scope as JSON (an object; anything else, or
//! invalid JSON, gives a small fixed scope so helper-heavy templates still have variables).
#![no_main]

use libfuzzer_sys::fuzz_target;
use poscert_engine::scenario::convert::check_template_syntax;
use poscert_engine::template::Renderer;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (template, scope) = text.split_once('\n').unwrap_or((text, ""));
    let template = template.replace("\\n", "\n");
    let scope = match serde_json::from_str::<Value>(scope) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({
            "posId": "a1b2", "amount": 12.5, "n": 3, "flag": true, "none": null,
            "list": [1, "two", {"three": 3}], "obj": {"status": "Reserved", "ids": ["x"]}
        }),
    };
    let _ = check_template_syntax(&template);
    let renderer = Renderer::global();
    let _ = std::hint::black_box(renderer.render_str(&template, &scope));
    let _ = std::hint::black_box(renderer.render_value(&template, &scope));
    let _ = std::hint::black_box(renderer.render_condition(&template, &scope));
});

//! Bytes → `poscert.yaml` parsing (`config::parse_text`, what `config::load` runs once the file
//! is read) with the rustc-style error rendering (secret lines masked), and the same bytes as a
//! secrets file (`config::credentials::parse_secrets_text`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use poscert_engine::config::{credentials::parse_secrets_text, parse_text};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    // Reading the file rejects non-UTF-8 before parsing (config::read_text).
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_text(Path::new("project/poscert.yaml"), text) {
        Ok(config) => {
            std::hint::black_box(config);
        }
        Err(e) => {
            std::hint::black_box(e.render());
            std::hint::black_box(e.to_string());
        }
    }
    if let Err(e) = parse_secrets_text(Path::new("project/secrets.yaml"), text) {
        std::hint::black_box(e.message);
    }
});

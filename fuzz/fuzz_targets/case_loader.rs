//! Bytes → the scenario loader `validate` and `run` use (`scenario::load_sources`, the code
//! `load_paths` runs once a file is read): YAML parsing with its limits, conversion to the
//! model with every load-time check (unknown keys with did-you-mean, duplicate keys, one action
//! per step, JSONPaths, regexes, templates, fragment params/gives), fragments through `use:`,
//! a folder's `feature.yaml`, and the rustc-style rendering of every error.
//!
//! Input: a case file, optionally followed by a line `#@fragment` and a fragment's text
//! (`fragments/f.yaml`), and a line `#@feature` and the folder's `feature.yaml`. The markers
//! are YAML comments, so a seed reads as the files it stands for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poscert_engine::scenario::load_sources;
use std::path::PathBuf;

/// A fixed case that uses the fragment, so the fragment loader runs whatever the fuzzed case is.
const USES_FRAGMENT: &[u8] =
    b"name: uses the fragment\nfeature: payments\nsteps:\n  - use: fragments/f.yaml\n";

fn split<'a>(data: &'a [u8], marker: &[u8]) -> (&'a [u8], Option<&'a [u8]>) {
    match data.windows(marker.len()).position(|w| w == marker) {
        Some(i) => (&data[..i], Some(&data[i + marker.len()..])),
        None => (data, None),
    }
}

fuzz_target!(|data: &[u8]| {
    let (rest, feature) = split(data, b"\n#@feature\n");
    let (case, fragment) = split(rest, b"\n#@fragment\n");
    let mut sources = vec![(PathBuf::from("scenarios/payments/case.yaml"), case.to_vec())];
    if let Some(fragment) = fragment {
        sources.push((
            PathBuf::from("scenarios/fragments/f.yaml"),
            fragment.to_vec(),
        ));
        sources.push((
            PathBuf::from("scenarios/payments/uses.yaml"),
            USES_FRAGMENT.to_vec(),
        ));
    }
    if let Some(feature) = feature {
        sources.push((
            PathBuf::from("scenarios/payments/feature.yaml"),
            feature.to_vec(),
        ));
    }
    let suite = load_sources(sources);
    // What `validate` prints for each broken file.
    for e in &suite.errors {
        let source = suite.sources.get(&e.file).map(|s| s.as_ref());
        std::hint::black_box(e.render(source));
        std::hint::black_box(e.one_line());
    }
});

//! The engine's modules form layers, and dependencies point one way (DESIGN.md, Layout):
//! a module may use the modules of its own layer and of the layers below it, never one above.
//! This test reads every `crate::…` path in `engine/src` (outside comments) and fails, naming
//! the file, the line and the import, when a module reaches up.

use std::path::{Path, PathBuf};

/// Lowest first. A module may import from its own layer and any layer before it.
const LAYERS: &[&[&str]] = &[
    &["redact"],   // secret masking and its encoders: depends on nothing of ours
    &["scenario"], // the language: model, loader, load errors, catalogue, schema names
    &["template"], // {{ }} rendering
    &["check"],    // matchers, JSONPath, JSON Schema, journal judgements
    &["http"],     // targets, tokens, sending, request/response records
    &["run"],      // the executor, its results model, who plays whom
    &["report"],   // console, JSON, JUnit: they read results, never write back
    &["identity"], // Major.Minor.Build and the client's identity
    &["config"],   // poscert.yaml
    &["approval"], // certificate, failure report, ledger, status
    &["cli"],      // the command line
    &["lib", "main"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// One upward import: where it is and what it names.
#[derive(Debug, PartialEq)]
struct Violation {
    file: String,
    line: usize,
    from: String,
    to: String,
}

/// The code of a line without its `//` comment (doc comments included). A `//` inside a string
/// literal would cut the line short; the engine has no `crate::` paths in strings, and a false
/// cut can only hide an import, never invent one.
fn code_of(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// Every `crate::NAME` in `source`, with its 1-based line.
fn crate_paths(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let code = code_of(line);
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = &rest[..at];
            rest = &rest[at + "crate::".len()..];
            // `poscert_crate::x` or `$crate::x` are not ours.
            if before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push((i + 1, name));
            }
        }
    }
    found
}

/// The top-level module a file belongs to: `src/run/operator/adapter.rs` → `run`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn violations_in(module: &str, file: &str, source: &str) -> Vec<Violation> {
    let Some(own) = layer_of(module) else {
        return vec![Violation {
            file: file.to_string(),
            line: 0,
            from: module.to_string(),
            to: "(a module the layer list does not know: add it to LAYERS)".to_string(),
        }];
    };
    crate_paths(source)
        .into_iter()
        .filter(|(_, to)| layer_of(to).is_some_and(|theirs| theirs > own))
        .map(|(line, to)| Violation {
            file: file.to_string(),
            line,
            from: module.to_string(),
            to,
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(
        files.len() > 50,
        "found only {} files under {src:?}",
        files.len()
    );
    let mut all = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        let shown = format!("engine/src/{}", file.strip_prefix(&src).unwrap().display());
        all.extend(violations_in(&module_of(&src, file), &shown, &source));
    }
    let text: Vec<String> = all
        .iter()
        .map(|v| {
            format!(
                "{}:{}: `{}` imports crate::{}, which sits above it",
                v.file, v.line, v.from, v.to
            )
        })
        .collect();
    assert!(
        all.is_empty(),
        "upward imports (layers, lowest first: {}):\n{}",
        LAYERS
            .iter()
            .map(|l| l.join("/"))
            .collect::<Vec<_>>()
            .join(" → "),
        text.join("\n")
    );
}

/// The checker itself can fail: an upward import in a use, in an inline path, and in a
/// grouped use are all found; comments and downward imports are not.
#[test]
fn the_checker_finds_upward_imports_and_ignores_comments() {
    let source = "use crate::scenario::model::Case;\n\
                  use crate::report::console::Console; // upward\n\
                  //! see crate::cli for the flags\n\
                  fn f() { crate::approval::write(); }\n\
                  let x = poscert_crate::cli::thing;\n";
    let found = violations_in("http", "engine/src/http/fake.rs", source);
    let names: Vec<(usize, &str)> = found.iter().map(|v| (v.line, v.to.as_str())).collect();
    assert_eq!(names, vec![(2, "report"), (4, "approval")]);
    assert!(violations_in("cli", "x.rs", source).is_empty());
    let unknown = violations_in("newthing", "engine/src/newthing/mod.rs", "");
    assert_eq!(
        unknown.len(),
        1,
        "a module missing from LAYERS must be flagged"
    );
}

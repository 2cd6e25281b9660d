//! The emulator's modules sit in layers, lowest first, and each uses only modules of its own
//! layer or a lower one, so dependencies point one way:
//!
//! ```text
//! leaf modules → app → handlers → server, notify → standalone → lib (crate root)
//! ```
//!
//! The HTTP edge (`server`, and `notify`, its outgoing side) drives the request pipeline
//! (`handlers`), which works on the shared
//! application state (`app`), which is built from the leaf modules (store, clock, journal,
//! faults, rules…). A leaf module may use another leaf module, but the leaves must not form a
//! cycle either.
//!
//! This test reads every file under `src/`, finds each path into another top-level module
//! (`crate::NAME`, `crate::{NAME, …}`, and `super::` chains that climb out of the file's own
//! top-level module) outside comments and literals, and fails naming the file, the line and
//! the path when a module reaches one that sits above it. A new top-level module fails the
//! test until it is given a layer in [`LAYERS`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules by layer, lowest first. A module may use modules of its own layer or
/// of a lower one. `lib` is the crate root (`lib.rs` and whatever it re-exports).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "leaf modules",
        &[
            "errors",
            "clock",
            "config",
            "seed",
            "journal",
            "faults",
            "idempotency",
            "reply",
            "routes",
            "headers",
            "validation",
            "auth",
            "callbacks",
            "state",
        ],
    ),
    ("application state", &["app"]),
    ("request pipeline", &["handlers"]),
    ("HTTP edge", &["server", "notify"]),
    ("standalone runner", &["standalone"]),
    ("crate root", &["lib"]),
];

const CRATE_ROOT: &str = "lib";

#[test]
fn no_module_imports_a_module_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_files(&src);
    assert!(!files.is_empty(), "no Rust files under {}", src.display());

    let modules: BTreeSet<String> = files.iter().map(|f| top_level_module(&src, f)).collect();
    let mut problems = layer_table_problems(&modules);
    let mut edges: BTreeMap<(String, String), String> = BTreeMap::new();

    for file in &files {
        let from = top_level_module(&src, file);
        let text = std::fs::read_to_string(file).expect("read source file");
        let shown = file.strip_prefix(src.parent().unwrap()).unwrap_or(file);
        for reference in references(&text, &module_path(&src, file)) {
            let to = if modules.contains(&reference.name) {
                reference.name.clone()
            } else {
                // `crate::Emulator` and the like: an item of the crate root (a re-export).
                CRATE_ROOT.to_string()
            };
            if to == from {
                continue;
            }
            let place = format!("{}:{}", shown.display(), reference.line);
            if let (Some(from_layer), Some(to_layer)) = (layer_of(&from), layer_of(&to)) {
                if to_layer > from_layer {
                    problems.push(format!(
                        "{place}: `{from}` ({}) imports `{}`, which is `{to}` ({}), above it",
                        LAYERS[from_layer].0, reference.path, LAYERS[to_layer].0
                    ));
                }
            }
            edges.entry((from.clone(), to)).or_insert(place);
        }
    }
    if let Some(cycle) = find_cycle(&edges) {
        problems.push(format!("modules import each other in a cycle: {cycle}"));
    }
    assert!(
        problems.is_empty(),
        "the emulator's module layering is broken (order, lowest first: {}):\n{}",
        LAYERS
            .iter()
            .map(|(name, modules)| format!("{name} [{}]", modules.join(", ")))
            .collect::<Vec<_>>()
            .join(" → "),
        problems.join("\n")
    );
}

/// The scanner itself: an upward import is found however it is spelled, and text that only
/// looks like one (comments, strings) is not.
#[test]
fn the_scanner_sees_imports_and_ignores_comments_and_literals() {
    let names = |text: &str, path: &[&str]| -> Vec<String> {
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        references(text, &path)
            .into_iter()
            .map(|r| r.name)
            .collect()
    };
    assert_eq!(names("use crate::server::App;", &["state"]), ["server"]);
    assert_eq!(
        names("use crate::{app::App, server::{self, router}};", &["state"]),
        ["app", "server"]
    );
    assert_eq!(
        names("fn f() { crate :: server::x(); }", &["state"]),
        ["server"]
    );
    assert_eq!(names("use crate::*;", &["state"]), [CRATE_ROOT]);
    assert_eq!(
        names("use super::super::server::App;", &["state", "pos_store"]),
        ["server"]
    );
    assert_eq!(
        names("use super::payment::Payment;", &["state", "pos_store"]),
        Vec::<String>::new()
    );
    assert_eq!(
        names("mod tests { use super::*; }", &["server"]),
        Vec::<String>::new(),
        "`super` inside an inline module stays in the file's module"
    );
    assert_eq!(names("use super::handlers;", &["server"]), ["handlers"]);
    let quiet = r##"
        // use crate::server::App;
        /// [`crate::server`] /* nested /* crate::server */ still a comment */
        /* crate::server */
        const S: &str = "crate::server::App";
        const R: &str = r#"crate::server "quoted" "#;
        const B: &[u8] = b"crate::server";
        const C: char = '"'; const D: char = '\''; fn l<'a>(x: &'a str) -> &'a str { x }
        pub(crate) fn visible() {}
    "##;
    assert_eq!(names(quiet, &["state"]), Vec::<String>::new());
    let lines: Vec<usize> = references("\n\n/* a\nb */ use crate::app;", &["state".into()])
        .into_iter()
        .map(|r| r.line)
        .collect();
    assert_eq!(lines, [4]);
}

#[test]
fn a_cycle_among_modules_of_one_layer_is_named() {
    let edge = |a: &str, b: &str| ((a.to_string(), b.to_string()), format!("src/{a}.rs:1"));
    let one_way: BTreeMap<_, _> = [edge("seed", "config"), edge("state", "seed")]
        .into_iter()
        .collect();
    assert_eq!(find_cycle(&one_way), None);
    let cycle: BTreeMap<_, _> = [
        edge("seed", "config"),
        edge("seed", "state"),
        edge("state", "seed"),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        find_cycle(&cycle).as_deref(),
        Some("`seed` → `state` (src/seed.rs:1), `state` → `seed` (src/state.rs:1)")
    );
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

/// Modules missing from [`LAYERS`], and entries of it that no longer exist, so that the table
/// stays the true picture.
fn layer_table_problems(modules: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    for module in modules {
        if layer_of(module).is_none() {
            problems.push(format!(
                "module `{module}` has no layer: add it to LAYERS in tests/layers.rs"
            ));
        }
    }
    for (_, listed) in LAYERS {
        for module in *listed {
            if !modules.contains(*module) {
                problems.push(format!(
                    "LAYERS lists `{module}`, which is not a module under src/"
                ));
            }
        }
    }
    problems
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The module a file defines, as a path from the crate root: `src/state/pos_store.rs` is
/// `["state", "pos_store"]`, `src/state/mod.rs` is `["state"]`, `src/lib.rs` is `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("file under src");
    let mut path: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if path
        .last()
        .is_some_and(|last| last == "mod" || last == "lib")
    {
        path.pop();
    }
    path
}

fn top_level_module(src: &Path, file: &Path) -> String {
    module_path(src, file)
        .into_iter()
        .next()
        .unwrap_or_else(|| CRATE_ROOT.to_string())
}

/// A path that leaves the file's own top-level module.
#[derive(Debug)]
struct Reference {
    /// The top-level module (or crate-root item) it names.
    name: String,
    /// As written, for the message: `crate::server`.
    path: String,
    line: usize,
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

/// Tokens of Rust source, with comments, string, byte-string, raw-string and character
/// literals and lifetimes dropped: only code can import anything.
fn tokenize(text: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if c == '"' {
            i = skip_quoted(&chars, i, '"', &mut line);
        } else if c == '\'' {
            if at(i + 1) == '\\' || (at(i + 2) == '\'' && at(i + 1) != '\'') {
                i = skip_quoted(&chars, i, '\'', &mut line);
            } else {
                // A lifetime or label: `'a`.
                i += 1;
                while at(i).is_alphanumeric() || at(i) == '_' {
                    i += 1;
                }
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while at(i).is_alphanumeric() || at(i) == '_' {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let raw_prefix = word == "r" || word == "br" || word == "cr";
            let quote_prefix = raw_prefix || word == "b" || word == "c";
            if raw_prefix && (at(i) == '#' || at(i) == '"') && raw_string_opens(&chars, i) {
                i = skip_raw_string(&chars, i, &mut line);
            } else if quote_prefix && at(i) == '"' {
                i = skip_quoted(&chars, i, '"', &mut line);
            } else if word == "b" && at(i) == '\'' {
                i = skip_quoted(&chars, i, '\'', &mut line);
            } else {
                tokens.push((Token::Ident(word), line));
            }
        } else if c == ':' && at(i + 1) == ':' {
            tokens.push((Token::PathSep, line));
            i += 2;
        } else {
            tokens.push((Token::Punct(c), line));
            i += 1;
        }
    }
    tokens
}

/// Past a `"…"` or `'…'` literal starting at `start`, escapes included.
fn skip_quoted(chars: &[char], start: usize, quote: char, line: &mut usize) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                // A line-continuation escape still ends a line.
                if chars.get(i + 1) == Some(&'\n') {
                    *line += 1;
                }
                i += 2;
            }
            '\n' => {
                *line += 1;
                i += 1;
            }
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    i
}

fn raw_string_opens(chars: &[char], mut i: usize) -> bool {
    while chars.get(i) == Some(&'#') {
        i += 1;
    }
    chars.get(i) == Some(&'"')
}

/// Past `#…#"…"#…#` (the `r` already consumed).
fn skip_raw_string(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    let mut hashes = 0;
    while chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    i += 1;
    while i < chars.len() {
        if chars[i] == '\n' {
            *line += 1;
        }
        if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

/// Every path in `text` (the file of module `module_path`) that leaves the file's top-level
/// module: `crate::…`, and `super::…` chains that climb to the crate root. Inline `mod x { … }`
/// blocks are followed, so `use super::*` in a test module stays where it is.
fn references(text: &str, module_path: &[String]) -> Vec<Reference> {
    let tokens = tokenize(text);
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut inline_modules: Vec<usize> = Vec::new();
    let ident = |i: usize| match tokens.get(i) {
        Some((Token::Ident(w), _)) => Some(w.as_str()),
        _ => None,
    };
    let is = |i: usize, t: &Token| tokens.get(i).is_some_and(|(tok, _)| tok == t);
    for i in 0..tokens.len() {
        match &tokens[i].0 {
            Token::Punct('{') => {
                if ident(i.wrapping_sub(2)) == Some("mod") && ident(i.wrapping_sub(1)).is_some() {
                    inline_modules.push(depth);
                }
                depth += 1;
            }
            Token::Punct('}') => {
                depth = depth.saturating_sub(1);
                if inline_modules.last() == Some(&depth) {
                    inline_modules.pop();
                }
            }
            _ => {}
        }
        // Only the start of a path: `a::crate` is not one.
        if i > 0 && is(i - 1, &Token::PathSep) {
            continue;
        }
        let (prefix, rest) = match ident(i) {
            Some("crate") if is(i + 1, &Token::PathSep) => ("crate".to_string(), i + 2),
            Some("super") => {
                let mut climbs = 0;
                let mut j = i;
                while ident(j) == Some("super") && is(j + 1, &Token::PathSep) {
                    climbs += 1;
                    j += 2;
                }
                if climbs == 0 || climbs < module_path.len() + inline_modules.len() {
                    continue;
                }
                (vec!["super"; climbs].join("::"), j)
            }
            _ => continue,
        };
        let line = tokens[i].1;
        for name in path_heads(&tokens, rest) {
            let path = format!("{prefix}::{name}");
            let name = if name == "*" || name == "self" {
                CRATE_ROOT.to_string()
            } else {
                name
            };
            out.push(Reference { name, path, line });
        }
    }
    out
}

/// The first segment after a `…::`: one name, or the head of each item of a `{…}` group.
fn path_heads(tokens: &[(Token, usize)], at: usize) -> Vec<String> {
    match tokens.get(at).map(|(t, _)| t) {
        Some(Token::Ident(name)) => vec![name.clone()],
        Some(Token::Punct('*')) => vec!["*".to_string()],
        Some(Token::Punct('{')) => {
            let mut heads = Vec::new();
            let mut nesting = 0;
            let mut expecting_head = true;
            for (token, _) in &tokens[at + 1..] {
                match token {
                    Token::Punct('{') => nesting += 1,
                    Token::Punct('}') if nesting == 0 => break,
                    Token::Punct('}') => nesting -= 1,
                    Token::Punct(',') if nesting == 0 => expecting_head = true,
                    Token::Ident(name) if nesting == 0 && expecting_head => {
                        heads.push(name.clone());
                        expecting_head = false;
                    }
                    Token::Punct('*') if nesting == 0 && expecting_head => {
                        heads.push("*".to_string());
                        expecting_head = false;
                    }
                    _ => {}
                }
            }
            heads
        }
        _ => Vec::new(),
    }
}

/// A cycle in the module graph, each of its imports with the place it is written, if there
/// is one.
fn find_cycle(edges: &BTreeMap<(String, String), String>) -> Option<String> {
    let mut graph: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        graph.entry(from).or_default().push(to);
    }
    // 0 = unvisited, 1 = on the current path, 2 = done.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    let mut path: Vec<&str> = Vec::new();
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        state.insert(node, 1);
        path.push(node);
        for &next in graph.get(node).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|&n| n == next).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next);
                    return Some(cycle);
                }
                0 => {
                    if let Some(cycle) = visit(next, graph, state, path) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        state.insert(node, 2);
        None
    }
    let nodes: Vec<&str> = graph.keys().copied().collect();
    for node in nodes {
        if state.get(node).copied().unwrap_or(0) == 0 {
            if let Some(cycle) = visit(node, &graph, &mut state, &mut path) {
                let steps: Vec<String> = cycle
                    .windows(2)
                    .map(|pair| {
                        let place = &edges[&(pair[0].to_string(), pair[1].to_string())];
                        format!("`{}` → `{}` ({place})", pair[0], pair[1])
                    })
                    .collect();
                return Some(steps.join(", "));
            }
        }
    }
    None
}

//! Errors found while loading cases, rendered like rustc:
//!
//! ```text
//! error: a step has two actions: `request` and `wait`
//!   --> scenarios/payments/01-complete.yaml:12:5
//!    |
//! 12 |     wait: 1s
//!    |     ^ keep one action per step; split this into two steps
//! ```

use super::yaml::Pos;
use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong, as a typed enum so callers and tests can tell errors apart.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadErrorKind {
    /// The file could not be read.
    Io(String),
    /// The file is not UTF-8.
    NotUtf8,
    /// YAML syntax error reported by the parser.
    Syntax(String),
    UnknownKey {
        key: String,
        expected: Vec<&'static str>,
    },
    MissingKey(&'static str),
    WrongType {
        expected: &'static str,
        found: &'static str,
    },
    /// A step with zero or several actions.
    StepActions(Vec<String>),
    InvalidValue(String),
    FragmentNotFound(PathBuf),
    FragmentCycle(PathBuf),
    /// Two cases of one feature with the same `case:` number (the first one's file is named).
    DuplicateCaseNumber {
        feature: String,
        number: u32,
        first: PathBuf,
    },
    InvalidJsonPath {
        path: String,
        reason: String,
    },
    InvalidRegex {
        pattern: String,
        reason: String,
    },
    InvalidTemplate(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub file: PathBuf,
    pub pos: Pos,
    pub kind: LoadErrorKind,
}

impl LoadError {
    pub fn new(file: &Path, pos: Pos, kind: LoadErrorKind) -> Self {
        LoadError {
            file: file.to_path_buf(),
            pos,
            kind,
        }
    }

    /// The one-line reason.
    pub fn message(&self) -> String {
        match &self.kind {
            LoadErrorKind::Io(e) => format!("cannot read the file: {e}"),
            LoadErrorKind::NotUtf8 => "the file is not valid UTF-8 text".into(),
            LoadErrorKind::Syntax(m) => format!("invalid YAML: {m}"),
            LoadErrorKind::UnknownKey { key, expected } => {
                let hint = suggestion(key, expected)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                format!(
                    "unknown key `{key}`{hint}; expected one of: {}",
                    expected.join(", ")
                )
            }
            LoadErrorKind::MissingKey(k) => format!("missing required key `{k}`"),
            LoadErrorKind::WrongType { expected, found } => {
                format!("expected {expected}, found {found}")
            }
            LoadErrorKind::StepActions(found) if found.is_empty() => {
                "a step needs exactly one action (request, operator, exec, assert, wait, set or use), found none".into()
            }
            LoadErrorKind::StepActions(found) => format!(
                "a step needs exactly one action, found {}: {}",
                found.len(),
                found.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(" and ")
            ),
            LoadErrorKind::InvalidValue(m) => m.clone(),
            LoadErrorKind::FragmentNotFound(p) => {
                format!("fragment `{}` does not exist", p.display())
            }
            LoadErrorKind::FragmentCycle(p) => {
                format!("fragment `{}` uses itself (directly or through others)", p.display())
            }
            LoadErrorKind::DuplicateCaseNumber {
                feature,
                number,
                first,
            } => format!(
                "{feature} case {number} is also {}: give every case of a feature its own number",
                first.display()
            ),
            LoadErrorKind::InvalidJsonPath { path, reason } => {
                format!("invalid JSONPath `{path}`: {reason}")
            }
            LoadErrorKind::InvalidRegex { pattern, reason } => {
                format!("invalid regular expression `{pattern}`: {}", first_line(reason))
            }
            LoadErrorKind::InvalidTemplate(m) => format!("invalid template: {m}"),
        }
    }

    /// `file:line:col: reason` on one line: for logs, JUnit and JSON.
    pub fn one_line(&self) -> String {
        format!(
            "{}:{}:{}: {}",
            self.file.display(),
            self.pos.line,
            self.pos.col,
            self.message()
        )
    }

    /// The rustc-style rendering with a source excerpt (when the source is given).
    pub fn render(&self, source: Option<&str>) -> String {
        render_snippet("error", &self.message(), &self.file, self.pos, source, None)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.one_line())
    }
}

impl std::error::Error for LoadError {}

fn first_line(s: &str) -> &str {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("regex parse error"))
        .unwrap_or(s)
}

/// Renders a rustc-like diagnostic: a headline, the `-->` location, the source line and a caret.
pub fn render_snippet(
    level: &str,
    message: &str,
    file: &Path,
    pos: Pos,
    source: Option<&str>,
    label: Option<&str>,
) -> String {
    let mut out = format!(
        "{level}: {message}\n  --> {}:{}:{}\n",
        file.display(),
        pos.line,
        pos.col
    );
    if let Some(line_text) = source.and_then(|s| s.lines().nth(pos.line.saturating_sub(1) as usize))
    {
        let num = pos.line.to_string();
        let pad = " ".repeat(num.len());
        let caret_pad = " ".repeat(pos.col.saturating_sub(1) as usize);
        out.push_str(&format!(
            "{pad} |\n{num} | {line_text}\n{pad} | {caret_pad}^"
        ));
        if let Some(label) = label {
            out.push(' ');
            out.push_str(label);
        }
        out.push('\n');
    }
    out
}

/// The closest expected key, when one is close enough to be a typo.
pub(crate) fn suggestion<'a>(key: &str, expected: &[&'a str]) -> Option<&'a str> {
    expected
        .iter()
        .map(|e| (edit_distance(key, e), *e))
        .filter(|(d, e)| *d <= 2.max(e.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, e)| e)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc_with_a_caret() {
        let err = LoadError::new(
            Path::new("a.yaml"),
            Pos::new(2, 3),
            LoadErrorKind::MissingKey("name"),
        );
        let text = err.render(Some("x: 1\n  y: 2\n"));
        assert!(text.starts_with("error: missing required key `name`\n  --> a.yaml:2:3\n"));
        assert!(text.contains("2 |   y: 2\n  |   ^"), "{text}");
    }

    #[test]
    fn unknown_keys_suggest_the_closest() {
        let err = LoadError::new(
            Path::new("a.yaml"),
            Pos::new(1, 1),
            LoadErrorKind::UnknownKey {
                key: "expct".into(),
                expected: vec!["expect", "capture"],
            },
        );
        assert!(err.message().contains("did you mean `expect`"));
    }
}

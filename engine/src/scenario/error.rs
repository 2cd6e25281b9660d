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
/// A line longer than `SNIPPET_WIDTH` characters is shown as a window around the column, with
/// `…` where it was cut (a minified or generated file can hold a 200,000-character line).
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
        let (shown, before_caret) = snippet_window(line_text, pos.col);
        // Tabs stay tabs under the line so the caret lines up however the terminal shows them.
        let caret_pad: String = shown
            .chars()
            .take(before_caret)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!("{pad} |\n{num} | {shown}\n{pad} | {caret_pad}^"));
        if let Some(label) = label {
            out.push(' ');
            out.push_str(label);
        }
        out.push('\n');
    }
    out
}

/// The most characters of a source line a snippet shows, `…` marks included.
const SNIPPET_WIDTH: usize = 120;
/// Marks where a long line was cut.
const CUT: char = '…';

/// The part of `line` a snippet shows, and how many of its characters come before the caret.
/// `col` is 1-based and counts characters (not bytes), as the YAML parser reports it; a column
/// past the end puts the caret just after the last character.
fn snippet_window(line: &str, col: u32) -> (String, usize) {
    let len = line.chars().count();
    let at = (col.saturating_sub(1) as usize).min(len);
    if len <= SNIPPET_WIDTH {
        return (line.to_string(), at);
    }
    // Room for the line's own characters once both ends may carry a `…`.
    let room = SNIPPET_WIDTH - 2;
    let start = at.saturating_sub(room / 2).min(len - room);
    let end = start + room;
    let mut shown = String::with_capacity(SNIPPET_WIDTH * 4);
    let mut before_caret = at - start;
    if start > 0 {
        shown.push(CUT);
        before_caret += 1;
    }
    shown.extend(line.chars().skip(start).take(room));
    if end < len {
        shown.push(CUT);
    }
    (shown, before_caret)
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

    fn missing_name_at(col: u32, source: &str) -> String {
        LoadError::new(
            Path::new("long.yaml"),
            Pos::new(1, col),
            LoadErrorKind::MissingKey("name"),
        )
        .render(Some(source))
    }

    #[test]
    fn a_200000_character_line_is_cut_to_a_window_around_the_column() {
        // `k: ` + 99,997 `a` + `B` (character 100,001) + 99,999 `c`: 200,000 characters.
        let line = format!("k: {}B{}", "a".repeat(99_997), "c".repeat(99_999));
        assert_eq!(line.chars().count(), 200_000);
        let text = missing_name_at(100_001, &line);
        let expected = format!(
            "error: missing required key `name`\n  --> long.yaml:1:100001\n  |\n1 | …{}B{}…\n  | {}^\n",
            "a".repeat(59),
            "c".repeat(58),
            " ".repeat(60)
        );
        assert_eq!(text, expected);
        let shown = text.lines().nth(3).unwrap();
        assert_eq!(shown.chars().count(), "1 | ".len() + SNIPPET_WIDTH);
    }

    #[test]
    fn the_window_counts_characters_not_bytes() {
        // Two-byte characters on both sides: a byte-counting window would cut inside one
        // (a panic) or put the caret in the wrong place.
        let line = format!("{}X{}", "é".repeat(150), "ü".repeat(150));
        let text = missing_name_at(151, &line);
        let expected = format!(
            "error: missing required key `name`\n  --> long.yaml:1:151\n  |\n1 | …{}X{}…\n  | {}^\n",
            "é".repeat(59),
            "ü".repeat(58),
            " ".repeat(60)
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn a_column_near_either_end_cuts_only_the_other_end() {
        let line = "x".repeat(500);
        let at_start = missing_name_at(1, &line);
        assert!(
            at_start.ends_with(&format!("1 | {}…\n  | ^\n", "x".repeat(118))),
            "{at_start}"
        );
        let past_end = missing_name_at(501, &line);
        assert!(
            past_end.ends_with(&format!(
                "1 | …{}\n  | {}^\n",
                "x".repeat(118),
                " ".repeat(119)
            )),
            "{past_end}"
        );
    }

    #[test]
    fn short_lines_are_whole_and_tabs_keep_the_caret_in_place() {
        let text = missing_name_at(3, "\tk: v");
        assert!(text.ends_with("1 | \tk: v\n  | \t ^\n"), "{text:?}");
        // Any column on any line, even in an empty source, renders without a panic.
        for (col, source) in [(0, ""), (9, "é"), (u32::MAX, "ab")] {
            missing_name_at(col, source);
        }
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

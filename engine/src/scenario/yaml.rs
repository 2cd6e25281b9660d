//! A YAML tree that remembers where every node came from.
//!
//! The scenario language is converted from this tree by hand (see `convert/`) rather than with
//! `#[derive(Deserialize)]`: hand conversion lets every semantic error ("a step has two actions",
//! "unknown key `expct`", "retry may only name transport faults") point at the exact line and
//! column of the offending node, which derive-based decoding cannot do for untagged shapes such as
//! matchers. serde-saphyr does the parsing (panic-free, precise locations); its `Spanned` wrapper
//! gives us the position of every value.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Budget, Spanned};
use std::fmt;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub fn new(line: u32, col: u32) -> Self {
        Pos { line, col }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One YAML value with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

/// The shapes a YAML value can take. Mapping keys are kept in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key: always text in this language, with its own position (for "unknown key" errors).
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub pos: Pos,
    pub name: String,
}

impl Node {
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// Scalars as text (numbers and booleans too), for places that accept either.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Converts to JSON, dropping positions. Templates inside strings are left untouched.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or(J::Null),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Parse errors from serde-saphyr, with the position it reported.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// Parses one YAML document into a positioned tree. An empty document is `Null` at 1:1.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    if text.trim().is_empty() {
        return Ok(Node {
            pos: Pos::new(1, 1),
            value: Value::Null,
        });
    }
    // Most case files are plain mappings, lists and scalars: built straight from the parser's
    // events. Anything else (anchors, tags, an error, a limit near...) goes the general way.
    match direct::parse(text) {
        Some(node) => Ok(node),
        None => parse_with_serde_saphyr(text),
    }
}

/// The two ways [`parse`] may take, apart, so that the `yaml_direct` fuzz target can hold the
/// fast one to the general one on arbitrary input (not used by the engine itself).
#[doc(hidden)]
pub fn parse_both_ways(text: &str) -> (Option<Node>, Result<Node, SyntaxError>) {
    (direct::parse(text), parse_with_serde_saphyr(text))
}

/// The general way: serde-saphyr's deserializer, for every document and every error.
fn parse_with_serde_saphyr(text: &str) -> Result<Node, SyntaxError> {
    // YAML 1.2 booleans only (`on:` is a key, not `true`), and `00001` stays text (location ids).
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    let limits = Budget::default();
    options.budget = Some(limits.clone());
    match serde_saphyr::from_str_with_options::<Spanned<Value>>(text, options) {
        Ok(spanned) => Ok(Node {
            pos: pos_of(&spanned),
            value: spanned.value,
        }),
        Err(err) => {
            let pos = err
                .location()
                .map(|l| Pos::new(l.line() as u32, l.column() as u32))
                .unwrap_or_else(|| Pos::new(1, 1));
            let message = match budget_breach(&err) {
                Some(breach) => limit_message(breach, &limits),
                None => clean_message(&err.to_string()),
            };
            Err(SyntaxError { pos, message })
        }
    }
}

/// The limit a document broke, when the parser stopped because of one. serde-saphyr wraps an
/// error in alias and snippet layers; the breach is inside.
fn budget_breach(err: &serde_saphyr::Error) -> Option<&BudgetBreach> {
    let mut err = err;
    loop {
        match err {
            serde_saphyr::Error::Budget { breach, .. } => return Some(breach),
            serde_saphyr::Error::WithSnippet { error, .. }
            | serde_saphyr::Error::AliasError { error, .. } => err = error,
            _ => return None,
        }
    }
}

/// What was exceeded, in words and with the limit, for a person who wrote a file too large or
/// too deep (serde-saphyr's own text is Rust debug output such as `Nodes { nodes: 250001 }`).
fn limit_message(breach: &BudgetBreach, limits: &Budget) -> String {
    let exceeded = match breach {
        BudgetBreach::Nodes { .. } => format!(
            "more than {} YAML nodes (keys, values, lists and mappings)",
            thousands(limits.max_nodes)
        ),
        BudgetBreach::Depth { .. } => format!(
            "lists and mappings nested more than {} deep",
            thousands(limits.max_depth)
        ),
        BudgetBreach::Events { .. } => format!(
            "more than {} YAML parser events (values, starts and ends of lists and mappings, \
             aliases)",
            thousands(limits.max_events)
        ),
        BudgetBreach::Aliases { .. } => format!(
            "more than {} aliases (`*name`)",
            thousands(limits.max_aliases)
        ),
        BudgetBreach::Anchors { .. } => format!(
            "more than {} anchors (`&name`)",
            thousands(limits.max_anchors)
        ),
        BudgetBreach::AliasAnchorRatio { aliases, anchors } => format!(
            "{} aliases for {} anchors, more than {} aliases per anchor (a document that grows \
             huge once its aliases are expanded)",
            thousands(*aliases),
            thousands(*anchors),
            thousands(limits.alias_anchor_ratio_multiplier)
        ),
        BudgetBreach::RecordedAnchorEvents { .. } => format!(
            "aliases that repeat more than {} YAML parser events of anchored content",
            thousands(limits.max_recorded_anchor_events)
        ),
        BudgetBreach::RecordedAnchorBytes { .. } => format!(
            "aliases that repeat more than {} of anchored content",
            size(limits.max_recorded_anchor_bytes)
        ),
        BudgetBreach::Documents { .. } => format!(
            "more than {} YAML documents (`---` separators)",
            thousands(limits.max_documents)
        ),
        BudgetBreach::ScalarBytes { .. } => format!(
            "more than {} of text in its values",
            size(limits.max_total_scalar_bytes)
        ),
        BudgetBreach::MergeKeys { .. } => format!(
            "more than {} merge keys (`<<`)",
            thousands(limits.max_merge_keys)
        ),
        BudgetBreach::InputBytes { .. } => match limits.max_reader_input_bytes {
            Some(max) => format!("more than {}", size(max)),
            None => "more bytes than can be read".to_string(),
        },
        BudgetBreach::SequenceUnbalanced => {
            return "a list or mapping ends that never started; the file looks cut off".into()
        }
        _ => return "the file is too large or too complex to read".into(),
    };
    format!("the file has {exceeded}, over the limit for one file")
}

/// `250000` as `250,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A byte count as a person says it: `64 MiB` when whole mebibytes, else `1,234 bytes`.
fn size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", thousands(bytes / MIB))
    } else {
        format!("{} bytes", thousands(bytes))
    }
}

/// serde-saphyr appends " at line X column Y" and sometimes a source snippet; we print positions
/// ourselves, so keep only the first line and cut the location suffix.
fn clean_message(raw: &str) -> String {
    let first = raw.lines().next().unwrap_or(raw).trim();
    let cut = first
        .find(" at line ")
        .map(|i| &first[..i])
        .unwrap_or(first);
    // Some parser errors read `error: line 5 column 3: "-" is only valid inside a block`.
    let cut = cut.strip_prefix("error: ").unwrap_or(cut);
    let cut = match cut
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((position, reason)) if position.contains(" column ") => reason,
        _ => cut,
    };
    // The parser's hint on duplicate keys is about its API, not about the user's file.
    let cut = cut.split(", set DuplicateKeyPolicy").next().unwrap_or(cut);
    cut.trim_end_matches(':').trim().to_string()
}

fn pos_of<T>(s: &Spanned<T>) -> Pos {
    Pos::new(s.referenced.line() as u32, s.referenced.column() as u32)
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

/// Mappings with up to this many keys are checked for duplicates by a scan.
const SCAN_KEYS_UP_TO: usize = 16;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v)
            .map(Value::Int)
            .unwrap_or(Value::Float(v as f64)))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v)
            .map(Value::Int)
            .unwrap_or(Value::Float(v as f64)))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i64::try_from(v)
            .map(Value::Int)
            .unwrap_or(Value::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Value>>()? {
            items.push(Node {
                pos: pos_of(&item),
                value: item.value,
            });
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(Key, Node)> = Vec::new();
        // Keys seen so far, kept as a set only once a mapping is large: a scan of a step's
        // handful of keys costs less than hashing and copying each name.
        let mut seen: Option<std::collections::HashSet<String>> = None;
        while let Some(key) = map.next_key::<Spanned<Value>>()? {
            let key_pos = pos_of(&key);
            let name = match key.value {
                Value::Str(s) => s,
                Value::Int(i) => i.to_string(),
                Value::Float(f) => f.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => "null".to_string(),
                Value::Seq(_) | Value::Map(_) => {
                    return Err(de::Error::custom("mapping keys must be plain text"))
                }
            };
            let value = map.next_value::<Spanned<Value>>()?;
            // A set beyond a few keys, not a search of `entries`: a mapping of 100,000 keys
            // must not take 5 billion comparisons.
            let duplicate = match &mut seen {
                Some(set) => !set.insert(name.clone()),
                None if entries.iter().any(|(k, _)| k.name == name) => true,
                None => {
                    if entries.len() >= SCAN_KEYS_UP_TO {
                        let mut set: std::collections::HashSet<String> =
                            entries.iter().map(|(k, _)| k.name.clone()).collect();
                        set.insert(name.clone());
                        seen = Some(set);
                    }
                    false
                }
            };
            if duplicate {
                return Err(de::Error::custom(format!("duplicate key `{name}`")));
            }
            entries.push((
                Key { pos: key_pos, name },
                Node {
                    pos: pos_of(&value),
                    value: value.value,
                },
            ));
        }
        Ok(Value::Map(entries))
    }
}

/// The tree built directly from serde-saphyr's parser (granit-parser) events, for documents in
/// the common subset: one document of mappings, lists and scalars, without anchors, aliases,
/// tags, merge keys or duplicate keys, whose plain scalars are unambiguous (see [`scalar`]),
/// well inside every limit. It gives the very tree, positions included, that serde-saphyr gives
/// for such a document (tested on every YAML file of the repository), in about half the
/// instructions: serde-saphyr records and replays each mapping key, tracks comments for every
/// node and wraps each value in its `Spanned` protocol. Returns None for anything outside the
/// subset, including any error, so errors, limits and every rarer feature keep serde-saphyr's
/// exact handling and messages.
mod direct {
    use super::{Key, Node, Pos, Value};
    use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, Span};
    use serde_saphyr::Budget;

    /// Well below serde-saphyr's limits (250,000 nodes, 64 deep, 64 MiB of scalars), so a
    /// document that comes near one is read by serde-saphyr and gets its message.
    const MAX_NODES: usize = 100_000;
    const MAX_DEPTH: usize = 32;
    const MAX_SCALAR_BYTES: usize = 16 << 20;
    /// serde-saphyr counts comments too (1,000,000 events, 64 MiB of comment text).
    const MAX_EVENTS: usize = 400_000;
    const MAX_COMMENT_BYTES: usize = 16 << 20;
    /// Mappings beyond this many keys go to serde-saphyr (duplicates are found by a scan here).
    const MAX_KEYS: usize = 64;

    enum Frame {
        Seq(Pos, Vec<Node>),
        /// A mapping's entries and, between a key and its value, that key.
        Map(Pos, Vec<(Key, Node)>, Option<Key>),
    }

    /// The parser configured as serde-saphyr configures it for a default budget, so both see
    /// the same events at the same positions and fail on the same inputs.
    fn options() -> Options {
        let budget = Budget::default();
        let mut options = Options::default();
        options.simple_key_max_lookahead = budget.simple_key_max_lookahead;
        options.flow_nesting_limit = budget.flow_nesting_limit;
        options.block_nesting_limit = options
            .block_nesting_limit
            .max(budget.max_depth.saturating_add(1));
        options.emit_comments = true;
        options.max_buffered_comment_events = budget.max_buffered_comment_events;
        options
    }

    fn pos_of(span: &Span) -> Pos {
        // serde-saphyr's location: the parser's 1-based line, its 0-based column plus one.
        Pos::new(span.start.line() as u32, span.start.col() as u32 + 1)
    }

    pub(super) fn parse(text: &str) -> Option<Node> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut root: Option<Node> = None;
        let (mut documents, mut nodes, mut scalar_bytes) = (0usize, 0usize, 0usize);
        let (mut events, mut comment_bytes) = (0usize, 0usize);
        for item in Parser::new_from_str_with_options(text, options()) {
            let (event, span) = item.ok()?;
            events += 1;
            if events > MAX_EVENTS {
                return None;
            }
            let node = match event {
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
                Event::Comment(comment, _) => {
                    comment_bytes += comment.len();
                    if comment_bytes > MAX_COMMENT_BYTES {
                        return None;
                    }
                    continue;
                }
                Event::DocumentStart(_, version) => {
                    documents += 1;
                    if documents > 1 || version.is_some() {
                        return None;
                    }
                    continue;
                }
                Event::Scalar(value, style, anchor, tag) => {
                    if anchor != 0 || tag.is_some() {
                        return None;
                    }
                    nodes += 1;
                    scalar_bytes += value.len();
                    Node {
                        pos: pos_of(&span),
                        value: scalar(value.as_ref(), style)?,
                    }
                }
                Event::SequenceStart(_, anchor, ref tag)
                | Event::MappingStart(_, anchor, ref tag) => {
                    if anchor != 0 || tag.is_some() || stack.len() >= MAX_DEPTH {
                        return None;
                    }
                    nodes += 1;
                    let pos = pos_of(&span);
                    stack.push(match event {
                        Event::SequenceStart(..) => Frame::Seq(pos, Vec::new()),
                        _ => Frame::Map(pos, Vec::new(), None),
                    });
                    continue;
                }
                Event::SequenceEnd => match stack.pop()? {
                    Frame::Seq(pos, items) => Node {
                        pos,
                        value: Value::Seq(items),
                    },
                    Frame::Map(..) => return None,
                },
                Event::MappingEnd => match stack.pop()? {
                    Frame::Map(pos, entries, None) => Node {
                        pos,
                        value: Value::Map(entries),
                    },
                    _ => return None,
                },
                // Aliases, anchors, and whatever a later parser version adds.
                _ => return None,
            };
            if nodes > MAX_NODES || scalar_bytes > MAX_SCALAR_BYTES {
                return None;
            }
            match stack.last_mut() {
                None if root.is_none() => root = Some(node),
                None => return None,
                Some(Frame::Seq(_, items)) => items.push(node),
                Some(Frame::Map(_, entries, pending)) => match pending.take() {
                    Some(key) => entries.push((key, node)),
                    None => {
                        // A key: text only (a number, boolean or null key is serde-saphyr's
                        // to name), not a merge key, not seen before in this mapping.
                        let Value::Str(name) = node.value else {
                            return None;
                        };
                        if name == "<<"
                            || entries.len() >= MAX_KEYS
                            || entries.iter().any(|(k, _)| k.name == name)
                        {
                            return None;
                        }
                        *pending = Some(Key {
                            pos: node.pos,
                            name,
                        });
                    }
                },
            }
        }
        if !stack.is_empty() {
            return None;
        }
        root
    }

    /// A scalar's value as serde-saphyr resolves it with the engine's options (YAML 1.2 core
    /// schema, `true`/`false` only, leading-zero numbers as text), for the spellings whose
    /// resolution is plain; None for every other spelling that could be a null, a boolean or a
    /// number (`Null`, `TRUE`, `+1`, `.5`, `1e3`, `0x1f`, `007`, `.inf`...), which serde-saphyr
    /// resolves.
    fn scalar(text: &str, style: ScalarStyle) -> Option<Value> {
        if style != ScalarStyle::Plain {
            return Some(Value::Str(text.to_string()));
        }
        match text {
            "" | "~" | "null" => return Some(Value::Null),
            "true" => return Some(Value::Bool(true)),
            "false" => return Some(Value::Bool(false)),
            _ => {}
        }
        if let Some(number) = plain_number(text) {
            return Some(number);
        }
        let unsigned = text.trim_start_matches(['+', '-']);
        let word = [
            "true", "false", "null", "inf", "infinity", "nan", ".inf", ".nan",
        ]
        .iter()
        .any(|w| unsigned.eq_ignore_ascii_case(w));
        // A sign or a dot first, or a digit first and nothing but digits, radix letters,
        // exponents and separators after: a number in some spelling, or nearly.
        let numeric = match text.as_bytes().first() {
            Some(b'+' | b'-' | b'.') => true,
            Some(b) if b.is_ascii_digit() => text
                .chars()
                .all(|c| c.is_ascii_hexdigit() || "xXoO_.:+-eE".contains(c)),
            _ => false,
        };
        if word || numeric {
            return None;
        }
        Some(Value::Str(text.to_string()))
    }

    /// `12`, `-3`, `0`, `12.5`, `-0.25`: decimal integers that fit i64 and plain decimal
    /// fractions, exactly as serde-saphyr reads them (`visit_u64`/`visit_i64`, `str::parse`).
    fn plain_number(text: &str) -> Option<Value> {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits, None),
        };
        let decimal = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let whole_ok = whole == "0" || (decimal(whole) && !whole.starts_with('0'));
        // `-0` and `-0.0` are left to serde-saphyr (the sign of zero).
        if !whole_ok || (text.starts_with('-') && whole == "0") || digits.len() > 18 {
            return None;
        }
        match fraction {
            None => text.parse::<i64>().ok().map(Value::Int),
            Some(f) if decimal(f) => text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Value::Float),
            Some(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_point_at_values_and_keys() {
        let doc = parse("name: a\nsteps:\n  - name: b\n    wait: 1s\n").unwrap();
        let steps = doc.get("steps").unwrap();
        let first = &steps.as_seq().unwrap()[0];
        assert_eq!(first.pos.line, 3);
        let (key, value) = &first.as_map().unwrap()[1];
        assert_eq!(key.name, "wait");
        assert_eq!(key.pos, Pos::new(4, 5));
        assert_eq!(value.as_str(), Some("1s"));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        // The snippet renderer puts its caret by characters; the parser must count the same way.
        let doc = parse("a: [ééé, b]\n").unwrap();
        let items = doc.get("a").unwrap().as_seq().unwrap();
        assert_eq!(items[1].pos, Pos::new(1, 10));
    }

    #[test]
    fn scalars_keep_their_types() {
        let doc = parse("a: 1\nb: 1.5\nc: true\nd: ~\ne: '1'\n").unwrap();
        assert_eq!(doc.get("a").unwrap().value, Value::Int(1));
        assert_eq!(doc.get("b").unwrap().value, Value::Float(1.5));
        assert_eq!(doc.get("c").unwrap().value, Value::Bool(true));
        assert_eq!(doc.get("d").unwrap().value, Value::Null);
        assert_eq!(doc.get("e").unwrap().value, Value::Str("1".into()));
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.line >= 1, "{err:?}");
        assert!(!err.message.contains(" at line "), "{}", err.message);
    }

    #[test]
    fn syntax_errors_do_not_repeat_the_position() {
        let err = parse("name: x\nsteps: [\n  - wait: 1s\n").unwrap_err();
        assert!(!err.message.contains("line "), "{}", err.message);
        assert!(!err.message.starts_with("error"), "{}", err.message);
    }

    #[test]
    fn yaml_1_1_spellings_stay_text() {
        let doc = parse("on: [timeout]\nloc: 00001\nyes: no\n").unwrap();
        assert!(doc.get("on").is_some());
        assert_eq!(doc.get("loc").unwrap().value, Value::Str("00001".into()));
        assert_eq!(doc.get("yes").unwrap().value, Value::Str("no".into()));
    }

    #[test]
    fn a_file_over_the_node_limit_says_so_in_words() {
        // A mapping of 130,000 entries: 260,001 nodes, over serde-saphyr's 250,000.
        let text: String = (0..130_000).map(|i| format!("k{i}: v\n")).collect();
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err.message,
            "the file has more than 250,000 YAML nodes (keys, values, lists and mappings), \
             over the limit for one file"
        );
        assert_eq!(
            err.pos,
            Pos::new(125_000, 10),
            "the value of k124999, the 250,001st node"
        );
    }

    #[test]
    fn nesting_too_deep_says_so_in_words() {
        let text: String = (0..70)
            .map(|depth| format!("{}- \n", "  ".repeat(depth)))
            .collect();
        // The engine parses on the main thread (8 MiB of stack); 64 levels of recursion in a
        // debug build need more than a test thread's 2 MiB.
        let err = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || parse(&text).unwrap_err())
            .expect("a thread to parse in")
            .join()
            .expect("parsing does not panic");
        assert_eq!(
            err.message,
            "the file has lists and mappings nested more than 64 deep, over the limit for one file"
        );
    }

    #[test]
    fn numbers_in_limits_read_like_numbers() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1_024), "1,024");
        assert_eq!(thousands(250_000), "250,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(size(64 * 1024 * 1024), "64 MiB");
        assert_eq!(size(1_500), "1,500 bytes");
    }

    /// Every document the direct path reads, it reads as serde-saphyr does, positions included.
    fn same_as_serde_saphyr(text: &str) -> bool {
        match direct::parse(text) {
            Some(direct) => {
                let general = parse_with_serde_saphyr(text).expect("serde-saphyr reads it too");
                assert_eq!(
                    direct, general,
                    "direct and serde-saphyr differ on:\n{text}"
                );
                true
            }
            None => false,
        }
    }

    #[test]
    fn the_direct_path_reads_every_yaml_file_of_the_repository_as_serde_saphyr_does() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if path.is_dir() {
                    if !name.starts_with('.') && name != "target" && name != "node_modules" {
                        walk(&path, out);
                    }
                } else if name.ends_with(".yaml") || name.ends_with(".yml") {
                    out.push(path);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for dir in ["scenarios", "examples", "engine/tests", "bench"] {
            walk(&root.join(dir), &mut files);
        }
        let (mut direct, mut all) = (0, 0);
        for file in &files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            if text.trim().is_empty() || parse_with_serde_saphyr(&text).is_err() {
                continue;
            }
            all += 1;
            if same_as_serde_saphyr(&text) {
                direct += 1;
            }
        }
        assert!(all > 50, "found {all} YAML files under {}", root.display());
        // Nearly every case file is in the common subset; if this drops, the direct path
        // stopped applying (a slower load, not a wrong one).
        assert!(
            direct * 10 >= all * 9,
            "{direct} of {all} files read directly"
        );
    }

    #[test]
    fn the_direct_path_agrees_on_scalars_styles_and_positions() {
        let docs = [
            "a: 1\nb: -2\nc: 0\nd: 12.5\ne: -1.25\nf: 0.0\ng: 123456789012345678\n",
            "a: true\nb: false\nc: null\nd: ~\ne:\nf: ''\ng: \"\"\n",
            "a: 1s\nb: 100ms\nc: 2m\nd: 12.50 DKK\ne: 1 000\nf: v10\ng: DK90000028\n",
            "a: 'single'\nb: \"double \\u00e9\"\nc: |\n  block\n  text\nd: >\n  folded\n  text\n",
            "a: [1, two, {c: 3}]\nb: {x: [], y: {}}\n# a comment\nc: d # trailing\n",
            "- a\n- - b\n  - c\n- d: e\n  f: g\n",
            "---\nname: x\nsteps:\n  - name: b\n    wait: 1s\n...\n",
            "url: \"{{pos}}/payments/{{paymentId}}\"\njson: { $.storeIds: { len: 1 }, $.n: 1000 }\n",
            "a: [ééé, b]\n\"k é\": v\n'1': quoted number key\n",
            "a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\n",
            "on: a\nyes: b\nn: c\nOff: d\n? explicit\n: key\n",
            "a: {b, c: d}\n\"<quoted>\": 1\n",
            "a: -foo\nb: foo-1\nc: 1.2.3\nd: 2024-01-01T00:00:00Z\ne: 10:30\n",
            "a:\n  b:\n    c:\n      d: [1, [2, [3]]]\n",
            "a: \"multi\n  line\"\nb: plain\n  continued\n",
        ];
        for doc in docs {
            assert!(
                same_as_serde_saphyr(doc) || parse_with_serde_saphyr(doc).is_ok(),
                "{doc}"
            );
        }
        for doc in [docs[0], docs[5], docs[10], docs[11]] {
            assert!(same_as_serde_saphyr(doc), "read directly: {doc}");
        }
        // Left to serde-saphyr: every other spelling of a null, boolean or number, anchors,
        // tags, merge keys, non-text keys, duplicate keys, several documents, directives, errors.
        for doc in [
            "a: Null\n",
            "a: TRUE\n",
            "a: True\n",
            "a: +1\n",
            "a: .5\n",
            "a: 1e3\n",
            "a: 0x1f\n",
            "a: 007\n",
            "a: 1_000\n",
            "a: .inf\n",
            "a: -.inf\n",
            "a: .NaN\n",
            "a: -0\n",
            "a: inf\n",
            "a: 1.\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: {b: 1}\n<<: {c: 2}\n",
            "1: a\n",
            "true: a\n",
            "? [a]\n: b\n",
            "a: 1\na: 2\n",
            "a: 1\n---\nb: 2\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: [1, 2\nb: 3\n",
            "a: 12345678901234567890\n",
        ] {
            assert!(direct::parse(doc).is_none(), "{doc}");
        }
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let err = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.message, "duplicate mapping key: a");
    }
}

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

    #[test]
    fn duplicate_keys_are_rejected() {
        let err = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.message, "duplicate mapping key: a");
    }
}

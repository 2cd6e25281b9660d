//! Converts the positioned YAML tree into the typed model, checking everything that can be
//! checked before anything runs: keys, types, one action per step, durations, JSONPaths, regexes.
//!
//! The allowed keys of every object are listed once, in the `*_KEYS` constants below; the JSON
//! Schema for editors (`schemas/scenario.schema.json`) is tested against these lists so the two
//! cannot drift (see `engine/tests/scenario_schema.rs`).

mod assert;
mod matcher;
mod operator;
mod request;
mod step;

use super::duration::parse_duration;
use super::error::{LoadError, LoadErrorKind};
use super::model::*;
use super::read::NodeReader;
use super::yaml::{Node, Pos, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub const CASE_KEYS: &[&str] = &[
    "name",
    "feature",
    "case",
    "description",
    "tags",
    "vars",
    "setup",
    "steps",
    "finally",
];
pub const FEATURE_KEYS: &[&str] = &["name", "description", "requires"];
pub const FRAGMENT_KEYS: &[&str] = &["name", "description", "params", "steps"];
/// Keys of a step that are not its action.
pub const STEP_COMMON_KEYS: &[&str] = &[
    "name",
    "description",
    "when",
    "if",
    "explain",
    "severity",
    "because",
];
/// The actions; a step has exactly one.
pub const STEP_ACTIONS: &[&str] = &[
    "request", "operator", "exec", "assert", "wait", "set", "use",
];
/// Request modifiers that may also be written beside `request:` on the step itself.
pub const REQUEST_MODIFIER_KEYS: &[&str] = &["expect", "capture", "retry", "timeout", "poll"];
pub const REQUEST_KEYS: &[&str] = &[
    "method",
    "url",
    "headers",
    "query",
    "json",
    "body",
    "form",
    "expect",
    "capture",
    "retry",
    "timeout",
    "poll",
    "target_headers",
];
pub const EXPECT_KEYS: &[&str] = &["status", "headers", "json", "body", "schema"];
pub const CAPTURE_KEYS: &[&str] = &[
    "jsonpath", "header", "regex", "status", "body", "secret", "default",
];
pub const RETRY_KEYS: &[&str] = &["attempts", "on", "delay"];
pub const POLL_KEYS: &[&str] = &["until", "abort_if", "interval", "timeout", "max_attempts"];
pub const INTERVAL_KEYS: &[&str] = &["from", "fallback"];
pub const OPERATOR_KEYS: &[&str] = &[
    "role", "action", "params", "prompt", "inputs", "timeout", "automate", "watch",
];
pub const INPUT_KEYS: &[&str] = &["name", "label", "type"];
pub const WATCH_KEYS: &[&str] = &["request", "until", "interval", "timeout"];
pub const EXEC_KEYS: &[&str] = &["command", "args", "timeout", "exit_code", "capture"];
pub const ASSERT_KEYS: &[&str] = &["vars", "journal"];
pub const JOURNAL_KEYS: &[&str] = &[
    "method",
    "path",
    "path_prefix",
    "body_contains",
    "query_contains",
    "count",
    "each",
    "same",
    "min_interval",
    "none_after",
    "explain",
];
pub const MIN_INTERVAL_KEYS: &[&str] = &["from_response"];
pub const MATCHER_OPERATORS: &[&str] = &[
    "eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "matches", "contains", "exists", "type",
    "len",
];
pub const WHEN_VALUES: &[&str] = &["reference", "adapter", "operator", "emulator", "sandbox"];
pub const FEATURE_IDS: &[&str] = &[
    "onboarding",
    "payments",
    "prepared-payments",
    "payments-with-restrictions",
    "prepared-payments-with-restrictions",
    "refunds",
];

/// The certification order of features (onboarding first); unknown ids sort last.
pub fn feature_rank(id: &str) -> usize {
    FEATURE_IDS
        .iter()
        .position(|f| *f == id)
        .unwrap_or(FEATURE_IDS.len())
}

/// Default timeout of an operator action when the case gives none.
pub const DEFAULT_OPERATOR_TIMEOUT: Duration = Duration::from_secs(120);
/// Default poll deadline.
pub const DEFAULT_POLL_TIMEOUT: Duration = Duration::from_secs(60);

/// Resolves and loads `use:` fragments; implemented by the loader (it owns files and caching).
pub trait FragmentResolver {
    fn load_fragment(
        &mut self,
        from_file: &Path,
        reference: &str,
        pos: Pos,
    ) -> Result<(std::path::PathBuf, Vec<Step>), LoadError>;
}

/// Conversion context: the file being read.
pub struct Converter<'a> {
    pub file: Arc<SourceFile>,
    pub fragments: &'a mut dyn FragmentResolver,
}

type Res<T> = Result<T, LoadError>;

impl NodeReader for Converter<'_> {
    fn file_path(&self) -> &Path {
        &self.file.path
    }
}

impl<'a> Converter<'a> {
    fn location(&self, pos: Pos) -> Location {
        Location {
            file: self.file.clone(),
            pos,
        }
    }

    fn string(&self, node: &Node) -> Res<String> {
        node.scalar_text()
            .ok_or_else(|| self.wrong_type(node, "text"))
    }

    fn template(&self, node: &Node) -> Res<Template> {
        let text = self.string(node)?;
        check_template_syntax(&text)
            .map_err(|m| self.err(node.pos, LoadErrorKind::InvalidTemplate(m)))?;
        Ok(Template {
            text,
            pos: node.pos,
        })
    }

    fn boolean(&self, node: &Node) -> Res<bool> {
        match node.value {
            Value::Bool(b) => Ok(b),
            _ => Err(self.wrong_type(node, "true or false")),
        }
    }

    fn unsigned(&self, node: &Node) -> Res<u32> {
        match node.value {
            Value::Int(i) if (0..=u32::MAX as i64).contains(&i) => Ok(i as u32),
            _ => Err(self.wrong_type(node, "a whole number")),
        }
    }

    fn duration(&self, node: &Node) -> Res<Duration> {
        let text = match &node.value {
            Value::Int(i) => format!("{i}s"),
            Value::Float(f) => format!("{f}s"),
            Value::Str(s) => s.clone(),
            _ => return Err(self.wrong_type(node, "a duration such as 500ms or 2s")),
        };
        parse_duration(&text).map_err(|m| self.invalid(node.pos, m))
    }

    fn string_list(&self, node: &Node) -> Res<Vec<String>> {
        match &node.value {
            Value::Seq(items) => items.iter().map(|i| self.string(i)).collect(),
            Value::Str(s) => Ok(vec![s.clone()]),
            _ => Err(self.wrong_type(node, "a list of strings")),
        }
    }

    /// A mapping whose values are kept as raw nodes (vars, params, headers...).
    fn raw_map(&self, node: &Node) -> Res<Vec<(String, Node)>> {
        let entries = node
            .as_map()
            .ok_or_else(|| self.wrong_type(node, "a mapping"))?;
        for (_, v) in entries {
            self.check_templates_in(v)?;
        }
        Ok(entries
            .iter()
            .map(|(k, v)| (k.name.clone(), v.clone()))
            .collect())
    }

    /// Checks template syntax in every string of a structured value.
    fn check_templates_in(&self, node: &Node) -> Res<()> {
        match &node.value {
            Value::Str(s) => check_template_syntax(s)
                .map_err(|m| self.err(node.pos, LoadErrorKind::InvalidTemplate(m))),
            Value::Seq(items) => items.iter().try_for_each(|i| self.check_templates_in(i)),
            Value::Map(entries) => entries
                .iter()
                .try_for_each(|(_, v)| self.check_templates_in(v)),
            _ => Ok(()),
        }
    }

    // ---- files -------------------------------------------------------------------------------

    pub fn case(&mut self, root: &Node, source_text: Arc<str>) -> Res<Case> {
        let entries = self.map(root, CASE_KEYS)?;
        let _ = entries;
        let name = self.string(self.required(root, "name")?)?;
        let feature_node = self.required(root, "feature")?;
        let feature = self.string(feature_node)?;
        if !FEATURE_IDS.contains(&feature.as_str()) {
            return Err(self.invalid(
                feature_node.pos,
                format!(
                    "unknown feature `{feature}`; expected one of: {}",
                    FEATURE_IDS.join(", ")
                ),
            ));
        }
        let case_number = root.get("case").map(|n| self.unsigned(n)).transpose()?;
        let description = root
            .get("description")
            .map(|n| self.string(n))
            .transpose()?;
        let tags = root
            .get("tags")
            .map(|n| self.string_list(n))
            .transpose()?
            .unwrap_or_default();
        let vars = root
            .get("vars")
            .map(|n| self.raw_map(n))
            .transpose()?
            .unwrap_or_default();
        let setup = self.optional_steps(root, "setup")?;
        let steps = self.optional_steps(root, "steps")?;
        let finally = self.optional_steps(root, "finally")?;
        if steps.is_empty() {
            return Err(self.invalid(root.pos, "a case needs at least one step under `steps`"));
        }
        Ok(Case {
            name,
            feature,
            case_number,
            description,
            tags,
            vars,
            setup,
            steps,
            finally,
            file: self.file.clone(),
            source_text,
        })
    }

    pub fn feature(&mut self, root: &Node, id: String) -> Res<Feature> {
        self.map(root, FEATURE_KEYS)?;
        let name = self.string(self.required(root, "name")?)?;
        let description = root
            .get("description")
            .map(|n| self.string(n))
            .transpose()?;
        let requires = root
            .get("requires")
            .map(|n| self.string_list(n))
            .transpose()?
            .unwrap_or_default();
        Ok(Feature {
            id,
            name,
            description,
            requires,
            file: self.file.clone(),
        })
    }

    /// A fragment file: either a list of steps, or a mapping with `steps`.
    pub fn fragment(&mut self, root: &Node) -> Res<Vec<Step>> {
        match &root.value {
            Value::Seq(_) => self.steps(root),
            Value::Map(_) => {
                self.map(root, FRAGMENT_KEYS)?;
                self.steps(self.required(root, "steps")?)
            }
            _ => Err(self.wrong_type(root, "a list of steps (or a mapping with `steps`)")),
        }
    }

    fn optional_steps(&mut self, root: &Node, key: &str) -> Res<Vec<Step>> {
        match root.get(key) {
            Some(node) if node.value == Value::Null => Ok(Vec::new()),
            Some(node) => self.steps(node),
            None => Ok(Vec::new()),
        }
    }

    pub fn steps(&mut self, node: &Node) -> Res<Vec<Step>> {
        let items = node
            .as_seq()
            .ok_or_else(|| self.wrong_type(node, "a list of steps"))?;
        items.iter().map(|item| self.step(item)).collect()
    }

    // ---- steps -------------------------------------------------------------------------------
}

/// Checks `{{ }}` balance and that handlebars can parse the text.
pub fn check_template_syntax(text: &str) -> Result<(), String> {
    if !text.contains("{{") && !text.contains("}}") {
        return Ok(());
    }
    handlebars::Template::compile(text)
        .map(|_| ())
        .map_err(|e| {
            e.to_string()
                .lines()
                .next()
                .unwrap_or("syntax error")
                .to_string()
        })
}

//! Converts the positioned YAML tree into the typed model, checking everything that can be
//! checked before anything runs: keys, types, one action per step, durations, JSONPaths, regexes.
//!
//! The allowed keys of every object are listed once, in the `*_KEYS` constants below; the JSON
//! Schema for editors (`schemas/scenario.schema.json`) is tested against these lists so the two
//! cannot drift (see `engine/tests/scenario_schema.rs`).

mod assert;
mod interface;
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
    "when",
    "if",
    "skip_reason",
    "setup",
    "steps",
    "finally",
];
pub const FEATURE_KEYS: &[&str] = &["name", "description", "requires", "setup", "finally"];
pub const FRAGMENT_KEYS: &[&str] = &["name", "description", "params", "gives", "steps"];
/// A param written as a mapping (`amount: the sale's amount` is the short form of a required
/// param with that description).
pub const PARAM_KEYS: &[&str] = &["description", "default"];
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
    "request", "operator", "exec", "assert", "wait", "set", "use", "group",
];
/// A `group:` step: its text names it, `when:`/`if:` apply to every step in `steps`. No `name`
/// (the group's text is its name) and no `explain` (it belongs to the step that judges).
pub const GROUP_KEYS: &[&str] = &["group", "steps", "description", "when", "if"];
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
/// What `retry:` retries when it names nothing: every transport fault.
pub const DEFAULT_RETRY_ON: &[RetryOn] =
    &[RetryOn::Timeout, RetryOn::Connection, RetryOn::ServerError];
/// The pause between two attempts when `retry:` gives no `delay`.
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_millis(100);

pub use interface::BUILTIN_VARS;

/// Resolves and loads `use:` fragments and a case's folder `feature.yaml`; implemented by the
/// loader (it owns files and caching).
pub trait FragmentResolver {
    fn load_fragment(
        &mut self,
        from_file: &Path,
        reference: &str,
        pos: Pos,
    ) -> Result<(std::path::PathBuf, Arc<Vec<Step>>), LoadError>;

    /// The declared interface of a fragment `load_fragment` returned (by its path). The default,
    /// for resolvers that know none, is "declares nothing".
    fn fragment_interface(&self, _path: &Path) -> Arc<FragmentInterface> {
        Arc::default()
    }

    /// The `feature.yaml` in the folder of `case_file`, if there is one.
    fn folder_feature(&mut self, _case_file: &Path) -> Option<Result<Feature, LoadError>> {
        None
    }
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
        self.map(root, CASE_KEYS)?;
        let name = self.string(self.required(root, "name")?)?;
        let feature = match root.get("feature") {
            Some(node) => {
                let feature = self.string(node)?;
                if !FEATURE_IDS.contains(&feature.as_str()) {
                    return Err(self.invalid(
                        node.pos,
                        format!(
                            "unknown feature `{feature}`; expected one of: {}",
                            FEATURE_IDS.join(", ")
                        ),
                    ));
                }
                feature
            }
            // A case in `scenarios/payments/` is a payments case unless it says otherwise.
            None => {
                let folder = self
                    .file
                    .path
                    .parent()
                    .and_then(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if !FEATURE_IDS.contains(&folder.as_str()) {
                    return Err(self.invalid(
                        root.pos,
                        format!(
                            "this case gives no `feature:` and its folder `{folder}` is not a feature; write `feature:` (one of: {}) or move the case into that feature's folder",
                            FEATURE_IDS.join(", ")
                        ),
                    ));
                }
                folder
            }
        };
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
        let when = root
            .get("when")
            .map(|n| self.when(n))
            .transpose()?
            .unwrap_or_default();
        let condition = root.get("if").map(|n| self.template(n)).transpose()?;
        let skip_reason = root
            .get("skip_reason")
            .map(|n| self.template(n))
            .transpose()?;
        if let (Some(reason), None) = (&skip_reason, &condition) {
            return Err(self.invalid(
                reason.pos,
                "`skip_reason` says why the case is skipped when its `if:` is false; write the `if:` too",
            ));
        }
        let mut setup = self.optional_steps(root, "setup")?;
        let steps = self.optional_steps(root, "steps")?;
        let mut finally = self.optional_steps(root, "finally")?;
        if steps.is_empty() {
            return Err(self.invalid(root.pos, "a case needs at least one step under `steps`"));
        }
        // The folder's default setup/finally, for a case that does not write the key at all
        // (`setup: []` is a case that wants none).
        let (own_setup, own_finally) = (root.get("setup").is_some(), root.get("finally").is_some());
        let mut feature_defaults = None;
        if !own_setup || !own_finally {
            if let Some(loaded) = self.fragments.folder_feature(&self.file.path) {
                let defaults = loaded.map_err(|e| {
                    self.invalid(
                        root.pos,
                        format!(
                            "this case gives no own {} and so runs the one of {}, which does not load: {}",
                            if own_setup { "`finally`" } else if own_finally { "`setup`" } else { "`setup` or `finally`" },
                            e.file.display(),
                            e.one_line()
                        ),
                    )
                })?;
                if !own_setup && !defaults.setup.is_empty() {
                    setup = defaults.setup.clone();
                    feature_defaults = Some(defaults.file.path.clone());
                }
                if !own_finally && !defaults.finally.is_empty() {
                    finally = defaults.finally.clone();
                    feature_defaults = Some(defaults.file.path.clone());
                }
            }
        }
        let case = Case {
            name,
            feature,
            case_number,
            description,
            tags,
            vars,
            when,
            condition,
            skip_reason,
            setup,
            steps,
            finally,
            file: self.file.clone(),
            source_text,
            feature_defaults,
        };
        interface::check_case(&case)?;
        Ok(case)
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
        // Checked in each case that runs them (what they need depends on the case's vars).
        let setup = self.optional_steps(root, "setup")?;
        let finally = self.optional_steps(root, "finally")?;
        Ok(Feature {
            id,
            name,
            description,
            requires,
            setup,
            finally,
            file: self.file.clone(),
        })
    }

    /// A fragment file: either a list of steps (no declared interface), or a mapping with
    /// `steps` and optionally `params` and `gives`.
    pub fn fragment(&mut self, root: &Node) -> Res<(Vec<Step>, FragmentInterface)> {
        match &root.value {
            Value::Seq(_) => Ok((self.steps(root)?, FragmentInterface::default())),
            Value::Map(_) => {
                self.map(root, FRAGMENT_KEYS)?;
                let params = root.get("params").map(|n| self.params(n)).transpose()?;
                let gives = root.get("gives").map(|n| self.gives(n)).transpose()?;
                let interface = FragmentInterface {
                    declared: params.is_some() || gives.is_some(),
                    params: params.unwrap_or_default(),
                    gives: gives.unwrap_or_default(),
                };
                let steps = self.steps(self.required(root, "steps")?)?;
                interface::check_fragment(&self.file.path, &steps, &interface)?;
                interface::check_reads(&self.file.path, root, &steps, &interface)?;
                Ok((steps, interface))
            }
            _ => Err(self.wrong_type(root, "a list of steps (or a mapping with `steps`)")),
        }
    }

    /// `params:`: name → description (required), or name → { description, default } (optional
    /// when `default` is written, even as null).
    fn params(&self, node: &Node) -> Res<Vec<Param>> {
        let entries = node
            .as_map()
            .ok_or_else(|| self.wrong_type(node, "a mapping of param name to description"))?;
        entries
            .iter()
            .map(|(key, value)| {
                let (description, default) = match &value.value {
                    Value::Map(_) => {
                        self.map(value, PARAM_KEYS)?;
                        let description = self.string(self.required(value, "description")?)?;
                        let default = value.get("default").cloned();
                        if let Some(d) = &default {
                            self.check_templates_in(d)?;
                        }
                        (description, default)
                    }
                    _ => (self.string(value)?, None),
                };
                Ok(Param {
                    name: key.name.clone(),
                    description,
                    default,
                    pos: key.pos,
                })
            })
            .collect()
    }

    /// `gives:`: name → description.
    fn gives(&self, node: &Node) -> Res<Vec<Give>> {
        let entries = node
            .as_map()
            .ok_or_else(|| self.wrong_type(node, "a mapping of variable name to description"))?;
        entries
            .iter()
            .map(|(key, value)| {
                Ok(Give {
                    name: key.name.clone(),
                    description: self.string(value)?,
                    pos: key.pos,
                })
            })
            .collect()
    }

    fn optional_steps(&mut self, root: &Node, key: &str) -> Res<Vec<Step>> {
        match root.get(key) {
            Some(node) if node.value == Value::Null => Ok(Vec::new()),
            Some(node) => self.steps(node),
            None => Ok(Vec::new()),
        }
    }

    /// A list of steps; a `group:` among them becomes the steps inside it (see `step.rs`).
    pub fn steps(&mut self, node: &Node) -> Res<Vec<Step>> {
        let items = node
            .as_seq()
            .ok_or_else(|| self.wrong_type(node, "a list of steps"))?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            self.step(item, &mut out)?;
        }
        Ok(out)
    }

    // ---- steps -------------------------------------------------------------------------------
}

/// Distinct template texts whose verdict is kept; beyond this, a text is parsed at each check.
const TEMPLATE_CHECK_CACHE_LIMIT: usize = 16_384;
/// Longer texts (a whole JSON body, say) are checked each time and not kept: they are rarely
/// repeated, and the cache stays under 16,384 × 1 KiB however large the texts of a run.
const TEMPLATE_CHECK_CACHE_MAX_TEXT: usize = 1024;

/// Checks `{{ }}` balance and that handlebars can parse the text.
///
/// The verdict is kept per distinct text for the process: cases repeat the same few templates
/// (`{{pos}}/payments/{{paymentId}}` in step after step), and handlebars' pest grammar walk
/// cost more than parsing the step's YAML.
pub fn check_template_syntax(text: &str) -> Result<(), String> {
    use std::collections::HashMap;
    use std::sync::{OnceLock, RwLock};
    if !text.contains("{{") && !text.contains("}}") {
        return Ok(());
    }
    static CACHE: OnceLock<RwLock<HashMap<String, Result<(), String>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(verdict) = cache
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(text)
    {
        return verdict.clone();
    }
    let verdict = handlebars::Template::compile(text)
        .map(|_| ())
        .map_err(|e| {
            e.to_string()
                .lines()
                .next()
                .unwrap_or("syntax error")
                .to_string()
        });
    let mut guard = cache
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if guard.len() < TEMPLATE_CHECK_CACHE_LIMIT && text.len() <= TEMPLATE_CHECK_CACHE_MAX_TEXT {
        guard.insert(text.to_string(), verdict.clone());
    }
    verdict
}

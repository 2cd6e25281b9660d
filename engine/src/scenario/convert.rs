//! Converts the positioned YAML tree into the typed model, checking everything that can be
//! checked before anything runs: keys, types, one action per step, durations, JSONPaths, regexes.
//!
//! The allowed keys of every object are listed once, in the `*_KEYS` constants below; the JSON
//! Schema for editors (`schemas/scenario.schema.json`) is tested against these lists so the two
//! cannot drift (see `engine/tests/scenario_schema.rs`).

use super::duration::parse_duration;
use super::error::{LoadError, LoadErrorKind};
use super::model::*;
use super::read::NodeReader;
use super::yaml::{Key, Node, Pos, Value};
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
pub const STEP_COMMON_KEYS: &[&str] = &["name", "description", "when", "if", "explain"];
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

    fn step(&mut self, node: &Node) -> Res<Step> {
        let entries = node
            .as_map()
            .ok_or_else(|| self.wrong_type(node, "a step (a mapping)"))?;
        let actions: Vec<&(Key, Node)> = entries
            .iter()
            .filter(|(k, _)| STEP_ACTIONS.contains(&k.name.as_str()))
            .collect();
        if actions.len() != 1 {
            let pos = actions.get(1).map(|(k, _)| k.pos).unwrap_or(node.pos);
            return Err(self.err(
                pos,
                LoadErrorKind::StepActions(actions.iter().map(|(k, _)| k.name.clone()).collect()),
            ));
        }
        let (action_key, action_node) = actions[0];
        let mut allowed: Vec<&'static str> = STEP_COMMON_KEYS.to_vec();
        allowed.extend(STEP_ACTIONS);
        match action_key.name.as_str() {
            "request" => allowed.extend(REQUEST_MODIFIER_KEYS),
            "use" => allowed.push("with"),
            _ => {}
        }
        self.map(node, &allowed)?;

        let name = match node.get("name") {
            Some(n) => self.string(n)?,
            None => default_step_name(&action_key.name, action_node),
        };
        let when = node
            .get("when")
            .map(|n| self.when(n))
            .transpose()?
            .unwrap_or_default();
        let condition = node.get("if").map(|n| self.template(n)).transpose()?;
        let explain = node.get("explain").map(|n| self.string(n)).transpose()?;
        let action = match action_key.name.as_str() {
            "request" => Action::Request(Box::new(self.request(action_node, Some(node))?)),
            "operator" => Action::Operator(Box::new(self.operator(action_node)?)),
            "exec" => Action::Exec(Box::new(self.exec(action_node)?)),
            "assert" => Action::Assert(Box::new(self.assert(action_node)?)),
            "wait" => Action::Wait(match action_node.as_str() {
                Some(text) if text.contains("{{") => WaitFor::Template(self.template(action_node)?),
                _ => WaitFor::Fixed(self.duration(action_node)?),
            }),
            "set" => Action::Set(self.raw_map(action_node)?),
            "use" => {
                let reference = self.string(action_node)?;
                let with = node
                    .get("with")
                    .map(|n| self.raw_map(n))
                    .transpose()?
                    .unwrap_or_default();
                let file = self.file.path.clone();
                let (fragment, steps) =
                    self.fragments
                        .load_fragment(&file, &reference, action_node.pos)?;
                Action::Use(UseStep {
                    fragment,
                    with,
                    steps,
                })
            }
            other => unreachable!("filtered to STEP_ACTIONS above, got {other}"),
        };
        Ok(Step {
            name,
            location: self.location(node.pos),
            when,
            condition,
            explain,
            action,
        })
    }

    fn when(&self, node: &Node) -> Res<Vec<WhenCondition>> {
        let values = self.string_list(node)?;
        values
            .iter()
            .map(|v| match v.as_str() {
                "reference" => Ok(WhenCondition::Client(ClientMode::Reference)),
                "adapter" => Ok(WhenCondition::Client(ClientMode::Adapter)),
                "operator" => Ok(WhenCondition::Client(ClientMode::Operator)),
                "emulator" => Ok(WhenCondition::Target(TargetKind::Emulator)),
                "sandbox" => Ok(WhenCondition::Target(TargetKind::Sandbox)),
                other => Err(self.invalid(
                    node.pos,
                    format!(
                        "unknown `when` value `{other}`; expected one of: {}",
                        WHEN_VALUES.join(", ")
                    ),
                )),
            })
            .collect()
    }

    /// A request; `step` is the enclosing step when modifiers may also sit beside `request:`.
    fn request(&mut self, node: &Node, step: Option<&Node>) -> Res<RequestStep> {
        self.map(node, REQUEST_KEYS)?;
        // A modifier may be written inside `request:` or beside it, not both.
        let modifier = |key: &str| -> Res<Option<&Node>> {
            let inner = node.get(key);
            let outer = step.and_then(|s| s.get(key));
            match (inner, outer) {
                (Some(_), Some(o)) => Err(self.invalid(
                    o.pos,
                    format!("`{key}` is given both inside `request:` and beside it; keep one"),
                )),
                (a, b) => Ok(a.or(b)),
            }
        };
        let method = match node.get("method") {
            Some(n) => {
                let m = self.string(n)?.to_ascii_uppercase();
                if !["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
                    .contains(&m.as_str())
                {
                    return Err(self.invalid(n.pos, format!("unknown HTTP method `{m}`")));
                }
                m
            }
            None => "GET".to_string(),
        };
        let url = self.template(self.required(node, "url")?)?;
        let headers = node
            .get("headers")
            .map(|n| self.raw_map(n))
            .transpose()?
            .unwrap_or_default();
        let query = node
            .get("query")
            .map(|n| self.raw_map(n))
            .transpose()?
            .unwrap_or_default();
        let bodies: Vec<&str> = ["json", "body", "form"]
            .into_iter()
            .filter(|k| node.get(k).is_some())
            .collect();
        if bodies.len() > 1 {
            let pos = node.get(bodies[1]).map(|n| n.pos).unwrap_or(node.pos);
            return Err(self.invalid(
                pos,
                format!("a request has one body; found `{}`", bodies.join("` and `")),
            ));
        }
        let body = if let Some(n) = node.get("json") {
            self.check_templates_in(n)?;
            Some(Body::Json(n.clone()))
        } else if let Some(n) = node.get("body") {
            Some(Body::Text(self.template(n)?))
        } else if let Some(n) = node.get("form") {
            Some(Body::Form(self.raw_map(n)?))
        } else {
            None
        };
        let expect = modifier("expect")?
            .map(|n| self.expect(n))
            .transpose()?
            .unwrap_or_default();
        let capture = modifier("capture")?
            .map(|n| self.captures(n))
            .transpose()?
            .unwrap_or_default();
        let retry = modifier("retry")?.map(|n| self.retry(n)).transpose()?;
        let timeout = modifier("timeout")?.map(|n| self.duration(n)).transpose()?;
        let poll = modifier("poll")?.map(|n| self.poll(n)).transpose()?;
        let target_headers = node
            .get("target_headers")
            .map(|n| self.boolean(n))
            .transpose()?
            .unwrap_or(true);
        Ok(RequestStep {
            method,
            url,
            headers,
            query,
            body,
            expect,
            capture,
            retry,
            timeout,
            poll,
            target_headers,
        })
    }

    fn expect(&self, node: &Node) -> Res<Expect> {
        self.map(node, EXPECT_KEYS)?;
        let status = node.get("status").map(|n| self.check(n)).transpose()?;
        let headers = node
            .get("headers")
            .map(|n| self.check_map(n, false))
            .transpose()?
            .unwrap_or_default();
        let json = node
            .get("json")
            .map(|n| self.check_map(n, true))
            .transpose()?
            .unwrap_or_default();
        let body = node.get("body").map(|n| self.check(n)).transpose()?;
        let schema = node
            .get("schema")
            .map(|n| -> Res<SchemaRef> {
                let s = self.string(n)?;
                if s.ends_with(".json") || s.contains('/') {
                    Ok(SchemaRef::File(s.into()))
                } else if crate::check::pos_v10_schemas::named_schema(&s).is_some() {
                    Ok(SchemaRef::Named(s))
                } else {
                    Err(self.invalid(
                        n.pos,
                        format!(
                            "unknown schema `{s}`: give a JSON Schema file (ending in .json) or one of the PoS v10 responses: {}",
                            crate::check::pos_v10_schemas::SCHEMA_NAMES.join(", ")
                        ),
                    ))
                }
            })
            .transpose()?;
        Ok(Expect {
            status,
            headers,
            json,
            body,
            schema,
        })
    }

    /// A mapping of key → matcher; with `jsonpaths`, keys must be JSONPaths (or `status`).
    fn check_map(&self, node: &Node, jsonpaths: bool) -> Res<Vec<(String, Check)>> {
        let entries = node
            .as_map()
            .ok_or_else(|| self.wrong_type(node, "a mapping of matchers"))?;
        entries
            .iter()
            .map(|(k, v)| {
                if jsonpaths {
                    self.jsonpath(&k.name, k.pos)?;
                }
                Ok((k.name.clone(), self.check(v)?))
            })
            .collect()
    }

    /// Poll conditions: keys are JSONPaths or `status` (the HTTP status).
    fn condition_map(&self, node: &Node) -> Res<Vec<(String, Check)>> {
        let entries = node.as_map().ok_or_else(|| {
            self.wrong_type(node, "a mapping of JSONPath (or `status`) to matcher")
        })?;
        entries
            .iter()
            .map(|(k, v)| {
                if k.name != "status" {
                    self.jsonpath(&k.name, k.pos)?;
                }
                Ok((k.name.clone(), self.check(v)?))
            })
            .collect()
    }

    fn jsonpath(&self, path: &str, pos: Pos) -> Res<()> {
        if !path.starts_with('$') {
            return Err(self.err(
                pos,
                LoadErrorKind::InvalidJsonPath {
                    path: path.into(),
                    reason: "a JSONPath starts with `$`".into(),
                },
            ));
        }
        if path.contains("{{") {
            return Ok(()); // rendered at run time; checked then
        }
        jsonpath_rust::parser::parse_json_path(path)
            .map(|_| ())
            .map_err(|e| {
                self.err(
                    pos,
                    LoadErrorKind::InvalidJsonPath {
                        path: path.into(),
                        reason: e
                            .to_string()
                            .lines()
                            .next()
                            .unwrap_or("syntax error")
                            .to_string(),
                    },
                )
            })
    }

    /// A matcher: a literal (equality), or a mapping of operators.
    pub fn check(&self, node: &Node) -> Res<Check> {
        self.check_templates_in(node)?;
        let Some(entries) = node.as_map() else {
            return Ok(Check {
                matcher: Matcher::Eq(node.clone()),
                pos: node.pos,
            });
        };
        let operators = entries
            .iter()
            .filter(|(k, _)| MATCHER_OPERATORS.contains(&k.name.as_str()))
            .count();
        if operators == 0 {
            // A mapping literal: the value must equal this object.
            return Ok(Check {
                matcher: Matcher::Eq(node.clone()),
                pos: node.pos,
            });
        }
        if operators != entries.len() {
            let odd = entries
                .iter()
                .find(|(k, _)| !MATCHER_OPERATORS.contains(&k.name.as_str()))
                .map(|(k, _)| k);
            if let Some(k) = odd {
                return Err(self.err(
                    k.pos,
                    LoadErrorKind::UnknownKey {
                        key: k.name.clone(),
                        expected: MATCHER_OPERATORS.to_vec(),
                    },
                ));
            }
        }
        let mut all = Vec::new();
        for (key, value) in entries {
            let matcher = match key.name.as_str() {
                "eq" => Matcher::Eq(value.clone()),
                "ne" => Matcher::Ne(value.clone()),
                "gt" => Matcher::Gt(value.clone()),
                "gte" => Matcher::Gte(value.clone()),
                "lt" => Matcher::Lt(value.clone()),
                "lte" => Matcher::Lte(value.clone()),
                "in" => Matcher::In(self.list_or_template(value)?),
                "not_in" => Matcher::NotIn(self.list_or_template(value)?),
                "contains" => Matcher::Contains(value.clone()),
                "matches" => {
                    let t = self.template(value)?;
                    if !t.text.contains("{{") {
                        regex::Regex::new(&t.text).map_err(|e| {
                            self.err(
                                value.pos,
                                LoadErrorKind::InvalidRegex {
                                    pattern: t.text.clone(),
                                    reason: e.to_string(),
                                },
                            )
                        })?;
                    }
                    Matcher::Matches(t)
                }
                "exists" => Matcher::Exists(self.boolean(value)?),
                "type" => {
                    let name = self.string(value)?;
                    Matcher::Type(match name.as_str() {
                        "string" => JsonType::String,
                        "number" => JsonType::Number,
                        "integer" => JsonType::Integer,
                        "boolean" | "bool" => JsonType::Boolean,
                        "object" => JsonType::Object,
                        "array" => JsonType::Array,
                        "null" => JsonType::Null,
                        other => {
                            return Err(self.invalid(
                                value.pos,
                                format!("unknown type `{other}`; expected string, number, integer, boolean, object, array or null"),
                            ))
                        }
                    })
                }
                "len" => Matcher::Len(Box::new(self.check(value)?)),
                _ => unreachable!("counted as an operator above"),
            };
            all.push(Check {
                matcher,
                pos: key.pos,
            });
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Check {
                matcher: Matcher::All(all),
                pos: node.pos,
            }
        })
    }

    fn list_or_template(&self, node: &Node) -> Res<Node> {
        match &node.value {
            Value::Seq(_) => Ok(node.clone()),
            Value::Str(s) if s.contains("{{") => Ok(node.clone()),
            _ => Err(self.wrong_type(node, "a list")),
        }
    }

    fn captures(&self, node: &Node) -> Res<Vec<Capture>> {
        let entries = node
            .as_map()
            .ok_or_else(|| self.wrong_type(node, "a mapping of variable name to capture"))?;
        entries
            .iter()
            .map(|(key, value)| {
                let (source, secret, default) = match &value.value {
                    Value::Str(path) => {
                        self.jsonpath(path, value.pos)?;
                        (CaptureSource::JsonPath(path.clone()), false, None)
                    }
                    Value::Map(_) => {
                        self.map(value, CAPTURE_KEYS)?;
                        let sources: Vec<&str> = ["jsonpath", "header", "regex", "status", "body"]
                            .into_iter()
                            .filter(|k| value.get(k).is_some())
                            .collect();
                        if sources.len() != 1 {
                            return Err(self.invalid(
                                value.pos,
                                "a capture takes exactly one of: jsonpath, header, regex, status, body",
                            ));
                        }
                        let source_node = value.get(sources[0]).expect("present by filter");
                        let source = match sources[0] {
                            "jsonpath" => {
                                let p = self.string(source_node)?;
                                self.jsonpath(&p, source_node.pos)?;
                                CaptureSource::JsonPath(p)
                            }
                            "header" => CaptureSource::Header(self.string(source_node)?),
                            "regex" => {
                                let p = self.string(source_node)?;
                                regex::Regex::new(&p).map_err(|e| {
                                    self.err(
                                        source_node.pos,
                                        LoadErrorKind::InvalidRegex {
                                            pattern: p.clone(),
                                            reason: e.to_string(),
                                        },
                                    )
                                })?;
                                CaptureSource::Regex(p)
                            }
                            "status" => CaptureSource::Status,
                            _ => CaptureSource::Body,
                        };
                        let secret = value
                            .get("secret")
                            .map(|n| self.boolean(n))
                            .transpose()?
                            .unwrap_or(false);
                        (source, secret, value.get("default").cloned())
                    }
                    _ => {
                        return Err(self.wrong_type(value, "a JSONPath or a capture mapping"))
                    }
                };
                Ok(Capture {
                    name: key.name.clone(),
                    source,
                    secret,
                    default,
                    pos: key.pos,
                })
            })
            .collect()
    }

    fn retry(&self, node: &Node) -> Res<Retry> {
        self.map(node, RETRY_KEYS)?;
        let attempts = node
            .get("attempts")
            .map(|n| self.unsigned(n))
            .transpose()?
            .unwrap_or(3);
        if !(1..=10).contains(&attempts) {
            let pos = node.get("attempts").map(|n| n.pos).unwrap_or(node.pos);
            return Err(self.invalid(
                pos,
                "retry.attempts must be between 1 and 10 (MobilePay allows at most 6 requests)",
            ));
        }
        let on = match node.get("on") {
            None => vec![RetryOn::Timeout, RetryOn::Connection, RetryOn::ServerError],
            Some(n) => self
                .string_list(n)?
                .iter()
                .map(|s| match s.as_str() {
                    "timeout" => Ok(RetryOn::Timeout),
                    "connection" => Ok(RetryOn::Connection),
                    "5xx" => Ok(RetryOn::ServerError),
                    other => Err(self.invalid(
                        n.pos,
                        format!("retry.on `{other}`: only transport faults are retried (timeout, connection, 5xx); 4xx and assertion failures never are"),
                    )),
                })
                .collect::<Res<Vec<_>>>()?,
        };
        let delay = node
            .get("delay")
            .map(|n| self.duration(n))
            .transpose()?
            .unwrap_or(Duration::from_millis(100));
        Ok(Retry {
            attempts,
            on,
            delay,
        })
    }

    fn poll(&self, node: &Node) -> Res<Poll> {
        self.map(node, POLL_KEYS)?;
        let until = self.condition_map(self.required(node, "until")?)?;
        let abort_if = node
            .get("abort_if")
            .map(|n| self.condition_map(n))
            .transpose()?
            .unwrap_or_default();
        let interval = node
            .get("interval")
            .map(|n| self.interval(n))
            .transpose()?
            .unwrap_or(PollInterval::Fixed(Duration::from_secs(1)));
        let timeout = node
            .get("timeout")
            .map(|n| self.duration(n))
            .transpose()?
            .unwrap_or(DEFAULT_POLL_TIMEOUT);
        let max_attempts = node
            .get("max_attempts")
            .map(|n| self.unsigned(n))
            .transpose()?;
        if max_attempts == Some(0) {
            return Err(self.invalid(node.pos, "poll.max_attempts must be at least 1"));
        }
        Ok(Poll {
            until,
            abort_if,
            interval,
            timeout,
            max_attempts,
        })
    }

    fn interval(&self, node: &Node) -> Res<PollInterval> {
        match &node.value {
            Value::Map(_) => {
                self.map(node, INTERVAL_KEYS)?;
                let from = self.required(node, "from")?;
                let path = self.string(from)?;
                self.jsonpath(&path, from.pos)?;
                let fallback = node
                    .get("fallback")
                    .map(|n| self.duration(n))
                    .transpose()?
                    .unwrap_or(Duration::from_secs(1));
                Ok(PollInterval::FromResponse { path, fallback })
            }
            _ => Ok(PollInterval::Fixed(self.duration(node)?)),
        }
    }

    fn operator(&mut self, node: &Node) -> Res<OperatorStep> {
        self.map(node, OPERATOR_KEYS)?;
        let role_node = self.required(node, "role")?;
        let role = match self.string(role_node)?.as_str() {
            "cashier" => Role::Cashier,
            "customer" => Role::Customer,
            other => {
                return Err(self.invalid(
                    role_node.pos,
                    format!("unknown role `{other}`; expected cashier or customer"),
                ))
            }
        };
        let action_node = self.required(node, "action")?;
        let action = self.string(action_node)?;
        let known = crate::operator::catalogue::is_known(role, &action);
        if !known {
            return Err(self.invalid(
                action_node.pos,
                format!(
                    "unknown {} action `{action}`; the catalogue has: {}",
                    if role == Role::Cashier {
                        "cashier"
                    } else {
                        "customer"
                    },
                    crate::operator::catalogue::names(role).join(", ")
                ),
            ));
        }
        let params = node
            .get("params")
            .map(|n| self.raw_map(n))
            .transpose()?
            .unwrap_or_default();
        let prompt = node.get("prompt").map(|n| self.template(n)).transpose()?;
        let inputs = match node.get("inputs") {
            None => Vec::new(),
            Some(n) => n
                .as_seq()
                .ok_or_else(|| self.wrong_type(n, "a list of inputs"))?
                .iter()
                .map(|i| -> Res<Input> {
                    self.map(i, INPUT_KEYS)?;
                    let kind_node = i.get("type");
                    let kind = match kind_node.map(|k| self.string(k)).transpose()?.as_deref() {
                        None | Some("text") => InputKind::Text,
                        Some("number") => InputKind::Number,
                        Some("secret") => InputKind::Secret,
                        Some(other) => {
                            return Err(self.invalid(
                                kind_node.map(|k| k.pos).unwrap_or(i.pos),
                                format!(
                                    "unknown input type `{other}`; expected text, number or secret"
                                ),
                            ))
                        }
                    };
                    Ok(Input {
                        name: self.string(self.required(i, "name")?)?,
                        label: i.get("label").map(|l| self.string(l)).transpose()?,
                        kind,
                    })
                })
                .collect::<Res<Vec<_>>>()?,
        };
        let timeout = node
            .get("timeout")
            .map(|n| self.duration(n))
            .transpose()?
            .unwrap_or(DEFAULT_OPERATOR_TIMEOUT);
        let automate = match node.get("automate") {
            Some(n) => self.steps(n)?,
            None => Vec::new(),
        };
        let watch = match node.get("watch") {
            None => None,
            Some(w) => {
                self.map(w, WATCH_KEYS)?;
                let mut request = self.request(self.required(w, "request")?, None)?;
                let poll_fields = Node {
                    pos: w.pos,
                    value: Value::Map(
                        w.as_map()
                            .unwrap_or_default()
                            .iter()
                            .filter(|(k, _)| k.name != "request")
                            .cloned()
                            .collect(),
                    ),
                };
                request.poll = Some(self.poll(&poll_fields)?);
                Some(Box::new(request))
            }
        };
        Ok(OperatorStep {
            role,
            action,
            params,
            prompt,
            inputs,
            timeout,
            automate,
            watch,
        })
    }

    fn exec(&self, node: &Node) -> Res<ExecStep> {
        self.map(node, EXEC_KEYS)?;
        let command = self.template(self.required(node, "command")?)?;
        let args = match node.get("args") {
            None => Vec::new(),
            Some(n) => n
                .as_seq()
                .ok_or_else(|| self.wrong_type(n, "a list of arguments"))?
                .iter()
                .map(|a| self.template(a))
                .collect::<Res<Vec<_>>>()?,
        };
        let timeout = node.get("timeout").map(|n| self.duration(n)).transpose()?;
        let exit_code = match node.get("exit_code") {
            None => 0,
            Some(n) => match n.value {
                Value::Int(i) if (i32::MIN as i64..=i32::MAX as i64).contains(&i) => i as i32,
                _ => return Err(self.wrong_type(n, "an exit code")),
            },
        };
        let capture = node
            .get("capture")
            .map(|n| self.captures(n))
            .transpose()?
            .unwrap_or_default();
        Ok(ExecStep {
            command,
            args,
            timeout,
            exit_code,
            capture,
        })
    }

    fn assert(&self, node: &Node) -> Res<AssertStep> {
        self.map(node, ASSERT_KEYS)?;
        let vars = node
            .get("vars")
            .map(|n| self.check_map(n, false))
            .transpose()?
            .unwrap_or_default();
        let journal = node.get("journal").map(|n| self.journal(n)).transpose()?;
        if vars.is_empty() && journal.is_none() {
            return Err(self.invalid(node.pos, "an assert needs `vars` or `journal`"));
        }
        Ok(AssertStep { vars, journal })
    }

    fn journal(&self, node: &Node) -> Res<JournalAssert> {
        self.map(node, JOURNAL_KEYS)?;
        let opt_template = |k: &str| node.get(k).map(|n| self.template(n)).transpose();
        let same = node
            .get("same")
            .map(|n| self.string_list(n))
            .transpose()?
            .unwrap_or_default();
        for s in &same {
            self.jsonpath(s, node.get("same").map(|n| n.pos).unwrap_or(node.pos))?;
        }
        let min_interval = match node.get("min_interval") {
            None => None,
            Some(n) => Some(match &n.value {
                Value::Map(_) => {
                    self.map(n, MIN_INTERVAL_KEYS)?;
                    MinInterval::FromResponse(self.string(self.required(n, "from_response")?)?)
                }
                _ => MinInterval::Fixed(self.duration(n)?),
            }),
        };
        Ok(JournalAssert {
            method: opt_template("method")?,
            path: opt_template("path")?,
            path_prefix: opt_template("path_prefix")?,
            body_contains: opt_template("body_contains")?,
            query_contains: opt_template("query_contains")?,
            count: node.get("count").map(|n| self.check(n)).transpose()?,
            each: node
                .get("each")
                .map(|n| self.check_map(n, true))
                .transpose()?
                .unwrap_or_default(),
            same,
            min_interval,
            none_after: node
                .get("none_after")
                .map(|n| self.check_map(n, true))
                .transpose()?
                .unwrap_or_default(),
            explain: node.get("explain").map(|n| self.string(n)).transpose()?,
            pos: node.pos,
        })
    }
}

fn default_step_name(action: &str, node: &Node) -> String {
    match action {
        "request" => {
            let method = node
                .get("method")
                .and_then(Node::scalar_text)
                .unwrap_or_else(|| "GET".into());
            let url = node
                .get("url")
                .and_then(Node::scalar_text)
                .unwrap_or_default();
            format!("{} {}", method.to_ascii_uppercase(), url)
        }
        "wait" => format!("wait {}", node.scalar_text().unwrap_or_default()),
        "use" => format!("use {}", node.scalar_text().unwrap_or_default()),
        "operator" => format!(
            "{} {}",
            node.get("role")
                .and_then(Node::scalar_text)
                .unwrap_or_default(),
            node.get("action")
                .and_then(Node::scalar_text)
                .unwrap_or_default()
        ),
        other => other.to_string(),
    }
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

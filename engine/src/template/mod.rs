//! `{{ }}` rendering with handlebars, in strict mode: a missing variable is an error at the step
//! that uses it, never an empty string (an empty posId in a URL would make a confusing 404).
//!
//! A string that is exactly one `{{variable}}` keeps the variable's JSON type, so
//! `amount: "{{amount}}"` in a JSON body sends the number 12.5, not the text "12.5".
//!
//! Each distinct template text is parsed once per process and kept ([`Compiled`]): most are
//! text with plain `{{ name.path }}` lookups (`{{pos}}/payments/{{paymentId}}`), which are
//! filled in directly from the scope; the rest (helpers, blocks, or a value handlebars would
//! render in its own way) go through handlebars' parsed template, exactly as before.

mod helpers;

use crate::scenario::yaml::{Node, Value as YamlValue};
use handlebars::{Context, Handlebars, RenderContext, RenderError, Renderable, StringOutput};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateError {
    MissingVariable(String),
    Render(String),
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::MissingVariable(v) => write!(
                f,
                "missing variable `{v}`: define it in `vars`, capture it in an earlier step, or pass --var {v}=..."
            ),
            TemplateError::Render(m) => write!(f, "template error: {m}"),
        }
    }
}

/// Names that are helpers, not variables (ours and handlebars' built-ins).
const HELPER_NAMES: &[&str] = &[
    "uuid", "now", "digits", "json", "has", "eq", "ne", "gt", "gte", "lt", "lte", "and", "or",
    "not", "len", "lookup", "log",
];

/// Names that handlebars reads as something other than a variable inside `{{ }}`: block
/// helpers, keywords, literals, the current context. Templates using them are left to it.
const NOT_PLAIN_NAMES: &[&str] = &[
    "if", "unless", "each", "with", "raw", "else", "as", "this", "true", "false", "null",
];

/// Distinct template texts kept compiled; beyond this, a text is parsed at each use (templates
/// come from case files, so a run stays far below it).
const CACHE_LIMIT: usize = 16_384;

/// A template text, parsed once.
struct Compiled {
    /// Text and plain `{{ name.path }}` lookups, when that is all the template is.
    plain: Option<Vec<Piece>>,
    /// handlebars' parse, made on first need (a plain template needs it only when a value is
    /// missing or not text, a number or a boolean). Err holds the error message.
    template: OnceLock<Result<handlebars::Template, String>>,
}

#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Var(String),
}

/// The shared renderer (helpers registered once).
pub struct Renderer {
    registry: Handlebars<'static>,
    compiled: RwLock<HashMap<String, Arc<Compiled>>>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    pub fn new() -> Self {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        helpers::register(&mut registry);
        Renderer {
            registry,
            compiled: RwLock::new(HashMap::new()),
        }
    }

    /// The process-wide renderer.
    pub fn global() -> &'static Renderer {
        static RENDERER: OnceLock<Renderer> = OnceLock::new();
        RENDERER.get_or_init(Renderer::new)
    }

    /// Renders text; the result is always a string.
    pub fn render_str(&self, text: &str, scope: &Value) -> Result<String, TemplateError> {
        if !text.contains("{{") {
            return Ok(text.to_string());
        }
        let compiled = self.compiled(text);
        if let Some(pieces) = &compiled.plain {
            if let Some(out) = fill(pieces, scope) {
                return Ok(out);
            }
        }
        let template = compiled
            .template
            .get_or_init(|| {
                handlebars::Template::compile(text).map_err(|e| RenderError::from(e).to_string())
            })
            .as_ref()
            .map_err(|m| classify(m))?;
        self.render_template(template, scope)
            .map_err(|e| classify(&e.to_string()))
    }

    /// The compiled form of `text`, parsed now if it was not before.
    fn compiled(&self, text: &str) -> Arc<Compiled> {
        if let Some(c) = self
            .compiled
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(text)
        {
            return c.clone();
        }
        let c = Arc::new(Compiled {
            plain: plain_pieces(text),
            template: OnceLock::new(),
        });
        let mut cache = self
            .compiled
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if cache.len() < CACHE_LIMIT {
            cache.insert(text.to_string(), c.clone());
        }
        c
    }

    /// What `Handlebars::render_template` does after parsing: the same context, render context
    /// and output.
    fn render_template(
        &self,
        template: &handlebars::Template,
        scope: &Value,
    ) -> Result<String, RenderError> {
        let ctx = Context::wraps(scope)?;
        let mut rc = RenderContext::new(None);
        let mut out = StringOutput::new();
        template.render(&self.registry, &ctx, &mut rc, &mut out)?;
        Ok(out.into_string()?)
    }

    /// Renders text, keeping the JSON type when the text is a single `{{variable}}`.
    pub fn render_value(&self, text: &str, scope: &Value) -> Result<Value, TemplateError> {
        if let Some(path) = single_variable(text) {
            if !HELPER_NAMES.contains(&path) {
                return lookup(scope, path)
                    .cloned()
                    .ok_or_else(|| TemplateError::MissingVariable(path.to_string()));
            }
        }
        self.render_str(text, scope).map(Value::String)
    }

    /// Renders every string inside a YAML value and returns JSON.
    pub fn render_node(&self, node: &Node, scope: &Value) -> Result<Value, TemplateError> {
        Ok(match &node.value {
            YamlValue::Str(s) => self.render_value(s, scope)?,
            YamlValue::Seq(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.render_node(i, scope))
                    .collect::<Result<_, _>>()?,
            ),
            YamlValue::Map(entries) => {
                let mut map = serde_json::Map::new();
                for (k, v) in entries {
                    let key = self.render_str(&k.name, scope)?;
                    map.insert(key, self.render_node(v, scope)?);
                }
                Value::Object(map)
            }
            _ => node.to_json(),
        })
    }

    /// Renders a node to text (numbers and booleans as written, objects as JSON).
    pub fn render_node_text(&self, node: &Node, scope: &Value) -> Result<String, TemplateError> {
        Ok(match self.render_node(node, scope)? {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        })
    }

    /// `if:` conditions: falsy when the text renders to "", "false", "0", "no" or "null".
    pub fn render_condition(&self, text: &str, scope: &Value) -> Result<bool, TemplateError> {
        let rendered = match self.render_value(text, scope)? {
            Value::String(s) => s,
            Value::Bool(b) => b.to_string(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let t = rendered.trim();
        Ok(!(t.is_empty() || t == "false" || t == "0" || t == "no" || t == "null"))
    }
}

/// `{{ name.path }}` with nothing else around it, and no helper arguments.
fn single_variable(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let ok = !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        && !inner.starts_with(|c: char| c.is_ascii_digit());
    ok.then_some(inner)
}

/// Splits `text` into literal text and `{{ name.path }}` lookups, or None when it holds anything
/// else handlebars gives meaning to (helpers, blocks, `{{{ }}}`, `~`, comments, partials,
/// escapes, literals, `this`, `../`, `[..]`, `@`...).
fn plain_pieces(text: &str) -> Option<Vec<Piece>> {
    if text.contains('\\') {
        return None; // `\{{` is an escape
    }
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text(rest[..open].to_string()));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}")?;
        let path = after[..close].trim_matches([' ', '\t', '\n', '\r']);
        if !is_plain_path(path) {
            return None;
        }
        pieces.push(Piece::Var(path.to_string()));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_string()));
    }
    Some(pieces)
}

/// `name` or `name.path.0`: ASCII letters, digits, `_` and `-`, segments joined by single dots,
/// not starting with a digit or `-` (number literals), and no segment a helper or keyword.
fn is_plain_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with(|c: char| c.is_ascii_digit() || c == '-')
        && !HELPER_NAMES.contains(&path)
        && path.split('.').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && !NOT_PLAIN_NAMES.contains(&seg)
                && !HELPER_NAMES.contains(&seg)
        })
}

/// Fills plain pieces from the scope, rendering values as handlebars does; None when a value is
/// missing or is null, an array or an object (handlebars then renders, or says what is wrong).
fn fill(pieces: &[Piece], scope: &Value) -> Option<String> {
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(path) => match lookup(scope, path)? {
                Value::String(s) => out.push_str(s),
                Value::Number(n) => out.push_str(&n.to_string()),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                _ => return None,
            },
        }
    }
    Some(out)
}

/// Looks up `a.b.0.c` in a JSON scope.
pub fn lookup<'v>(scope: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(scope, |v, part| match v {
        Value::Object(m) => m.get(part),
        Value::Array(a) => part.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

fn classify(message: &str) -> TemplateError {
    // handlebars 6: `Failed to access variable in strict mode Some("orderId")`
    if let Some(i) = message.find("in strict mode Some(") {
        let name: String = message[i + "in strict mode Some(".len()..]
            .trim_start_matches(['"', '\'', '`'])
            .chars()
            .take_while(|c| !matches!(c, '"' | '\'' | '`' | ')'))
            .collect();
        if !name.is_empty() {
            return TemplateError::MissingVariable(name);
        }
    }
    // older handlebars: `Variable "orderId" not found in strict mode` (quoting varies by version)
    if let Some(i) = message.find("Variable") {
        let rest = &message[i + "Variable".len()..];
        let name: String = rest
            .trim_start()
            .trim_start_matches(['"', '\'', '`'])
            .chars()
            .take_while(|c| !matches!(c, '"' | '\'' | '`' | ' '))
            .collect();
        if rest.contains("not found") && !name.is_empty() {
            return TemplateError::MissingVariable(name);
        }
    }
    TemplateError::Render(message.lines().next().unwrap_or(message).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_text_and_keeps_types_for_single_variables() {
        let r = Renderer::new();
        let scope = json!({"amount": 12.5, "name": "till <1>", "obj": {"a": [1, 2]}});
        assert_eq!(
            r.render_str("{{name}} pays {{amount}}", &scope).unwrap(),
            "till <1> pays 12.5"
        );
        assert_eq!(r.render_value("{{amount}}", &scope).unwrap(), json!(12.5));
        assert_eq!(r.render_value("{{ obj.a.1 }}", &scope).unwrap(), json!(2));
    }

    #[test]
    fn missing_variables_are_errors() {
        let r = Renderer::new();
        let scope = json!({});
        assert_eq!(
            r.render_value("{{posId}}", &scope).unwrap_err(),
            TemplateError::MissingVariable("posId".into())
        );
        let err = r.render_str("/pos/{{posId}}/x", &scope).unwrap_err();
        assert_eq!(
            err,
            TemplateError::MissingVariable("posId".into()),
            "{err:?}"
        );
    }

    #[test]
    fn helpers_produce_values() {
        let r = Renderer::new();
        let scope = json!({"v": {"a": 1}});
        let id = r.render_str("{{uuid}}", &scope).unwrap();
        assert_eq!(id.len(), 36);
        assert_ne!(id, r.render_str("{{uuid}}", &scope).unwrap());
        let d = r.render_str("{{digits 8}}", &scope).unwrap();
        assert_eq!(d.len(), 8);
        assert!(d.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(r.render_str("{{json v}}", &scope).unwrap(), r#"{"a":1}"#);
        assert!(r.render_str("{{now}}", &scope).unwrap().contains('T'));
    }

    /// The cached renderer must answer exactly as handlebars' own `render_template` (which
    /// parses at every call) does, value or error, for plain lookups and everything else.
    #[test]
    fn cached_rendering_matches_handlebars_render_template() {
        let r = Renderer::new();
        let scope = json!({
            "pos": "http://127.0.0.1:8080/pos/v10", "paymentId": "3f2a-19", "amount": 12.5,
            "big": 1e21, "int": 42, "neg": -3, "yes": true, "no": false, "nothing": null,
            "list": ["a", "b"], "obj": {"a": {"b": "deep"}, "n": [1, {"x": 2}]},
            "dash-name": "d", "under_score": "u", "text": "plain", "0": "zero",
            "this": "this-key", "true": "true-key", "uuid": "shadowed", "ünï": "u8"
        });
        let templates = [
            "{{pos}}/payments/{{paymentId}}",
            "{{ pos }}/x/{{\tpaymentId\n}}",
            "{{amount}} {{big}} {{int}} {{neg}} {{yes}} {{no}}",
            "a{{nothing}}b",
            "{{list}}",
            "{{obj}}",
            "{{obj.a.b}}-{{obj.n.0}}-{{obj.n.1.x}}",
            "{{obj.n.5}}",
            "{{obj.n.x}}",
            "{{list.1}}{{list.01}}",
            "{{text.length}}",
            "{{missing}}",
            "/pos/{{posId}}/x",
            "{{dash-name}}{{under_score}}",
            "{{this}}",
            "{{this.text}}",
            "{{true}}",
            "{{null}}",
            "{{0}}",
            "{{-1}}",
            "{{ünï}}",
            "{{{text}}}",
            "{{~text~}}  ",
            "a }} b {{text}}",
            "{{text}}}",
            "{{text",
            "{{ text }} {{",
            "\\{{text}}",
            "{{!comment}}x",
            "{{#if yes}}y{{else}}n{{/if}}",
            "{{eq text 'plain'}}",
            "{{json obj}}",
            "{{has \"text\"}}",
            "{{lookup list 1}}",
            "{{obj.[a]}}",
            "{{@root.text}}",
            "{{../text}}",
            "{{a..b}}",
            "{{.text}}",
            "{{text.}}",
            "{{}}",
            "{{ }}",
            "x{{text}}{{text}}y{{int}}",
            "{{obj/a/b}}",
            "{{text:x}}",
            "{{$text}}",
        ];
        let h = &r.registry;
        for t in templates {
            for _ in 0..2 {
                let expected = h
                    .render_template(t, &scope)
                    .map_err(|e| classify(&e.to_string()));
                assert_eq!(r.render_str(t, &scope), expected, "template {t:?}");
            }
        }
        assert!(plain_pieces("{{pos}}/payments/{{paymentId}}").is_some());
        assert!(plain_pieces("{{uuid}}").is_none());
        assert_eq!(
            r.render_str("{{uuid}}x", &scope).unwrap().len(),
            37,
            "a helper, not the variable"
        );
        assert!(plain_pieces("{{#if a}}b{{/if}}").is_none());
    }

    #[test]
    fn conditions() {
        let r = Renderer::new();
        let scope = json!({"mode": "adapter", "n": 0});
        assert!(r.render_condition("{{eq mode 'adapter'}}", &scope).unwrap());
        assert!(!r
            .render_condition("{{eq mode 'reference'}}", &scope)
            .unwrap());
        assert!(!r.render_condition("{{n}}", &scope).unwrap());
        assert!(r.render_condition("{{has \"mode\"}}", &scope).unwrap());
        assert!(!r.render_condition("{{has \"posId\"}}", &scope).unwrap());
    }
}

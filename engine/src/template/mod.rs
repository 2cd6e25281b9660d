//! `{{ }}` rendering with handlebars, in strict mode: a missing variable is an error at the step
//! that uses it, never an empty string (an empty posId in a URL would make a confusing 404).
//!
//! A string that is exactly one `{{variable}}` keeps the variable's JSON type, so
//! `amount: "{{amount}}"` in a JSON body sends the number 12.5, not the text "12.5".

mod helpers;

use crate::scenario::yaml::{Node, Value as YamlValue};
use handlebars::Handlebars;
use serde_json::Value;
use std::sync::OnceLock;

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

/// The shared renderer (helpers registered once).
pub struct Renderer {
    registry: Handlebars<'static>,
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
        Renderer { registry }
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
        self.registry
            .render_template(text, scope)
            .map_err(|e| classify(&e.to_string()))
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

//! `--var name=value` and `--vars-file FILE`: values are YAML scalars (`--var amount=12.5` is the
//! number 12.5; quote to keep text: `--var "orderId='0042'"`).

use crate::scenario::yaml;
use serde_json::{Map, Value};
use std::path::Path;

pub fn parse_cli_vars(vars: &[String], file: Option<&Path>) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let node = yaml::parse(&text).map_err(|e| {
            format!(
                "{}:{}:{}: {}",
                path.display(),
                e.pos.line,
                e.pos.col,
                e.message
            )
        })?;
        match node.to_json() {
            Value::Object(m) => out.extend(m),
            Value::Null => {}
            _ => {
                return Err(format!(
                    "{}:1:1: a vars file must be a mapping of name: value",
                    path.display()
                ))
            }
        }
    }
    for v in vars {
        let (name, value) = v
            .split_once('=')
            .ok_or_else(|| format!("--var `{v}`: write NAME=VALUE"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("--var `{v}`: the name is empty"));
        }
        let parsed = yaml::parse(value)
            .map(|n| n.to_json())
            .unwrap_or_else(|_| Value::String(value.to_string()));
        let parsed = match parsed {
            Value::Null
                if !value.trim().is_empty() && value.trim() != "~" && value.trim() != "null" =>
            {
                Value::String(value.to_string())
            }
            Value::Array(_) | Value::Object(_) if !value.trim_start().starts_with(['[', '{']) => {
                Value::String(value.to_string())
            }
            other => other,
        };
        out.insert(name.to_string(), parsed);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_are_typed() {
        let m = parse_cli_vars(
            &[
                "amount=12.5".into(),
                "id=abc".into(),
                "s='007'".into(),
                "url=http://x:1/a".into(),
            ],
            None,
        )
        .unwrap();
        assert_eq!(m["amount"], json!(12.5));
        assert_eq!(m["id"], json!("abc"));
        assert_eq!(m["s"], json!("007"));
        assert_eq!(m["url"], json!("http://x:1/a"));
        assert!(parse_cli_vars(&["novalue".into()], None).is_err());
    }
}

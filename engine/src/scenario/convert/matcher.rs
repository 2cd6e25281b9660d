//! Matchers: a literal means equality; a mapping of operators means all of them.

use super::*;
use crate::scenario::error::LoadErrorKind;
use crate::scenario::read::NodeReader;
use crate::scenario::yaml::{Node, Value};

impl Converter<'_> {
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

    pub(super) fn list_or_template(&self, node: &Node) -> Res<Node> {
        match &node.value {
            Value::Seq(_) => Ok(node.clone()),
            Value::Str(s) if s.contains("{{") => Ok(node.clone()),
            _ => Err(self.wrong_type(node, "a list")),
        }
    }
}

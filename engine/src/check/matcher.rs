//! Evaluates the language's matchers against a value. A failure says what was expected and what
//! came, in words an integrator understands ("expected Reserved, got IssuedToUser").

use crate::scenario::model::{Check, JsonType, Matcher};
use crate::scenario::yaml::Pos;
use crate::template::{Renderer, TemplateError};
use serde_json::Value;

/// A matcher that did not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckFailure {
    /// What was checked: `status`, `$.status`, a header or variable name.
    pub subject: String,
    pub expected: String,
    pub actual: String,
    pub pos: Pos,
}

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.subject, self.expected, self.actual
        )
    }
}

/// Either the matcher failed, or its expected value could not be rendered.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckError {
    Failed(CheckFailure),
    Template(TemplateError, Pos),
}

/// Checks `actual` (None = missing) against `check`, rendering expected values in `scope`.
pub fn evaluate(
    subject: &str,
    check: &Check,
    actual: Option<&Value>,
    scope: &Value,
) -> Result<(), CheckError> {
    let renderer = Renderer::global();
    let expected = |node: &crate::scenario::yaml::Node| {
        renderer
            .render_node(node, scope)
            .map_err(|e| CheckError::Template(e, node.pos))
    };
    let fail = |expected: String| {
        Err(CheckError::Failed(CheckFailure {
            subject: subject.to_string(),
            expected,
            actual: describe(actual),
            pos: check.pos,
        }))
    };
    match &check.matcher {
        Matcher::All(checks) => {
            for c in checks {
                evaluate(subject, c, actual, scope)?;
            }
            Ok(())
        }
        Matcher::Exists(should) => {
            if actual.is_some() == *should {
                Ok(())
            } else if *should {
                fail("it to exist".into())
            } else {
                fail("it to be absent".into())
            }
        }
        Matcher::Eq(node) => {
            let want = expected(node)?;
            if actual.is_some_and(|a| json_equal(a, &want)) {
                Ok(())
            } else {
                fail(compact(&want))
            }
        }
        // A missing value does not satisfy `ne` or `not_in`: a typo in a JSONPath must not make
        // a judgement pass; write `exists: false` to accept absence.
        Matcher::Ne(node) => {
            let want = expected(node)?;
            match actual {
                Some(a) if !json_equal(a, &want) => Ok(()),
                Some(_) => fail(format!("anything but {}", compact(&want))),
                None => fail(format!("a value, anything but {}", compact(&want))),
            }
        }
        Matcher::Gt(node) | Matcher::Gte(node) | Matcher::Lt(node) | Matcher::Lte(node) => {
            let want = expected(node)?;
            let (symbol, ok): (&str, fn(std::cmp::Ordering) -> bool) = match &check.matcher {
                Matcher::Gt(_) => (">", |o| o.is_gt()),
                Matcher::Gte(_) => (">=", |o| o.is_ge()),
                Matcher::Lt(_) => ("<", |o| o.is_lt()),
                _ => ("<=", |o| o.is_le()),
            };
            match actual.and_then(|a| compare(a, &want)) {
                Some(ord) if ok(ord) => Ok(()),
                _ => fail(format!("a value {symbol} {}", compact(&want))),
            }
        }
        Matcher::In(node) | Matcher::NotIn(node) => {
            let list = expected(node)?;
            let Value::Array(items) = &list else {
                return fail(format!("a list to compare with, got {}", compact(&list)));
            };
            let found = actual.is_some_and(|a| items.iter().any(|i| json_equal(a, i)));
            match (&check.matcher, found) {
                (Matcher::In(_), true) => Ok(()),
                (Matcher::NotIn(_), false) if actual.is_some() => Ok(()),
                (Matcher::In(_), false) => fail(format!("one of {}", compact(&list))),
                _ if actual.is_none() => fail(format!("a value, none of {}", compact(&list))),
                _ => fail(format!("none of {}", compact(&list))),
            }
        }
        Matcher::Matches(template) => {
            let pattern = renderer
                .render_str(&template.text, scope)
                .map_err(|e| CheckError::Template(e, template.pos))?;
            let re = regex::Regex::new(&pattern).map_err(|e| {
                CheckError::Template(
                    TemplateError::Render(format!("invalid regex: {e}")),
                    template.pos,
                )
            })?;
            match actual {
                Some(a) if re.is_match(&as_text(a)) => Ok(()),
                _ => fail(format!("a match for /{pattern}/")),
            }
        }
        Matcher::Contains(node) => {
            let want = expected(node)?;
            let ok = match (actual, &want) {
                (Some(Value::String(s)), w) => s.contains(&as_text(w)),
                (Some(Value::Array(items)), w) => items.iter().any(|i| json_equal(i, w)),
                (Some(Value::Object(m)), Value::String(k)) => m.contains_key(k),
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                fail(format!("something containing {}", compact(&want)))
            }
        }
        Matcher::Type(t) => {
            if actual.is_some_and(|a| has_type(a, *t)) {
                Ok(())
            } else {
                fail(format!("a value of type {}", t.name()))
            }
        }
        Matcher::Len(inner) => {
            let len = match actual {
                Some(Value::String(s)) => Some(s.chars().count()),
                Some(Value::Array(a)) => Some(a.len()),
                Some(Value::Object(o)) => Some(o.len()),
                _ => None,
            };
            match len {
                Some(n) => evaluate(
                    &format!("length of {subject}"),
                    inner,
                    Some(&Value::from(n)),
                    scope,
                )
                .map_err(|e| match e {
                    CheckError::Failed(mut f) => {
                        f.actual = format!("{n} (in {})", describe(actual));
                        CheckError::Failed(f)
                    }
                    other => other,
                }),
                None => fail("a string, list or object to measure".into()),
            }
        }
    }
}

/// Equality where 12.5 == 12.50 and 1 == 1.0; everything else is structural.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() < 1e-9,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        // A number written as text on one side (headers are text): compare as numbers.
        (Value::String(x), Value::Number(y)) => {
            x.trim().parse::<f64>().ok()?.partial_cmp(&y.as_f64()?)
        }
        _ => None,
    }
}

fn has_type(v: &Value, t: JsonType) -> bool {
    match t {
        JsonType::String => v.is_string(),
        JsonType::Number => v.is_number(),
        JsonType::Integer => v.is_i64() || v.is_u64(),
        JsonType::Boolean => v.is_boolean(),
        JsonType::Object => v.is_object(),
        JsonType::Array => v.is_array(),
        JsonType::Null => v.is_null(),
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A short rendering of a value for messages (long values are cut).
pub fn compact(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 200 {
        let cut: String = text.chars().take(200).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn describe(actual: Option<&Value>) -> String {
    match actual {
        None => "nothing (missing)".into(),
        Some(v) => compact(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::yaml::parse;
    use serde_json::json;

    fn check(yaml: &str) -> Check {
        let node = parse(&format!("m: {yaml}")).unwrap();
        let conv_node = node.get("m").unwrap().clone();
        // Reuse the real converter so tests cover the YAML shapes users write.
        struct NoFragments;
        impl crate::scenario::convert::FragmentResolver for NoFragments {
            fn load_fragment(
                &mut self,
                _: &std::path::Path,
                _: &str,
                _: Pos,
            ) -> Result<
                (
                    std::path::PathBuf,
                    std::sync::Arc<Vec<crate::scenario::Step>>,
                ),
                crate::scenario::LoadError,
            > {
                unreachable!()
            }
        }
        let mut nf = NoFragments;
        let conv = crate::scenario::convert::Converter {
            file: std::sync::Arc::new(crate::scenario::SourceFile {
                path: "t.yaml".into(),
            }),
            fragments: &mut nf,
        };
        conv.check(&conv_node).unwrap()
    }

    fn ok(yaml: &str, actual: Value) -> bool {
        evaluate("x", &check(yaml), Some(&actual), &json!({"want": 3})).is_ok()
    }

    #[test]
    fn literals_and_operators() {
        assert!(ok("12.5", json!(12.50)));
        assert!(!ok("12.5", json!("12.5")));
        assert!(ok("{ gt: 2, lt: 4 }", json!(3)));
        assert!(!ok("{ gte: 4 }", json!(3)));
        assert!(ok("{ in: [a, b] }", json!("b")));
        assert!(ok("{ not_in: [a, b] }", json!("c")));
        assert!(ok("{ matches: '^[0-9]+$' }", json!("123")));
        assert!(ok("{ contains: ell }", json!("hello")));
        assert!(ok("{ contains: 2 }", json!([1, 2])));
        assert!(ok("{ type: integer }", json!(2)));
        assert!(!ok("{ type: string }", json!(2)));
        assert!(ok("{ len: 2 }", json!([1, 2])));
        assert!(ok("{ len: { gte: 1 } }", json!("x")));
        assert!(ok("{ ne: 3 }", json!(4)));
        assert!(ok("'{{want}}'", json!(3)));
    }

    #[test]
    fn missing_values() {
        let c = check("{ exists: false }");
        assert!(evaluate("x", &c, None, &json!({})).is_ok());
        // A typo'd path must not pass a negative matcher.
        assert!(evaluate("x", &check("{ ne: Captured }"), None, &json!({})).is_err());
        assert!(evaluate("x", &check("{ not_in: [a] }"), None, &json!({})).is_err());
        let c = check("Reserved");
        let err = evaluate("$.status", &c, None, &json!({})).unwrap_err();
        let CheckError::Failed(f) = err else { panic!() };
        assert_eq!(
            f.to_string(),
            "$.status: expected \"Reserved\", got nothing (missing)"
        );
    }
}

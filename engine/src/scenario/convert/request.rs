//! `request:` and what belongs to it: expect, captures, retry, poll and its interval.

use super::*;
use crate::scenario::error::LoadErrorKind;
use crate::scenario::read::NodeReader;
use crate::scenario::yaml::{Node, Value};

impl Converter<'_> {
    /// A request; `step` is the enclosing step when modifiers may also sit beside `request:`.
    pub(super) fn request(&mut self, node: &Node, step: Option<&Node>) -> Res<RequestStep> {
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

    pub(super) fn expect(&self, node: &Node) -> Res<Expect> {
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
                } else if crate::scenario::pos_v10_schemas::named_schema(&s).is_some() {
                    Ok(SchemaRef::Named(s))
                } else {
                    Err(self.invalid(
                        n.pos,
                        format!(
                            "unknown schema `{s}`: give a JSON Schema file (ending in .json) or one of the PoS v10 responses: {}",
                            crate::scenario::pos_v10_schemas::SCHEMA_NAMES.join(", ")
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
    pub(super) fn check_map(&self, node: &Node, jsonpaths: bool) -> Res<Vec<(String, Check)>> {
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
    pub(super) fn condition_map(&self, node: &Node) -> Res<Vec<(String, Check)>> {
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

    pub(super) fn jsonpath(&self, path: &str, pos: Pos) -> Res<()> {
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
        crate::scenario::jsonpath::compile(path)
            .map(|_| ())
            .map_err(|e| {
                self.err(
                    pos,
                    LoadErrorKind::InvalidJsonPath {
                        path: path.into(),
                        reason: jsonpath_reason(&e.to_string()),
                    },
                )
            })
    }

    /// A matcher: a literal (equality), or a mapping of operators.
    pub(super) fn captures(&self, node: &Node) -> Res<Vec<Capture>> {
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

    /// `retry: { attempts, on, delay }`, or `retry: N`: N attempts with the default `on` and
    /// `delay` (what nearly every request of a POS client wants).
    pub(super) fn retry(&self, node: &Node) -> Res<Retry> {
        if let Value::Int(_) = node.value {
            return Ok(Retry {
                attempts: self.attempts(node)?,
                on: DEFAULT_RETRY_ON.to_vec(),
                delay: DEFAULT_RETRY_DELAY,
            });
        }
        self.map(node, RETRY_KEYS)?;
        let attempts = node
            .get("attempts")
            .map(|n| self.attempts(n))
            .transpose()?
            .unwrap_or(3);
        let on = match node.get("on") {
            None => DEFAULT_RETRY_ON.to_vec(),
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
            .unwrap_or(DEFAULT_RETRY_DELAY);
        Ok(Retry {
            attempts,
            on,
            delay,
        })
    }

    fn attempts(&self, node: &Node) -> Res<u32> {
        let attempts = self.unsigned(node)?;
        if !(1..=10).contains(&attempts) {
            return Err(self.invalid(
                node.pos,
                "retry.attempts must be between 1 and 10 (MobilePay allows at most 6 requests)",
            ));
        }
        Ok(attempts)
    }

    pub(super) fn poll(&self, node: &Node) -> Res<Poll> {
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

    pub(super) fn interval(&self, node: &Node) -> Res<PollInterval> {
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
}

/// jsonpath-rust reports pest's multi-line diagnostic, whose first line (`Failed to parse rule:
/// --> 1:20`) says nothing; keep the column and the `= expected ...` line instead:
/// `at character 20: expected frac or exp`.
fn jsonpath_reason(message: &str) -> String {
    let column = message
        .split("--> ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|line_col| line_col.split(':').nth(1));
    let expected = message
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("= "));
    match (column, expected) {
        (Some(c), Some(x)) => format!("at character {c}: {x}"),
        (None, Some(x)) => x.to_string(),
        _ => message.lines().next().unwrap_or("syntax error").to_string(),
    }
}

//! Judgements over the emulator's request journal: what the API alone cannot tell, such as
//! whether a retry reused its idempotency key or a client polled faster than `pollDelayInMs`.
//!
//! Entries are the JSON objects served by `GET /_emulator/journal` (see emulator/README.md):
//! `{seq, time, method, path, query, headers, body, status, responseBody, durationMs, clientId}`.

use super::jsonpath::select;
use super::matcher::{compact, evaluate, CheckError};
use crate::scenario::model::{Check, MinInterval};
use serde_json::Value;
use std::time::Duration;

/// Slack for clock granularity when comparing request gaps with `pollDelayInMs`.
pub const INTERVAL_TOLERANCE_MS: f64 = 15.0;

/// The rendered judgement (templates already resolved by the runner).
pub struct JournalJudgement<'a> {
    pub description: String,
    pub count: Option<&'a Check>,
    pub each: &'a [(String, Check)],
    pub same: &'a [String],
    pub min_interval: Option<&'a MinInterval>,
    pub none_after: &'a [(String, Check)],
}

/// Why a judgement failed: a plain sentence, plus the requests that show it.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalFailure {
    pub message: String,
    pub evidence: Vec<String>,
}

fn line(e: &Value) -> String {
    format!(
        "#{} {} {} {}{} -> {}",
        e["seq"],
        e["time"].as_str().unwrap_or("?"),
        e["method"].as_str().unwrap_or("?"),
        e["path"].as_str().unwrap_or("?"),
        e["query"]
            .as_str()
            .filter(|q| !q.is_empty())
            .map(|q| format!("?{q}"))
            .unwrap_or_default(),
        e["status"]
    )
}

fn time_ms(e: &Value) -> Option<f64> {
    let t = chrono::DateTime::parse_from_rfc3339(e["time"].as_str()?).ok()?;
    Some(t.timestamp_micros() as f64 / 1000.0)
}

pub fn judge(entries: &[Value], j: &JournalJudgement, scope: &Value) -> Result<(), JournalFailure> {
    let all_lines = || entries.iter().map(line).collect::<Vec<_>>();
    if let Some(count) = j.count {
        let n = Value::from(entries.len());
        match evaluate("count", count, Some(&n), scope) {
            Ok(()) => {}
            Err(CheckError::Failed(f)) => {
                return Err(JournalFailure {
                    message: format!(
                        "{}: expected {} matching requests, saw {}",
                        j.description,
                        f.expected,
                        entries.len()
                    ),
                    evidence: all_lines(),
                })
            }
            Err(CheckError::Template(e, _)) => {
                return Err(JournalFailure {
                    message: e.to_string(),
                    evidence: vec![],
                })
            }
        }
    }
    for entry in entries {
        for (path, check) in j.each {
            let actual = select(entry, path).map_err(|m| JournalFailure {
                message: m,
                evidence: vec![],
            })?;
            if let Err(e) = evaluate(path, check, actual.as_ref(), scope) {
                let message = match e {
                    CheckError::Failed(f) => {
                        format!("{}: request {} has {f}", j.description, entry["seq"])
                    }
                    CheckError::Template(t, _) => t.to_string(),
                };
                return Err(JournalFailure {
                    message,
                    evidence: vec![line(entry)],
                });
            }
        }
    }
    for path in j.same {
        let mut values: Vec<(Option<Value>, &Value)> = Vec::new();
        for entry in entries {
            let v = select(entry, path).map_err(|m| JournalFailure {
                message: m,
                evidence: vec![],
            })?;
            values.push((v, entry));
        }
        if let Some((first, _)) = values.first() {
            if let Some((other, entry)) = values.iter().find(|(v, _)| v != first) {
                return Err(JournalFailure {
                    message: format!(
                        "{}: `{path}` differs between requests: first {}, then {} (request {})",
                        j.description,
                        first
                            .as_ref()
                            .map(compact)
                            .unwrap_or_else(|| "missing".into()),
                        other
                            .as_ref()
                            .map(compact)
                            .unwrap_or_else(|| "missing".into()),
                        entry["seq"]
                    ),
                    evidence: all_lines(),
                });
            }
        }
    }
    if let Some(min) = j.min_interval {
        // The pace last given: a response without it (a 500, a timeout) leaves it unchanged, as
        // the client must keep polling at the last pollDelayInMs (notes §2.4, §5.6).
        let mut last_given: Option<f64> = None;
        for pair in entries.windows(2) {
            let (prev, next) = (&pair[0], &pair[1]);
            let required = match min {
                MinInterval::Fixed(d) => Some(d.as_secs_f64() * 1000.0),
                MinInterval::FromResponse(field) => {
                    if let Some(v) = prev["responseBody"][field.as_str()].as_f64() {
                        last_given = Some(v);
                    }
                    last_given
                }
            };
            let (Some(t0), Some(t1)) = (time_ms(prev), time_ms(next)) else {
                continue;
            };
            let Some(required) = required else { continue };
            let gap = t1 - t0;
            if gap + INTERVAL_TOLERANCE_MS < required {
                return Err(JournalFailure {
                    message: format!(
                        "{}: request {} came {:.0} ms after request {}, but at least {:.0} ms were required{}",
                        j.description,
                        next["seq"],
                        gap,
                        prev["seq"],
                        required,
                        match min {
                            MinInterval::FromResponse(f) if prev["responseBody"][f.as_str()].is_number() => format!(" (the previous response said {f}: {required:.0})"),
                            MinInterval::FromResponse(f) => format!(" (the previous response gave no {f}; the last one that did said {required:.0})"),
                            MinInterval::Fixed(_) => String::new(),
                        }
                    ),
                    evidence: vec![line(prev), line(next)],
                });
            }
        }
    }
    if !j.none_after.is_empty() {
        let terminal = entries.iter().position(|e| {
            j.none_after.iter().all(|(path, check)| {
                select(e, path)
                    .ok()
                    .is_some_and(|v| evaluate(path, check, v.as_ref(), scope).is_ok())
            })
        });
        if let Some(i) = terminal {
            let after: Vec<String> = entries[i + 1..].iter().map(line).collect();
            if !after.is_empty() {
                return Err(JournalFailure {
                    message: format!(
                        "{}: {} request(s) came after request {} had already shown the final state",
                        j.description,
                        after.len(),
                        entries[i]["seq"]
                    ),
                    evidence: std::iter::once(line(&entries[i])).chain(after).collect(),
                });
            }
        }
    }
    Ok(())
}

/// How long the runner waits for `GET /_emulator/journal`. The emulator answers a read only once
/// every request that arrived before it is journaled (at most 10 s), so no settling delay is
/// needed before reading it, and this must stay above that bound.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(15);

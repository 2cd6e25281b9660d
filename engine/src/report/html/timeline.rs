//! A case's timeline: a sequence diagram drawn as inline SVG from the case's step attempts.
//!
//! Lanes: the engine as judge (its checking requests, the emulator's control API, the verdicts),
//! the POS client (requests marked `X-Poscert-Actor: client`, cashier actions), the PoS API, and
//! the customer (user-simulation requests, customer actions). Rows follow the order the case ran
//! in; the space between two rows grows with the time between them (scaled so the polls of the
//! case are spaced by their real gaps, long pauses cut short and labelled). A poll is annotated
//! with the time since the previous poll and the `pollDelayInMs` it had been given; a 5xx, a
//! missing response or a retry is drawn as a fault; the judgement that decided the case points
//! at the requests it judged (the journal evidence matched to attempts by method, path, query,
//! status and nearest time; entries that match no attempt are drawn from the journal itself).

use super::markup::{duration, escape, path_and_query, short_path, Markup};
use crate::report::detail::failing_step;
use crate::run::result::{Attempt, AttemptKind, CaseReport, StepKind, StepReport};
use std::collections::HashMap;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Lane {
    Judge,
    Client,
    Api,
    Customer,
}

impl Lane {
    fn label(self) -> &'static str {
        match self {
            Lane::Judge => "engine (judge)",
            Lane::Client => "POS client",
            Lane::Api => "PoS API",
            Lane::Customer => "customer",
        }
    }
    fn class(self) -> &'static str {
        match self {
            Lane::Judge => "judge",
            Lane::Client => "client",
            Lane::Api => "api",
            Lane::Customer => "customer",
        }
    }
}

/// One attempt of the case, in the order the case ran, with what the report needs to know.
pub(super) struct FlatAttempt<'a> {
    /// Element id of the attempt in the step list; the timeline's element is `tl-` + this.
    pub id: String,
    pub attempt: &'a Attempt,
    pub step: &'a StepReport,
    pub lane: Lane,
    /// A call to the emulator's control API (`/_emulator/`): scripting, not the API under test.
    pub control: bool,
    /// Milliseconds since the case started (None when `startedAt` does not parse).
    pub t: Option<f64>,
    /// A 5xx, no response at all, or an attempt that led to a retry.
    pub fault: bool,
    /// Pointed at by the judgement that decided the case.
    pub judged: bool,
    /// For a poll after the first: ms since the previous poll of the step started.
    pub poll_gap: Option<f64>,
    /// For a poll after the first: the last `pollDelayInMs` the API had given, and which poll said it.
    pub poll_asked: Option<(f64, u32)>,
}

impl FlatAttempt<'_> {
    pub fn classes(&self) -> String {
        let mut c = vec!["attempt", kind_class(self.attempt.kind)];
        if self.control {
            c.push("control");
        }
        if self.fault {
            c.push("fault");
        }
        if self.judged {
            c.push("judged");
        }
        c.join(" ")
    }
}

fn kind_class(k: AttemptKind) -> &'static str {
    match k {
        AttemptKind::Send => "send",
        AttemptKind::Retry => "retry",
        AttemptKind::Poll => "poll",
        AttemptKind::DryRun => "dry-run",
    }
}

/// One journal entry named by the deciding failure's evidence.
pub(super) struct Evidence<'a> {
    pub line: &'a str,
    /// The attempt it was matched to (index into `attempts`).
    pub attempt: Option<usize>,
    parsed: Option<JournalLine>,
}

struct JournalLine {
    time_ms: Option<f64>,
    method: String,
    path: String,
    query: String,
    status: Option<u16>,
}

/// Everything the page and the diagram share about one case.
pub(super) struct CaseAnalysis<'a> {
    pub anchor: String,
    pub attempts: Vec<FlatAttempt<'a>>,
    by_ptr: HashMap<*const Attempt, usize>,
    /// The step whose failure decided the case.
    pub deciding: Option<&'a StepReport>,
    pub evidence: Vec<Evidence<'a>>,
    start_ms: Option<f64>,
}

impl<'a> CaseAnalysis<'a> {
    /// The flattened attempt for an attempt of the case.
    pub fn attempt(&self, a: &Attempt) -> Option<&FlatAttempt<'a>> {
        self.by_ptr
            .get(&(a as *const Attempt))
            .map(|&i| &self.attempts[i])
    }

    /// The index of an attempt of the case in `attempts`.
    pub fn index_of(&self, a: &Attempt) -> Option<usize> {
        self.by_ptr.get(&(a as *const Attempt)).copied()
    }

    pub fn unmatched(&self) -> impl Iterator<Item = &Evidence<'a>> {
        self.evidence.iter().filter(|e| e.attempt.is_none())
    }
}

fn parse_ms(rfc3339: &str) -> Option<f64> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.timestamp_micros() as f64 / 1000.0)
}

/// `#7 2026-01-01T10:00:00.294Z GET /pos/v10/payments/x?q=1 -> 200` (check/journal.rs).
fn parse_evidence(line: &str) -> Option<JournalLine> {
    let rest = line.strip_prefix('#')?;
    let mut parts = rest.splitn(4, ' ');
    let _seq = parts.next()?;
    let time = parts.next()?;
    let method = parts.next()?;
    let tail = parts.next()?;
    let (target, status) = tail.rsplit_once(" -> ")?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Some(JournalLine {
        time_ms: parse_ms(time),
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        status: status.trim().parse().ok(),
    })
}

fn poll_delay(a: &Attempt) -> Option<f64> {
    let body = &a.response.as_ref()?.body;
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v.get("pollDelayInMs")?.as_f64()
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn lane_of(a: &Attempt, operator_role: Option<&str>) -> (Lane, bool) {
    let (path, _) = path_and_query(&a.request.url);
    let lower = path.to_ascii_lowercase();
    if lower.starts_with("/_emulator/") || lower.contains("/_emulator/") {
        return (Lane::Judge, true);
    }
    if lower.contains("/usersimulation") {
        return (Lane::Customer, false);
    }
    match header(&a.request.headers, "x-poscert-actor") {
        Some("client") => return (Lane::Client, false),
        Some("judge") => return (Lane::Judge, false),
        _ => {}
    }
    match operator_role {
        Some("customer") => (Lane::Customer, false),
        Some(_) => (Lane::Client, false),
        None => (Lane::Judge, false),
    }
}

pub(super) fn analyse<'a>(case: &'a CaseReport, anchor: &str) -> CaseAnalysis<'a> {
    let start_ms = parse_ms(&case.started_at);
    let mut attempts = Vec::new();
    flatten(&case.steps, None, anchor, start_ms, &mut attempts);
    // Poll spacing and the pollDelayInMs in force, per step.
    let mut i = 0;
    while i < attempts.len() {
        let step = attempts[i].step as *const StepReport;
        let mut j = i;
        let mut last_poll: Option<usize> = None;
        let mut asked: Option<(f64, u32)> = None;
        while j < attempts.len() && std::ptr::eq(attempts[j].step, step) {
            if attempts[j].attempt.kind == AttemptKind::Poll {
                if let Some(p) = last_poll {
                    if let (Some(t0), Some(t1)) = (attempts[p].t, attempts[j].t) {
                        attempts[j].poll_gap = Some(t1 - t0);
                    }
                    attempts[j].poll_asked = asked;
                }
                last_poll = Some(j);
            }
            if let Some(d) = poll_delay(attempts[j].attempt) {
                asked = Some((d, attempts[j].attempt.number));
            }
            j += 1;
        }
        i = j;
    }
    let by_ptr = attempts
        .iter()
        .enumerate()
        .map(|(i, f)| (f.attempt as *const Attempt, i))
        .collect();
    let deciding = failing_step(&case.steps);
    let mut analysis = CaseAnalysis {
        anchor: anchor.to_string(),
        attempts,
        by_ptr,
        deciding,
        evidence: Vec::new(),
        start_ms,
    };
    judge_links(case, &mut analysis);
    analysis
}

fn flatten<'a>(
    steps: &'a [StepReport],
    role: Option<&'a str>,
    anchor: &str,
    start_ms: Option<f64>,
    out: &mut Vec<FlatAttempt<'a>>,
) {
    for s in steps {
        let role = s.operator.as_ref().map(|o| o.role.as_str()).or(role);
        for a in &s.attempts {
            let (lane, control) = lane_of(a, role);
            let fault = a.response.as_ref().is_some_and(|r| r.status >= 500)
                || (a.response.is_none() && a.kind != AttemptKind::DryRun)
                || a.note
                    .as_deref()
                    .is_some_and(|n| n.to_ascii_lowercase().contains("retry"));
            out.push(FlatAttempt {
                id: format!("{anchor}-a{}", out.len() + 1),
                attempt: a,
                step: s,
                lane,
                control,
                t: parse_ms(&a.started_at).zip(start_ms).map(|(t, s)| t - s),
                fault,
                judged: false,
                poll_gap: None,
                poll_asked: None,
            });
        }
        flatten(&s.children, role, anchor, start_ms, out);
    }
}

/// Points the deciding judgement at what it judged: its journal evidence matched to attempts,
/// else (a request's own expectation) the failing step's last attempt.
fn judge_links<'a>(case: &'a CaseReport, an: &mut CaseAnalysis<'a>) {
    let failure = an
        .deciding
        .and_then(|s| s.failure.as_ref())
        .filter(|f| !f.evidence.is_empty())
        .or(case.failure.as_deref());
    let lines: Vec<&str> = failure
        .map(|f| f.evidence.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let mut used = vec![false; an.attempts.len()];
    for line in lines {
        // Other evidence (an adapter's stderr) is shown with the failure, not on the timeline.
        let Some(parsed) = parse_evidence(line) else {
            continue;
        };
        let parsed = Some(parsed);
        let mut best: Option<(usize, f64)> = None;
        if let Some(j) = &parsed {
            for (i, f) in an.attempts.iter().enumerate() {
                // The journal judgements never judge the engine's own requests.
                if used[i]
                    || f.lane == Lane::Judge
                    || !f.attempt.request.method.eq_ignore_ascii_case(&j.method)
                {
                    continue;
                }
                let (path, query) = path_and_query(&f.attempt.request.url);
                if !path.eq_ignore_ascii_case(&j.path) || query != j.query {
                    continue;
                }
                // A request the client gave up on (timeout) is journaled with the status the
                // API would have sent; the client saw none.
                let status_ok = match (&f.attempt.response, j.status) {
                    (Some(r), Some(s)) => r.status == s,
                    _ => true,
                };
                if !status_ok {
                    continue;
                }
                let distance = match (j.time_ms, f.t.zip(an.start_ms).map(|(t, s)| t + s)) {
                    (Some(a), Some(b)) => (a - b).abs(),
                    _ => f64::MAX / 2.0,
                };
                if !matches!(best, Some((_, d)) if d <= distance) {
                    best = Some((i, distance));
                }
            }
        }
        let attempt = best.map(|(i, _)| i);
        if let Some(i) = attempt {
            used[i] = true;
            an.attempts[i].judged = true;
        }
        an.evidence.push(Evidence {
            line,
            attempt,
            parsed,
        });
    }
    if an.evidence.is_empty() {
        if let Some(step) = an.deciding.filter(|s| s.kind == StepKind::Request) {
            if let Some(last) = step.attempts.last() {
                if let Some(&i) = an.by_ptr.get(&(last as *const Attempt)) {
                    an.attempts[i].judged = true;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing

const WIDTH: f64 = 1000.0;
const TIME_COL: f64 = 70.0;
const TOP: f64 = 52.0;
const MAX_GAP: f64 = 90.0;
const MIN_GAP: f64 = 6.0;

enum Row<'a> {
    Attempt(usize),
    Operator(&'a StepReport, Lane),
    /// The deciding failure (true) or an advisory warning (false) of a step.
    Verdict(&'a StepReport, bool),
    /// A journal entry the evidence names that no attempt matches (e.g. an adapter's request).
    Journal(usize),
}

struct Placed<'a> {
    row: Row<'a>,
    t: f64,
    end: f64,
    /// Operator rows this row runs inside (indices into the rows).
    inside: Vec<usize>,
    y: f64,
    h: f64,
    /// The time skipped before this row, when the gap was cut short.
    cut: Option<f64>,
}

impl Row<'_> {
    fn height(&self) -> f64 {
        match self {
            Row::Attempt(_) => 34.0,
            Row::Operator(..) => 26.0,
            Row::Verdict(..) => 26.0,
            Row::Journal(_) => 26.0,
        }
    }
}

struct Builder<'a, 'b> {
    an: &'b CaseAnalysis<'a>,
    rows: Vec<Placed<'a>>,
    cursor: f64,
}

impl<'a> Builder<'a, '_> {
    fn push(&mut self, row: Row<'a>, t: f64, end: f64, inside: &[usize]) -> usize {
        let last = self.rows.last().map(|r| r.t).unwrap_or(0.0);
        let t = t.max(last);
        let h = row.height();
        self.rows.push(Placed {
            row,
            t,
            end: end.max(t),
            inside: inside.to_vec(),
            y: 0.0,
            h,
            cut: None,
        });
        self.cursor = self.cursor.max(end);
        self.rows.len() - 1
    }

    fn first_time(&self, s: &StepReport) -> Option<f64> {
        s.attempts
            .first()
            .and_then(|a| self.an.attempt(a))
            .and_then(|f| f.t)
            .or_else(|| s.children.iter().find_map(|c| self.first_time(c)))
    }

    fn walk(&mut self, steps: &'a [StepReport], inside: &[usize]) {
        for s in steps {
            let start = match self.first_time(s) {
                Some(t) => t.min(self.cursor.max(0.0)).max(0.0),
                None => self.cursor,
            };
            let mut inside_here = inside.to_vec();
            if let Some(op) = &s.operator {
                let lane = if op.role == "customer" {
                    Lane::Customer
                } else {
                    Lane::Client
                };
                let i = self.push(Row::Operator(s, lane), start, start, inside);
                inside_here.push(i);
            }
            for a in &s.attempts {
                if let Some(i) = self.an.index_of(a) {
                    let t = self.an.attempts[i].t.unwrap_or(self.cursor);
                    self.push(Row::Attempt(i), t, t + a.duration_ms, &inside_here);
                }
            }
            self.walk(&s.children, &inside_here);
            let end = self.cursor.max(start + s.duration_ms);
            self.cursor = end;
            let decided = self.an.deciding.is_some_and(|d| std::ptr::eq(d, s));
            if decided {
                self.push(Row::Verdict(s, true), end, end, inside);
            } else if s.warning.is_some() {
                self.push(Row::Verdict(s, false), end, end, inside);
            }
        }
    }
}

/// The SVG of a case (empty when the case made no request and judged nothing).
pub(super) fn svg(case: &CaseReport, an: &CaseAnalysis, m: &Markup) -> String {
    let mut b = Builder {
        an,
        rows: Vec::new(),
        cursor: 0.0,
    };
    b.walk(&case.steps, &[]);
    let mut rows = b.rows;
    if rows.is_empty() {
        return String::new();
    }
    // Journal entries no attempt matches, by their time, when it falls inside the case.
    let case_end = case.duration_ms + 1000.0;
    for (ei, e) in an.evidence.iter().enumerate() {
        if e.attempt.is_some() {
            continue;
        }
        let Some(t) = e
            .parsed
            .as_ref()
            .and_then(|p| p.time_ms)
            .zip(an.start_ms)
            .map(|(t, s)| t - s)
            .filter(|t| (-1000.0..=case_end).contains(t))
        else {
            continue;
        };
        let at = rows.iter().position(|r| r.t > t).unwrap_or(rows.len());
        for r in rows.iter_mut() {
            for i in r.inside.iter_mut() {
                if *i >= at {
                    *i += 1;
                }
            }
        }
        let row = Row::Journal(ei);
        let h = row.height();
        rows.insert(
            at,
            Placed {
                row,
                t,
                end: t,
                inside: Vec::new(),
                y: 0.0,
                h,
                cut: None,
            },
        );
    }

    // Scale: the median gap between polls becomes ~40 px.
    let mut gaps: Vec<f64> = an.attempts.iter().filter_map(|f| f.poll_gap).collect();
    gaps.sort_by(|a, b| a.total_cmp(b));
    let k = gaps
        .get(gaps.len() / 2)
        .filter(|g| **g > 0.0)
        .map(|g| (40.0 / g).clamp(0.01, 1.0))
        .unwrap_or(0.15);
    let mut y = TOP;
    let mut prev_end: Option<f64> = None;
    for r in rows.iter_mut() {
        if let Some(pe) = prev_end {
            let dt = (r.t - pe).max(0.0);
            let px = dt * k;
            if px > MAX_GAP {
                r.cut = Some(dt);
                y += MAX_GAP;
            } else {
                y += px.max(MIN_GAP);
            }
        }
        r.y = y;
        y += r.h;
        prev_end = Some(r.end);
    }
    let height = y + 24.0;

    // Lanes in use (the client and the API always).
    let mut lanes = vec![Lane::Client, Lane::Api];
    for r in &rows {
        let l = match &r.row {
            Row::Attempt(i) => an.attempts[*i].lane,
            Row::Operator(_, l) => *l,
            Row::Verdict(..) => Lane::Judge,
            Row::Journal(_) => Lane::Client,
        };
        if !lanes.contains(&l) {
            lanes.push(l);
        }
    }
    lanes.sort();
    let n = lanes.len() as f64;
    let x_of = |l: Lane| {
        let i = lanes.iter().position(|x| *x == l).unwrap_or(0) as f64;
        TIME_COL + (WIDTH - TIME_COL) * (i + 0.5) / n
    };
    let api = x_of(Lane::Api);

    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"timeline-svg\" viewBox=\"0 0 {WIDTH} {height:.0}\" width=\"{WIDTH}\" height=\"{height:.0}\" role=\"img\" aria-label=\"sequence diagram of the case\">"
    );
    // Lane heads and lifelines.
    for &l in &lanes {
        let x = x_of(l);
        let _ = write!(
            out,
            "<g class=\"lane lane-{c}\" data-lane=\"{c}\"><line class=\"lifeline\" x1=\"{x:.1}\" y1=\"34\" x2=\"{x:.1}\" y2=\"{:.0}\"/><rect class=\"lane-head\" x=\"{:.1}\" y=\"8\" width=\"120\" height=\"26\" rx=\"6\"/><text class=\"lane-name\" x=\"{x:.1}\" y=\"25\" text-anchor=\"middle\">{}</text></g>",
            height - 10.0,
            x - 60.0,
            l.label(),
            c = l.class()
        );
    }
    // Operator activation bars, behind everything else.
    for (i, r) in rows.iter().enumerate() {
        if let Row::Operator(_, lane) = &r.row {
            let end = rows
                .iter()
                .filter(|o| o.inside.contains(&i))
                .map(|o| o.y + o.h)
                .fold(r.y + r.h, f64::max);
            let x = x_of(*lane);
            let _ = write!(
                out,
                "<rect class=\"activation lane-{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"{:.1}\"/>",
                lane.class(),
                x - 5.0,
                r.y + r.h - 4.0,
                (end - r.y - r.h + 4.0).max(4.0)
            );
        }
    }
    // What the verdicts point at, drawn under the rows so labels stay readable.
    let mut under = String::new();
    let mut over = String::new();
    // Journal entries of one method and path, one after the other: how far apart they came.
    let mut last_journal: HashMap<(String, String), f64> = HashMap::new();
    for r in &rows {
        let out = &mut over;
        if let Some(dt) = r.cut {
            let y = r.y - MAX_GAP / 2.0;
            let _ = write!(
                out,
                "<g class=\"time-cut\"><line x1=\"{TIME_COL}\" y1=\"{y:.1}\" x2=\"{WIDTH}\" y2=\"{y:.1}\"/><text x=\"6\" y=\"{:.1}\">⋯ {}</text></g>",
                y + 4.0,
                escape(&duration(dt))
            );
        }
        match &r.row {
            Row::Attempt(i) => draw_attempt(out, an, *i, r, x_of(an.attempts[*i].lane), api, m),
            Row::Operator(s, lane) => draw_operator(out, s, *lane, r, x_of(*lane), m),
            Row::Verdict(s, failed) => draw_verdict(
                out,
                &mut under,
                an,
                &rows,
                s,
                *failed,
                r,
                x_of(Lane::Judge),
                &x_of,
                m,
            ),
            Row::Journal(ei) => {
                let e = &an.evidence[*ei];
                let gap = e.parsed.as_ref().and_then(|p| {
                    let key = (p.method.clone(), p.path.clone());
                    last_journal.insert(key, r.t).map(|t0| r.t - t0)
                });
                draw_journal(out, e, gap, r, x_of(Lane::Client), api, m)
            }
        }
    }
    out.push_str("<g class=\"pointers\">");
    out.push_str(&under);
    out.push_str("</g>");
    out.push_str(&over);
    out.push_str("</svg>");
    out
}

fn time_label(out: &mut String, r: &Placed, y: f64) {
    let _ = write!(
        out,
        "<text class=\"t\" x=\"6\" y=\"{y:.1}\">+{}</text>",
        escape(&duration(r.t))
    );
}

fn arrow(out: &mut String, class: &str, x1: f64, x2: f64, y: f64) {
    let dir = if x2 > x1 { 1.0 } else { -1.0 };
    let _ = write!(
        out,
        "<line class=\"{class}\" x1=\"{x1:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/><path class=\"{class} head\" d=\"M{x2:.1},{y:.1} l{:.1},-4 l0,8 z\"/>",
        x2 - dir * 6.0,
        -dir * 8.0
    );
}

fn draw_attempt(
    out: &mut String,
    an: &CaseAnalysis,
    i: usize,
    r: &Placed,
    sender: f64,
    api: f64,
    m: &Markup,
) {
    let f = &an.attempts[i];
    let a = f.attempt;
    let (path, query) = path_and_query(&a.request.url);
    let y = r.y;
    let status = a
        .response
        .as_ref()
        .map(|r| r.status.to_string())
        .unwrap_or_else(|| "none".into());
    let _ = write!(
        out,
        "<a href=\"#{id}\"><g class=\"{classes}\" id=\"tl-{id}\" data-attempt=\"{id}\" data-kind=\"{kind}\" data-status=\"{status}\" data-lane=\"{lane}\">",
        id = f.id,
        classes = f.classes(),
        kind = kind_class(a.kind),
        lane = f.lane.class(),
    );
    let _ = write!(
        out,
        "<title>{} {} {}\nstarted {} · {}{}{}</title>",
        m.text(&a.kind.to_string()),
        m.text(&a.request.method),
        m.text(&a.request.url),
        m.text(&a.started_at),
        escape(&duration(a.duration_ms)),
        a.error
            .as_ref()
            .map(|e| format!("\n{}", m.text(e)))
            .unwrap_or_default(),
        a.note
            .as_ref()
            .map(|n| format!("\n{}", m.text(n)))
            .unwrap_or_default(),
    );
    let (left, right) = (sender.min(api), sender.max(api));
    let _ = write!(
        out,
        "<rect class=\"row-bg\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"4\"/>",
        left - 14.0,
        y - 2.0,
        right - left + 28.0,
        r.h - 2.0
    );
    time_label(out, r, y + 16.0);
    // The request.
    let kind = match a.kind {
        AttemptKind::Send => String::new(),
        k => format!("{k} #{} ", a.number),
    };
    let label = format!(
        "{kind}{} {}{}",
        a.request.method,
        short_path(path),
        if query.is_empty() { "" } else { "?…" }
    );
    let mid = (sender + api) / 2.0;
    arrow(out, "req", sender, api, y + 13.0);
    let _ = write!(
        out,
        "<text class=\"req-label\" x=\"{mid:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        y + 8.5,
        m.short(&label, 58)
    );
    // The answer, or the fault.
    match &a.response {
        Some(resp) => {
            let class = if resp.status >= 500 {
                "resp fault-resp"
            } else if resp.status >= 400 {
                "resp client-error"
            } else {
                "resp"
            };
            arrow(out, class, api, sender, y + 27.0);
            let mark = if resp.status >= 500 { "⚡ " } else { "" };
            let delay = poll_delay(a)
                .map(|d| format!(" · pollDelayInMs {d:.0}"))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<text class=\"resp-label{}\" x=\"{mid:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{mark}{} · {}{}</text>",
                if resp.status >= 500 { " fault-text" } else { "" },
                y + 24.5,
                resp.status,
                escape(&duration(a.duration_ms)),
                escape(&delay)
            );
        }
        None if a.kind == AttemptKind::DryRun => {}
        None => {
            let x = api + if sender < api { -16.0 } else { 16.0 };
            let _ = write!(
                out,
                "<text class=\"no-answer fault-text\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">✕</text><text class=\"resp-label fault-text\" x=\"{mid:.1}\" y=\"{:.1}\" text-anchor=\"middle\">⚡ no response: {}</text>",
                y + 31.0,
                y + 27.0,
                m.short(a.error.as_deref().unwrap_or("none"), 48)
            );
        }
    }
    out.push_str("</g></a>");
    // How long after the previous poll, and what the API had asked for.
    if let Some(gap) = f.poll_gap {
        let (asked, too_soon) = match f.poll_asked {
            Some((d, n)) => (
                format!(" · asked {d:.0} ms (poll #{n})"),
                f.lane != Lane::Judge && gap + crate::check::journal::INTERVAL_TOLERANCE_MS < d,
            ),
            None => (String::new(), false),
        };
        // Beside the API's lifeline, on the side away from the sender: never off the picture.
        let x = if sender < api { api + 12.0 } else { api - 12.0 };
        let anchor = if sender < api { "start" } else { "end" };
        let _ = write!(
            out,
            "<text class=\"poll-gap{}\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">↧ {} later{}</text>",
            if too_soon { " too-soon" } else { "" },
            y + 16.0,
            escape(&duration(gap)),
            escape(&asked)
        );
    }
}

fn draw_operator(out: &mut String, s: &StepReport, lane: Lane, r: &Placed, x: f64, m: &Markup) {
    let Some(op) = &s.operator else { return };
    let text = format!(
        "{} · {} · {} → {}",
        op.role, op.action, op.actor, op.outcome
    );
    let w = (text.chars().count() as f64 * 6.4 + 20.0).clamp(120.0, 320.0);
    let (bx, anchor_x) = if lane == Lane::Customer {
        (x - w + 30.0, x - w / 2.0 + 30.0)
    } else {
        (x - 30.0, x - 30.0 + w / 2.0)
    };
    let _ = write!(
        out,
        "<g class=\"operator lane-{}\" data-role=\"{}\" data-outcome=\"{}\"><title>{}</title>",
        lane.class(),
        m.text(&op.role),
        m.text(op.outcome.as_str()),
        m.text(&s.name)
    );
    time_label(out, r, r.y + 15.0);
    let _ = write!(
        out,
        "<rect class=\"note\" x=\"{bx:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"20\" rx=\"5\"/><text x=\"{anchor_x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></g>",
        r.y,
        r.y + 14.0,
        m.short(&text, 48)
    );
}

#[allow(clippy::too_many_arguments)]
fn draw_verdict(
    out: &mut String,
    under: &mut String,
    an: &CaseAnalysis,
    rows: &[Placed],
    s: &StepReport,
    failed: bool,
    r: &Placed,
    x: f64,
    x_of: &dyn Fn(Lane) -> f64,
    m: &Markup,
) {
    let y = r.y + 12.0;
    let class = if failed {
        "verdict judgement failure"
    } else {
        "verdict judgement warning"
    };
    let _ = write!(
        out,
        "<g class=\"{class}\" data-step=\"{}\">",
        m.text(&s.name)
    );
    time_label(out, r, y + 4.0);
    if failed {
        // Lines from the verdict to each request it judged.
        for f in an.attempts.iter().filter(|f| f.judged) {
            let Some(row) = rows.iter().find(|p| match p.row {
                Row::Attempt(i) => std::ptr::eq(an.attempts[i].attempt, f.attempt),
                _ => false,
            }) else {
                continue;
            };
            let ty = row.y + 13.0;
            let sx = x_of(f.lane);
            let _ = write!(
                under,
                "<path class=\"points-at\" d=\"M{:.1},{y:.1} C{:.1},{y:.1} {:.1},{ty:.1} {:.1},{ty:.1}\"/>",
                x - 6.0,
                x - 40.0,
                sx.min(x) - 40.0,
                sx - 4.0
            );
        }
        for e in an.evidence.iter().filter(|e| e.attempt.is_none()) {
            if let Some(row) = rows.iter().find(|p| match p.row {
                Row::Journal(ei) => std::ptr::eq(an.evidence[ei].line, e.line),
                _ => false,
            }) {
                let ty = row.y + 13.0;
                let sx = x_of(Lane::Client);
                let _ = write!(
                    under,
                    "<path class=\"points-at\" d=\"M{:.1},{y:.1} C{:.1},{y:.1} {:.1},{ty:.1} {:.1},{ty:.1}\"/>",
                    x - 6.0,
                    x - 40.0,
                    sx.min(x) - 40.0,
                    sx - 4.0
                );
            }
        }
    }
    let mark = if failed { "✗" } else { "⚠" };
    let what = if failed {
        s.failure.as_ref().map(|f| f.message.as_str())
    } else {
        s.warning.as_ref().map(|w| w.message.as_str())
    };
    let _ = write!(
        out,
        "<path class=\"diamond\" d=\"M{x:.1},{:.1} l8,8 l-8,8 l-8,-8 z\"/><text class=\"verdict-label\" x=\"{:.1}\" y=\"{:.1}\">{mark} {}{}</text><title>{}</title></g>",
        y - 8.0,
        x + 14.0,
        y + 4.0,
        m.short(&s.name, 60),
        if failed { "" } else { " (advisory)" },
        m.text(what.unwrap_or_default())
    );
}

fn draw_journal(
    out: &mut String,
    e: &Evidence,
    gap: Option<f64>,
    r: &Placed,
    client: f64,
    api: f64,
    m: &Markup,
) {
    let y = r.y;
    let Some(p) = &e.parsed else { return };
    let _ = write!(
        out,
        "<g class=\"journal-entry judged\"><title>from the emulator's journal (no attempt of this case matches it): {}</title>",
        m.text(e.line)
    );
    let _ = write!(
        out,
        "<rect class=\"row-bg\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"4\"/>",
        client.min(api) - 14.0,
        y - 2.0,
        (api - client).abs() + 28.0,
        r.h - 2.0
    );
    time_label(out, r, y + 16.0);
    if let Some(gap) = gap {
        let _ = write!(
            out,
            "<text class=\"poll-gap\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"start\">↧ {} after the previous one</text>",
            api + 12.0,
            y + 16.0,
            escape(&duration(gap))
        );
    }
    let mid = (client + api) / 2.0;
    let _ = write!(
        out,
        "<text class=\"req-label\" x=\"{mid:.1}\" y=\"{:.1}\" text-anchor=\"middle\">journal: {} → {}</text>",
        y + 9.0,
        m.short(&format!("{} {}", p.method, short_path(&p.path)), 50),
        p.status.map(|s| s.to_string()).unwrap_or_else(|| "?".into())
    );
    arrow(out, "req journal", client, api, y + 14.0);
    out.push_str("</g>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_evidence_lines_parse() {
        let j =
            parse_evidence("#8 2026-11-30T04:42:48.397Z GET /pos/v10/payments/da64?posId=1 -> 503")
                .unwrap();
        assert_eq!(j.method, "GET");
        assert_eq!(j.path, "/pos/v10/payments/da64");
        assert_eq!(j.query, "posId=1");
        assert_eq!(j.status, Some(503));
        assert!(j.time_ms.is_some());
        assert!(parse_evidence("adapter stderr (last lines):").is_none());
    }
}

//! The HTML report (`--report-html FILE`, `report.html` in `--report-dir`): one self-contained
//! page, its CSS, JS and SVG inline and a Content-Security-Policy that forbids every fetch, so it
//! works opened from a CI artifact or offline.
//!
//! The page: the run (engine, target, modes, identity, times) and its summary; a table per
//! feature, failures first; then each case with its failure (the `explain` of a journal
//! judgement picked out), its advisory warnings, a timeline (see [`timeline`]) and its steps,
//! nested as they ran, each attempt's redacted request and response in a `<details>`.
//!
//! Every text is redacted and escaped where it is written ([`markup::Markup`]), and the finished
//! page passes through the run's [`Redactor`] once more, like every other sink.
//!
//! Stable hooks for tests and scripts: `data-case-id` and `data-status` on each case (`article.case`)
//! and summary row (`tr.case-row`); `class="timeline"` holds a case's diagram, whose attempts are
//! `g.attempt` with `poll`, `retry`, `fault`, `judged` classes; `class="failure"` boxes;
//! `class="explain"` the judgement's explanation; `class="warning"` advisories.

mod markup;
mod timeline;

use crate::redact::Redactor;
use crate::report::detail::{location, source_excerpt};
use crate::run::result::{
    Attempt, AttemptKind, CaseReport, Failure, RunReport, Status, StepReport, Warning,
};
use markup::{badge, duration, escape, pretty_body, slug, status_name, status_rank, Markup};
use std::collections::HashMap;
use std::fmt::Write;
use timeline::CaseAnalysis;

const STYLE: &str = include_str!("html/style.css");
const SCRIPT: &str = include_str!("html/script.js");

/// Bodies longer than this are cut in the page (the JSON report keeps them whole).
const MAX_BODY: usize = 20_000;

/// Nothing may be fetched: styles and scripts are inline, images are `data:` only.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

pub fn render(report: &RunReport, redactor: &Redactor) -> String {
    let mut out = Vec::new();
    if let Err(e) = write(report, redactor, &mut out) {
        return format!(
            "<!-- could not write the report: {} -->",
            escape(&e.to_string())
        );
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Writes the page a case at a time (a run's cases are read back from its spool one by one),
/// each part redacted as it is written: the run and its summary, each case, the footer.
pub fn write(
    report: &RunReport,
    redactor: &Redactor,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let m = Markup { redactor };
    let layout = Layout::of(report)?;
    let mut out = String::with_capacity(64 * 1024);
    let verdict = verdict(report);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\" data-verdict=\"{v}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"poscert-engine {ver}\">\n\
         <title>poscert {V}: {p} passed, {f} failed, {s} skipped</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        v = verdict.to_lowercase(),
        V = verdict,
        ver = m.text(&report.engine_version),
        p = report.summary.passed,
        f = report.summary.failed + report.summary.errored,
        s = report.summary.skipped,
    );
    run_header(&mut out, report, verdict, &m);
    toolbar(&mut out);
    summary(&mut out, w, report, &layout, &m)?;
    load_errors(&mut out, report, &m);
    out.push_str("<section class=\"cases\" id=\"cases\">\n<h2>Cases</h2>\n");
    w.write_all(redactor.redact(&out).as_bytes())?;
    for &i in &layout.order {
        out.clear();
        let case = report.full_case(i)?;
        case_article(&mut out, &case, &layout.anchor(i, &case.id), &m);
        w.write_all(redactor.redact(&out).as_bytes())?;
    }
    out.clear();
    out.push_str("</section>\n");
    let _ = write!(
        out,
        "<footer>Written by poscert-engine {} at {} on {}. Self-contained: nothing on this page is fetched from anywhere.</footer>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        m.text(&report.engine_version),
        m.text(&report.finished_at),
        m.text(&report.hostname)
    );
    w.write_all(redactor.redact(&out).as_bytes())
}

fn verdict(report: &RunReport) -> &'static str {
    if report.interrupted {
        "INTERRUPTED"
    } else if report.all_passed() && report.load_errors.is_empty() {
        "PASSED"
    } else {
        "FAILED"
    }
}

/// What the page's layout needs of every case, in memory while the page is written: the cases
/// themselves are read back one at a time (a run of 10,000 does not hold them, nor their
/// names and ids, at once), so this is a few bytes a case.
struct Layout {
    /// The features, in the order their first case appears.
    features: Vec<String>,
    /// Per case: its feature (an index into `features`) and status.
    cases: Vec<(u32, Status)>,
    /// Per case: the number its anchor ends with (`case-x-2`), 0 for none (`case-x`).
    suffixes: Vec<u32>,
    /// The cases in the page's order.
    order: Vec<usize>,
}

impl Layout {
    fn of(report: &RunReport) -> std::io::Result<Layout> {
        let mut features: Vec<String> = Vec::new();
        let mut cases = Vec::with_capacity(report.case_count());
        let mut numbers = Vec::with_capacity(report.case_count());
        let mut suffixes = Vec::with_capacity(report.case_count());
        // A unique element id per case, from its stable id: the first case with an id gets
        // `case-<slug>`, the next `case-<slug>-2`, and so on. Kept as hashes of the ids taken
        // (with the case that took each), checked against the case's id when two collide, so
        // the set stays small: it only has to tell taken from free, and does so exactly.
        let mut taken: HashMap<u64, usize> = HashMap::new();
        let mut collided: Vec<(u64, usize)> = Vec::new();
        for i in 0..report.case_count() {
            let c = report.case_summary(i)?;
            let feature = match features.iter().position(|f| *f == c.feature) {
                Some(k) => k,
                None => {
                    features.push(c.feature.clone());
                    features.len() - 1
                }
            };
            cases.push((feature as u32, c.status));
            numbers.push(c.case_number);
            let base = format!("case-{}", slug(&c.id));
            let mut n = 0u32;
            loop {
                let anchor = anchor_text(&base, n);
                let h = hash_of(&anchor);
                let holders = taken
                    .get(&h)
                    .into_iter()
                    .chain(collided.iter().filter(|(k, _)| *k == h).map(|(_, j)| j));
                let mut free = true;
                for &j in holders {
                    let other = report.case_summary(j)?;
                    if anchor_text(&format!("case-{}", slug(&other.id)), suffixes[j]) == anchor {
                        free = false;
                        break;
                    }
                }
                if free {
                    match taken.entry(h) {
                        std::collections::hash_map::Entry::Occupied(_) => collided.push((h, i)),
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(i);
                        }
                    }
                    break;
                }
                n = if n == 0 { 2 } else { n + 1 };
            }
            suffixes.push(n);
        }
        drop(taken);
        let order = case_order(report, &features, &cases, &numbers)?;
        Ok(Layout {
            features,
            cases,
            suffixes,
            order,
        })
    }

    /// The element id of case `i`, whose id is `id`.
    fn anchor(&self, i: usize, id: &str) -> String {
        anchor_text(&format!("case-{}", slug(id)), self.suffixes[i])
    }

    fn feature(&self, i: usize) -> &str {
        &self.features[self.cases[i].0 as usize]
    }
}

fn anchor_text(base: &str, suffix: u32) -> String {
    match suffix {
        0 => base.to_string(),
        n => format!("{base}-{n}"),
    }
}

fn hash_of(s: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(s)
}

/// Features with failures first, then cases with failures first, then by case number, then by
/// name (the names read back only for cases alike in all the rest).
fn case_order(
    report: &RunReport,
    features: &[String],
    cases: &[(u32, Status)],
    numbers: &[Option<u32>],
) -> std::io::Result<Vec<usize>> {
    let mut feature_rank = vec![9u8; features.len()];
    for &(f, status) in cases {
        let r = &mut feature_rank[f as usize];
        *r = (*r).min(status_rank(status));
    }
    // Where each feature's name sorts among them: ordering by it orders by the name.
    let mut by_name: Vec<usize> = (0..features.len()).collect();
    by_name.sort_by(|&a, &b| features[a].cmp(&features[b]));
    let mut name_rank = vec![0u32; features.len()];
    for (rank, &f) in by_name.iter().enumerate() {
        name_rank[f] = rank as u32;
    }
    let key = |i: usize| {
        let (f, status) = cases[i];
        (
            feature_rank[f as usize],
            name_rank[f as usize],
            status_rank(status),
            numbers[i],
        )
    };
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|&i| key(i));
    // Runs alike but for the name: by name, stably (as one sort by the whole key would).
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && key(order[end]) == key(order[start]) {
            end += 1;
        }
        if end - start > 1 {
            let mut run = Vec::with_capacity(end - start);
            for &i in &order[start..end] {
                run.push((report.case_summary(i)?.name.clone(), i));
            }
            run.sort_by(|a, b| a.0.cmp(&b.0));
            for (slot, (_, i)) in order[start..end].iter_mut().zip(run) {
                *slot = i;
            }
        }
        start = end;
    }
    Ok(order)
}

fn case_title(c: &CaseReport) -> String {
    match c.case_number {
        Some(n) => format!("Case {n}: {}", c.name),
        None => c.name.clone(),
    }
}

fn run_header(out: &mut String, report: &RunReport, verdict: &str, m: &Markup) {
    let s = &report.summary;
    let warnings = report.warning_count();
    let _ = write!(
        out,
        "<header class=\"run\" data-status=\"{v}\">\n<div class=\"verdict {v}\">{verdict}</div>\n<h1>poscert certification report</h1>\n\
         <p class=\"summary-line\">{} passed · {} failed ({} by an assertion, {} by an error) · {} skipped of {} cases{} · {}</p>\n",
        s.passed,
        s.failed + s.errored,
        s.failed,
        s.errored,
        s.skipped,
        s.total,
        match warnings {
            0 => String::new(),
            1 => " · 1 advisory warning".into(),
            n => format!(" · {n} advisory warnings"),
        },
        escape(&duration(report.duration_ms)),
        v = verdict.to_lowercase(),
    );
    out.push_str("<div class=\"counts\">");
    for (name, n) in [
        ("total", s.total),
        ("passed", s.passed),
        ("failed", s.failed),
        ("error", s.errored),
        ("skipped", s.skipped),
        ("warning", warnings),
    ] {
        let _ = write!(
            out,
            "<div class=\"count count-{name}{}\" data-count=\"{n}\"><b>{n}</b><span>{name}</span></div>",
            if n == 0 { " zero" } else { "" }
        );
    }
    out.push_str("</div>\n<dl class=\"run-info\">");
    let mut row = |k: &str, v: String| {
        let _ = write!(out, "<dt>{k}</dt><dd>{v}</dd>");
    };
    row(
        "engine",
        format!("poscert-engine {}", m.text(&report.engine_version)),
    );
    row(
        "target",
        format!(
            "{} <code>{}</code> ({})",
            m.text(&report.target.name),
            m.text(&report.target.pos_base_url),
            m.text(&report.target.kind)
        ),
    );
    row("client", m.text(&report.client_mode));
    row("customer", m.text(&report.customer_mode));
    row(
        "identity",
        match &report.identity {
            Some(id) => {
                let mut v = format!("{} {}", m.text(&id.system_name), m.text(&id.version));
                if let Some(c) = &id.client_id_sandbox {
                    let _ = write!(v, " · sandbox client id <code>{}</code>", m.text(c));
                }
                if let Some(c) = &id.client_id_production {
                    let _ = write!(v, " · production client id <code>{}</code>", m.text(c));
                }
                v
            }
            None => "none (no poscert.yaml)".into(),
        },
    );
    row("started", m.text(&report.started_at));
    row("finished", m.text(&report.finished_at));
    row("duration", escape(&duration(report.duration_ms)));
    row(
        "interrupted",
        if report.interrupted {
            "<b class=\"interrupted\">yes: Ctrl-C stopped the run; finally steps ran</b>".into()
        } else {
            "no".into()
        },
    );
    row("host", m.text(&report.hostname));
    out.push_str("</dl>\n</header>\n");
}

fn toolbar(out: &mut String) {
    out.push_str(
        "<nav class=\"toolbar\" hidden><span>Show</span>\
         <button type=\"button\" data-filter=\"all\" class=\"active\">all</button>\
         <button type=\"button\" data-filter=\"failed\">failed</button>\
         <button type=\"button\" data-filter=\"error\">error</button>\
         <button type=\"button\" data-filter=\"skipped\">skipped</button>\
         <button type=\"button\" data-filter=\"passed\">passed</button>\
         <button type=\"button\" data-filter=\"warning\">with warnings</button>\
         <span class=\"sep\"></span>\
         <button type=\"button\" data-action=\"expand\">expand all</button>\
         <button type=\"button\" data-action=\"collapse\">collapse all</button></nav>\n",
    );
}

/// The summary tables, written out (redacted) whenever `out` has grown past 64 KiB, at a row's
/// end: a run of 10,000 cases does not hold its whole summary, twice (redacted), in memory.
fn summary(
    out: &mut String,
    w: &mut dyn std::io::Write,
    report: &RunReport,
    layout: &Layout,
    m: &Markup,
) -> std::io::Result<()> {
    out.push_str("<section class=\"summary\" id=\"summary\">\n<h2>Summary</h2>\n");
    let mut features: Vec<&str> = Vec::new();
    for &i in &layout.order {
        let f = layout.feature(i);
        if !features.contains(&f) {
            features.push(f);
        }
    }
    for feature in features {
        let cases: Vec<usize> = layout
            .order
            .iter()
            .copied()
            .filter(|&i| layout.feature(i) == feature)
            .collect();
        let worst = cases
            .iter()
            .map(|&i| layout.cases[i].1)
            .min_by_key(|s| status_rank(*s))
            .unwrap_or(Status::Passed);
        let count = |s: Status| cases.iter().filter(|&&i| layout.cases[i].1 == s).count();
        let _ = write!(
            out,
            "<div class=\"feature\" data-feature=\"{f}\" data-status=\"{st}\"><h3>{b} {f} <span class=\"feature-counts\">{} passed · {} failed · {} error · {} skipped</span></h3>\n\
             <table><colgroup><col class=\"c-status\"><col class=\"c-case\"><col class=\"c-dur\"><col class=\"c-warn\"><col class=\"c-why\"></colgroup>\
             <thead><tr><th>status</th><th>case</th><th>duration</th><th>warnings</th><th>why</th></tr></thead><tbody>\n",
            count(Status::Passed),
            count(Status::Failed),
            count(Status::Error),
            count(Status::Skipped),
            f = m.text(feature),
            st = status_name(worst),
            b = badge(worst),
        );
        for i in cases {
            let c = report.case_summary(i)?;
            let why = c
                .failure
                .as_ref()
                .map(|f| f.message.as_str())
                .or(c.skip_reason.as_deref())
                .unwrap_or("");
            let _ = writeln!(
                out,
                "<tr class=\"case-row\" data-case-id=\"{id}\" data-status=\"{st}\" data-warnings=\"{w}\"><td>{b}</td><td><a href=\"#{a}\">{t}</a></td><td class=\"num\">{d}</td><td class=\"num\">{wt}</td><td class=\"why\">{why}</td></tr>",
                id = m.text(&c.id),
                st = status_name(c.status),
                w = c.warnings.len(),
                b = badge(c.status),
                a = layout.anchor(i, &c.id),
                t = m.text(&case_title(&c)),
                d = escape(&duration(c.duration_ms)),
                wt = if c.warnings.is_empty() {
                    String::new()
                } else {
                    format!("<span class=\"badge warning\">⚠ {}</span>", c.warnings.len())
                },
                why = m.short(why, 160),
            );
            if out.len() >= 64 * 1024 {
                w.write_all(m.redactor.redact(out).as_bytes())?;
                out.clear();
            }
        }
        out.push_str("</tbody></table></div>\n");
    }
    out.push_str("</section>\n");
    Ok(())
}

fn load_errors(out: &mut String, report: &RunReport, m: &Markup) {
    if report.load_errors.is_empty() {
        return;
    }
    out.push_str("<section class=\"load-errors\" id=\"load-errors\">\n<h2>Files that could not be loaded</h2>\n<ul>");
    for e in &report.load_errors {
        let _ = write!(
            out,
            "<li class=\"failure\" data-category=\"configuration\"><code class=\"loc\">{}:{}:{}</code> {}</li>",
            m.text(&e.file),
            e.line,
            e.column,
            m.text(&e.message)
        );
    }
    out.push_str("</ul></section>\n");
}

fn case_article(out: &mut String, c: &CaseReport, anchor: &str, m: &Markup) {
    let an = timeline::analyse(c, anchor);
    let open_by_default = c.status != Status::Passed || !c.warnings.is_empty();
    let _ = write!(
        out,
        "<article class=\"case\" id=\"{anchor}\" data-case-id=\"{id}\" data-status=\"{st}\" data-feature=\"{f}\" data-warnings=\"{w}\">\n\
         <header class=\"case-head\">{b}<h3><span class=\"feature-name\">{f}</span> {t}</h3>\
         <div class=\"meta\"><code>{file}</code> · started {started} · {d}{tags}</div></header>\n",
        id = m.text(&c.id),
        st = status_name(c.status),
        f = m.text(&c.feature),
        w = c.warnings.len(),
        b = badge(c.status),
        t = m.text(&case_title(c)),
        file = m.text(&c.file),
        started = m.text(&c.started_at),
        d = escape(&duration(c.duration_ms)),
        tags = if c.tags.is_empty() {
            String::new()
        } else {
            format!(
                " · {}",
                c.tags
                    .iter()
                    .map(|t| format!("<span class=\"tag\">{}</span>", m.text(t)))
                    .collect::<String>()
            )
        },
    );
    if let Some(r) = &c.skip_reason {
        let _ = writeln!(out, "<p class=\"skip\">skipped: {}</p>", m.text(r));
    }
    if let Some(f) = &c.failure {
        failure_box(out, f, Some(&an), m);
    }
    if !c.warnings.is_empty() {
        out.push_str("<div class=\"warnings\">");
        for w in &c.warnings {
            warning_box(out, w, m);
        }
        out.push_str("</div>\n");
    }
    timeline_box(out, c, &an, open_by_default, m);
    let _ = write!(
        out,
        "<details class=\"steps-box\"{}><summary>Steps ({})</summary>\n<ol class=\"steps\">",
        if open_by_default { " open" } else { "" },
        count_steps(&c.steps)
    );
    let mut n = 0;
    for s in &c.steps {
        step_item(out, s, &an, &mut n, m);
    }
    out.push_str("</ol></details>\n</article>\n");
}

fn count_steps(steps: &[StepReport]) -> usize {
    steps.iter().map(|s| 1 + count_steps(&s.children)).sum()
}

fn timeline_box(out: &mut String, c: &CaseReport, an: &CaseAnalysis, open: bool, m: &Markup) {
    let svg = timeline::svg(c, an, m);
    let polls = an
        .attempts
        .iter()
        .filter(|f| f.attempt.kind == AttemptKind::Poll)
        .count();
    let faults = an.attempts.iter().filter(|f| f.fault).count();
    let _ = write!(
        out,
        "<details class=\"timeline-box\"{}><summary>Timeline: {} requests, {} polls, {} faults</summary>\n<div class=\"timeline\" data-case-id=\"{}\">",
        if open { " open" } else { "" },
        an.attempts.len(),
        polls,
        faults,
        m.text(&c.id)
    );
    if svg.is_empty() {
        out.push_str("<p class=\"empty\">This case sent no request.</p>");
    } else {
        out.push_str("<div class=\"svg-wrap\">");
        out.push_str(&svg);
        out.push_str("</div>");
        out.push_str(
            "<p class=\"legend\"><span class=\"key req\">request</span><span class=\"key resp\">response</span>\
             <span class=\"key poll\">poll (time since the previous poll · the pollDelayInMs it had been given)</span>\
             <span class=\"key fault\">⚡ fault: 5xx, no response, or retried</span>\
             <span class=\"key judged\">judged by the failing judgement</span>\
             <span class=\"key control\">emulator control API</span>\
             <span class=\"key cut\">⋯ a long pause, cut short</span></p>",
        );
    }
    let unmatched: Vec<_> = an.unmatched().collect();
    if !unmatched.is_empty() {
        out.push_str("<aside class=\"evidence-aside\"><h4>Judged requests that no step of this case sent (from the emulator's journal)</h4><ol class=\"evidence\">");
        for e in unmatched {
            let _ = write!(
                out,
                "<li class=\"evidence-line unmatched\"><code>{}</code></li>",
                m.text(e.line)
            );
        }
        out.push_str("</ol></aside>");
    }
    out.push_str("</div></details>\n");
}

/// `explain text (GET /path: what did not hold)` → the explanation and the judgement's words.
fn split_explain(message: &str) -> Option<(&str, &str)> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"(?s)^(.+?) \(((?:[A-Z]+|any) \S+: .+)\)$").expect("a valid regex")
    });
    let caps = re.captures(message)?;
    Some((caps.get(1)?.as_str(), caps.get(2)?.as_str()))
}

fn failure_box(out: &mut String, f: &Failure, an: Option<&CaseAnalysis>, m: &Markup) {
    let category = format!("{:?}", f.category).to_lowercase();
    let _ = write!(
        out,
        "<div class=\"failure\" data-category=\"{category}\"><div class=\"failure-head\"><span class=\"category\">{category}</span>{} at <code class=\"loc\">{}</code></div>",
        f.step
            .as_ref()
            .map(|s| format!(" in step <b class=\"failure-step\">{}</b>", m.text(s)))
            .unwrap_or_default(),
        m.text(&location(f))
    );
    let explained = (f.category == crate::run::result::FailureCategory::Assertion)
        .then(|| split_explain(&f.message))
        .flatten();
    match explained {
        Some((explain, detail)) => {
            let _ = write!(
                out,
                "<p class=\"failure-message\"><span class=\"explain\">{}</span> <span class=\"judgement-detail\">({})</span></p>",
                m.text(explain),
                m.text(detail)
            );
        }
        None => {
            let _ = write!(
                out,
                "<p class=\"failure-message\">{}</p>",
                m.text(&f.message)
            );
        }
    }
    let excerpt = source_excerpt(f);
    if !excerpt.trim().is_empty() {
        let _ = write!(
            out,
            "<pre class=\"source\">{}</pre>",
            m.text(excerpt.trim_end())
        );
    }
    if f.expected.is_some() || f.actual.is_some() {
        out.push_str("<dl class=\"expected-actual\">");
        if let Some(e) = &f.expected {
            let _ = write!(out, "<dt>expected</dt><dd><code>{}</code></dd>", m.text(e));
        }
        if let Some(a) = &f.actual {
            let _ = write!(out, "<dt>actual</dt><dd><code>{}</code></dd>", m.text(a));
        }
        out.push_str("</dl>");
    }
    if !f.evidence.is_empty() {
        out.push_str("<div class=\"evidence-box\"><h4>Evidence</h4><ol class=\"evidence\">");
        for line in &f.evidence {
            let linked = an.and_then(|an| {
                an.evidence
                    .iter()
                    .find(|e| e.line == line.as_str())
                    .and_then(|e| e.attempt)
                    .map(|i| &an.attempts[i])
            });
            match linked {
                Some(fa) => {
                    let _ = write!(
                        out,
                        "<li class=\"evidence-line matched\"><a href=\"#tl-{id}\" title=\"show on the timeline\"><code>{}</code></a> <a class=\"to-attempt\" href=\"#{id}\">request and response</a></li>",
                        m.text(line),
                        id = fa.id
                    );
                }
                None => {
                    let _ = write!(
                        out,
                        "<li class=\"evidence-line\"><code>{}</code></li>",
                        m.text(line)
                    );
                }
            }
        }
        out.push_str("</ol></div>");
    }
    out.push_str("</div>\n");
}

fn warning_box(out: &mut String, w: &Warning, m: &Markup) {
    let message = match split_explain(&w.message) {
        Some((explain, detail)) => format!(
            "<span class=\"explain\">{}</span> <span class=\"judgement-detail\">({})</span>",
            m.text(explain),
            m.text(detail)
        ),
        None => m.text(&w.message),
    };
    let _ = write!(
        out,
        "<div class=\"warning\"><span class=\"badge warning\">⚠ advisory</span> {} <span class=\"where\">step <b>{}</b> at <code class=\"loc\">{}:{}:{}</code></span><div class=\"because\">advisory, not failing the case, because {}</div></div>",
        message,
        m.text(&w.step),
        m.text(&w.file),
        w.line,
        w.column,
        m.text(&w.because)
    );
}

fn step_item(out: &mut String, s: &StepReport, an: &CaseAnalysis, n: &mut usize, m: &Markup) {
    *n += 1;
    let kind = format!("{:?}", s.kind).to_lowercase();
    let phase = format!("{:?}", s.phase).to_lowercase();
    let _ = write!(
        out,
        "<li class=\"step\" id=\"{a}-s{n}\" data-status=\"{st}\" data-kind=\"{kind}\" data-phase=\"{phase}\"{w}>\
         <div class=\"step-head\">{b}<span class=\"phase\">{phase}</span><span class=\"kind\">{kind}</span><span class=\"step-name\">{name}</span>\
         <span class=\"dur\">{d}</span><code class=\"loc\">{file}:{line}:{col}</code></div>",
        a = an.anchor,
        st = status_name(s.status),
        w = if s.warning.is_some() { " data-warning=\"1\"" } else { "" },
        b = badge(s.status),
        name = m.text(&s.name),
        d = escape(&duration(s.duration_ms)),
        file = m.text(&s.file),
        line = s.line,
        col = s.column,
    );
    if let Some(r) = &s.skip_reason {
        let _ = write!(out, "<p class=\"skip\">skipped: {}</p>", m.text(r));
    }
    if let Some(op) = &s.operator {
        let _ = write!(
            out,
            "<div class=\"operator-info\" data-role=\"{}\"><b>{}</b> {} by <b>{}</b>: {} after {}{}</div>",
            m.text(&op.role),
            m.text(&op.role),
            m.text(&op.action),
            op.actor,
            op.outcome,
            escape(&duration(op.wait_ms)),
            op.message
                .as_ref()
                .map(|x| format!(" ({})", m.text(x)))
                .unwrap_or_default()
        );
        if let Some(p) = &op.prompt {
            let _ = write!(out, "<pre class=\"prompt\">{}</pre>", m.text(p.trim()));
        }
        if !op.values.is_empty() {
            let _ = write!(
                out,
                "<div class=\"values\">values: <code>{}</code></div>",
                m.text(&serde_json::Value::Object(op.values.clone()).to_string())
            );
        }
    }
    if let Some(f) = &s.failure {
        if s.children.iter().all(|c| c.failure.is_none()) {
            failure_box(out, f, Some(an), m);
        }
    }
    if let Some(w) = &s.warning {
        warning_box(out, w, m);
    }
    if !s.captures.is_empty() {
        out.push_str("<ul class=\"captures\">");
        for c in &s.captures {
            let _ = write!(
                out,
                "<li>captured <code>{}</code> = <code>{}</code></li>",
                m.text(&c.name),
                m.text(&c.value.to_string())
            );
        }
        out.push_str("</ul>");
    }
    if !s.attempts.is_empty() {
        out.push_str("<div class=\"attempts\">");
        for a in &s.attempts {
            attempt_details(out, a, an, m);
        }
        out.push_str("</div>");
    }
    if !s.children.is_empty() {
        out.push_str("<ol class=\"steps\">");
        for c in &s.children {
            step_item(out, c, an, n, m);
        }
        out.push_str("</ol>");
    }
    out.push_str("</li>\n");
}

fn attempt_details(out: &mut String, a: &Attempt, an: &CaseAnalysis, m: &Markup) {
    let flat = an.attempt(a);
    let (id, classes) = match flat {
        Some(f) => (f.id.clone(), f.classes()),
        None => (String::new(), "attempt".into()),
    };
    let status = a
        .response
        .as_ref()
        .map(|r| r.status.to_string())
        .unwrap_or_else(|| "none".into());
    let status_class = match a.response.as_ref().map(|r| r.status) {
        Some(s) if s >= 500 => "s5",
        Some(s) if s >= 400 => "s4",
        Some(_) => "s2",
        None => "s0",
    };
    let kind = match a.kind {
        AttemptKind::Send => "send".to_string(),
        k => format!("{k} #{}", a.number),
    };
    let _ = write!(
        out,
        "<details class=\"{classes}\"{idattr} data-kind=\"{k}\" data-status=\"{status}\"><summary><span class=\"kind\">{kind}</span> <code class=\"method\">{method}</code> <code class=\"url\">{url}</code> → <span class=\"http {status_class}\">{shown}</span> <span class=\"dur\">{d}</span>{note}{tl}</summary>",
        idattr = if id.is_empty() { String::new() } else { format!(" id=\"{id}\"") },
        k = escape(&a.kind.to_string()),
        kind = escape(&kind),
        method = m.text(&a.request.method),
        url = m.text(&a.request.url),
        shown = match (&a.response, &a.error) {
            (Some(r), _) => r.status.to_string(),
            (None, Some(e)) => format!("no response: {}", m.short(e, 120)),
            (None, None) => "not sent".into(),
        },
        d = escape(&duration(a.duration_ms)),
        note = a
            .note
            .as_ref()
            .map(|n| format!(" <span class=\"note\">{}</span>", m.text(n)))
            .unwrap_or_default(),
        tl = if id.is_empty() {
            String::new()
        } else {
            format!(" <a class=\"tl-link\" href=\"#tl-{id}\" title=\"show on the timeline\">timeline</a>")
        },
    );
    out.push_str("<div class=\"exchange\"><section class=\"request\"><h4>Request</h4><pre>");
    let mut req = format!("{} {}\n", a.request.method, a.request.url);
    for (k, v) in &a.request.headers {
        let _ = writeln!(req, "{k}: {v}");
    }
    if let Some(b) = &a.request.body {
        req.push('\n');
        req.push_str(&pretty_body(&m.redactor.redact(b)));
    }
    out.push_str(&m.short(&req, MAX_BODY));
    out.push_str("</pre></section><section class=\"response\"><h4>Response</h4><pre>");
    let resp = match (&a.response, &a.error) {
        (Some(r), _) => {
            let mut t = format!("{}\n", r.status);
            for (k, v) in &r.headers {
                let _ = writeln!(t, "{k}: {v}");
            }
            if !r.body.is_empty() {
                t.push('\n');
                t.push_str(&pretty_body(&m.redactor.redact(&r.body)));
            }
            t
        }
        (None, Some(e)) => format!("no response: {e}"),
        (None, None) => "not sent".into(),
    };
    out.push_str(&m.short(&resp, MAX_BODY));
    out.push_str("</pre></section></div></details>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spooled_run_writes_the_same_page() {
        use crate::run::result::{sample_report, spooled};
        let redactor = Redactor::new();
        redactor.add("s3cr3t");
        let page = render(&sample_report(), &redactor);
        assert_eq!(render(&spooled(sample_report()), &redactor), page);
        assert!(page.contains("data-case-id=\"s/p/01\"") && !page.contains("s3cr3t"));
    }

    /// The page's anchors and order as they were computed with every case in memory (a set
    /// of the anchors taken, one sort by the whole key): the layout, kept to a few bytes a
    /// case, gives the same, spooled or not.
    #[test]
    fn the_layout_is_the_one_computed_from_the_cases_in_memory() {
        use crate::run::result::{sample_report, spooled};
        use std::collections::HashSet;
        fn anchors(cases: &[CaseReport]) -> Vec<String> {
            let mut seen = HashSet::new();
            cases
                .iter()
                .map(|c| {
                    let base = format!("case-{}", slug(&c.id));
                    let mut id = base.clone();
                    let mut n = 2;
                    while !seen.insert(id.clone()) {
                        id = format!("{base}-{n}");
                        n += 1;
                    }
                    id
                })
                .collect()
        }
        fn order(cases: &[CaseReport]) -> Vec<usize> {
            let mut feature_rank: HashMap<&str, u8> = HashMap::new();
            for c in cases {
                let r = feature_rank.entry(c.feature.as_str()).or_insert(9);
                *r = (*r).min(status_rank(c.status));
            }
            let mut order: Vec<usize> = (0..cases.len()).collect();
            order.sort_by_key(|&i| {
                let c = &cases[i];
                (
                    feature_rank[c.feature.as_str()],
                    c.feature.as_str(),
                    status_rank(c.status),
                    c.case_number,
                    c.name.as_str(),
                )
            });
            order
        }
        let mut report = sample_report();
        let template = report.cases[0].clone();
        // Ids whose slugs collide (`a b`, `a-b`, and `a-b-2`, the second one's anchor), names
        // alike and not, numbers and none, features in and out of name order.
        for (id, feature, n, name, status) in [
            ("a b", "refunds", None, "b", Status::Passed),
            ("a-b", "refunds", None, "a", Status::Passed),
            ("a-b-2", "refunds", None, "a", Status::Passed),
            ("A_B", "cancellations", Some(3), "z", Status::Failed),
            ("x", "cancellations", Some(3), "y", Status::Failed),
            ("x", "cancellations", None, "y", Status::Skipped),
            ("", "onboarding", Some(1), "n", Status::Passed),
            ("!", "onboarding", Some(1), "n", Status::Passed),
        ] {
            let mut c = template.clone();
            c.id = id.into();
            c.feature = feature.into();
            c.case_number = n;
            c.name = name.into();
            c.status = status;
            report.cases.push(c);
        }
        let expected = (anchors(&report.cases), order(&report.cases));
        let cases = report.cases.clone();
        for report in [report.clone(), spooled(report)] {
            let layout = Layout::of(&report).unwrap();
            let anchors: Vec<String> = (0..cases.len())
                .map(|i| layout.anchor(i, &cases[i].id))
                .collect();
            assert_eq!((anchors, layout.order.clone()), expected);
        }
    }

    #[test]
    fn the_explanation_of_a_journal_judgement_is_picked_out() {
        assert_eq!(
            split_explain(
                "wait a second (GET /pos/v10/payments/x: request 8 came 103 ms after request 7)"
            ),
            Some((
                "wait a second",
                "GET /pos/v10/payments/x: request 8 came 103 ms after request 7"
            ))
        );
        assert_eq!(
            split_explain("reuse the key (any /pos/v10/pointofsales*: `$.h` differs (request 3))"),
            Some((
                "reuse the key",
                "any /pos/v10/pointofsales*: `$.h` differs (request 3)"
            ))
        );
        assert_eq!(
            split_explain("$.status: expected \"Captured\", got \"Reserved\""),
            None
        );
    }
}

//! The console: a progress bar per run on a terminal (indicatif), plain lines otherwise; each
//! case's verdict as it finishes; each failure explained (case, step, file:line:col, expected vs
//! actual, the redacted request and response); a summary at the end. Every line is redacted.

use super::detail::failure_text;
use crate::redact::Redactor;
use crate::run::result::{CaseReport, RunReport, Status};
use crate::run::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::sync::Mutex;

pub struct Console {
    bar: Option<ProgressBar>,
    color: bool,
    verbose: bool,
    redactor: Redactor,
    lock: Mutex<()>,
    /// Lines held back while an operator prompt owns the terminal (`Some` while paused).
    held: Mutex<Option<Vec<String>>>,
}

impl Console {
    pub fn new(
        total: usize,
        terminal: bool,
        color: bool,
        verbose: bool,
        redactor: Redactor,
    ) -> Self {
        let bar = terminal.then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Console {
            bar,
            color,
            verbose,
            redactor,
            lock: Mutex::new(()),
            held: Mutex::new(None),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Prints a line above the progress bar (or plainly), redacted.
    pub fn line(&self, text: &str) {
        let text = self.redactor.redact(text);
        if let Some(held) = self.held.lock().ok().as_mut().and_then(|h| h.as_mut()) {
            held.push(text);
            return;
        }
        let _guard = self.lock.lock();
        match &self.bar {
            Some(bar) => bar.println(text.trim_end_matches('\n')),
            None => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", text.trim_end_matches('\n'));
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    pub fn summary(&self, report: &RunReport) {
        let s = &report.summary;
        let verdict = if report.interrupted {
            self.paint("33", "INTERRUPTED")
        } else if report.all_passed() {
            self.paint("32", "PASSED")
        } else {
            self.paint("31", "FAILED")
        };
        let warnings = report.warning_count();
        let warned = match warnings {
            0 => String::new(),
            1 => " with 1 advisory warning".to_string(),
            n => format!(" with {n} advisory warnings"),
        };
        self.line(&format!(
            "\n{verdict}: {} passed, {} failed ({} by an assertion, {} by an error), {} skipped of {} cases{warned} in {:.2} s (target: {}, client: {}, customer: {})",
            s.passed, s.failed + s.errored, s.failed, s.errored, s.skipped, s.total,
            report.duration_ms / 1000.0,
            report.target.name, report.client_mode, report.customer_mode
        ));
        // The plain closing line CI log readers look for.
        self.line(&format!(
            "{} passed, {} failed, {} skipped",
            s.passed,
            s.failed + s.errored,
            s.skipped
        ));
    }
}

impl Progress for Console {
    fn pause(&self, paused: bool) {
        let Ok(mut held) = self.held.lock() else {
            return;
        };
        if paused {
            if let Some(bar) = &self.bar {
                bar.disable_steady_tick();
                bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
            }
            held.get_or_insert_with(Vec::new);
            return;
        }
        let lines = held.take().unwrap_or_default();
        drop(held);
        if let Some(bar) = &self.bar {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
        }
        for l in lines {
            self.line(&l);
        }
    }

    fn case_started(&self, case: &crate::run::plan::PlannedCase) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} / {}", case.feature, case.name));
        }
    }

    fn case_finished(&self, report: &CaseReport) {
        let (mark, code) = match report.status {
            Status::Passed => ("PASS ", "32"),
            Status::Failed => ("FAIL ", "31"),
            Status::Error => ("ERROR", "31"),
            Status::Skipped => ("SKIP ", "33"),
        };
        let label = match report.case_number {
            Some(n) => format!("{} case {n}: {}", report.feature, report.name),
            None => format!("{}: {}", report.feature, report.name),
        };
        let mut text = format!(
            "{} {label} ({:.0} ms) {}",
            self.paint(code, mark),
            report.duration_ms,
            self.paint("2", &report.file)
        );
        if let Some(why) = report
            .skip_reason
            .as_deref()
            .filter(|_| report.failure.is_none())
        {
            text.push_str(&format!("\n    skipped: {why}"));
        }
        if report.failure.is_some() {
            text.push('\n');
            for line in failure_text(report).lines() {
                text.push_str("    ");
                text.push_str(line);
                text.push('\n');
            }
        } else if self.verbose {
            let mut log = String::new();
            super::detail::step_log(&report.steps, 2, &mut log);
            text.push('\n');
            text.push_str(&log);
        }
        for w in super::detail::warning_lines(&report.warnings) {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str("    ");
            text.push_str(&self.paint("33", &w));
            text.push('\n');
        }
        self.line(text.trim_end());
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

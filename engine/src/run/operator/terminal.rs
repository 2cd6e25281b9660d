//! The dialogue with a person at the till: the instructions, the values asked for and the
//! outcome, each line with a countdown to the step's timeout.
//!
//! It runs on a blocking thread (terminal reads block) and waits for keys in short slices, so the
//! async side can dismiss it at any moment: when the watch saw the action happen, the step timed
//! out, or the run was interrupted. Raw mode is undone by a guard, on every return and on unwind,
//! so the terminal is always left echoing and line-buffered as it was found.
//!
//! Written on crossterm rather than with dialoguer or inquire: their prompts block in a read that
//! nothing can interrupt, so a prompt could never be dismissed by the watch, and a secret prompt
//! abandoned that way would leave the terminal without echo.

use crate::redact::Redactor;
use crate::scenario::model::InputKind;
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use serde_json::Value;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the dialogue looks at the control flags and redraws the countdown.
const SLICE: Duration = Duration::from_millis(100);

/// What the person reports about the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Failed,
    /// Not applicable to this client.
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One value to ask for.
#[derive(Debug, Clone)]
pub struct Question {
    pub name: String,
    pub label: String,
    pub kind: InputKind,
}

/// Everything the dialogue shows and asks.
pub struct Screen {
    /// The instructions block, printed once; already redacted.
    pub header: String,
    pub questions: Vec<Question>,
    pub deadline: Instant,
    /// Secret answers are registered here the moment they are typed.
    pub redactor: Redactor,
    pub color: bool,
}

/// How the async side steers a running dialogue.
#[derive(Default)]
pub struct Control {
    /// Set to dismiss the dialogue; the text is printed in place of the prompt.
    stop: Mutex<Option<String>>,
    /// Lines to print above the prompt (e.g. the watch gave up).
    notices: Mutex<Vec<String>>,
}

impl Control {
    pub fn stop(&self, why: impl Into<String>) {
        *lock(&self.stop) = Some(why.into());
    }
    pub fn notice(&self, text: impl Into<String>) {
        lock(&self.notices).push(text.into());
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A value typed by the person.
#[derive(Debug, Clone)]
pub struct Answer {
    pub name: String,
    pub value: Value,
    pub secret: bool,
}

#[derive(Debug)]
pub enum Reply {
    Answered {
        answers: Vec<Answer>,
        outcome: Outcome,
        reason: Option<String>,
    },
    /// Ctrl-C was pressed (in raw mode it arrives as a key, not as SIGINT).
    Interrupted,
    TimedOut,
    /// Dismissed through [`Control::stop`].
    Dismissed,
    /// The terminal could not be used.
    Unavailable(String),
}

/// Runs the dialogue to its end. Blocking: call it from `spawn_blocking`.
pub fn ask(screen: &Screen, control: &Control) -> Reply {
    let mut d = Dialogue {
        out: std::io::stdout(),
        screen,
        control,
        line: String::new(),
    };
    match d.run() {
        Ok(reply) | Err(reply) => reply,
    }
}

/// Raw mode for as long as this lives.
struct RawMode;

impl RawMode {
    fn enable() -> std::io::Result<RawMode> {
        crossterm::terminal::enable_raw_mode()?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

enum Key {
    Char(char),
    Enter,
    Backspace,
    ClearLine,
}

struct Dialogue<'a> {
    out: std::io::Stdout,
    screen: &'a Screen,
    control: &'a Control,
    /// The prompt line being edited, without the countdown.
    line: String,
}

impl Dialogue<'_> {
    fn run(&mut self) -> Result<Reply, Reply> {
        // The header goes out before raw mode, so its newlines need no care; the leading
        // sequence wipes whatever the progress bar left on the current line.
        let _ = write!(self.out, "\r\x1b[2K\n{}\n", self.screen.header.trim_end());
        let _ = self.out.flush();
        let _raw = RawMode::enable().map_err(|e| Reply::Unavailable(e.to_string()))?;
        let mut answers = Vec::new();
        for q in &self.screen.questions {
            let secret = q.kind == InputKind::Secret;
            let kind = match q.kind {
                InputKind::Text => "",
                InputKind::Number => " (a number)",
                InputKind::Secret => " (hidden as you type)",
            };
            loop {
                let text = self.read_line(&format!("{}{kind}: ", q.label), secret)?;
                let text = if secret {
                    text
                } else {
                    text.trim().to_string()
                };
                if text.is_empty() {
                    self.say("a value is needed here");
                    continue;
                }
                let value = match q.kind {
                    InputKind::Number => match parse_number(&text) {
                        Some(n) => n,
                        None => {
                            self.say(&format!("`{text}` is not a number; type e.g. 12.50"));
                            continue;
                        }
                    },
                    _ => Value::String(text.clone()),
                };
                if secret {
                    self.screen.redactor.add(&text);
                }
                answers.push(Answer {
                    name: q.name.clone(),
                    value,
                    secret,
                });
                break;
            }
        }
        let outcome = self.read_outcome()?;
        let reason = if outcome == Outcome::Failed {
            Some(
                self.read_line("What went wrong? ", false)?
                    .trim()
                    .to_string(),
            )
            .filter(|r| !r.is_empty())
        } else {
            None
        };
        Ok(Reply::Answered {
            answers,
            outcome,
            reason,
        })
    }

    /// Edits one line; Enter returns it. Secret text is never drawn.
    fn read_line(&mut self, label: &str, secret: bool) -> Result<String, Reply> {
        let mut text = String::new();
        loop {
            self.line = format!(
                "{} {label}{}",
                self.paint("1;36", "?"),
                if secret { "" } else { text.as_str() }
            );
            match self.key()? {
                Key::Char(c) => text.push(c),
                Key::Backspace => {
                    text.pop();
                }
                Key::ClearLine => text.clear(),
                Key::Enter => {
                    self.finish_line();
                    return Ok(text);
                }
            }
        }
    }

    fn read_outcome(&mut self) -> Result<Outcome, Reply> {
        self.line = format!(
            "{} When the action is finished: [d] done, [f] failed, [s] skip (not applicable) ",
            self.paint("1;36", "?")
        );
        loop {
            let chosen = match self.key()? {
                Key::Char('d' | 'D') => Outcome::Done,
                Key::Char('f' | 'F') => Outcome::Failed,
                Key::Char('s' | 'S') => Outcome::Skipped,
                _ => continue,
            };
            self.line.push_str(chosen.as_str());
            self.draw();
            self.finish_line();
            return Ok(chosen);
        }
    }

    /// Waits for the next key, redrawing the countdown; returns the reason the dialogue ends
    /// when it is stopped, times out or the terminal fails.
    fn key(&mut self) -> Result<Key, Reply> {
        self.draw();
        let mut shown = self.seconds_left();
        loop {
            if let Some(why) = lock(&self.control.stop).take() {
                self.replace_line(&why);
                return Err(Reply::Dismissed);
            }
            let notices: Vec<String> = std::mem::take(&mut *lock(&self.control.notices));
            if !notices.is_empty() {
                for n in notices {
                    self.replace_line(&n);
                }
                self.draw();
            }
            if Instant::now() >= self.screen.deadline {
                self.replace_line("time is up");
                return Err(Reply::TimedOut);
            }
            if self.seconds_left() != shown {
                shown = self.seconds_left();
                self.draw();
            }
            if !event::poll(SLICE).map_err(|e| Reply::Unavailable(e.to_string()))? {
                continue;
            }
            let key = match event::read().map_err(|e| Reply::Unavailable(e.to_string()))? {
                Event::Key(k) if k.kind != KeyEventKind::Release => k,
                Event::Resize(..) => {
                    self.draw();
                    continue;
                }
                _ => continue,
            };
            let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
            return Ok(match key.code {
                KeyCode::Char('c') if ctrl => {
                    self.replace_line("interrupted (Ctrl-C): stopping the run; finally steps run and reports are written");
                    return Err(Reply::Interrupted);
                }
                KeyCode::Char('u') if ctrl => Key::ClearLine,
                KeyCode::Char(_) if ctrl => continue,
                KeyCode::Char(c) => Key::Char(c),
                KeyCode::Enter => Key::Enter,
                KeyCode::Backspace => Key::Backspace,
                _ => continue,
            });
        }
    }

    fn seconds_left(&self) -> u64 {
        self.screen
            .deadline
            .saturating_duration_since(Instant::now())
            .as_secs()
    }

    /// The prompt line with the countdown in front, cursor at its end.
    fn draw(&mut self) {
        let left = self.seconds_left();
        let clock = self.paint("2", &format!("[{}:{:02} left]", left / 60, left % 60));
        let _ = write!(self.out, "\r\x1b[2K{clock} {}", self.line);
        let _ = self.out.flush();
    }

    /// Ends the edited line (the countdown stays as it was when Enter was pressed).
    fn finish_line(&mut self) {
        let _ = write!(self.out, "\r\n");
        let _ = self.out.flush();
    }

    /// Replaces the prompt line with `text` and moves below it.
    fn replace_line(&mut self, text: &str) {
        let _ = write!(self.out, "\r\x1b[2K{}\r\n", text.replace('\n', "\r\n"));
        let _ = self.out.flush();
    }

    /// A line under the prompt, then the prompt again.
    fn say(&mut self, text: &str) {
        let text = self.paint("33", text);
        self.replace_line(&text);
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.screen.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// An integer stays an integer; anything else numeric becomes a float.
fn parse_number(text: &str) -> Option<Value> {
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::from(i));
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_kind_and_words_are_refused() {
        assert_eq!(parse_number("42"), Some(Value::from(42)));
        assert_eq!(parse_number(" 12.50 "), Some(Value::from(12.5)));
        assert_eq!(parse_number("12,50"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
    }
}

//! What can go wrong while a step runs, as one typed enum. Every step executor returns a
//! [`StepResult`]; only the step runner ([`super::step`]) turns it into the step's report, so
//! categories, statuses and source positions are decided in one place.

use crate::check::matcher::CheckError;
use crate::run::result::{Failure, FailureCategory};
use crate::scenario::model::Location;
use crate::scenario::yaml::Pos;

/// How a step that did not fail ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ran {
    Done,
    /// The step did not apply or chose not to act (dry run, an adapter's `skipped`); the reason
    /// is reported.
    Skipped(String),
}

pub type StepResult = Result<Ran, StepError>;

/// One failure of one step. `pos` is the YAML position of the key that asked for what failed
/// (the template, the matcher, the journal block); `None` means the step itself.
#[derive(Debug, Clone)]
pub enum StepError {
    /// A `{{ }}` template could not be rendered (a missing variable, a bad helper).
    Template { pos: Pos, message: String },
    /// The case, the run's options or the environment make the step impossible as written
    /// (no adapter command, a bad JSONPath, a journal step against the sandbox...).
    Configuration { pos: Option<Pos>, message: String },
    /// No response: connection refused, reset, TLS, DNS.
    Transport { pos: Option<Pos>, message: String },
    /// No response in time.
    Timeout { pos: Option<Pos>, message: String },
    /// An expectation (`expect`, `poll.until`, `assert: vars`, `exit_code`) did not hold.
    Check {
        pos: Option<Pos>,
        message: String,
        expected: Option<String>,
        actual: Option<String>,
    },
    /// An `exec` command exited with another code than the step expects.
    ExitCode {
        message: String,
        stderr_tail: Vec<String>,
    },
    /// A judgement over the emulator's journal did not hold; `evidence` lists the entries judged.
    Journal {
        pos: Pos,
        message: String,
        evidence: Vec<String>,
    },
    /// The operator action could not be performed or was reported failed (adapter, person,
    /// answers file, nobody there). `evidence` carries e.g. the harness's stderr.
    Operator {
        message: String,
        evidence: Vec<String>,
    },
    /// A step inside this one (a fragment's step, an `automate` step) failed; its failure is
    /// already located and categorised.
    Nested(Failure),
    /// Ctrl-C stopped the step: reported as skipped, never as a verdict.
    Interrupted,
}

impl StepError {
    pub fn template(pos: Pos, message: impl std::fmt::Display) -> StepError {
        StepError::Template {
            pos,
            message: message.to_string(),
        }
    }

    pub fn configuration(pos: Option<Pos>, message: impl Into<String>) -> StepError {
        StepError::Configuration {
            pos,
            message: message.into(),
        }
    }

    pub fn operator(message: impl Into<String>) -> StepError {
        StepError::Operator {
            message: message.into(),
            evidence: vec![],
        }
    }

    pub fn category(&self) -> FailureCategory {
        match self {
            StepError::Template { .. } | StepError::Configuration { .. } => {
                FailureCategory::Configuration
            }
            StepError::Transport { .. } => FailureCategory::Transport,
            StepError::Timeout { .. } => FailureCategory::Timeout,
            StepError::Check { .. } | StepError::Journal { .. } | StepError::ExitCode { .. } => {
                FailureCategory::Assertion
            }
            StepError::Operator { .. } => FailureCategory::Operator,
            StepError::Nested(f) => f.category,
            StepError::Interrupted => FailureCategory::Interrupted,
        }
    }

    /// Prefixes the message (e.g. "poll gave up after 5 polls: ").
    pub fn prefixed(mut self, prefix: &str) -> StepError {
        match &mut self {
            StepError::Template { message, .. }
            | StepError::Configuration { message, .. }
            | StepError::Transport { message, .. }
            | StepError::Timeout { message, .. }
            | StepError::Check { message, .. }
            | StepError::Journal { message, .. }
            | StepError::ExitCode { message, .. }
            | StepError::Operator { message, .. } => *message = format!("{prefix}{message}"),
            StepError::Nested(f) => f.message = format!("{prefix}{}", f.message),
            StepError::Interrupted => {}
        }
        self
    }

    /// The report's failure, located in the step's file (at `pos` when known). `None` for
    /// [`StepError::Interrupted`], which the runner reports as a skip.
    pub fn into_failure(self, location: &Location) -> Option<Failure> {
        let category = self.category();
        let at = |pos: Option<Pos>, message: String| {
            let pos = pos.unwrap_or(location.pos);
            Failure {
                category,
                message,
                expected: None,
                actual: None,
                file: location.file.path.display().to_string(),
                line: pos.line,
                column: pos.col,
                step: None,
                evidence: vec![],
            }
        };
        Some(match self {
            StepError::Template { pos, message } => at(Some(pos), message),
            StepError::Configuration { pos, message }
            | StepError::Transport { pos, message }
            | StepError::Timeout { pos, message } => at(pos, message),
            StepError::Check {
                pos,
                message,
                expected,
                actual,
            } => Failure {
                expected,
                actual,
                ..at(pos, message)
            },
            StepError::Journal {
                pos,
                message,
                evidence,
            } => Failure {
                evidence,
                ..at(Some(pos), message)
            },
            StepError::ExitCode {
                message,
                stderr_tail: evidence,
            }
            | StepError::Operator { message, evidence } => Failure {
                evidence,
                ..at(None, message)
            },
            StepError::Nested(f) => f,
            StepError::Interrupted => return None,
        })
    }
}

impl From<CheckError> for StepError {
    fn from(e: CheckError) -> StepError {
        match e {
            CheckError::Failed(f) => StepError::Check {
                pos: Some(f.pos),
                message: f.to_string(),
                expected: Some(f.expected),
                actual: Some(f.actual),
            },
            CheckError::Template(t, pos) => StepError::template(pos, t),
        }
    }
}

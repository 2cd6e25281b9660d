//! `--answers FILE`: operator prompts answered in advance, for semi-automated runs (a person did
//! the work at the till beforehand, or a script drives the till and knows the outcome).
//!
//! The file is YAML:
//!
//! ```yaml
//! answers:
//!   - case: payments/01-complete-a-payment   # the case id (its file path without extension;
//!                                            # a trailing part of it is enough) or its name
//!     step: Cashier starts the sale          # the operator step's name
//!     outcome: done                          # done | failed | skipped (not applicable)
//!     values:                                # optional: become case variables, like typed
//!       receiptNumber: "R-1042"              # inputs; templates such as {{orderId}} are
//!       amountShown: 12.5                    # rendered in the case's scope
//!     message: "receipt {{receiptNumber}}"   # optional: the reason, recorded in the reports
//!                                            # (rendered like the values)
//! ```
//!
//! The file is read and checked before the run starts; a mistake stops the run with exit code 2
//! and `file:line:col`. An answer applies every time its step runs in its case, with actor
//! "answers" in the reports. It must give a value for every `inputs` entry of the step when its
//! outcome is `done`; values for `secret` inputs are registered with the redactor and shown as
//! `***`. Steps with no answer fall back to the terminal prompt (or fail when unattended).

use super::prompt::conclude;
use super::terminal::{Answer as Typed, Outcome};
use super::Performed;
use crate::run::error::StepError;
use crate::run::result::OperatorActor;
use crate::run::{RunContext, Scope};
use crate::scenario::error::{LoadError, LoadErrorKind};
use crate::scenario::model::{InputKind, OperatorStep};
use crate::scenario::yaml::{self, Node, Pos};
use crate::template::Renderer;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const FILE_KEYS: &[&str] = &["answers"];
const ANSWER_KEYS: &[&str] = &["case", "step", "outcome", "values", "message"];

/// The parsed answers file.
#[derive(Debug, Default)]
pub struct Answers {
    entries: Vec<Answer>,
}

/// One pre-answered prompt.
#[derive(Debug, Clone)]
pub struct Answer {
    pub case: String,
    pub step: String,
    pub outcome: Outcome,
    /// Names and their (template) values, in file order.
    pub values: Vec<(String, Node)>,
    pub message: Option<String>,
    /// Where the entry is written, for errors about it.
    pub file: Arc<PathBuf>,
    pub pos: Pos,
}

impl Answers {
    /// Reads and checks `path`. The error is rendered rustc-style with the offending line.
    pub fn load(path: &Path) -> Result<Answers, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            LoadError::new(path, Pos::new(1, 1), LoadErrorKind::Io(e.to_string())).render(None)
        })?;
        Self::parse(path, &text).map_err(|e| e.render(Some(&text)))
    }

    pub fn parse(path: &Path, text: &str) -> Result<Answers, LoadError> {
        let err = |pos: Pos, kind: LoadErrorKind| LoadError::new(path, pos, kind);
        let invalid = |pos: Pos, m: String| err(pos, LoadErrorKind::InvalidValue(m));
        let root = yaml::parse(text).map_err(|e| err(e.pos, LoadErrorKind::Syntax(e.message)))?;
        check_keys(path, &root, FILE_KEYS, "a mapping with `answers:`")?;
        let list = root
            .get("answers")
            .ok_or_else(|| err(root.pos, LoadErrorKind::MissingKey("answers")))?;
        let items = list.as_seq().ok_or_else(|| {
            err(
                list.pos,
                LoadErrorKind::WrongType {
                    expected: "a list of answers",
                    found: list.kind(),
                },
            )
        })?;
        let file = Arc::new(path.to_path_buf());
        let mut entries: Vec<Answer> = Vec::new();
        for item in items {
            check_keys(path, item, ANSWER_KEYS, "an answer (a mapping)")?;
            let text_of = |key: &'static str| -> Result<String, LoadError> {
                let n = item
                    .get(key)
                    .ok_or_else(|| err(item.pos, LoadErrorKind::MissingKey(key)))?;
                n.scalar_text()
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| {
                        err(
                            n.pos,
                            LoadErrorKind::WrongType {
                                expected: "a non-empty string",
                                found: n.kind(),
                            },
                        )
                    })
            };
            let case = text_of("case")?;
            let step = text_of("step")?;
            let outcome_text = text_of("outcome")?;
            let outcome = match outcome_text.as_str() {
                "done" => Outcome::Done,
                "failed" => Outcome::Failed,
                "skipped" => Outcome::Skipped,
                other => {
                    return Err(invalid(
                        item.get("outcome").map(|n| n.pos).unwrap_or(item.pos),
                        format!("unknown outcome `{other}`; expected done, failed or skipped"),
                    ))
                }
            };
            let values = match item.get("values") {
                None => Vec::new(),
                Some(v) => v
                    .as_map()
                    .ok_or_else(|| {
                        err(
                            v.pos,
                            LoadErrorKind::WrongType {
                                expected: "a mapping of variable names to values",
                                found: v.kind(),
                            },
                        )
                    })?
                    .iter()
                    .map(|(k, n)| (k.name.clone(), n.clone()))
                    .collect(),
            };
            let message = match item.get("message") {
                None => None,
                Some(m) => Some(m.scalar_text().ok_or_else(|| {
                    err(
                        m.pos,
                        LoadErrorKind::WrongType {
                            expected: "a string",
                            found: m.kind(),
                        },
                    )
                })?),
            };
            if let Some(first) = entries.iter().find(|e| e.case == case && e.step == step) {
                return Err(invalid(
                    item.pos,
                    format!(
                        "a second answer for case `{case}`, step `{step}` (the first is at line {})",
                        first.pos.line
                    ),
                ));
            }
            entries.push(Answer {
                case,
                step,
                outcome,
                values,
                message,
                file: file.clone(),
                pos: item.pos,
            });
        }
        Ok(Answers { entries })
    }

    /// The answer for `step` in the running case, matched by case id (or a trailing part of it,
    /// at a `/`) or by case name.
    pub fn find(&self, scope: &Scope, step: &str) -> Option<Answer> {
        let var = |name: &str| {
            scope
                .get(name)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let (id, name) = (var("caseId"), var("caseName"));
        self.entries
            .iter()
            .find(|a| a.step == step && case_matches(&a.case, &id, &name))
            .cloned()
    }
}

fn case_matches(wanted: &str, id: &str, name: &str) -> bool {
    let wanted = wanted.trim_end_matches(".yaml").trim_end_matches(".yml");
    wanted == name
        || wanted == id
        || id
            .strip_suffix(wanted)
            .is_some_and(|head| head.ends_with('/'))
}

fn check_keys(
    path: &Path,
    node: &Node,
    allowed: &'static [&'static str],
    expected: &'static str,
) -> Result<(), LoadError> {
    let map = node.as_map().ok_or_else(|| {
        LoadError::new(
            path,
            node.pos,
            LoadErrorKind::WrongType {
                expected,
                found: node.kind(),
            },
        )
    })?;
    for (k, _) in map {
        if !allowed.contains(&k.name.as_str()) {
            return Err(LoadError::new(
                path,
                k.pos,
                LoadErrorKind::UnknownKey {
                    key: k.name.clone(),
                    expected: allowed.to_vec(),
                },
            ));
        }
    }
    Ok(())
}

/// Applies a pre-answered prompt: no waiting, actor "answers".
pub fn apply(ctx: &RunContext, op: &OperatorStep, answer: Answer, scope: &mut Scope) -> Performed {
    let at = format!("{}:{}", answer.file.display(), answer.pos);
    let mut values = Vec::with_capacity(answer.values.len());
    for (name, node) in &answer.values {
        let secret = op
            .inputs
            .iter()
            .any(|i| &i.name == name && i.kind == InputKind::Secret);
        let value = match Renderer::global().render_node(node, scope.as_value()) {
            Ok(v) => v,
            Err(e) => {
                let message = format!(
                    "the answer for `{}` ({}:{}) cannot be rendered: value `{name}`: {e}",
                    op.action,
                    answer.file.display(),
                    node.pos
                );
                return refuse(message);
            }
        };
        let number_wanted = op
            .inputs
            .iter()
            .any(|i| &i.name == name && i.kind == InputKind::Number);
        if number_wanted && !value.is_number() {
            let message = format!(
                "the answer for `{}` ({}:{}) gives `{name}` as {value}, but the step asks for a number",
                op.action,
                answer.file.display(),
                node.pos
            );
            return refuse(message);
        }
        values.push(Typed {
            name: name.clone(),
            value,
            secret,
        });
    }
    let message = match &answer.message {
        None => None,
        Some(m) => match Renderer::global().render_str(m, scope.as_value()) {
            Ok(text) => Some(text),
            Err(e) => {
                let message = format!(
                    "the answer for `{}` ({at}) cannot be rendered: message: {e}",
                    op.action
                );
                return refuse(message);
            }
        },
    };
    if answer.outcome == Outcome::Done {
        let missing: Vec<&str> = op
            .inputs
            .iter()
            .filter(|i| !answer.values.iter().any(|(n, _)| n == &i.name))
            .map(|i| i.name.as_str())
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "the answer for `{}` ({at}) gives no value for {}; the step asks for {}",
                op.action,
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                op.inputs
                    .iter()
                    .map(|i| format!("`{}`", i.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return refuse(message);
        }
    }
    conclude(
        ctx,
        op,
        scope,
        OperatorActor::Answers,
        answer.outcome,
        values,
        message,
    )
}

/// The answer does not fit the step: a configuration error of the run, not a verdict.
fn refuse(message: String) -> Performed {
    Performed::failed(
        OperatorActor::Answers,
        StepError::configuration(None, message),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Answers, String> {
        Answers::parse(Path::new("answers.yaml"), text).map_err(|e| e.one_line())
    }

    #[test]
    fn a_full_entry_is_read() {
        let a = parse(
            "answers:\n  - case: payments/01-x\n    step: Start\n    outcome: failed\n    values: { n: 3 }\n    message: no receipt\n",
        )
        .unwrap();
        assert_eq!(a.entries.len(), 1);
        let e = &a.entries[0];
        assert_eq!(
            (e.case.as_str(), e.step.as_str()),
            ("payments/01-x", "Start")
        );
        assert_eq!(e.outcome, Outcome::Failed);
        assert_eq!(e.values[0].0, "n");
        assert_eq!(e.message.as_deref(), Some("no receipt"));
        assert_eq!(e.pos, Pos::new(2, 5));
    }

    #[test]
    fn mistakes_point_at_their_line_and_column() {
        let e = parse("answers:\n  - case: a\n    step: b\n    outcome: maybe\n").unwrap_err();
        assert_eq!(
            e,
            "answers.yaml:4:14: unknown outcome `maybe`; expected done, failed or skipped"
        );
        let e = parse("answers:\n  - case: a\n    stp: b\n").unwrap_err();
        assert!(e.starts_with("answers.yaml:3:5: unknown key `stp`"), "{e}");
        let e = parse("answers:\n  - case: a\n    outcome: done\n").unwrap_err();
        assert_eq!(e, "answers.yaml:2:5: missing required key `step`");
        let e = parse("answer: []\n").unwrap_err();
        assert!(
            e.starts_with("answers.yaml:1:1: unknown key `answer`"),
            "{e}"
        );
        let e = parse(
            "answers:\n  - { case: a, step: b, outcome: done }\n  - { case: a, step: b, outcome: failed }\n",
        )
        .unwrap_err();
        assert!(e.contains("a second answer for case `a`, step `b`"), "{e}");
    }

    #[test]
    fn the_example_file_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/answers.yaml");
        let answers = Answers::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answers.entries.len(), 3);
    }

    #[test]
    fn cases_match_by_id_its_tail_or_name() {
        let id = "scenarios/payments/01-complete";
        assert!(case_matches(
            "scenarios/payments/01-complete",
            id,
            "Complete"
        ));
        assert!(case_matches("payments/01-complete", id, "Complete"));
        assert!(case_matches("payments/01-complete.yaml", id, "Complete"));
        assert!(case_matches("Complete", id, "Complete"));
        assert!(!case_matches("ments/01-complete", id, "Complete"));
        assert!(!case_matches("01-complet", id, "Complete"));
    }
}

//! Steps: exactly one action, `when:`, `if:`, `explain:`, and the default step name.

use super::*;
use crate::scenario::error::LoadErrorKind;
use crate::scenario::read::NodeReader;
use crate::scenario::yaml::{Key, Node};

impl Converter<'_> {
    pub(super) fn step(&mut self, node: &Node) -> Res<Step> {
        let entries = node
            .as_map()
            .ok_or_else(|| self.wrong_type(node, "a step (a mapping)"))?;
        let actions: Vec<&(Key, Node)> = entries
            .iter()
            .filter(|(k, _)| STEP_ACTIONS.contains(&k.name.as_str()))
            .collect();
        if actions.len() != 1 {
            let pos = actions.get(1).map(|(k, _)| k.pos).unwrap_or(node.pos);
            return Err(self.err(
                pos,
                LoadErrorKind::StepActions(actions.iter().map(|(k, _)| k.name.clone()).collect()),
            ));
        }
        let (action_key, action_node) = actions[0];
        let mut allowed: Vec<&'static str> = STEP_COMMON_KEYS.to_vec();
        allowed.extend(STEP_ACTIONS);
        match action_key.name.as_str() {
            "request" => allowed.extend(REQUEST_MODIFIER_KEYS),
            "use" => allowed.push("with"),
            _ => {}
        }
        self.map(node, &allowed)?;

        let name = match node.get("name") {
            Some(n) => self.string(n)?,
            None => default_step_name(&action_key.name, action_node),
        };
        let when = node
            .get("when")
            .map(|n| self.when(n))
            .transpose()?
            .unwrap_or_default();
        let condition = node.get("if").map(|n| self.template(n)).transpose()?;
        let explain = node.get("explain").map(|n| self.string(n)).transpose()?;
        let severity = self.severity(node)?;
        let action = match action_key.name.as_str() {
            "request" => Action::Request(Box::new(self.request(action_node, Some(node))?)),
            "operator" => Action::Operator(Box::new(self.operator(action_node)?)),
            "exec" => Action::Exec(Box::new(self.exec(action_node)?)),
            "assert" => Action::Assert(Box::new(self.assert(action_node)?)),
            "wait" => Action::Wait(match action_node.as_str() {
                Some(text) if text.contains("{{") => WaitFor::Template(self.template(action_node)?),
                _ => WaitFor::Fixed(self.duration(action_node)?),
            }),
            "set" => Action::Set(self.raw_map(action_node)?),
            "use" => {
                let reference = self.string(action_node)?;
                let with = node
                    .get("with")
                    .map(|n| self.raw_map(n))
                    .transpose()?
                    .unwrap_or_default();
                let file = self.file.path.clone();
                let (fragment, steps) =
                    self.fragments
                        .load_fragment(&file, &reference, action_node.pos)?;
                Action::Use(UseStep {
                    fragment,
                    with,
                    steps,
                })
            }
            other => unreachable!("filtered to STEP_ACTIONS above, got {other}"),
        };
        Ok(Step {
            name,
            location: self.location(node.pos),
            when,
            condition,
            explain,
            severity,
            action,
        })
    }

    /// `severity: hard | advisory` and its `because:`: an advisory judgement must say which
    /// inferred rule it rests on, and `because:` means nothing on a hard one.
    fn severity(&self, node: &Node) -> Res<Severity> {
        let because = node.get("because");
        let Some(level) = node.get("severity") else {
            return match because {
                Some(b) => Err(self.invalid(
                    b.pos,
                    "`because:` explains `severity: advisory`; add `severity: advisory` or remove it",
                )),
                None => Ok(Severity::Hard),
            };
        };
        match self.string(level)?.as_str() {
            "hard" => match because {
                Some(b) => {
                    Err(self.invalid(b.pos, "`because:` only goes with `severity: advisory`"))
                }
                None => Ok(Severity::Hard),
            },
            "advisory" => match because {
                Some(b) => Ok(Severity::Advisory {
                    because: self.string(b)?,
                }),
                None => Err(self.invalid(
                    level.pos,
                    "an advisory judgement needs `because:`: name the inferred rule it rests on",
                )),
            },
            other => Err(self.invalid(
                level.pos,
                format!("unknown severity `{other}`; expected hard or advisory"),
            )),
        }
    }

    pub(super) fn when(&self, node: &Node) -> Res<Vec<WhenCondition>> {
        let values = self.string_list(node)?;
        values
            .iter()
            .map(|v| match v.as_str() {
                "reference" => Ok(WhenCondition::Client(ClientMode::Reference)),
                "adapter" => Ok(WhenCondition::Client(ClientMode::Adapter)),
                "operator" => Ok(WhenCondition::Client(ClientMode::Operator)),
                "emulator" => Ok(WhenCondition::Target(TargetKind::Emulator)),
                "sandbox" => Ok(WhenCondition::Target(TargetKind::Sandbox)),
                other => Err(self.invalid(
                    node.pos,
                    format!(
                        "unknown `when` value `{other}`; expected one of: {}",
                        WHEN_VALUES.join(", ")
                    ),
                )),
            })
            .collect()
    }
}

fn default_step_name(action: &str, node: &Node) -> String {
    match action {
        "request" => {
            let method = node
                .get("method")
                .and_then(Node::scalar_text)
                .unwrap_or_else(|| "GET".into());
            let url = node
                .get("url")
                .and_then(Node::scalar_text)
                .unwrap_or_default();
            format!("{} {}", method.to_ascii_uppercase(), url)
        }
        "wait" => format!("wait {}", node.scalar_text().unwrap_or_default()),
        "use" => format!("use {}", node.scalar_text().unwrap_or_default()),
        "operator" => format!(
            "{} {}",
            node.get("role")
                .and_then(Node::scalar_text)
                .unwrap_or_default(),
            node.get("action")
                .and_then(Node::scalar_text)
                .unwrap_or_default()
        ),
        other => other.to_string(),
    }
}

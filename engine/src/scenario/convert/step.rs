//! Steps: exactly one action, `when:`, `if:`, `explain:`, the default step name, and `group:`.
//!
//! A group is a writing shorthand, not a step of its own: its steps are put in the list in its
//! place, each with the group's `when:` merged into its own and the group's `if:` checked before
//! its own. Reports, JUnit and certificates therefore show exactly the steps they would show had
//! the conditions been written on every step, and nothing downstream knows groups exist.

use super::*;
use crate::scenario::error::LoadErrorKind;
use crate::scenario::read::NodeReader;
use crate::scenario::yaml::{Key, Node};

impl Converter<'_> {
    /// Converts one list item and appends it (or, for a group, the steps inside it) to `out`.
    pub(super) fn step(&mut self, node: &Node, out: &mut Vec<Step>) -> Res<()> {
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
        if action_key.name == "group" {
            return self.group(node, action_node, out);
        }
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
        let conditions = node
            .get("if")
            .map(|n| self.template(n))
            .transpose()?
            .into_iter()
            .collect();
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
                let interface = self.fragments.fragment_interface(&fragment);
                if let Some(with_node) = node.get("with") {
                    self.known_params(with_node, &reference, &interface)?;
                }
                Action::Use(UseStep {
                    fragment,
                    with,
                    steps,
                    interface,
                    pos: action_key.pos,
                })
            }
            other => unreachable!("filtered to STEP_ACTIONS above, got {other}"),
        };
        out.push(Step {
            name,
            location: self.location(node.pos),
            when,
            conditions,
            explain,
            severity,
            action,
        });
        Ok(())
    }

    /// Every `with:` key must be a param the fragment declares (when it declares any interface).
    fn known_params(
        &self,
        with_node: &Node,
        reference: &str,
        interface: &FragmentInterface,
    ) -> Res<()> {
        if !interface.declared {
            return Ok(());
        }
        let names: Vec<&str> = interface.params.iter().map(|p| p.name.as_str()).collect();
        for (key, _) in with_node.as_map().unwrap_or_default() {
            if interface.param(&key.name).is_some() {
                continue;
            }
            let hint = crate::scenario::error::suggestion(&key.name, &names)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            let known = if names.is_empty() {
                "it takes none".to_string()
            } else {
                format!("its params are: {}", names.join(", "))
            };
            return Err(self.invalid(
                key.pos,
                format!(
                    "`{}` is not a param of {reference}{hint}; {known}",
                    key.name
                ),
            ));
        }
        Ok(())
    }

    /// `group: <what the steps do together>` with `steps:`, and optionally `when:` and `if:`.
    fn group(&mut self, node: &Node, heading: &Node, out: &mut Vec<Step>) -> Res<()> {
        if let Some((key, _)) = node
            .as_map()
            .unwrap_or_default()
            .iter()
            .find(|(k, _)| k.name == "name")
        {
            return Err(self.invalid(
                key.pos,
                "a group is named by the text of `group:` itself; remove `name:`",
            ));
        }
        self.map(node, GROUP_KEYS)?;
        self.string(heading)?;
        let when = node.get("when").map(|n| self.when(n)).transpose()?;
        let condition = node.get("if").map(|n| self.template(n)).transpose()?;
        let inner = self.steps(self.required(node, "steps")?)?;
        if inner.is_empty() {
            return Err(self.invalid(node.pos, "a group needs at least one step under `steps`"));
        }
        for mut step in inner {
            if let Some(group_when) = &when {
                step.when = merge_when(group_when, &step.when).ok_or_else(|| {
                    self.invalid(
                        step.location.pos,
                        format!(
                            "this step can never run: its `when:` and the `when:` of its group (line {}) have no client mode or target in common",
                            node.pos.line
                        ),
                    )
                })?;
            }
            if let Some(c) = &condition {
                step.conditions.insert(0, c.clone());
            }
            out.push(step);
        }
        Ok(())
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

/// A step inside a group runs for the client modes both allow and the targets both allow (a
/// category one of them leaves open is the other's). None when they exclude each other.
fn merge_when(group: &[WhenCondition], own: &[WhenCondition]) -> Option<Vec<WhenCondition>> {
    fn is_client(w: &WhenCondition) -> bool {
        matches!(w, WhenCondition::Client(_))
    }
    fn is_target(w: &WhenCondition) -> bool {
        matches!(w, WhenCondition::Target(_))
    }
    let mut merged = Vec::new();
    for category in [is_client as fn(&WhenCondition) -> bool, is_target] {
        let g: Vec<WhenCondition> = group.iter().copied().filter(category).collect();
        let o: Vec<WhenCondition> = own.iter().copied().filter(category).collect();
        let both: Vec<WhenCondition> = match (g.is_empty(), o.is_empty()) {
            (true, _) => o,
            (_, true) => g,
            (false, false) => {
                let common: Vec<WhenCondition> = o.into_iter().filter(|w| g.contains(w)).collect();
                if common.is_empty() {
                    return None;
                }
                common
            }
        };
        merged.extend(both);
    }
    Some(merged)
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

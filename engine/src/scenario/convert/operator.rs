//! `operator:` (role, catalogue action, params, prompt, inputs, watch, automate) and `exec:`.

use super::*;
use crate::scenario::read::NodeReader;
use crate::scenario::yaml::{Node, Value};

impl Converter<'_> {
    pub(super) fn operator(&mut self, node: &Node) -> Res<OperatorStep> {
        self.map(node, OPERATOR_KEYS)?;
        let role_node = self.required(node, "role")?;
        let role = match self.string(role_node)?.as_str() {
            "cashier" => Role::Cashier,
            "customer" => Role::Customer,
            other => {
                return Err(self.invalid(
                    role_node.pos,
                    format!("unknown role `{other}`; expected cashier or customer"),
                ))
            }
        };
        let action_node = self.required(node, "action")?;
        let action = self.string(action_node)?;
        let known = crate::scenario::catalogue::is_known(role, &action);
        if !known {
            return Err(self.invalid(
                action_node.pos,
                format!(
                    "unknown {} action `{action}`; the catalogue has: {}",
                    if role == Role::Cashier {
                        "cashier"
                    } else {
                        "customer"
                    },
                    crate::scenario::catalogue::names(role).join(", ")
                ),
            ));
        }
        let params = node
            .get("params")
            .map(|n| self.raw_map(n))
            .transpose()?
            .unwrap_or_default();
        let prompt = node.get("prompt").map(|n| self.template(n)).transpose()?;
        let inputs = match node.get("inputs") {
            None => Vec::new(),
            Some(n) => n
                .as_seq()
                .ok_or_else(|| self.wrong_type(n, "a list of inputs"))?
                .iter()
                .map(|i| -> Res<Input> {
                    self.map(i, INPUT_KEYS)?;
                    let kind_node = i.get("type");
                    let kind = match kind_node.map(|k| self.string(k)).transpose()?.as_deref() {
                        None | Some("text") => InputKind::Text,
                        Some("number") => InputKind::Number,
                        Some("secret") => InputKind::Secret,
                        Some(other) => {
                            return Err(self.invalid(
                                kind_node.map(|k| k.pos).unwrap_or(i.pos),
                                format!(
                                    "unknown input type `{other}`; expected text, number or secret"
                                ),
                            ))
                        }
                    };
                    Ok(Input {
                        name: self.string(self.required(i, "name")?)?,
                        label: i.get("label").map(|l| self.string(l)).transpose()?,
                        kind,
                    })
                })
                .collect::<Res<Vec<_>>>()?,
        };
        let timeout = node
            .get("timeout")
            .map(|n| self.duration(n))
            .transpose()?
            .unwrap_or(DEFAULT_OPERATOR_TIMEOUT);
        let automate = match node.get("automate") {
            Some(n) => self.steps(n)?,
            None => Vec::new(),
        };
        let watch = match node.get("watch") {
            None => None,
            Some(w) => {
                self.map(w, WATCH_KEYS)?;
                let mut request = self.request(self.required(w, "request")?, None)?;
                let poll_fields = Node {
                    pos: w.pos,
                    value: Value::Map(
                        w.as_map()
                            .unwrap_or_default()
                            .iter()
                            .filter(|(k, _)| k.name != "request")
                            .cloned()
                            .collect(),
                    ),
                };
                let mut poll = self.poll(&poll_fields)?;
                // A watch that gives no timeout watches as long as the operator is waited for:
                // a shorter one would stop watching while the person is still at work.
                if w.get("timeout").is_none() {
                    poll.timeout = timeout;
                }
                request.poll = Some(poll);
                Some(Box::new(request))
            }
        };
        Ok(OperatorStep {
            role,
            action,
            params,
            prompt,
            inputs,
            timeout,
            automate,
            watch,
        })
    }

    pub(super) fn exec(&self, node: &Node) -> Res<ExecStep> {
        self.map(node, EXEC_KEYS)?;
        let command = self.template(self.required(node, "command")?)?;
        let args = match node.get("args") {
            None => Vec::new(),
            Some(n) => n
                .as_seq()
                .ok_or_else(|| self.wrong_type(n, "a list of arguments"))?
                .iter()
                .map(|a| self.template(a))
                .collect::<Res<Vec<_>>>()?,
        };
        let timeout = node.get("timeout").map(|n| self.duration(n)).transpose()?;
        let exit_code = match node.get("exit_code") {
            None => 0,
            Some(n) => match n.value {
                Value::Int(i) if (i32::MIN as i64..=i32::MAX as i64).contains(&i) => i as i32,
                _ => return Err(self.wrong_type(n, "an exit code")),
            },
        };
        let capture = node
            .get("capture")
            .map(|n| self.captures(n))
            .transpose()?
            .unwrap_or_default();
        Ok(ExecStep {
            command,
            args,
            timeout,
            exit_code,
            capture,
        })
    }
}

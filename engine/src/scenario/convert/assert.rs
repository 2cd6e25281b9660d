//! `assert:` over variables and over the emulator's request journal.

use super::*;
use crate::scenario::read::NodeReader;
use crate::scenario::yaml::{Node, Value};

impl Converter<'_> {
    pub(super) fn assert(&self, node: &Node) -> Res<AssertStep> {
        self.map(node, ASSERT_KEYS)?;
        let vars = node
            .get("vars")
            .map(|n| self.check_map(n, false))
            .transpose()?
            .unwrap_or_default();
        let journal = node.get("journal").map(|n| self.journal(n)).transpose()?;
        if vars.is_empty() && journal.is_none() {
            return Err(self.invalid(node.pos, "an assert needs `vars` or `journal`"));
        }
        Ok(AssertStep { vars, journal })
    }

    pub(super) fn journal(&self, node: &Node) -> Res<JournalAssert> {
        self.map(node, JOURNAL_KEYS)?;
        let opt_template = |k: &str| node.get(k).map(|n| self.template(n)).transpose();
        let same = node
            .get("same")
            .map(|n| self.string_list(n))
            .transpose()?
            .unwrap_or_default();
        for s in &same {
            self.jsonpath(s, node.get("same").map(|n| n.pos).unwrap_or(node.pos))?;
        }
        let min_interval = match node.get("min_interval") {
            None => None,
            Some(n) => Some(match &n.value {
                Value::Map(_) => {
                    self.map(n, MIN_INTERVAL_KEYS)?;
                    MinInterval::FromResponse(self.string(self.required(n, "from_response")?)?)
                }
                _ => MinInterval::Fixed(self.duration(n)?),
            }),
        };
        Ok(JournalAssert {
            method: opt_template("method")?,
            path: opt_template("path")?,
            path_prefix: opt_template("path_prefix")?,
            body_contains: opt_template("body_contains")?,
            query_contains: opt_template("query_contains")?,
            count: node.get("count").map(|n| self.check(n)).transpose()?,
            each: node
                .get("each")
                .map(|n| self.check_map(n, true))
                .transpose()?
                .unwrap_or_default(),
            same,
            min_interval,
            none_after: node
                .get("none_after")
                .map(|n| self.check_map(n, true))
                .transpose()?
                .unwrap_or_default(),
            explain: node.get("explain").map(|n| self.string(n)).transpose()?,
            pos: node.pos,
        })
    }
}

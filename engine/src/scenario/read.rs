//! Reading positioned YAML nodes with errors that point at them: the checks every YAML file of
//! poscert needs (case files, fragments, feature files, poscert.yaml, answers files).
//! Implementors only say which file they read.

use super::error::{LoadError, LoadErrorKind};
use super::yaml::{Key, Node, Pos};
use std::path::Path;

pub trait NodeReader {
    /// The file being read, for error positions.
    fn file_path(&self) -> &Path;

    fn err(&self, pos: Pos, kind: LoadErrorKind) -> LoadError {
        LoadError::new(self.file_path(), pos, kind)
    }

    fn invalid(&self, pos: Pos, message: impl Into<String>) -> LoadError {
        self.err(pos, LoadErrorKind::InvalidValue(message.into()))
    }

    fn wrong_type(&self, node: &Node, expected: &'static str) -> LoadError {
        self.err(
            node.pos,
            LoadErrorKind::WrongType {
                expected,
                found: node.kind(),
            },
        )
    }

    /// The node as a mapping whose keys are all in `allowed` (else "unknown key, did you mean").
    fn map<'n>(
        &self,
        node: &'n Node,
        allowed: &[&'static str],
    ) -> Result<&'n [(Key, Node)], LoadError> {
        let entries = node
            .as_map()
            .ok_or_else(|| self.wrong_type(node, "a mapping"))?;
        for (key, _) in entries {
            if !allowed.contains(&key.name.as_str()) {
                return Err(self.err(
                    key.pos,
                    LoadErrorKind::UnknownKey {
                        key: key.name.clone(),
                        expected: allowed.to_vec(),
                    },
                ));
            }
        }
        Ok(entries)
    }

    fn required<'n>(&self, node: &'n Node, key: &'static str) -> Result<&'n Node, LoadError> {
        node.get(key)
            .ok_or_else(|| self.err(node.pos, LoadErrorKind::MissingKey(key)))
    }
}

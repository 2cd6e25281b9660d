//! A case's variables: target values, `--var`s, case `vars`, captures, in one JSON object so
//! templates can read them without copying.

use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub struct Scope {
    value: Value,
}

impl Scope {
    pub fn new(initial: Map<String, Value>) -> Self {
        Scope {
            value: Value::Object(initial),
        }
    }

    pub fn as_value(&self) -> &Value {
        &self.value
    }

    pub fn set(&mut self, name: &str, v: Value) {
        if let Value::Object(m) = &mut self.value {
            m.insert(name.to_string(), v);
        }
    }

    pub fn get(&self, path: &str) -> Option<&Value> {
        crate::template::lookup(&self.value, path)
    }
}

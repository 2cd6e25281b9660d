//! A case's variables: target values, `--var`s, case `vars`, captures, in one JSON object so
//! templates can read them without copying.

use serde_json::{Map, Value};

#[derive(Debug)]
pub struct Scope {
    value: Value,
    /// True while the engine performs the POS client's work (an operator's `automate` steps).
    /// Requests then say `X-Poscert-Actor: client` to the emulator, so the journal can tell the
    /// client's calls from the judge's.
    pub acting_as_client: bool,
    /// The case's adapter harness, once its first cashier action started it.
    pub adapter: Option<crate::run::operator::adapter::AdapterProcess>,
    /// False while `finally` runs: clean-up must finish even after Ctrl-C.
    pub interruptible: bool,
}

impl Scope {
    pub fn new(initial: Map<String, Value>) -> Self {
        Scope {
            value: Value::Object(initial),
            acting_as_client: false,
            adapter: None,
            interruptible: true,
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

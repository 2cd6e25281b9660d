//! Judging responses and variables: matchers, JSONPath queries, JSON Schema validation, and the
//! emulator's request journal. Nothing here sends requests.

pub mod journal;
pub mod jsonpath;
pub mod matcher;
pub mod schema;

pub use matcher::{evaluate, CheckFailure};

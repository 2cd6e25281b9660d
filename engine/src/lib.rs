//! poscert-engine: runs MobilePay PoS API v10 certification cases written in YAML.
//!
//! The crate is split the way a reader looks for things:
//! - [`scenario`]: the language (model, YAML loading with positions, errors);
//! - [`template`]: `{{ }}` rendering; [`check`]: matchers, JSONPath, schemas, journal judgements;
//! - [`http`]: targets, tokens, sending; [`run`]: the executor; [`operator`]: who plays whom;
//! - [`report`]: console, JSON, JUnit and redaction; [`cli`]: the command line.

pub mod approval;
pub mod check;
pub mod cli;
pub mod config;
pub mod http;
pub mod identity;
pub mod redact;
pub mod report;
pub mod run;
pub mod scenario;
pub mod template;

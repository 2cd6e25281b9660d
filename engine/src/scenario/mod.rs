//! The scenario language: the typed model, YAML loading with positions, and load errors.
//! Nothing here performs I/O beyond reading the case files.

pub mod catalogue;
pub mod convert;
pub mod duration;
pub mod error;
pub mod jsonpath;
pub mod load;
pub mod model;
pub mod pos_v10_schemas;
pub mod read;
pub mod tags;
pub mod yaml;

pub use error::{LoadError, LoadErrorKind};
pub use load::{load_paths, load_paths_keeping, load_sources, Reloader, Suite};
pub use model::*;

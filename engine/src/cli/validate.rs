//! `poscert-engine validate`: load everything, run nothing.

use super::args::{EXIT_INVALID, EXIT_OK};
use crate::scenario::load_paths;
use std::io::IsTerminal;
use std::path::PathBuf;

pub fn validate(paths: &[PathBuf], config: Option<&std::path::Path>) -> i32 {
    // poscert.yaml is input too: a mistake there would only show when the real run starts.
    let config_ok = match crate::config::discover(config) {
        Ok(Some(c)) => {
            println!(
                "poscert.yaml: {} {}",
                c.identity.system_name.value, c.identity.version.value
            );
            true
        }
        Ok(None) => true,
        Err(e) => {
            eprint!("{}", e.render());
            false
        }
    };
    let suite = load_paths(paths);
    super::print_load_errors(&suite, super::use_color(std::io::stderr().is_terminal()));
    let fragments: std::collections::BTreeSet<_> = suite
        .cases
        .iter()
        .flat_map(|c| c.setup.iter().chain(&c.steps).chain(&c.finally))
        .filter_map(|s| match &s.action {
            crate::scenario::Action::Use(u) => Some(u.fragment.clone()),
            _ => None,
        })
        .collect();
    println!(
        "{} cases, {} features, {} fragments checked; {} invalid file(s)",
        suite.cases.len(),
        suite.features.len(),
        fragments.len(),
        suite.errors.len()
    );
    if config_ok && suite.errors.is_empty() && (suite.cases.len() + suite.features.len()) > 0 {
        EXIT_OK
    } else {
        if suite.cases.is_empty() && suite.errors.is_empty() {
            eprintln!(
                "error: no case files found in {}",
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        EXIT_INVALID
    }
}

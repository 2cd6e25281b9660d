//! `poscert-engine list`: features and their cases, with tags and files.

use super::args::{SelectionArgs, EXIT_INVALID, EXIT_OK};
use super::select::select;
use std::io::IsTerminal;
use std::path::PathBuf;

pub fn list(paths: &[PathBuf], selection: &SelectionArgs) -> i32 {
    // The planned form is all a listing shows: no case is kept parsed.
    let (suite, _) = crate::run::plan::plan_paths(paths);
    super::print_load_errors(&suite, super::use_color(std::io::stderr().is_terminal()));
    let cases = match select(selection, &suite.features, suite.cases) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INVALID;
        }
    };
    let mut current = String::new();
    for c in &cases {
        if *c.feature != *current {
            current = c.feature.to_string();
            let feature = suite.features.iter().find(|f| f.id == current);
            let name = feature.map(|f| f.name.as_str()).unwrap_or(current.as_str());
            let requires = feature
                .filter(|f| !f.requires.is_empty())
                .map(|f| format!(" (requires {})", f.requires.join(", ")))
                .unwrap_or_default();
            println!("{current}: {name}{requires}");
        }
        let tags = if c.tags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", c.tags.join(", "))
        };
        let number = c
            .case_number
            .map(|n| format!("case {n}: "))
            .unwrap_or_default();
        println!("  {number}{}{tags}  {}", c.name, c.file.path.display());
    }
    println!("{} cases", cases.len());
    if suite.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_INVALID
    }
}

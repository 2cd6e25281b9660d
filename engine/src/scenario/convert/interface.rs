//! Fragment interfaces, checked before anything runs: a `use:` must give every required param of
//! the fragment, and a fragment may only declare `gives` it really sets.
//!
//! "Given" is decided statically, walking the steps in order (setup, steps, finally) and
//! collecting the names each step can set. A param counts as given when `with:` passes it, or
//! when at that point the case has a variable of that name:
//! - a built-in ([`BUILTIN_VARS`]) or one of the case's `vars`;
//! - a key of an earlier `set:`; a capture of an earlier request or exec;
//! - what an earlier operator step returns (the catalogue's `returns`, its `inputs`, its watch's
//!   captures, and what its `automate` steps set);
//! - what an earlier `use:`d fragment declares in `gives` (a fragment without a declared
//!   interface gives everything its steps and its `with:` set, as before interfaces existed).
//!
//! Not counted: `--var`s (validate cannot see them: declare the variable in `vars`), and what a
//! fragment leaves behind without declaring it (its params, defaults and internal captures stay
//! in the scope at run time, but a case that relied on them would break the day the fragment
//! changes its insides). Steps that `when:` or `if:` may skip still count: the check catches a
//! forgotten param; it does not prove every run sets every variable (a run still stops with
//! "missing variable" at the step that reads one it lacks).
//!
//! Inside a fragment with a declared interface the same walk starts from the built-ins and the
//! fragment's params, so a fragment's own `use:`s are checked once, where they are written.

use super::*;
use crate::scenario::catalogue;
use std::collections::BTreeSet;

/// The variables every case starts with, before its `vars` (README, "Every case starts with").
/// `run::case` and `http::target` set them; engine/tests/fragment_interface.rs keeps the two
/// lists equal by asserting each one exists in a real run.
pub const BUILTIN_VARS: &[&str] = &[
    "pos",
    "posPath",
    "tokenUrl",
    "userSimulation",
    "emulator",
    "target",
    "merchantVat",
    "merchantBrandId",
    "merchantLocationId",
    "clientVersion",
    "users",
    "env",
    "clientMode",
    "customerMode",
    "caseName",
    "caseId",
    "feature",
    "clientTimeoutMs",
    "faultDelayMs",
    "callbackAlias",
    "callbackUrl",
];

type Known = BTreeSet<String>;

fn builtins() -> Known {
    BUILTIN_VARS.iter().map(|s| s.to_string()).collect()
}

/// Every `use:` of the case (including those of a default setup/finally from `feature.yaml`).
pub(super) fn check_case(case: &Case) -> Res<()> {
    let mut known = builtins();
    known.extend(case.vars.iter().map(|(k, _)| k.clone()));
    for phase in [&case.setup, &case.steps, &case.finally] {
        check_steps(phase, &mut known, Some(&case.file.path))?;
    }
    Ok(())
}

/// A fragment's own `use:`s, and that each of its `gives` is a param or set by one of its steps.
pub(super) fn check_fragment(
    file: &Path,
    steps: &[Step],
    interface: &FragmentInterface,
) -> Res<()> {
    if !interface.declared {
        return Ok(());
    }
    let mut known = builtins();
    known.extend(interface.params.iter().map(|p| p.name.clone()));
    check_steps(steps, &mut known, None)?;
    for give in &interface.gives {
        if !known.contains(&give.name) {
            return Err(LoadError::new(
                file,
                give.pos,
                LoadErrorKind::InvalidValue(format!(
                    "`{}` is declared under `gives`, but no step of this fragment sets it (with `set:`, a capture, an operator's results or a fragment's `gives`) and it is not a param",
                    give.name
                )),
            ));
        }
    }
    Ok(())
}

/// Checks each `use:` against what is known before it, then adds what the step sets.
/// `case` is the case being checked, named in errors about steps written in another file.
fn check_steps(steps: &[Step], known: &mut Known, case: Option<&Path>) -> Res<()> {
    for step in steps {
        match &step.action {
            Action::Use(u) => check_use(step, u, known, case)?,
            Action::Operator(op) => check_steps(&op.automate, &mut known.clone(), case)?,
            _ => {}
        }
        add_sets(step, known);
    }
    Ok(())
}

fn check_use(step: &Step, u: &UseStep, known: &Known, case: Option<&Path>) -> Res<()> {
    if !u.interface.declared {
        return Ok(());
    }
    let missing: Vec<&Param> = u
        .interface
        .params
        .iter()
        .filter(|p| p.default.is_none())
        .filter(|p| !known.contains(&p.name) && !u.with.iter().any(|(k, _)| *k == p.name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing
        .iter()
        .map(|p| format!("`{}` ({})", p.name, p.description))
        .collect::<Vec<_>>()
        .join(", ");
    let with = missing
        .iter()
        .map(|p| format!("{}: ...", p.name))
        .collect::<Vec<_>>()
        .join(", ");
    let (it, is) = if missing.len() == 1 {
        ("it", "is")
    } else {
        ("them", "are")
    };
    let for_case = match case {
        Some(c) if c != step.location.file.path => format!(" (for the case {})", c.display()),
        _ => String::new(),
    };
    Err(LoadError::new(
        &step.location.file.path,
        u.pos,
        LoadErrorKind::InvalidValue(format!(
            "{} needs {list}, which {is} not given here{for_case}: pass {it} with `with: {{ {with} }}`, or set {it} before this step (in the case's `vars`, with a `set:` or a capture, or by a fragment that lists {it} under `gives`)",
            u.fragment.display()
        )),
    ))
}

/// Adds the names `step` can set for the steps after it.
fn add_sets(step: &Step, known: &mut Known) {
    match &step.action {
        Action::Set(values) => known.extend(values.iter().map(|(k, _)| k.clone())),
        Action::Request(r) => known.extend(r.capture.iter().map(|c| c.name.clone())),
        Action::Exec(e) => known.extend(e.capture.iter().map(|c| c.name.clone())),
        Action::Operator(op) => {
            if let Some(spec) = catalogue::find(op.role, &op.action) {
                known.extend(spec.returns.iter().map(|r| r.to_string()));
            }
            known.extend(op.inputs.iter().map(|i| i.name.clone()));
            if let Some(w) = &op.watch {
                known.extend(w.capture.iter().map(|c| c.name.clone()));
            }
            for s in &op.automate {
                add_sets(s, known);
            }
        }
        Action::Use(u) if u.interface.declared => {
            known.extend(u.interface.gives.iter().map(|g| g.name.clone()))
        }
        Action::Use(u) => {
            known.extend(u.with.iter().map(|(k, _)| k.clone()));
            for s in u.steps.iter() {
                add_sets(s, known);
            }
        }
        Action::Assert(_) | Action::Wait(_) => {}
    }
}

// ---- what a fragment reads --------------------------------------------------------------------

/// Helpers a template may call (`template/helpers.rs` and handlebars' own): a bare `{{uuid}}`
/// calls one rather than reading a variable.
const HELPERS: &[&str] = &[
    "uuid", "now", "digits", "json", "has", "eq", "ne", "gt", "gte", "lt", "lte", "and", "or",
    "not", "len", "if", "unless", "each", "with", "lookup", "log", "raw",
];

/// Keys of a step whose text is shown, never rendered.
const PLAIN_TEXT_KEYS: &[&str] = &["name", "description", "explain", "group"];

/// A fragment that declares its interface must declare everything it reads: every variable its
/// templates read is a built-in, a param, or set by one of its own steps. Otherwise the
/// interface would be a promise validate cannot keep (a case that gives every param would still
/// stop at run time with "missing variable").
pub(super) fn check_reads(
    file: &Path,
    root: &Node,
    steps: &[Step],
    interface: &FragmentInterface,
) -> Res<()> {
    if !interface.declared {
        return Ok(());
    }
    let mut known = builtins();
    known.extend(interface.params.iter().map(|p| p.name.clone()));
    for step in steps {
        add_sets(step, &mut known);
    }
    let mut reads = Vec::new();
    if let Some(list) = root.get("steps") {
        step_list_reads(list, &mut reads);
    }
    for param in &interface.params {
        if let Some(default) = &param.default {
            value_reads(default, &mut reads);
        }
    }
    match reads.into_iter().find(|(name, _)| !known.contains(name)) {
        None => Ok(()),
        Some((name, pos)) => Err(LoadError::new(
            file,
            pos,
            LoadErrorKind::InvalidValue(format!(
                "this fragment reads `{name}`, which is not one of its params, a built-in variable, or set by one of its steps; declare it under `params:` (e.g. `{name}: <what it is and which fragment usually gives it>`)"
            )),
        )),
    }
}

/// The variables read by a list of steps, with where each read is written.
fn step_list_reads(list: &Node, out: &mut Vec<(String, Pos)>) {
    for step in list.as_seq().unwrap_or_default() {
        for (key, value) in step.as_map().unwrap_or_default() {
            match key.name.as_str() {
                k if PLAIN_TEXT_KEYS.contains(&k) => {}
                "steps" => step_list_reads(value, out),
                "operator" => {
                    for (k, v) in value.as_map().unwrap_or_default() {
                        match k.name.as_str() {
                            "automate" => step_list_reads(v, out),
                            _ => value_reads(v, out),
                        }
                    }
                }
                _ => value_reads(value, out),
            }
        }
    }
}

/// Reads of every string (and every key that holds a template) in a value.
fn value_reads(node: &Node, out: &mut Vec<(String, Pos)>) {
    match &node.value {
        Value::Str(s) => template_reads(s, node.pos, out),
        Value::Seq(items) => items.iter().for_each(|i| value_reads(i, out)),
        Value::Map(entries) => {
            for (k, v) in entries {
                template_reads(&k.name, k.pos, out);
                value_reads(v, out);
            }
        }
        _ => {}
    }
}

fn template_reads(text: &str, pos: Pos, out: &mut Vec<(String, Pos)>) {
    if !text.contains("{{") {
        return;
    }
    // A template that does not compile was already reported where it is converted.
    if let Ok(t) = handlebars::Template::compile(text) {
        let mut names = Vec::new();
        elements_reads(&t.elements, &mut names);
        out.extend(names.into_iter().map(|n| (n, pos)));
    }
}

fn elements_reads(elements: &[handlebars::template::TemplateElement], out: &mut Vec<String>) {
    use handlebars::template::TemplateElement as E;
    for element in elements {
        match element {
            E::Expression(h) | E::HtmlExpression(h) => helper_reads(h, out),
            E::HelperBlock(h) => {
                h.params.iter().for_each(|p| parameter_reads(p, out));
                h.hash.values().for_each(|p| parameter_reads(p, out));
                // Inside `#each` and `#with` names mean something else: only `#if`/`#unless`
                // bodies are read in the same scope.
                if matches!(h.name.as_name(), Some("if" | "unless")) {
                    for body in [&h.template, &h.inverse].into_iter().flatten() {
                        elements_reads(&body.elements, out);
                    }
                }
            }
            _ => {}
        }
    }
}

fn helper_reads(h: &handlebars::template::HelperTemplate, out: &mut Vec<String>) {
    use handlebars::template::Parameter;
    if h.params.is_empty() && h.hash.is_empty() {
        // `{{amount}}` reads a variable; `{{uuid}}` calls a helper.
        match &h.name {
            Parameter::Name(n) if !HELPERS.contains(&n.as_str()) => push_root(n, out),
            Parameter::Path(p) if !is_helper(p) => path_reads(p, out),
            _ => {}
        }
    } else {
        h.params.iter().for_each(|p| parameter_reads(p, out));
        h.hash.values().for_each(|p| parameter_reads(p, out));
    }
}

fn is_helper(path: &handlebars::Path) -> bool {
    matches!(path, handlebars::Path::Relative((_, raw)) if HELPERS.contains(&raw.as_str()))
}

fn parameter_reads(p: &handlebars::template::Parameter, out: &mut Vec<String>) {
    use handlebars::template::{Parameter, TemplateElement};
    match p {
        Parameter::Path(path) => path_reads(path, out),
        Parameter::Name(n) => push_root(n, out),
        Parameter::Subexpression(s) => {
            if let TemplateElement::Expression(h) = s.as_element() {
                helper_reads(h, out);
            }
        }
        _ => {}
    }
}

fn path_reads(path: &handlebars::Path, out: &mut Vec<String>) {
    // `@index` and friends are block locals, and `this`/`../x` look outside the scope.
    if let handlebars::Path::Relative((_, raw)) = path {
        if !raw.starts_with("this") && !raw.starts_with("..") && !raw.starts_with('@') {
            push_root(raw, out);
        }
    }
}

fn push_root(name: &str, out: &mut Vec<String>) {
    let root = name.split(['.', '/', '[']).next().unwrap_or(name);
    if !root.is_empty() {
        out.push(root.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        template_reads(text, Pos::new(1, 1), &mut out);
        out.into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn variables_are_told_from_helpers() {
        assert_eq!(reads("{{amount}}"), ["amount"]);
        assert_eq!(reads("order-{{digits 8}} {{uuid}}"), Vec::<String>::new());
        assert_eq!(reads("{{users.credit}}"), ["users"]);
        assert_eq!(reads("{{has \"posId\"}}"), Vec::<String>::new());
        assert_eq!(
            reads("{{not (and partialCapturePossible (ne captureAmount amount))}}"),
            ["partialCapturePossible", "captureAmount", "amount"]
        );
        assert_eq!(reads("{{eq flow \"payment\"}}"), ["flow"]);
        assert_eq!(reads("{{#if a}}{{b}}{{else}}{{c}}{{/if}}"), ["a", "b", "c"]);
        assert_eq!(
            reads("{{#each items}}{{this}} {{name}}{{/each}}"),
            ["items"]
        );
        assert_eq!(
            reads("{{pos}}/payments/{{paymentId}}"),
            ["pos", "paymentId"]
        );
    }
}

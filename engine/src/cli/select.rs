//! Which cases run: `--feature` (plus what each feature requires; onboarding always),
//! `--tag` expressions and `--filter`.

use super::args::SelectionArgs;
use crate::run::plan::PlannedCase;
use crate::scenario::convert::{feature_rank, FEATURE_IDS};
use crate::scenario::tags::TagExpr;
use crate::scenario::Feature;
use std::collections::BTreeSet;

/// Features selected by `--feature`, closed over `requires:`; None means all.
pub fn selected_features(
    args: &SelectionArgs,
    features: &[Feature],
) -> Result<Option<BTreeSet<String>>, String> {
    if args.feature.is_empty() {
        return Ok(None);
    }
    let mut selected: BTreeSet<String> = BTreeSet::new();
    let mut queue: Vec<String> = args
        .feature
        .iter()
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .collect();
    for f in &queue {
        if !FEATURE_IDS.contains(&f.as_str()) {
            return Err(format!(
                "unknown feature `{f}`; expected one or more of: {}",
                FEATURE_IDS.join(", ")
            ));
        }
    }
    queue.push("onboarding".into()); // mandatory in every certification
    while let Some(f) = queue.pop() {
        if selected.insert(f.clone()) {
            if let Some(def) = features.iter().find(|d| d.id == f) {
                queue.extend(def.requires.iter().cloned());
            }
        }
    }
    Ok(Some(selected))
}

pub fn select(
    args: &SelectionArgs,
    features: &[Feature],
    cases: Vec<PlannedCase>,
) -> Result<Vec<PlannedCase>, String> {
    let feature_set = selected_features(args, features)?;
    let tag = args
        .tag
        .as_deref()
        .map(TagExpr::parse)
        .transpose()
        .map_err(|e| format!("--tag: {e}"))?;
    let filter = args.filter.as_deref().map(|f| {
        regex::Regex::new(f).unwrap_or_else(|_| {
            regex::Regex::new(&regex::escape(f)).expect("escaped text is a valid regex")
        })
    });
    let mut out: Vec<PlannedCase> = cases
        .into_iter()
        .filter(|c| feature_set.as_ref().is_none_or(|s| s.contains(&*c.feature)))
        .filter(|c| tag.as_ref().is_none_or(|t| t.matches(&c.tags)))
        .filter(|c| {
            filter.as_ref().is_none_or(|re| {
                re.is_match(&c.id())
                    || re.is_match(&c.name)
                    || re.is_match(&c.file.path.display().to_string())
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (feature_rank(&a.feature), a.case_number, &a.file.path).cmp(&(
            feature_rank(&b.feature),
            b.case_number,
            &b.file.path,
        ))
    });
    Ok(out)
}

//! `--partition slice:K/N` and `--partition hash:K/N` (cargo-nextest's spelling; K counts from 1):
//! one CI job runs one shard of the selected cases, and `poscert-engine merge` combines the
//! shards' JSON reports into one report and one certificate.
//!
//! - The selection (`--feature` closed over `requires:`, onboarding always, then `--tag` and
//!   `--filter`) is computed in full *before* partitioning, in every shard. So every shard knows
//!   the same list of selected cases, and `merge` can tell whether the shards together ran every
//!   one of them exactly once.
//! - `slice`: round-robin over the cases in certification order (onboarding first): case `i`
//!   (0-based) goes to shard `i mod N + 1`. Shards are as even as they can be, and each gets a
//!   share of every feature.
//! - `hash`: FNV-1a (64-bit) of the case id, mod N. It depends on the id alone, so adding or
//!   removing another case never moves a case to another shard; shards are less even.
//! - No shard depends on another: every case onboards its own PoS in its `setup` (the
//!   `onboarded-pos` fragment) and removes it in `finally`, and each shard runs its own embedded
//!   emulator (or its own requests against the sandbox). A feature's required onboarding is thus
//!   available to every shard that needs it, with no ordering between shards.
//! - Every case is in exactly one shard, for any N; a shard may be empty when N exceeds the
//!   number of selected cases (it runs nothing and passes).

use crate::approval::digest::Manifest;
use crate::run::plan::PlannedCase;
use crate::run::result::{CaseFile, PartitionInfo, SelectedFeature, SelectionInfo};
use crate::scenario::Feature;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Round-robin in certification order.
    Slice,
    /// FNV-1a of the case id, mod N.
    Hash,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Slice => "slice",
            Kind::Hash => "hash",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "slice" => Some(Kind::Slice),
            "hash" => Some(Kind::Hash),
            _ => None,
        }
    }
}

/// One shard: `kind:shard/of`, `1 <= shard <= of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub kind: Kind,
    pub shard: u32,
    pub of: u32,
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}/{}", self.kind.as_str(), self.shard, self.of)
    }
}

const SPELLING: &str = "write slice:K/N or hash:K/N, where N is the number of shards and K this \
                        shard (1 to N), e.g. --partition slice:1/3";

/// Parses `slice:K/N` or `hash:K/N` (the clap value parser of `--partition`).
pub fn parse(text: &str) -> Result<Partition, String> {
    let text = text.trim();
    let Some((kind, count)) = text.split_once(':') else {
        return Err(if text.contains('/') {
            format!("name the kind of partition: slice:{text} (round-robin in certification order) or hash:{text} (by a hash of the case id)")
        } else {
            SPELLING.to_string()
        });
    };
    let kind = Kind::parse(kind).ok_or_else(|| {
        format!("unknown kind of partition `{kind}`: expected slice or hash; {SPELLING}")
    })?;
    let Some((k, n)) = count.split_once('/') else {
        return Err(SPELLING.to_string());
    };
    let number = |what: &str, s: &str| {
        s.parse::<u32>()
            .map_err(|_| format!("{what} `{s}` is not a whole number; {SPELLING}"))
    };
    let (shard, of) = (number("the shard", k)?, number("the number of shards", n)?);
    if of == 0 {
        return Err(format!("0 shards: N must be at least 1; {SPELLING}"));
    }
    if shard == 0 {
        return Err(format!(
            "shard 0: shards count from 1, so K is 1 to {of} ({}:1/{of} … {}:{of}/{of})",
            kind.as_str(),
            kind.as_str()
        ));
    }
    if shard > of {
        return Err(format!(
            "shard {shard} of {of}: K must be 1 to {of} ({}:1/{of} … {}:{of}/{of})",
            kind.as_str(),
            kind.as_str()
        ));
    }
    Ok(Partition { kind, shard, of })
}

/// 64-bit FNV-1a: stable across platforms, runs and Rust versions (unlike `DefaultHasher`).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

impl Partition {
    /// The shard (1-based) of the case at `index` in certification order, with id `id`.
    pub fn shard_of(kind: Kind, of: u32, index: usize, id: &str) -> u32 {
        let of = u64::from(of.max(1));
        let slot = match kind {
            Kind::Slice => index as u64 % of,
            Kind::Hash => fnv1a64(id.as_bytes()) % of,
        };
        slot as u32 + 1
    }

    /// Whether this shard runs the case at `index` with id `id`.
    pub fn assigns(&self, index: usize, id: &str) -> bool {
        Partition::shard_of(self.kind, self.of, index, id) == self.shard
    }

    /// The ids of `selected` (in certification order) that this shard runs.
    pub fn assigned<'a>(&self, selected: &'a [String]) -> Vec<&'a str> {
        selected
            .iter()
            .enumerate()
            .filter(|(i, id)| self.assigns(*i, id))
            .map(|(_, id)| id.as_str())
            .collect()
    }

    pub fn info(&self) -> PartitionInfo {
        PartitionInfo {
            kind: self.kind.as_str().to_string(),
            shard: self.shard,
            of: self.of,
        }
    }
}

/// Splits the selection: the cases this shard runs, and what every shard records about the
/// whole selection (the case ids, the features, and the digest of every selected case's files,
/// computed exactly as the certificate computes it).
pub fn split(
    partition: Partition,
    selected: Vec<PlannedCase>,
    features: &[Feature],
    loaded_per_feature: &BTreeMap<String, usize>,
) -> (Vec<PlannedCase>, SelectionInfo) {
    let (digest, files, digest_error) = match Manifest::of_cases(&selected) {
        Ok(m) => (
            Some(m.digest()),
            m.files
                .into_iter()
                .map(|f| CaseFile {
                    path: f.path,
                    role: f.role,
                    sha256: f.sha256,
                })
                .collect(),
            None,
        ),
        Err(e) => (None, Vec::new(), Some(e)),
    };
    let selection = SelectionInfo {
        cases: selected.iter().map(PlannedCase::id).collect(),
        features: features
            .iter()
            .map(|f| SelectedFeature {
                id: f.id.clone(),
                name: f.name.clone(),
                requires: f.requires.clone(),
                loaded: loaded_per_feature.get(&f.id).copied().unwrap_or(0),
            })
            .collect(),
        digest,
        files,
        digest_error,
    };
    let mine = selected
        .into_iter()
        .enumerate()
        .filter(|(i, c)| partition.assigns(*i, &c.id()))
        .map(|(_, c)| c)
        .collect();
    (mine, selection)
}

/// What a shard prints instead of approval: the certificate (or failure report) comes from
/// `merge`, which alone sees every shard.
pub fn certificate_line(partition: Partition) -> String {
    format!(
        "certificate: none (shard {}/{} of a partitioned run: `poscert-engine merge` the shards' JSON reports to write the certificate or the failure report)",
        partition.shard, partition.of
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(
            parse("slice:1/3"),
            Ok(Partition {
                kind: Kind::Slice,
                shard: 1,
                of: 3
            })
        );
        assert_eq!(parse("hash:3/3").unwrap().to_string(), "hash:3/3");
        for (bad, says) in [
            ("slice:0/3", "count from 1"),
            ("slice:4/3", "K must be 1 to 3"),
            ("slice:x", "slice:K/N"),
            ("slice:x/3", "not a whole number"),
            ("hash:1/0", "0 shards"),
            ("1/3", "slice:1/3"),
            ("round:1/3", "unknown kind"),
            ("", "slice:K/N"),
            ("slice:-1/3", "not a whole number"),
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn every_index_in_exactly_one_shard() {
        let ids: Vec<String> = (0..50)
            .map(|i| format!("scenarios/x/{i:02}-case"))
            .collect();
        for kind in [Kind::Slice, Kind::Hash] {
            for of in 1..=7 {
                let mut seen = vec![0; ids.len()];
                for shard in 1..=of {
                    let p = Partition { kind, shard, of };
                    for (i, id) in ids.iter().enumerate() {
                        if p.assigns(i, id) {
                            seen[i] += 1;
                        }
                    }
                }
                assert!(seen.iter().all(|n| *n == 1), "{kind:?} of {of}: {seen:?}");
            }
        }
    }

    #[test]
    fn slice_is_round_robin_and_hash_is_fnv1a() {
        let p = Partition {
            kind: Kind::Slice,
            shard: 2,
            of: 3,
        };
        let ids: Vec<String> = (0..7).map(|i| i.to_string()).collect();
        assert_eq!(p.assigned(&ids), vec!["1", "4"]);
        // The published FNV-1a test vectors.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }
}

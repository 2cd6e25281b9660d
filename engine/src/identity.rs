//! The client being certified: its version and MobilePay's re-certification rule (notes §2.3).
//!
//! `X-MobilePay-Client-System-Version` is `Major.Minor.Build`. A Major or Minor change needs a
//! new certification; a Build change does not, but running the certification again is
//! recommended. The same version is already certified.

use std::cmp::Ordering;
use std::fmt;

/// `Major.Minor.Build`, each a number without a sign or leading `+`.
pub fn is_valid_version(v: &str) -> bool {
    Version::parse(v).is_ok()
}

/// A parsed `Major.Minor.Build`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub build: u32,
}

/// Why a text is not a `Major.Minor.Build` version (said to the user as is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionError(pub String);

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Version {
    /// Parses `2.1.0`. Leading zeros are accepted (`2.01.0` is 2.1.0) because the API only asks
    /// for three numbers; signs, spaces, pre-release suffixes and a fourth part are not.
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let parts: Vec<&str> = text.split('.').collect();
        if parts.len() != 3 {
            return Err(VersionError(format!(
                "`{text}` is not Major.Minor.Build: it has {} part{} (write three numbers, e.g. 2.1.0)",
                parts.len(),
                if parts.len() == 1 { "" } else { "s" }
            )));
        }
        let mut numbers = [0u32; 3];
        for (i, (part, name)) in parts.iter().zip(["Major", "Minor", "Build"]).enumerate() {
            if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit()) {
                return Err(VersionError(format!(
                    "`{text}` is not Major.Minor.Build: {name} `{part}` is not a number (write e.g. 2.1.0)"
                )));
            }
            numbers[i] = part
                .parse()
                .map_err(|_| VersionError(format!("`{text}`: {name} `{part}` is too large")))?;
        }
        Ok(Version {
            major: numbers[0],
            minor: numbers[1],
            build: numbers[2],
        })
    }

    /// What changed from `certified` to `self`, the most significant part first.
    pub fn change_since(&self, certified: &Version) -> Change {
        if self.major != certified.major {
            Change::Major
        } else if self.minor != certified.minor {
            Change::Minor
        } else if self.build != certified.build {
            Change::Build
        } else {
            Change::Same
        }
    }

    /// Major and Minor: the part a certification is tied to.
    pub fn line(&self) -> (u32, u32) {
        (self.major, self.minor)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.build)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.build).cmp(&(other.major, other.minor, other.build))
    }
}

/// The most significant part that differs between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Same,
    Build,
    Minor,
    Major,
}

/// Does a version need a (new) certification? Ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Need {
    /// This exact version is certified.
    Certified,
    /// Only the Build part differs from a certified version: running the tool is recommended.
    Recommended,
    /// No certified version with this Major.Minor: a certification is required.
    Required,
}

impl Change {
    /// MobilePay's rule (notes §2.3): Major or Minor needs re-certification, Build does not.
    pub fn need(self) -> Need {
        match self {
            Change::Same => Need::Certified,
            Change::Build => Need::Recommended,
            Change::Minor | Change::Major => Need::Required,
        }
    }
}

/// The verdict for `current` given the certified versions of the same client and feature:
/// the closest certified version decides (same version, else same Major.Minor, else none).
pub fn need_for<'a>(
    current: &Version,
    certified: impl IntoIterator<Item = &'a Version>,
) -> (Need, Option<Version>) {
    let mut best: Option<(Need, Version)> = None;
    for v in certified {
        let need = current.change_since(v).need();
        let better = match &best {
            None => true,
            // Prefer the better verdict; among equals, the highest version (the latest line).
            Some((n, b)) => need < *n || (need == *n && v > b),
        };
        if better {
            best = Some((need, *v));
        }
    }
    match best {
        Some((Need::Required, v)) => (Need::Required, Some(v)),
        Some((n, v)) => (n, Some(v)),
        None => (Need::Required, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions() {
        assert!(is_valid_version("2.1.0"));
        assert!(!is_valid_version("2.1"));
        assert!(!is_valid_version("2.1.x"));
        assert!(!is_valid_version("2..1"));
        assert!(!is_valid_version("2.1.0.4"));
        assert!(!is_valid_version("+2.1.0"));
        assert!(!is_valid_version("2.1.0-beta"));
        assert!(!is_valid_version("99999999999.1.0"));
        assert_eq!(v("2.01.3").to_string(), "2.1.3");
    }

    #[test]
    fn errors_say_which_part_is_wrong() {
        let e = Version::parse("2.x.0").unwrap_err().to_string();
        assert!(e.contains("Minor `x`"), "{e}");
        let e = Version::parse("2.1").unwrap_err().to_string();
        assert!(e.contains("2 parts"), "{e}");
    }

    #[test]
    fn the_bump_rule() {
        assert_eq!(v("3.0.0").change_since(&v("2.1.0")).need(), Need::Required);
        assert_eq!(v("2.2.0").change_since(&v("2.1.0")).need(), Need::Required);
        assert_eq!(
            v("2.1.7").change_since(&v("2.1.0")).need(),
            Need::Recommended
        );
        assert_eq!(v("2.1.0").change_since(&v("2.1.0")).need(), Need::Certified);
        // Going back a minor version is a change too: 2.0 was never certified.
        assert_eq!(v("2.0.9").change_since(&v("2.1.0")).need(), Need::Required);
    }

    #[test]
    fn the_closest_certified_version_decides() {
        let certified = [v("2.1.0"), v("2.2.0"), v("2.1.4")];
        assert_eq!(
            need_for(&v("2.1.4"), &certified),
            (Need::Certified, Some(v("2.1.4")))
        );
        assert_eq!(
            need_for(&v("2.1.9"), &certified),
            (Need::Recommended, Some(v("2.1.4")))
        );
        assert_eq!(
            need_for(&v("2.3.0"), &certified),
            (Need::Required, Some(v("2.2.0")))
        );
        assert_eq!(need_for(&v("1.0.0"), &[]), (Need::Required, None));
    }
}

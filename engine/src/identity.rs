//! The client being certified: its version rules (notes §2.3).

/// `Major.Minor.Build`, each a number without a sign or leading `+`.
pub fn is_valid_version(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 9 && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(is_valid_version("2.1.0"));
        assert!(!is_valid_version("2.1"));
        assert!(!is_valid_version("2.1.x"));
        assert!(!is_valid_version("2..1"));
    }
}

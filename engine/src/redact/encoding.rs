//! URL encoding of query and form components, in one place: requests use it to build query
//! strings and form bodies, and the redactor registers this exact form of every secret, so a
//! secret sent in a query or form is masked however it was escaped.

/// Characters escaped in query keys and values (RFC 3986 unreserved ones are kept).
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// One query or form key or value, percent-encoded.
pub fn component(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, COMPONENT).to_string()
}

/// `k1=v1&k2=v2`, each side encoded with [`component`].
pub fn pairs<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    items
        .into_iter()
        .map(|(k, v)| format!("{}={}", component(k), component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_characters_stay() {
        assert_eq!(component("a-b_c.d~e/f+g=h"), "a-b_c.d~e%2Ff%2Bg%3Dh");
        assert_eq!(pairs([("posId", "1 2"), ("x", "y")]), "posId=1%202&x=y");
    }
}

//! Filter URLs: a page's path with the filters that are set, percent-encoded.

/// `path?k=v&…` for the pairs with a value, in their order; `path` alone when none has one.
pub fn with_query(path: &str, pairs: &[(&str, &Option<String>)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v))))
        .collect();
    if encoded.is_empty() {
        path.into()
    } else {
        format!("{path}?{}", encoded.join("&"))
    }
}

/// Percent-encodes all but unreserved characters (and `*`, which type patterns use).
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'*' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_set_values_are_kept_and_encoded() {
        let (a, b, none) = (Some("a b&c".to_string()), Some("x.*".to_string()), None);
        assert_eq!(
            with_query("/p", &[("q", &a), ("n", &none), ("t", &b)]),
            "/p?q=a%20b%26c&t=x.*"
        );
        assert_eq!(with_query("/p", &[("n", &none)]), "/p");
    }
}

//! A credential that cannot leak through logs, errors or alerts by accident.

use std::fmt;

/// A token, API key or client secret. `Debug` and `Display` print `***`; only [`Secret::expose`] gives
/// the value, and only code that puts it on the wire should call it.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for an `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints_its_value() {
        let secret = Secret::new("xoxp-very-secret");
        let wrapped = Some(secret.clone());
        for printed in [format!("{secret}"), format!("{secret:?}"), format!("{wrapped:?}"), format!("{secret:#?}")] {
            assert!(!printed.contains("very-secret"), "{printed}");
        }
        assert_eq!(secret.expose(), "xoxp-very-secret");
        let parsed: Secret = serde_json::from_str("\"abc\"").unwrap_or_else(|_| Secret::new(""));
        assert_eq!(parsed.expose(), "abc");
    }
}

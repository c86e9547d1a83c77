//! Secret values from a Secrets Manager secret holding JSON. A secret value never appears in an error, a
//! log line or a Debug print: it is held in [`Secret`], and parse errors are reported by position only.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

/// A secret string (token, password, client secret) whose Debug and Display print `***`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it (an Authorization header).
    pub fn expose(&self) -> &str {
        &self.0
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

/// What the deployment's secret holds: a flat JSON object of names to secret values,
///
/// ```json
/// {"SLACK_TOKEN": "xoxp-…", "ZENDESK_TOKEN": "…", "GRAPH_CLIENT_SECRET": "…"}
/// ```
///
/// The configuration names its secrets by these names (a source's `token_env`, Graph's
/// `client_secret_env`): environment variables locally, keys of this secret in Lambda. Any number of
/// tenants and sources fit in one secret, one key each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecretValues {
    secret_id: String,
    values: BTreeMap<String, Secret>,
}

impl SecretValues {
    /// The value named `name`; the error names the secret and the key, never a value.
    pub fn get(&self, name: &str) -> Result<&Secret, SecretError> {
        self.values.get(name).ok_or_else(|| SecretError::MissingKey {
            secret_id: self.secret_id.clone(),
            key: name.to_string(),
            known: self.values.keys().cloned().collect::<Vec<_>>().join(", "),
        })
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read secret {secret_id} from Secrets Manager: {detail}")]
    Fetch { secret_id: String, detail: String },
    #[error("secret {secret_id} holds no text value (a binary secret?): store the values as JSON text")]
    Empty { secret_id: String },
    #[error("secret {secret_id} is not a JSON object of names to text values: {detail}")]
    Invalid { secret_id: String, detail: String },
    #[error("secret {secret_id} has no key `{key}` (it has: {known})")]
    MissingKey { secret_id: String, key: String, known: String },
}

/// Parses the secret's JSON text. Errors name the secret and the key or position, never a value.
pub fn parse_secret_values(secret_id: &str, text: &str) -> Result<SecretValues, SecretError> {
    let invalid = |detail: String| SecretError::Invalid { secret_id: secret_id.to_string(), detail };
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| invalid(format!("malformed JSON at line {} column {}", e.line(), e.column())))?;
    let serde_json::Value::Object(object) = value else {
        return Err(invalid("the top level is not an object".to_string()));
    };
    let mut values = BTreeMap::new();
    for (key, value) in object {
        match value {
            serde_json::Value::String(text) => {
                values.insert(key, Secret::new(text));
            }
            _ => return Err(invalid(format!("the value of `{key}` is not text"))),
        }
    }
    Ok(SecretValues { secret_id: secret_id.to_string(), values })
}

/// Fetches and parses the secret (once per cold start).
pub async fn load_secret_values(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<SecretValues, SecretError> {
    let output = client.get_secret_value().secret_id(secret_id).send().await.map_err(|error| SecretError::Fetch {
        secret_id: secret_id.to_string(),
        detail: aws_smithy_types::error::display::DisplayErrorContext(&error).to_string(),
    })?;
    let text = output.secret_string().ok_or_else(|| SecretError::Empty { secret_id: secret_id.to_string() })?;
    parse_secret_values(secret_id, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_and_never_print() {
        let text = r#"{"SLACK_TOKEN":"xoxp-very-secret","GRAPH_CLIENT_SECRET":"graph-secret-value"}"#;
        let values = parse_secret_values("saaswarden/prod", text).expect("valid");
        assert_eq!(values.get("SLACK_TOKEN").map(Secret::expose).ok(), Some("xoxp-very-secret"));
        let printed = format!("{values:?} {}", values.get("GRAPH_CLIENT_SECRET").expect("graph"));
        assert!(!printed.contains("very-secret") && !printed.contains("graph-secret-value"), "{printed}");
        let missing = values.get("ZENDESK_TOKEN").expect_err("absent").to_string();
        assert!(missing.contains("ZENDESK_TOKEN") && missing.contains("SLACK_TOKEN"), "{missing}");
        assert!(!missing.contains("very-secret"), "{missing}");
    }

    #[test]
    fn invalid_secrets_are_reported_by_key_or_position_without_the_value() {
        let cases = [
            (r#"{"SLACK_TOKEN":12345678}"#, "`SLACK_TOKEN` is not text", "12345678"),
            (r#"{"SLACK_TOKEN":["xoxp-leak"]}"#, "`SLACK_TOKEN` is not text", "xoxp-leak"),
            (r#"{"SLACK_TOKEN":"xoxp-leak""#, "malformed JSON", "xoxp-leak"),
            (r#"["xoxp-leak"]"#, "not an object", "xoxp-leak"),
        ];
        for (text, expected, secret) in cases {
            let error = parse_secret_values("saaswarden/prod", text).expect_err(text).to_string();
            assert!(error.contains("saaswarden/prod") && error.contains(expected), "{text}: {error}");
            assert!(!error.contains(secret), "{text}: {error}");
        }
    }
}

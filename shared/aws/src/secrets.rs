//! Credentials from a Secrets Manager secret holding JSON. A secret value never appears in an error, a
//! log line or a Debug print: it is held in [`Secret`], and parse errors are reported by position only.

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

/// What the deployment's secret holds: one section per connected service, each optional.
///
/// ```json
/// {"slack": {"token": "xoxp-…"},
///  "zendesk": {"subdomain": "acme", "email": "admin@acme.example", "api_token": "…"},
///  "graph": {"tenant_id": "…", "client_id": "…", "client_secret": "…"}}
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    #[serde(default)]
    pub slack: Option<SlackCredentials>,
    #[serde(default)]
    pub zendesk: Option<ZendeskCredentials>,
    #[serde(default)]
    pub graph: Option<GraphCredentials>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackCredentials {
    /// The Enterprise org owner's user token with `auditlogs:read`.
    pub token: Secret,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZendeskCredentials {
    pub subdomain: String,
    pub email: String,
    pub api_token: Secret,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphCredentials {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: Secret,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read secret {secret_id} from Secrets Manager: {detail}")]
    Fetch { secret_id: String, detail: String },
    #[error("secret {secret_id} holds no text value (a binary secret?): store the credentials as JSON text")]
    Empty { secret_id: String },
    #[error("secret {secret_id} is not valid credentials JSON: {detail}")]
    Invalid { secret_id: String, detail: String },
}

/// Parses the secret's JSON text. Errors name the secret and the field or position, never the value:
/// serde's own messages quote offending values, so only field-name messages pass through.
pub fn parse_credentials(secret_id: &str, text: &str) -> Result<Credentials, SecretError> {
    serde_json::from_str(text).map_err(|error| {
        let message = error.to_string();
        let safe = message.starts_with("missing field") || message.starts_with("unknown field");
        let detail = if safe {
            message
        } else {
            let kind = match error.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "malformed JSON",
                _ => "a value of the wrong type",
            };
            format!("{kind} at line {} column {}", error.line(), error.column())
        };
        SecretError::Invalid { secret_id: secret_id.to_string(), detail }
    })
}

/// Fetches and parses the credentials secret (once per cold start).
pub async fn load_credentials(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<Credentials, SecretError> {
    let output = client.get_secret_value().secret_id(secret_id).send().await.map_err(|error| SecretError::Fetch {
        secret_id: secret_id.to_string(),
        detail: aws_smithy_types::error::display::DisplayErrorContext(&error).to_string(),
    })?;
    let text = output.secret_string().ok_or_else(|| SecretError::Empty { secret_id: secret_id.to_string() })?;
    parse_credentials(secret_id, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_parse_and_never_print_their_secrets() {
        let text = r#"{"slack":{"token":"xoxp-very-secret"},
            "graph":{"tenant_id":"t","client_id":"c","client_secret":"graph-secret-value"}}"#;
        let credentials = parse_credentials("saaswarden/prod", text).expect("valid");
        assert_eq!(credentials.slack.as_ref().map(|s| s.token.expose()), Some("xoxp-very-secret"));
        let printed =
            format!("{credentials:?} {}", credentials.graph.as_ref().map(|g| &g.client_secret).expect("graph"));
        assert!(!printed.contains("very-secret") && !printed.contains("graph-secret-value"), "{printed}");
        assert!(credentials.zendesk.is_none());
    }

    #[test]
    fn invalid_secrets_are_reported_by_field_or_position_without_the_value() {
        let cases = [
            (r#"{"slack":{"token":12345678}}"#, "wrong type", "12345678"),
            (
                r#"{"slack":{"token":"xoxp-leak"},"zendesk":{"subdomain":"a","email":"e"}}"#,
                "missing field `api_token`",
                "xoxp-leak",
            ),
            (r#"{"slack":{"token":"xoxp-leak""#, "malformed JSON", "xoxp-leak"),
            (r#"{"slack":{"tokn":"xoxp-leak"}}"#, "unknown field `tokn`", "xoxp-leak"),
        ];
        for (text, expected, secret) in cases {
            let error = parse_credentials("saaswarden/prod", text).expect_err(text).to_string();
            assert!(error.contains("saaswarden/prod") && error.contains(expected), "{text}: {error}");
            assert!(!error.contains(secret), "{text}: {error}");
        }
    }
}

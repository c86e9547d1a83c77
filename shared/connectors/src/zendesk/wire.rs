//! One Zendesk Audit Logs entry (an element of `audit_logs` of `GET /api/v2/audit_logs`), one Access Logs
//! entry (an element of `access_logs` of `GET /api/v2/access_logs`) and one user of the Users API (an
//! element of `users` of `GET /api/v2/users/show_many.json`).
//!
//! Every field is optional and unknown fields are ignored. The required fields of an entry stay raw JSON
//! here so the normalizer can say precisely what is wrong with them.

use serde::Deserialize;
use serde_json::Value;

use crate::wire::{flag, integer, lenient, text};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Entry {
    pub id: Option<Value>,
    pub created_at: Option<Value>,
    pub action: Option<Value>,
    #[serde(deserialize_with = "text")]
    pub action_label: Option<String>,
    #[serde(deserialize_with = "integer")]
    pub actor_id: Option<i64>,
    #[serde(deserialize_with = "text")]
    pub actor_name: Option<String>,
    #[serde(deserialize_with = "text")]
    pub source_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub source_type: Option<String>,
    #[serde(deserialize_with = "text")]
    pub source_label: Option<String>,
    #[serde(deserialize_with = "text")]
    pub change_description: Option<String>,
    #[serde(deserialize_with = "text")]
    pub ip_address: Option<String>,
    #[serde(deserialize_with = "text")]
    pub url: Option<String>,
}

/// One Access Logs entry: one request an agent or admin made, through the agent interface or the API.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AccessEntry {
    /// A ULID string.
    pub id: Option<Value>,
    pub timestamp: Option<Value>,
    #[serde(deserialize_with = "integer")]
    pub user_id: Option<i64>,
    #[serde(deserialize_with = "text")]
    pub ip_address: Option<String>,
    #[serde(deserialize_with = "text")]
    pub method: Option<String>,
    /// The path and query that was requested (`/api/v2/tickets.json?page=1`).
    #[serde(deserialize_with = "text")]
    pub url: Option<String>,
    #[serde(deserialize_with = "integer")]
    pub status: Option<i64>,
    #[serde(deserialize_with = "text")]
    pub authorization_type: Option<String>,
    /// The user agent.
    #[serde(deserialize_with = "text")]
    pub client: Option<String>,
    /// Set instead of a REST path for GraphQL requests.
    pub graphql: Option<Value>,
    /// A short description Zendesk adds to some entries (`List tickets`).
    #[serde(deserialize_with = "text")]
    pub summary: Option<String>,
}

/// A user of the Users API. `id` stays raw JSON so a bad one can be reported by position.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct User {
    pub id: Option<Value>,
    #[serde(deserialize_with = "text")]
    pub name: Option<String>,
    /// Only a string: a number here is not an email.
    #[serde(deserialize_with = "lenient")]
    pub email: Option<String>,
    /// `end-user`, `agent` or `admin`.
    #[serde(deserialize_with = "text")]
    pub role: Option<String>,
    #[serde(deserialize_with = "flag")]
    pub suspended: Option<bool>,
}

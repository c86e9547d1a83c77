//! Microsoft Graph's JSON as sent: tokens, users, delta pages, errors. Decoded tolerantly — Graph adds
//! properties over time — and only what saaswarden reads.

use serde::{Deserialize, Serialize};

/// The token endpoint's answer (client-credentials flow).
#[derive(Debug, Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    /// Seconds; 3599 in practice.
    pub expires_in: u64,
}

/// The token endpoint's error: `{"error":"invalid_client","error_description":"AADSTS…"}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TokenError {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

/// Graph's error body: `{"error":{"code","message","innerError":{"request-id","date"}}}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub error: Option<ErrorDetail>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, rename = "innerError")]
    pub inner_error: Option<InnerError>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct InnerError {
    #[serde(default, rename = "request-id")]
    pub request_id: Option<String>,
}

/// A user as `$select=id,userPrincipalName,mail,accountEnabled` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct User {
    pub id: String,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub account_enabled: Option<bool>,
    /// Present on users the delta feed reports removed.
    #[serde(default, rename = "@removed")]
    pub removed: Option<serde_json::Value>,
}

/// A collection page: `value`, and for delta queries the next or delta link.
#[derive(Debug, Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(default, rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    #[serde(default, rename = "@odata.deltaLink")]
    pub delta_link: Option<String>,
}

/// The `sendMail` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SendMail<'a> {
    pub message: Message<'a>,
    pub save_to_sent_items: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Message<'a> {
    pub subject: &'a str,
    pub body: Body<'a>,
    pub to_recipients: Vec<Recipient<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Body<'a> {
    pub content_type: &'a str,
    pub content: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Recipient<'a> {
    pub email_address: Address<'a>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Address<'a> {
    pub address: &'a str,
}

//! What the identity provider answers: receipts, typed errors (retryable or not), directory changes.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::{DirectoryUser, Lookup, Notice};

/// A successful call: the provider's request id, for the governance log and the provider's support.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdpErrorKind {
    /// The provider refused for good (4xx: permission missing, user not found, bad request): retrying the
    /// same call cannot help.
    Permanent,
    /// Throttling or a server error that outlasted the retries: a later retry may work.
    Transient,
    /// Our side: no credentials, unreadable response, network down.
    Local,
}

/// Why an identity-provider call failed; never contains a token or secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct IdpError {
    pub kind: IdpErrorKind,
    /// HTTP status, when there was a response.
    pub status: Option<u16>,
    /// The provider's error code (`Authorization_RequestDenied`).
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
}

impl IdpError {
    pub fn local(message: impl Into<String>) -> IdpError {
        IdpError { kind: IdpErrorKind::Local, status: None, code: None, message: message.into(), request_id: None }
    }
}

/// One identity whose sign-in state the directory reports: deleted, disabled, or (both `false`) enabled —
/// a user enabled again is taken off the terminations a sync recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryChange {
    pub id: String,
    /// Mail or UPN, lower-cased; `None` when the provider no longer says (a user purged for good).
    pub user: Option<String>,
    pub deleted: bool,
    pub disabled: bool,
}

/// One directory sync: the changes since the last delta link, and the link for the next sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryDelta {
    pub changes: Vec<DirectoryChange>,
    pub delta_link: String,
}

/// The identity provider governance acts through (Microsoft Entra ID via Graph). Every action names the
/// user by object id, resolved first with [`IdentityProvider::find_user`].
///
/// A port like [`crate::enrich::Enricher`]: declared in the domain so the Graph client (connectors) can
/// implement it without depending on storage, and the use cases can take it generically. Returns futures
/// so the same use case runs on any runtime.
pub trait IdentityProvider {
    /// The user a lookup names: exactly the mapped user, or the one user whose UPN or mail is the email.
    /// `Ok(None)` when there is none; an error when the answer is ambiguous.
    fn find_user(&self, lookup: &Lookup) -> impl Future<Output = Result<Option<DirectoryUser>, IdpError>> + Send;

    /// Which of `group_ids` the user is a member of (transitively).
    fn member_groups(
        &self,
        user_id: &str,
        group_ids: &[String],
    ) -> impl Future<Output = Result<Vec<String>, IdpError>> + Send;

    /// Mails the user (from the configured sender).
    fn notify(&self, user: &DirectoryUser, notice: &Notice) -> impl Future<Output = Result<Receipt, IdpError>> + Send;

    /// Revokes the user's sessions and refresh tokens.
    fn revoke_sessions(&self, user_id: &str) -> impl Future<Output = Result<Receipt, IdpError>> + Send;

    /// Enables (`true`, a revert) or disables (`false`, a suspension) sign-in.
    fn set_account_enabled(
        &self,
        user_id: &str,
        enabled: bool,
    ) -> impl Future<Output = Result<Receipt, IdpError>> + Send;
}

/// Disabled and deleted identities, incrementally (Graph's delta query).
pub trait DirectoryFeed {
    /// The changes since `delta_link` (everything when `None`), and the link for next time.
    fn changes(&self, delta_link: Option<&str>) -> impl Future<Output = Result<DirectoryDelta, IdpError>> + Send;
}

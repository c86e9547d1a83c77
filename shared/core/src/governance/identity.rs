//! From an app's user (an email) to the Entra user to act on. An explicit mapping wins; otherwise the
//! identity provider is asked for the user whose UPN or mail is that email. Nothing is guessed: no match,
//! or more than one, is a failed action with the reason.

use serde::{Deserialize, Serialize};

use crate::config::GovernanceSettings;

/// How to find the Entra user of an app user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The mapping table names the Entra user (UPN or object id): read exactly that user.
    Mapped(String),
    /// Find the user whose `userPrincipalName` or `mail` is this email.
    ByEmail(String),
}

/// What the identity provider says about a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryUser {
    /// The object id: every action addresses the user by it.
    pub id: String,
    pub user_principal_name: String,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub account_enabled: Option<bool>,
}

/// The lookup for `user`: the mapping table (case-insensitive on the email) overrides.
pub fn lookup_for(user: &str, settings: &GovernanceSettings) -> Lookup {
    let user = user.trim();
    settings
        .identities
        .iter()
        .find(|(email, _)| email.trim().eq_ignore_ascii_case(user))
        .map(|(_, target)| Lookup::Mapped(target.trim().to_string()))
        .unwrap_or_else(|| Lookup::ByEmail(user.to_lowercase()))
}

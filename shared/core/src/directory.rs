//! What the identity provider says about a user's account: the facts `terminated_user` needs.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TerminationStatus {
    /// The account was deleted in the identity provider.
    Deleted,
    /// The account was disabled (sign-in blocked) in the identity provider.
    Disabled,
}

impl TerminationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TerminationStatus::Deleted => "deleted",
            TerminationStatus::Disabled => "disabled",
        }
    }
}

impl fmt::Display for TerminationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TerminationStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "deleted" => Ok(TerminationStatus::Deleted),
            "disabled" => Ok(TerminationStatus::Disabled),
            other => Err(format!("unknown status `{other}`: expected deleted or disabled")),
        }
    }
}

/// One terminated identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Termination {
    /// Lower-cased email or user principal name.
    pub user: String,
    pub status: TerminationStatus,
    /// When the account was deleted or disabled.
    pub since: DateTime<Utc>,
    /// Where the record came from (`import:<file>`, `graph`).
    #[serde(default)]
    pub source: String,
}

//! Governance: turning alerts into identity-provider actions (notify the user, require sign-in again,
//! suspend), safely.
//!
//! Everything here is pure — the decisions an alert asks for, the safety rails that may stop an action,
//! the identity mapping, the message sent to a user, and the governance log entry with its statuses. The
//! use case (`saaswarden_app::govern`) runs them against the ports; the Microsoft Graph client lives in
//! the connectors. Keeping the rails pure means one table-driven test proves each rail for every runtime.

mod decision;
mod identity;
mod idp;
mod log;
mod notice;
mod rails;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use decision::{Decision, Trigger, decisions_for_alert, entry_id};
pub use identity::{DirectoryUser, Lookup, lookup_for};
pub use idp::{DirectoryChange, DirectoryDelta, DirectoryFeed, IdentityProvider, IdpError, IdpErrorKind, Receipt};
pub use log::{GovernanceEntry, GovernanceStatus, LogEvent};
pub use notice::{Notice, notice_for};
pub use rails::{Precheck, budget_window, precheck, protected_by_name, resolved_identity_check};

/// A governance action, in MDCA's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// Email the user about the alert (Graph `sendMail` from the configured sender).
    NotifyUser,
    /// Revoke the user's sessions and refresh tokens: they must sign in again.
    RequireSignIn,
    /// Block sign-in (`accountEnabled = false`); reverted by re-enabling.
    SuspendUser,
}

impl ActionKind {
    pub const ALL: [ActionKind; 3] = [ActionKind::NotifyUser, ActionKind::RequireSignIn, ActionKind::SuspendUser];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::NotifyUser => "notify-user",
            ActionKind::RequireSignIn => "require-sign-in",
            ActionKind::SuspendUser => "suspend-user",
        }
    }

    /// Actions that lock a user out: never taken on protected (break-glass) identities.
    pub fn is_disruptive(self) -> bool {
        matches!(self, ActionKind::RequireSignIn | ActionKind::SuspendUser)
    }

    /// Only a suspension can be undone (re-enabled); a sent mail or revoked sessions cannot.
    pub fn is_revertible(self) -> bool {
        self == ActionKind::SuspendUser
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "notify-user" => Ok(ActionKind::NotifyUser),
            "require-sign-in" => Ok(ActionKind::RequireSignIn),
            "suspend-user" => Ok(ActionKind::SuspendUser),
            other => Err(format!(
                "unknown governance action `{other}`: expected notify-user, require-sign-in or suspend-user"
            )),
        }
    }
}

/// Whether an action runs as soon as the alert is raised, or waits for an analyst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Automatic,
    Approval,
}

/// One governance setting of a policy or detection: `{ action = "suspend-user", mode = "automatic" }`.
/// The same shape custom policies carry in their alerts' evidence (`evidence.governance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceSetting {
    pub action: ActionKind,
    /// Approval unless `automatic` is written: acting on a user is never the silent default.
    #[serde(default = "approval")]
    pub mode: Mode,
}

fn approval() -> Mode {
    Mode::Approval
}

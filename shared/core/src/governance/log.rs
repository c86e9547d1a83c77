//! The governance log: one entry per (alert, action), with every step it went through.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ActionKind, Decision, Trigger};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GovernanceStatus {
    /// Waiting for an analyst's approval (approval mode, or the suspension budget is used up).
    Pending,
    /// Claimed and being executed. An entry left here by a crash is retried by hand (`governance retry`).
    Running,
    Succeeded,
    /// The provider refused or could not be reached; `error` says why. Retry with `governance retry`.
    Failed,
    /// Deliberately not done (dry run, protected identity, outside the allowed domains): `reason` says why.
    Skipped,
    /// A suspension undone (the user re-enabled).
    Reverted,
}

impl GovernanceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GovernanceStatus::Pending => "pending",
            GovernanceStatus::Running => "running",
            GovernanceStatus::Succeeded => "succeeded",
            GovernanceStatus::Failed => "failed",
            GovernanceStatus::Skipped => "skipped",
            GovernanceStatus::Reverted => "reverted",
        }
    }
}

impl fmt::Display for GovernanceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GovernanceStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "pending" => GovernanceStatus::Pending,
            "running" => GovernanceStatus::Running,
            "succeeded" => GovernanceStatus::Succeeded,
            "failed" => GovernanceStatus::Failed,
            "skipped" => GovernanceStatus::Skipped,
            "reverted" => GovernanceStatus::Reverted,
            other => return Err(format!("unknown governance status `{other}`")),
        })
    }
}

/// One step of an entry: who did what when, and what the provider said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEvent {
    pub at: DateTime<Utc>,
    /// `policy:<id>` for automatic steps, the analyst otherwise.
    pub by: String,
    pub status: GovernanceStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A governance action on one alert's user, and its whole history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovernanceEntry {
    /// `gv-…`, deterministic from (tenant, alert, action): see [`super::entry_id`].
    pub id: String,
    pub tenant: String,
    pub alert_id: String,
    pub policy_id: String,
    /// The app user the alert is about.
    pub user: String,
    pub action: ActionKind,
    pub trigger: Trigger,
    pub status: GovernanceStatus,
    /// What the current status rests on: why it is pending, skipped or failed, what was done once it
    /// succeeded or was reverted. Earlier reasons stay in `events`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The Entra user acted on (object id), once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The provider's request id of the last call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The provider's error of the last failed call (status, code, message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every step, oldest first.
    pub events: Vec<LogEvent>,
    /// The decision as delivered: what a retry or an approval executes again.
    pub decision: Decision,
}

impl GovernanceEntry {
    /// A fresh entry for `decision` in `status`.
    pub fn new(decision: &Decision, status: GovernanceStatus, reason: Option<String>, at: DateTime<Utc>) -> Self {
        let by = actor_of(&decision.trigger, &decision.policy_id);
        GovernanceEntry {
            id: decision.entry_id(),
            tenant: decision.tenant.clone(),
            alert_id: decision.alert_id.clone(),
            policy_id: decision.policy_id.clone(),
            user: decision.user.clone(),
            action: decision.action,
            trigger: decision.trigger.clone(),
            status,
            reason: reason.clone(),
            target: None,
            request_id: None,
            error: None,
            created_at: at,
            updated_at: at,
            events: vec![LogEvent { at, by, status, detail: reason, request_id: None }],
            decision: decision.clone(),
        }
    }

    /// Moves the entry to `status`, recording the step; its detail becomes the current reason (a dry run's
    /// "would suspend" must not outlive the suspension that followed).
    pub fn record(&mut self, status: GovernanceStatus, by: &str, detail: Option<String>, at: DateTime<Utc>) {
        self.status = status;
        self.reason = detail.clone();
        self.updated_at = at;
        self.events.push(LogEvent { at, by: by.to_string(), status, detail, request_id: self.request_id.clone() });
    }
}

/// Who a trigger stands for in the log.
pub(crate) fn actor_of(trigger: &Trigger, policy_id: &str) -> String {
    match trigger {
        Trigger::Automatic { .. } => format!("policy:{policy_id}"),
        Trigger::Manual { by } => by.clone(),
    }
}

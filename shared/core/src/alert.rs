//! Alerts and their resolution workflow: open → resolved (with a resolution) or dismissed.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::activity::App;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// Parsed through [`FromStr`] so a wrong value gets the list of valid ones.
impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "informational" => Ok(Severity::Informational),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            other => Err(format!("unknown severity `{other}`: expected informational, low, medium or high")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Open,
    Resolved,
    Dismissed,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Open => "open",
            AlertStatus::Resolved => "resolved",
            AlertStatus::Dismissed => "dismissed",
        }
    }
}

impl FromStr for AlertStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(AlertStatus::Open),
            "resolved" => Ok(AlertStatus::Resolved),
            "dismissed" => Ok(AlertStatus::Dismissed),
            other => Err(format!("unknown alert status `{other}`: expected open, resolved or dismissed")),
        }
    }
}

/// How an analyst closed an alert (MDCA: true positive, benign true positive, false positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResolutionKind {
    TruePositive,
    /// A true positive that is expected (a sanctioned test, a known traveller).
    Benign,
    FalsePositive,
    /// Closed without a verdict.
    Dismissed,
    /// Opened again after a resolution or dismissal: the alert goes back to the queue.
    Reopened,
    /// A note in the alert's history; status and resolution stay as they are.
    Comment,
}

impl FromStr for ResolutionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "true-positive" => Ok(ResolutionKind::TruePositive),
            "benign" => Ok(ResolutionKind::Benign),
            "false-positive" => Ok(ResolutionKind::FalsePositive),
            other => Err(format!("unknown resolution `{other}`: expected true-positive, benign or false-positive")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub kind: ResolutionKind,
    pub by: String,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Deterministic from (tenant, policy, subject, window): a redelivered batch finds the same id.
    pub id: String,
    pub tenant: String,
    pub policy_id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub severity: Severity,
    pub status: AlertStatus,
    /// The user the alert is about (email where known).
    pub user: String,
    pub apps: Vec<App>,
    /// When the evidence says it happened: the time of the activity that completed the pattern. Using data
    /// time rather than the wall clock keeps replays identical.
    pub created_at: DateTime<Utc>,
    /// The `<app>:<source id>` of every evidence activity, oldest first.
    pub activity_ids: Vec<String>,
    /// The facts behind the alert (distance, speed, baseline vs observed, tags matched, …).
    pub evidence: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
}

impl Alert {
    /// Moves the alert to resolved or dismissed. Re-resolving replaces the earlier resolution, so an
    /// analyst can correct a verdict; the store keeps the history.
    ///
    /// The same step records the rest of the workflow so that every store keeps it in one history without a
    /// port of its own: reopening clears the resolution, a comment changes nothing but the history.
    pub fn resolve(&mut self, resolution: Resolution) {
        self.status = match resolution.kind {
            ResolutionKind::Comment => return,
            ResolutionKind::Reopened => {
                self.status = AlertStatus::Open;
                self.resolution = None;
                return;
            }
            ResolutionKind::Dismissed => AlertStatus::Dismissed,
            ResolutionKind::TruePositive | ResolutionKind::Benign | ResolutionKind::FalsePositive => {
                AlertStatus::Resolved
            }
        };
        self.resolution = Some(resolution);
    }
}

/// A stable alert id: the same policy, tenant, subject and window always give the same id, so creating an
/// alert twice (redelivery, replay) is a no-op.
pub fn alert_id(tenant: &str, policy_id: &str, subject: &str, window: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [tenant, policy_id, subject, window] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    format!("al-{hex}")
}

/// Folds a newer version of the same alert (same id: a burst that grew, a redelivery) into the stored one:
/// evidence ids are unioned in order, the newest title and facts win, and the analyst's status and
/// resolution are kept.
pub fn merge_alert(stored: &mut Alert, newer: Alert) {
    for id in newer.activity_ids {
        if !stored.activity_ids.contains(&id) {
            stored.activity_ids.push(id);
        }
    }
    for app in newer.apps {
        if !stored.apps.contains(&app) {
            stored.apps.push(app);
        }
    }
    stored.apps.sort();
    stored.title = newer.title;
    stored.description = newer.description;
    stored.evidence = newer.evidence;
    stored.severity = stored.severity.max(newer.severity);
    stored.created_at = stored.created_at.min(newer.created_at);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_id_is_stable_and_separates_its_parts() {
        let a = alert_id("t", "p", "alice@corp.com", "2026-01-01");
        assert_eq!(a, alert_id("t", "p", "alice@corp.com", "2026-01-01"));
        assert_ne!(a, alert_id("t", "p", "alice@corp.co", "m2026-01-01"));
        assert_ne!(a, alert_id("t2", "p", "alice@corp.com", "2026-01-01"));
        assert!(a.starts_with("al-") && a.len() == 23);
    }

    fn open_alert() -> Alert {
        Alert {
            id: "al-1".into(),
            tenant: "t".into(),
            policy_id: "p".into(),
            title: "x".into(),
            description: String::new(),
            severity: Severity::Low,
            status: AlertStatus::Open,
            user: "u".into(),
            apps: vec![App::Slack],
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            activity_ids: vec![],
            evidence: serde_json::Value::Null,
            resolution: None,
        }
    }

    #[test]
    fn resolving_as_dismissed_sets_dismissed_status() {
        let mut alert = open_alert();
        let at = DateTime::<Utc>::UNIX_EPOCH;
        alert.resolve(Resolution { kind: ResolutionKind::Dismissed, by: "me".into(), at, comment: None });
        assert_eq!(alert.status, AlertStatus::Dismissed);
        alert.resolve(Resolution { kind: ResolutionKind::Benign, by: "me".into(), at, comment: None });
        assert_eq!(alert.status, AlertStatus::Resolved);
    }

    #[test]
    fn reopening_clears_the_resolution_and_a_comment_changes_nothing_but_history() {
        let mut alert = open_alert();
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let step = |kind| Resolution { kind, by: "me".into(), at, comment: Some("why".into()) };
        alert.resolve(step(ResolutionKind::TruePositive));
        alert.resolve(step(ResolutionKind::Comment));
        assert_eq!(alert.status, AlertStatus::Resolved);
        assert_eq!(alert.resolution.as_ref().map(|r| r.kind), Some(ResolutionKind::TruePositive));
        alert.resolve(step(ResolutionKind::Reopened));
        assert_eq!(alert.status, AlertStatus::Open);
        assert_eq!(alert.resolution, None);
    }
}

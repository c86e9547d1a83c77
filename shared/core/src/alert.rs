//! Alerts and their resolution workflow: open → resolved (with a resolution) or dismissed.

use std::collections::HashSet;
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
    /// Above `high`: the event alone is a breach or disables a control (an organisation deleted, key
    /// management unenrolled). Ranked last so stored ranks of the other levels stay as they were.
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
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
            "critical" => Ok(Severity::Critical),
            other => Err(format!("unknown severity `{other}`: expected informational, low, medium, high or critical")),
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
    /// The `<app>:<source id>` of the evidence activities, oldest first: all of them while there are at most
    /// [`FIRST_EVIDENCE_IDS`] + [`LATEST_EVIDENCE_IDS`], then the first and the latest ones (see
    /// `evidence_span` for the whole count; the audit trail holds every activity, found by user and time).
    pub activity_ids: Vec<String>,
    /// How many evidence activities the alert has gathered and over which times, once merges have grown it;
    /// `None` while `activity_ids` is the whole, unmerged list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_span: Option<EvidenceSpan>,
    /// The campaign the alert belongs to: alerts about different users from one source (an IPv4 address,
    /// an IPv6 /64) share it — a password spray against many users is one campaign. See [`campaign_id`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// The facts behind the alert (distance, speed, baseline vs observed, tags matched, …).
    pub evidence: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
}

/// The extent of an alert's evidence when `activity_ids` no longer lists all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceSpan {
    /// Distinct evidence activities merged into the alert, the listed ones included.
    pub total: u64,
    /// The time of the activity that first completed the pattern (the alert's `created_at`).
    pub first_at: DateTime<Utc>,
    /// The time of the latest activity that completed the pattern again.
    pub last_at: DateTime<Utc>,
}

/// An alert keeps the ids of its first evidence activities (how it started) and of its latest ones (what is
/// happening now). An attack that goes on for days must not grow the alert without end: past DynamoDB's
/// 400 KB item or EventBridge's 256 KB event limit every later batch of the user would fail, which would let
/// an attacker switch off detection and auditing for themselves. 100 ids are about 3 KB.
pub const FIRST_EVIDENCE_IDS: usize = 20;
pub const LATEST_EVIDENCE_IDS: usize = 80;

impl Alert {
    /// How many evidence activities the alert stands for, including those no longer listed.
    pub fn evidence_total(&self) -> u64 {
        self.evidence_span.map_or(self.activity_ids.len() as u64, |span| span.total)
    }

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
    digest_id("al", &[tenant, policy_id, subject, window], 10)
}

/// `prefix-` and the first `bytes` of the SHA-256 of `parts` (each ended by a NUL), in hex.
fn digest_id(prefix: &str, parts: &[&str], bytes: usize) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    let hex: String = digest[..bytes].iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

/// The campaign id of a source acting against the tenant: an IPv4 address, or the /64 an IPv6 address is
/// in (one host's addresses rotate within it). Deterministic, so every user's alert from that source —
/// raised by any detector invocation, in any order — carries the same id.
pub fn campaign_id(tenant: &str, ip: std::net::IpAddr) -> String {
    source_campaign_id(tenant, &campaign_source(ip))
}

/// The campaign id of a [`campaign_source`].
pub fn source_campaign_id(tenant: &str, source: &str) -> String {
    digest_id("cp", &[tenant, "campaign", source], 8)
}

/// The source a campaign is keyed by: the IPv4 address, or the IPv6 /64 (`2001:db8:1:2::/64`).
pub fn campaign_source(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
    }
}

/// Folds a newer version of the same alert (same id: a burst that grew, a redelivery) into the stored one:
/// new evidence ids are appended in order and counted (the list itself stays bounded, see
/// [`FIRST_EVIDENCE_IDS`]), the newest title and facts win, and the analyst's status and resolution are kept.
///
/// An id already listed is not counted again; an id that was listed once and has since been dropped from
/// the middle would be, which is why the detector skips redelivered activities before detection.
pub fn merge_alert(stored: &mut Alert, newer: Alert) {
    let newer_total = newer.evidence_total();
    let listed = newer.activity_ids.len() as u64;
    let span_of =
        |alert: &Alert| alert.evidence_span.map_or((alert.created_at, alert.created_at), |s| (s.first_at, s.last_at));
    let (newer_first, newer_last) = span_of(&newer);
    let known: HashSet<&str> = stored.activity_ids.iter().map(String::as_str).collect();
    let mut seen = HashSet::new();
    let fresh: Vec<String> =
        newer.activity_ids.into_iter().filter(|id| !known.contains(id.as_str()) && seen.insert(id.clone())).collect();
    // Ids the newer alert no longer lists (it was merged and bounded itself) count as new too.
    let added = newer_total.saturating_sub(listed) + fresh.len() as u64;
    if added > 0 {
        let (first_at, last_at) = span_of(stored);
        stored.evidence_span = Some(EvidenceSpan {
            total: stored.evidence_total() + added,
            first_at: first_at.min(newer_first),
            last_at: last_at.max(newer_last),
        });
        stored.activity_ids.extend(fresh);
        bound_evidence_ids(&mut stored.activity_ids);
    }
    for app in newer.apps {
        if !stored.apps.contains(&app) {
            stored.apps.push(app);
        }
    }
    stored.apps.sort();
    // As the title and facts: the newest version says whether the alert still has one source.
    stored.campaign = newer.campaign;
    stored.title = newer.title;
    stored.description = newer.description;
    stored.evidence = newer.evidence;
    stored.severity = stored.severity.max(newer.severity);
    stored.created_at = stored.created_at.min(newer.created_at);
}

/// Drops the ids between the first and the latest ones kept.
fn bound_evidence_ids(ids: &mut Vec<String>) {
    let keep = FIRST_EVIDENCE_IDS + LATEST_EVIDENCE_IDS;
    if ids.len() > keep {
        ids.drain(FIRST_EVIDENCE_IDS..ids.len() - LATEST_EVIDENCE_IDS);
    }
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

    fn alert_with(ids: impl IntoIterator<Item = String>, at_second: i64) -> Alert {
        Alert {
            id: "al-1".into(),
            tenant: "t".into(),
            policy_id: "anonymous_ip".into(),
            title: "x".into(),
            description: String::new(),
            severity: Severity::Medium,
            status: AlertStatus::Open,
            user: "u".into(),
            apps: vec![App::Slack],
            created_at: DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(at_second),
            activity_ids: ids.into_iter().collect(),
            evidence_span: None,
            campaign: None,
            evidence: serde_json::Value::Null,
            resolution: None,
        }
    }

    #[test]
    fn an_endless_burst_keeps_the_first_and_latest_ids_and_counts_every_one() {
        let mut stored = alert_with((0..100).map(|i| format!("slack:{i}")), 0);
        for batch in 1..500 {
            let ids = (batch * 100..batch * 100 + 100).map(|i| format!("slack:{i}"));
            merge_alert(&mut stored, alert_with(ids, batch));
        }
        assert_eq!(stored.activity_ids.len(), FIRST_EVIDENCE_IDS + LATEST_EVIDENCE_IDS);
        assert_eq!(stored.activity_ids[0], "slack:0");
        assert_eq!(stored.activity_ids[FIRST_EVIDENCE_IDS - 1], format!("slack:{}", FIRST_EVIDENCE_IDS - 1));
        assert_eq!(stored.activity_ids[FIRST_EVIDENCE_IDS], format!("slack:{}", 50_000 - LATEST_EVIDENCE_IDS));
        assert_eq!(stored.activity_ids.last().map(String::as_str), Some("slack:49999"));
        let span = stored.evidence_span.expect("a grown alert has a span");
        assert_eq!((span.total, stored.evidence_total()), (50_000, 50_000));
        assert_eq!(span.first_at, DateTime::<Utc>::UNIX_EPOCH);
        assert_eq!(span.last_at, DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(499));
    }

    #[test]
    fn merging_an_alert_that_was_itself_bounded_counts_what_it_no_longer_lists() {
        let mut stored = alert_with((0..10).map(|i| format!("slack:{i}")), 0);
        let mut newer = alert_with((100..110).map(|i| format!("slack:{i}")), 5);
        for batch in 1..30 {
            let ids = (100 + batch * 10..110 + batch * 10).map(|i| format!("slack:{i}"));
            merge_alert(&mut newer, alert_with(ids, 5 + batch));
        }
        assert_eq!(newer.evidence_total(), 300);
        merge_alert(&mut stored, newer);
        assert_eq!(stored.evidence_total(), 310);
        let span = stored.evidence_span.expect("span");
        assert_eq!(span.last_at, DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(34));
    }

    #[test]
    fn merging_known_ids_again_changes_nothing() {
        let mut stored = alert_with((0..3).map(|i| format!("slack:{i}")), 0);
        let before = stored.clone();
        merge_alert(&mut stored, alert_with((0..3).map(|i| format!("slack:{i}")), 0));
        assert_eq!(stored, before, "no span appears for a redelivery");
        merge_alert(&mut stored, alert_with(["slack:2".to_string(), "slack:3".into(), "slack:3".into()], 5));
        assert_eq!(stored.activity_ids, ["slack:0", "slack:1", "slack:2", "slack:3"]);
        assert_eq!(stored.evidence_total(), 4, "a repeated id in one alert counts once");
    }

    #[test]
    fn critical_parses_ranks_above_high_and_keeps_the_stored_ranks_of_the_others() {
        assert_eq!("critical".parse::<Severity>(), Ok(Severity::Critical));
        assert_eq!(Severity::Critical.to_string(), "critical");
        assert!(Severity::Critical > Severity::High);
        // SQLite and DynamoDB store the rank as a number: adding a level must not renumber the old ones.
        let ranks: Vec<u8> =
            [Severity::Informational, Severity::Low, Severity::Medium, Severity::High, Severity::Critical]
                .iter()
                .map(|s| *s as u8)
                .collect();
        assert_eq!(ranks, [0, 1, 2, 3, 4]);
        let err = "urgent".parse::<Severity>().expect_err("unknown");
        assert!(err.contains("high or critical"), "{err}");
        let decoded: Severity = serde_json::from_str("\"critical\"").expect("deserializes");
        assert_eq!(decoded, Severity::Critical);
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
            evidence_span: None,
            campaign: None,
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

//! Campaigns: one source acting against many users. Detections that can tell an attack's source (a listed
//! IP, the one address a burst of failed sign-ins came from) stamp their alerts with the source's
//! [`campaign_id`](crate::alert::campaign_id); here those alerts are gathered into one view per campaign.
//! Each user keeps their own alert, so governance still acts per user.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::{Alert, AlertStatus, Severity};

/// The alerts of one campaign, summed up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    /// The users the source acted against, sorted.
    pub users: Vec<String>,
    /// The policies whose alerts are linked, sorted.
    pub policies: Vec<String>,
    pub alerts: usize,
    pub open_alerts: usize,
    pub severity: Severity,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

/// The campaigns among `alerts` that reach at least `min_users` users, the latest first (ties by id).
pub fn campaigns<'a>(alerts: impl IntoIterator<Item = &'a Alert>, min_users: usize) -> Vec<Campaign> {
    struct Acc {
        users: BTreeSet<String>,
        policies: BTreeSet<String>,
        alerts: usize,
        open: usize,
        severity: Severity,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
    }
    let mut by_id: BTreeMap<&str, Acc> = BTreeMap::new();
    for alert in alerts {
        let Some(id) = alert.campaign.as_deref() else { continue };
        let (first, last) =
            alert.evidence_span.map_or((alert.created_at, alert.created_at), |s| (s.first_at, s.last_at));
        let acc = by_id.entry(id).or_insert_with(|| Acc {
            users: BTreeSet::new(),
            policies: BTreeSet::new(),
            alerts: 0,
            open: 0,
            severity: alert.severity,
            first,
            last,
        });
        acc.users.insert(alert.user.to_lowercase());
        acc.policies.insert(alert.policy_id.clone());
        acc.alerts += 1;
        acc.open += usize::from(alert.status == AlertStatus::Open);
        acc.severity = acc.severity.max(alert.severity);
        acc.first = acc.first.min(first);
        acc.last = acc.last.max(last);
    }
    let mut found: Vec<Campaign> = by_id
        .into_iter()
        .filter(|(_, acc)| acc.users.len() >= min_users.max(1))
        .map(|(id, acc)| Campaign {
            id: id.to_string(),
            users: acc.users.into_iter().collect(),
            policies: acc.policies.into_iter().collect(),
            alerts: acc.alerts,
            open_alerts: acc.open,
            severity: acc.severity,
            first_at: acc.first,
            last_at: acc.last,
        })
        .collect();
    found.sort_by(|a, b| b.last_at.cmp(&a.last_at).then_with(|| a.id.cmp(&b.id)));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::campaign_id;
    use crate::testing::{alert, at_minute};

    #[test]
    fn alerts_of_one_source_against_several_users_are_one_campaign() {
        let spray = campaign_id("acme", "203.0.113.9".parse().expect("ip"));
        let linked = |id: &str, user: &str, minute: i64, campaign: &str| {
            let mut a = alert(id, "suspicious_ip", Severity::High, user, at_minute(minute));
            a.campaign = Some(campaign.to_string());
            a
        };
        let mut resolved = linked("al-3", "C@acme.example", 30, &spray);
        resolved.status = AlertStatus::Resolved;
        let alone = linked("al-4", "d@acme.example", 40, "cp-alone");
        let unlinked = alert("al-5", "anonymous_ip", Severity::Medium, "e@acme.example", at_minute(50));
        let alerts = vec![
            linked("al-1", "a@acme.example", 10, &spray),
            linked("al-2", "b@acme.example", 20, &spray),
            linked("al-2b", "b@acme.example", 25, &spray),
            resolved,
            alone,
            unlinked,
        ];
        let found = campaigns(&alerts, 2);
        assert_eq!(found.len(), 1, "one user is no campaign: {found:#?}");
        let c = &found[0];
        assert_eq!(c.id, spray);
        assert_eq!(c.users, ["a@acme.example", "b@acme.example", "c@acme.example"]);
        assert_eq!((c.alerts, c.open_alerts, c.severity), (4, 3, Severity::High));
        assert_eq!((c.first_at, c.last_at), (at_minute(10), at_minute(30)));
        assert_eq!(campaigns(&alerts, 1).len(), 2);
    }

    #[test]
    fn a_campaign_is_keyed_by_the_ipv4_address_or_the_ipv6_64() {
        let id = |ip: &str| campaign_id("acme", ip.parse().expect("ip"));
        assert_eq!(id("2001:db8:1:2::1"), id("2001:db8:1:2:ffff::9"), "one /64");
        assert_ne!(id("2001:db8:1:2::1"), id("2001:db8:1:3::1"));
        assert_ne!(id("203.0.113.9"), id("203.0.113.10"));
        assert_ne!(id("203.0.113.9"), campaign_id("other", "203.0.113.9".parse().expect("ip")), "per tenant");
        assert_eq!(crate::alert::campaign_source("2001:db8:1:2:3:4:5:6".parse().expect("ip")), "2001:db8:1:2::/64");
    }
}

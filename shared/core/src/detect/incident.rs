//! Incident grouping: the continuation of an incident joins its open alert instead of raising a new one.
//!
//! A detection that can fire again and again for one attack (impossible travel for every pair of places a
//! hijacked session flips between, anonymous IPs for every Tor exit and day) keeps one [`Incident`] per
//! user. Evidence no further than the detection's `incident_gap` from the incident's span continues it:
//! the detection raises under the incident's key, so the alert with that id grows (its evidence bounded
//! by `merge_alert`). Evidence beyond the gap starts a new incident, and a new alert. Out-of-order
//! evidence is measured against the whole span, first to last.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// One user's ongoing incident of one detection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// The alert key (window) of the incident's alert: that of its first evidence.
    pub key: String,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    /// How many times the detection fired in it.
    pub count: u32,
}

impl Incident {
    /// The incident that evidence at `at` belongs to: `current`, grown, when `at` is within `gap` of its
    /// span; otherwise a new one keyed `key`, which replaces it.
    pub fn join(current: &mut Option<Incident>, key: String, at: DateTime<Utc>, gap: Duration) -> &Incident {
        let continues = current.as_ref().is_some_and(|i| at >= i.first_at - gap && at <= i.last_at + gap);
        if !continues {
            return current.insert(Incident { key, first_at: at, last_at: at, count: 1 });
        }
        let incident = current.get_or_insert_with(|| Incident { key, first_at: at, last_at: at, count: 0 });
        incident.first_at = incident.first_at.min(at);
        incident.last_at = incident.last_at.max(at);
        incident.count = incident.count.saturating_add(1);
        incident
    }
}

/// [`Incident::join`] on a user's incidents by policy id; returns the incident the evidence belongs to.
pub fn join_in(
    incidents: &mut BTreeMap<String, Incident>,
    policy: &str,
    key: String,
    at: DateTime<Utc>,
    gap: Duration,
) -> Incident {
    let mut slot = incidents.remove(policy);
    let joined = Incident::join(&mut slot, key, at, gap).clone();
    incidents.insert(policy.to_string(), joined.clone());
    joined
}

/// A settings duration as chrono's, saturating.
pub(crate) fn gap(duration: std::time::Duration) -> Duration {
    Duration::from_std(duration).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::at_minute;

    #[test]
    fn evidence_within_the_gap_of_the_span_continues_it_and_beyond_starts_anew() {
        let gap = Duration::minutes(60);
        let mut slot = None;
        assert_eq!(Incident::join(&mut slot, "a".into(), at_minute(100), gap).key, "a");
        assert_eq!(Incident::join(&mut slot, "b".into(), at_minute(150), gap).key, "a", "50 min later");
        assert_eq!(Incident::join(&mut slot, "c".into(), at_minute(45), gap).key, "a", "out of order, 55 min before");
        let grown = slot.clone().expect("an incident");
        assert_eq!((grown.first_at, grown.last_at, grown.count), (at_minute(45), at_minute(150), 3));
        assert_eq!(Incident::join(&mut slot, "d".into(), at_minute(211), gap).key, "d", "61 min after the last");
        assert_eq!(slot.expect("the new one").count, 1);
    }
}

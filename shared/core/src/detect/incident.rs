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
    #[serde(with = "crate::state::codec::time")]
    pub first_at: DateTime<Utc>,
    #[serde(with = "crate::state::codec::time")]
    pub last_at: DateTime<Utc>,
    /// How many times the detection fired in it.
    pub count: u32,
}

/// The incident of `policy` that evidence at `at` belongs to: the user's open one, grown, when `at` is
/// within `gap` of its span; otherwise a new one keyed `key()`, which replaces it.
pub fn join_in(
    incidents: &mut BTreeMap<String, Incident>,
    policy: &str,
    key: impl FnOnce() -> String,
    at: DateTime<Utc>,
    gap: Duration,
) -> Incident {
    match incidents.get_mut(policy) {
        Some(open) if at >= open.first_at - gap && at <= open.last_at + gap => {
            open.first_at = open.first_at.min(at);
            open.last_at = open.last_at.max(at);
            open.count = open.count.saturating_add(1);
            open.clone()
        }
        _ => {
            let new = Incident { key: key(), first_at: at, last_at: at, count: 1 };
            incidents.insert(policy.to_string(), new.clone());
            new
        }
    }
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
        let mut open = BTreeMap::new();
        let join = |open: &mut BTreeMap<String, Incident>, key: &str, minute: i64| {
            join_in(open, "p", || key.to_string(), at_minute(minute), gap)
        };
        assert_eq!(join(&mut open, "a", 100).key, "a");
        assert_eq!(join(&mut open, "b", 150).key, "a", "50 min later");
        assert_eq!(join(&mut open, "c", 45).key, "a", "out of order, 55 min before");
        let grown = open["p"].clone();
        assert_eq!((grown.first_at, grown.last_at, grown.count), (at_minute(45), at_minute(150), 3));
        let new = join(&mut open, "d", 211);
        assert_eq!((new.key.as_str(), new.count), ("d", 1), "61 min after the last");
        assert_eq!(open.len(), 1, "one open incident per policy");
    }
}

//! Per-user detection state: what each detection remembers about one user between batches.
//!
//! The state is one serializable value per (tenant, user). Stores keep it with a version and write it back
//! conditionally, so two workers can never lose each other's update.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::activity::Activity;
use crate::detect::failed_logins::FailedLoginState;
use crate::detect::impossible_travel::TravelState;
use crate::detect::incident::Incident;
use crate::detect::unusual::UnusualState;

pub(crate) mod codec;

pub use codec::StateCodecError;

/// The most activity ids a user's state remembers: those of the latest batch that processed something
/// (at most 100 activities, `saaswarden_app::ingest::MAX_BATCH`). A FIFO queue redelivers a user's latest
/// batch before any later one, and a later batch is only taken once the earlier one is wholly done
/// (activities in the audit trail), so the latest batch's ids are enough to recognise a redelivery; older
/// replays are recognised through the audit trail (see `detect_batch`). Every id costs state size on every
/// save — with the collector's 5-minute slices a batch holds one or two activities — so only the latest
/// batch is kept, not a history.
pub const RECENT_IDS: usize = 128;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserState {
    /// The first activity of this user that saaswarden saw: the start of the learning period.
    #[serde(with = "crate::state::codec::time_opt")]
    pub first_seen: Option<DateTime<Utc>>,
    #[serde(with = "crate::state::codec::time_opt")]
    pub last_seen: Option<DateTime<Utc>>,
    /// Ids of the activities of the latest batch that processed any ([`RECENT_IDS`]).
    pub recent_ids: RecentIds,
    /// Countries the user worked from, with successful interactive activity only: an attacker's failed
    /// attempts must not make a country familiar.
    pub countries: BTreeMap<String, PlaceHistory>,
    pub failed_logins: FailedLoginState,
    pub travel: TravelState,
    pub admin: UnusualState,
    pub impersonated: UnusualState,
    /// Each detection's ongoing incident (by policy id), whose continuation joins its alert.
    pub incidents: BTreeMap<String, Incident>,
    /// Alert ids already raised once per subject (anonymous IP per day, terminated user per termination…),
    /// so a long attack is one alert that grows rather than many.
    #[serde(with = "crate::state::codec::time_map")]
    pub raised: BTreeMap<String, DateTime<Utc>>,
}

/// When and on how many days a user was active in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceHistory {
    #[serde(with = "crate::state::codec::time")]
    pub first_seen: DateTime<Utc>,
    #[serde(with = "crate::state::codec::time")]
    pub last_seen: DateTime<Utc>,
    /// Distinct UTC days with activity there.
    pub days: u32,
}

impl UserState {
    /// Records where the user was, from a successful interactive activity they performed themselves (not an
    /// app or another person acting for them); called after every detection saw it.
    pub fn learn_place(&mut self, activity: &Activity) {
        let Some(country) = activity.country() else { return };
        if !activity.is_users_own_activity() {
            return;
        }
        let at = activity.occurred_at;
        match self.countries.get_mut(country) {
            Some(place) => {
                if at.date_naive() != place.last_seen.date_naive() && at > place.last_seen {
                    place.days += 1;
                }
                place.first_seen = place.first_seen.min(at);
                place.last_seen = place.last_seen.max(at);
            }
            None => {
                self.countries.insert(country.to_string(), PlaceHistory { first_seen: at, last_seen: at, days: 1 });
            }
        }
    }

    /// Forgets what is older than `horizon`: keeps the state small for long-lived users.
    pub fn forget_before(&mut self, horizon: DateTime<Utc>) {
        self.countries.retain(|_, place| place.last_seen >= horizon);
        self.raised.retain(|_, at| *at >= horizon);
        self.incidents.retain(|_, incident| incident.last_at >= horizon);
    }

    pub fn has_processed(&self, activity_id: &str) -> bool {
        self.recent_ids.contains(activity_id)
    }

    /// Starts the record of a new batch: the ids remembered so far are handed back (to recognise the
    /// batch's own redelivered activities) and forgotten.
    pub fn begin_batch(&mut self) -> RecentIds {
        std::mem::take(&mut self.recent_ids)
    }

    pub fn mark_processed(&mut self, activity_id: &str, at: DateTime<Utc>) {
        self.recent_ids.insert(activity_id);
        self.first_seen = Some(self.first_seen.map_or(at, |t| t.min(at)));
        self.last_seen = Some(self.last_seen.map_or(at, |t| t.max(at)));
    }
}

/// A bounded set of ids that forgets the oldest first. Serialized as a plain list, oldest first.
///
/// Looked up through a set of the ids' hashes, so reading a stored state allocates nothing beyond the ids
/// themselves; a hash hit is confirmed against the ids.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "VecDeque<String>", into = "VecDeque<String>")]
pub struct RecentIds {
    order: VecDeque<String>,
    /// How many remembered ids have each hash.
    hashes: HashMap<u64, u32>,
}

impl PartialEq for RecentIds {
    fn eq(&self, other: &Self) -> bool {
        self.order == other.order
    }
}

impl Eq for RecentIds {}

fn id_hash(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // In memory only (never stored), so any fixed hasher will do.
    let mut hasher = std::hash::DefaultHasher::new();
    id.hash(&mut hasher);
    hasher.finish()
}

impl RecentIds {
    pub fn contains(&self, id: &str) -> bool {
        self.hashes.contains_key(&id_hash(id)) && self.order.iter().any(|known| known == id)
    }

    pub fn insert(&mut self, id: &str) {
        if self.contains(id) {
            return;
        }
        if self.order.len() >= RECENT_IDS
            && let Some(old) = self.order.pop_front()
        {
            let old_hash = id_hash(&old);
            if let Some(count) = self.hashes.get_mut(&old_hash) {
                *count -= 1;
                if *count == 0 {
                    self.hashes.remove(&old_hash);
                }
            }
        }
        *self.hashes.entry(id_hash(id)).or_default() += 1;
        self.order.push_back(id.to_string());
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

impl From<VecDeque<String>> for RecentIds {
    fn from(list: VecDeque<String>) -> Self {
        let mut ids = RecentIds::default();
        for id in list {
            ids.insert(&id);
        }
        ids
    }
}

impl From<RecentIds> for VecDeque<String> {
    fn from(ids: RecentIds) -> Self {
        ids.order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_ids_forget_the_oldest_and_survive_serialization() {
        let mut ids = RecentIds::default();
        for i in 0..RECENT_IDS + 3 {
            ids.insert(&format!("slack:{i}"));
        }
        assert_eq!(ids.len(), RECENT_IDS);
        assert!(!ids.contains("slack:2") && ids.contains("slack:3"));
        let json = serde_json::to_string(&ids).expect("serializes");
        let back: RecentIds = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, ids);
        assert!(back.contains(&format!("slack:{}", RECENT_IDS + 2)));
    }
}

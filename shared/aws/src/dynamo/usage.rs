//! Place usage: which of a tenant's users used an IP or a country in the last 30 days, for the detections'
//! "how many of the tenant's users use this place" facts.
//!
//! One summary item per place, `P#<tenant>#<place>` / `users`: up to [`USAGE_CAP`] users, each an 8-byte
//! hash of the user and the time of their latest use (microseconds), 16 bytes a user, so at most 2 KB. A
//! batch reads the summaries of its own places in one BatchGetItem, whatever the size of the tenant: the
//! cost is O(places in the batch). A write happens only when a user's use moves to a later day, or a new
//! user joins a place that is not full.
//!
//! Counts are exact up to [`USAGE_CAP`]; every detection compares them with a threshold well below it. A
//! place with `USAGE_CAP` recent users (a busy country or office IP) is *saturated*: its answer cannot
//! change a decision, so the store remembers it in memory for [`SATURATED_FOR`] and neither reads nor
//! writes it meanwhile. No partition is then read by every batch of a large tenant.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use saaswarden_store::StoreError;
use sha2::{Digest, Sha256};

use super::{DynamoStore, Item, get_b, get_n, get_s, is_condition_failure, key, n};
use crate::error::{backend, corrupt};

/// Users a place summary holds; the largest count a place reports.
pub const USAGE_CAP: usize = 128;
/// How long a saturated place is answered from memory.
pub const SATURATED_FOR: Duration = Duration::from_secs(600);
/// Place usage is read for the last 30 days (`detect_batch`); summaries outlive their newest use a little.
const USAGE_TTL_DAYS: i64 = 60;
const ENTRY_BYTES: usize = 16;
/// How often a summary write that lost a race is redone from a fresh read.
const SUMMARY_RETRIES: usize = 5;

fn usage_pk(tenant: &str, place: &str) -> String {
    format!("P#{tenant}#{place}")
}

fn summary_key(tenant: &str, place: &str) -> Item {
    key(usage_pk(tenant, place), "users")
}

fn user_hash(user: &str) -> u64 {
    let digest = Sha256::digest(user.to_lowercase().as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(bytes)
}

fn day_number(micros: i64) -> i64 {
    micros.div_euclid(86_400_000_000)
}

/// Places known to be saturated, with when that was seen; shared by the clones of a store.
#[derive(Clone, Debug, Default)]
pub(crate) struct SaturatedPlaces(Arc<Mutex<HashMap<String, Instant>>>);

impl SaturatedPlaces {
    fn contains(&self, pk: &str) -> bool {
        let mut places = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match places.get(pk) {
            Some(seen) if seen.elapsed() < SATURATED_FOR => true,
            Some(_) => {
                places.remove(pk);
                false
            }
            None => false,
        }
    }

    fn insert(&self, pk: String) {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(pk, Instant::now());
    }
}

/// A decoded summary: (user hash, latest use in µs), and the item's version (0: absent).
#[derive(Debug, Default)]
struct Summary {
    users: Vec<(u64, i64)>,
    version: u64,
}

impl Summary {
    fn decode(item: &Item) -> Result<Summary, StoreError> {
        let id = get_s(item, "pk").unwrap_or("?").to_string();
        let bytes = get_b(item, "users").unwrap_or_default();
        if !bytes.len().is_multiple_of(ENTRY_BYTES) {
            return Err(corrupt("place usage", id, format!("{} bytes of users", bytes.len())));
        }
        let users = bytes
            .chunks_exact(ENTRY_BYTES)
            .map(|entry| {
                let (hash, last) = entry.split_at(8);
                let word = |b: &[u8]| <[u8; 8]>::try_from(b).unwrap_or_default();
                (u64::from_be_bytes(word(hash)), i64::from_be_bytes(word(last)))
            })
            .collect();
        let version = get_n(item, "version").and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
        Ok(Summary { users, version })
    }

    fn count_since(&self, since: DateTime<Utc>) -> usize {
        let since = since.timestamp_micros();
        self.users.iter().filter(|(_, last)| *last >= since).count()
    }

    /// Records each user's latest use; whether anything changed. Only a later day moves a known user, and a
    /// full summary keeps its most recent users.
    fn record(&mut self, uses: &BTreeMap<u64, i64>) -> bool {
        let mut changed = false;
        for (&hash, &at) in uses {
            match self.users.iter_mut().find(|(h, _)| *h == hash) {
                Some((_, last)) if day_number(at) > day_number(*last) => {
                    *last = at;
                    changed = true;
                }
                Some(_) => {}
                None => {
                    self.users.push((hash, at));
                    changed = true;
                }
            }
        }
        if self.users.len() > USAGE_CAP {
            self.users.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            self.users.truncate(USAGE_CAP);
        }
        changed
    }

    fn encode(&self, tenant: &str, place: &str) -> Item {
        let mut bytes = Vec::with_capacity(self.users.len() * ENTRY_BYTES);
        for (hash, last) in &self.users {
            bytes.extend_from_slice(&hash.to_be_bytes());
            bytes.extend_from_slice(&last.to_be_bytes());
        }
        let newest = self.users.iter().map(|(_, last)| *last).max().unwrap_or(0);
        let mut item = summary_key(tenant, place);
        item.insert("users".into(), AttributeValue::B(Blob::new(bytes)));
        item.insert("version".into(), n(self.version + 1));
        item.insert("expires_at".into(), n(newest.div_euclid(1_000_000) + USAGE_TTL_DAYS * 86_400));
        item
    }
}

impl DynamoStore {
    /// The summaries of `places`, by place (absent ones left out).
    async fn summaries(&self, tenant: &str, places: &[&String]) -> Result<HashMap<String, Summary>, StoreError> {
        let keys = places.iter().map(|place| summary_key(tenant, place)).collect();
        let prefix = format!("P#{tenant}#");
        let mut found = HashMap::new();
        for item in self.batch_get(&self.tables.state, keys, true).await? {
            let Some(place) = get_s(&item, "pk").and_then(|pk| pk.strip_prefix(&prefix)) else { continue };
            found.insert(place.to_string(), Summary::decode(&item)?);
        }
        Ok(found)
    }

    pub(super) async fn usage_counts(
        &self,
        tenant: &str,
        keys: &[String],
        since: DateTime<Utc>,
    ) -> Result<HashMap<String, u32>, StoreError> {
        let cap = u32::try_from(USAGE_CAP).unwrap_or(u32::MAX);
        let mut counts = HashMap::with_capacity(keys.len());
        let mut unknown = Vec::new();
        for place in keys {
            if self.saturated.contains(&usage_pk(tenant, place)) {
                counts.insert(place.clone(), cap);
            } else if !counts.contains_key(place) {
                counts.insert(place.clone(), 0);
                unknown.push(place);
            }
        }
        if unknown.is_empty() {
            return Ok(counts);
        }
        for (place, summary) in self.summaries(tenant, &unknown).await? {
            let count = summary.count_since(since);
            if count >= USAGE_CAP {
                self.saturated.insert(usage_pk(tenant, &place));
            }
            counts.insert(place, u32::try_from(count).unwrap_or(cap));
        }
        Ok(counts)
    }

    pub(super) async fn record_places(
        &self,
        tenant: &str,
        uses: &[(String, String, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        // Per place, each user's latest use in this call; saturated places need no record.
        let mut wanted: BTreeMap<&String, BTreeMap<u64, i64>> = BTreeMap::new();
        for (place, user, at) in uses {
            if self.saturated.contains(&usage_pk(tenant, place)) {
                continue;
            }
            let last = wanted.entry(place).or_default().entry(user_hash(user)).or_insert(at.timestamp_micros());
            *last = (*last).max(at.timestamp_micros());
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let places: Vec<&String> = wanted.keys().copied().collect();
        let mut stored = self.summaries(tenant, &places).await?;
        for (place, users) in wanted {
            let mut summary = stored.remove(place.as_str()).unwrap_or_default();
            let mut attempt = 0;
            while summary.record(&users) {
                attempt += 1;
                if self.write_summary(tenant, place, &summary).await? {
                    break;
                }
                if attempt >= SUMMARY_RETRIES {
                    return Err(StoreError::Conflict {
                        what: "place usage",
                        id: place.clone(),
                        expected: summary.version,
                    });
                }
                // Lost a race with another user's batch: merge into what it wrote.
                let table = &self.tables.state;
                let fresh = self
                    .get_one(table, summary_key(tenant, place), true, || {
                        format!("DynamoDB table {table}: read usage of {place}")
                    })
                    .await?;
                summary = fresh.as_ref().map(Summary::decode).transpose()?.unwrap_or_default();
            }
        }
        Ok(())
    }

    /// Writes a summary if it is still at the version it was read at. `Ok(false)`: lost a race.
    async fn write_summary(&self, tenant: &str, place: &str, summary: &Summary) -> Result<bool, StoreError> {
        let table = &self.tables.state;
        let item = summary.encode(tenant, place);
        self.wrote(table, &item);
        let request = self.client.put_item().table_name(table).set_item(Some(item));
        let request = if summary.version == 0 {
            request.condition_expression("attribute_not_exists(pk)")
        } else {
            request.condition_expression("version = :v").expression_attribute_values(":v", n(summary.version))
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failure(&error) => Ok(false),
            Err(error) => Err(backend(format!("DynamoDB table {table}: record usage of {place}"), error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_summary_keeps_its_most_recent_users_and_moves_a_user_only_on_a_later_day() {
        let day = 86_400_000_000_i64;
        let mut summary = Summary::default();
        let uses: BTreeMap<u64, i64> =
            (0..(USAGE_CAP as u64 + 10)).map(|u| (u, i64::try_from(u).unwrap_or(0) * day)).collect();
        assert!(summary.record(&uses));
        assert_eq!(summary.users.len(), USAGE_CAP);
        assert!(summary.users.iter().all(|(hash, _)| *hash >= 10), "the ten oldest users gave way");
        let newest = USAGE_CAP as u64 + 9;
        let same_day = BTreeMap::from([(newest, i64::try_from(newest).unwrap_or(0) * day + 5)]);
        assert!(!summary.record(&same_day), "a use later the same day writes nothing");
        let next_day = BTreeMap::from([(newest, i64::try_from(newest + 1).unwrap_or(0) * day)]);
        assert!(summary.record(&next_day));
        let since = DateTime::<Utc>::from_timestamp_micros(100 * day).unwrap_or_default();
        assert_eq!(summary.count_since(since), USAGE_CAP - 90);
    }

    #[test]
    fn summaries_round_trip_through_their_item() {
        let mut summary = Summary::default();
        summary.record(&BTreeMap::from([(user_hash("a@x.io"), 5), (user_hash("B@x.io"), -7)]));
        let decoded = Summary::decode(&summary.encode("acme", "ip:1.2.3.4")).expect("decodes");
        assert_eq!(decoded.users, summary.users);
        assert_eq!(decoded.version, 1);
        assert_eq!(user_hash("b@x.io"), user_hash("B@x.io"), "users are compared case-insensitively");
    }
}

//! The audit trail in the activities table, designed to cost well under one write unit per activity.
//!
//! - **Chunks** `A#<tenant>#<user>` / `<first time>#<hash>`: a run of one user's activities of one UTC hour
//!   and one append, as gzip'd JSON (a few KB each). `t` (the tenant) feeds the keys-only `by_tenant`
//!   index, one small index entry per chunk, not per activity. `last` is the newest activity's time.
//! - **IP index** `I#<tenant>#<ip>` / `<day>#<user>`: written once per (tenant, IP, user, day); a search by
//!   IP reads it to find whose chunks to read.
//! - **Evidence pointers** `E#<tenant>#<activity id>` (written by the alert store for alert evidence):
//!   which user's chunks hold an evidence activity, and about when.
//!
//! An id alone names no chunk. Finding any activity by id would need one pointer per activity, a write
//! unit each — the whole cost budget. So `existing` is given the activities, and reads their users' chunks
//! over their times (exact, one query per user and batch); `append` skips ids already in those chunks;
//! `get_many` finds alert evidence through the pointers. See docs/aws-storage.md.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use saaswarden_core::Activity;
use saaswarden_store::{ActivityLog, ActivityQuery, StoreError};
use sha2::{Digest, Sha256};
use tracing::warn;

use super::search::{Collector, chunk_start};
use super::{DynamoStore, Item, compress, decompress, from_micros, get_b, get_n, get_s, key, n, s, time_key};
use crate::error::{backend, corrupt};

/// A chunk is cut when its JSON passes this size: about 3–5 KB once compressed, so reading one user's
/// hour stays cheap and no item nears DynamoDB's 400 KB limit.
const CHUNK_JSON_BYTES: usize = 24 * 1024;
/// An activity whose JSON is larger than this (a pathological raw entry) is stored with its raw entry
/// replaced by a note, rather than failing the batch.
const MAX_ACTIVITY_JSON: usize = 256 * 1024;
/// The longest time one chunk spans: chunks are cut at each UTC hour, so a read of `[since, until]` starts
/// at most this much before `since`. (Cut at each day, a busy user's every batch re-read the whole day:
/// quadratic in the day's activities, and an attacker's 50,000 downloads took minutes per batch.)
const CHUNK_SPAN: Duration = Duration::hours(1);
/// How far before an alert's time its evidence is looked for.
const EVIDENCE_LOOKBACK_DAYS: i64 = 35;

pub(super) fn chunk_pk(tenant: &str, user: &str) -> String {
    format!("A#{tenant}#{user}")
}

pub(super) fn evidence_key(tenant: &str, id: &str) -> Item {
    key(format!("E#{tenant}#{id}"), "evidence")
}

pub(super) fn ip_pk(tenant: &str, ip: &str) -> String {
    format!("I#{tenant}#{ip}")
}

/// The lowest sort key of a chunk that may hold activities from `since` on.
pub(super) fn chunk_low(since: Option<DateTime<Utc>>) -> String {
    since.map_or_else(|| time_key(DateTime::<Utc>::UNIX_EPOCH), |t| time_key(t - CHUNK_SPAN))
}

fn hour_key(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(3_600)
}

pub(super) fn day_key(at: DateTime<Utc>) -> String {
    format!("{:08}", at.timestamp().div_euclid(86_400).max(0))
}

/// One decoded chunk.
pub(super) struct Chunk {
    pub(super) last: DateTime<Utc>,
    pub(super) activities: Vec<Activity>,
}

pub(super) fn decode_chunk(item: &Item) -> Result<Chunk, StoreError> {
    let id = format!("{}/{}", get_s(item, "pk").unwrap_or("?"), get_s(item, "sk").unwrap_or("?"));
    let body = get_b(item, "body").ok_or_else(|| corrupt("activity chunk", id.clone(), "no body"))?;
    let json = decompress(body).map_err(|e| corrupt("activity chunk", id.clone(), e))?;
    let activities: Vec<Activity> = serde_json::from_slice(&json).map_err(|e| corrupt("activity chunk", id, e))?;
    let last = get_n(item, "last").map(from_micros).unwrap_or(DateTime::<Utc>::MAX_UTC);
    Ok(Chunk { last, activities })
}

/// The activity's JSON, with an oversized raw entry replaced by a note naming its size.
fn activity_json(activity: &Activity) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec(activity).map_err(|e| corrupt("activity", activity.id.clone(), e))?;
    if json.len() <= MAX_ACTIVITY_JSON {
        return Ok(json);
    }
    warn!(activity = %activity.id, bytes = json.len(), "raw entry too large for the audit trail; stored without it");
    let trimmed = activity.without_raw("raw entry too large for the audit trail");
    serde_json::to_vec(&trimmed).map_err(|e| corrupt("activity", activity.id.clone(), e))
}

impl DynamoStore {
    /// The chunk items of one user whose activities may fall in `[since, until]`, oldest first.
    pub(super) async fn user_chunks(
        &self,
        tenant: &str,
        user: &str,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        query: Option<(&ActivityQuery, &mut Collector)>,
    ) -> Result<Vec<Chunk>, StoreError> {
        let table = &self.tables.activities;
        let low = chunk_low(since);
        let high = until.map_or_else(|| "~".to_string(), |t| format!("{}~", time_key(t)));
        let mut chunks = Vec::new();
        let mut collector = query;
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
                .expression_attribute_values(":pk", s(chunk_pk(tenant, user)))
                .expression_attribute_values(":low", s(low.clone()))
                .expression_attribute_values(":high", s(high.clone()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend(format!("DynamoDB table {table}: read activities of {user}"), e))?;
            self.meter.read(super::capacity::items_size(output.items()), false);
            for item in output.items.unwrap_or_default() {
                let chunk = decode_chunk(&item)?;
                if since.is_some_and(|since| chunk.last < since) {
                    continue;
                }
                match collector.as_mut() {
                    Some((query, collector)) => {
                        let next = get_s(&item, "sk").and_then(chunk_start).unwrap_or(DateTime::<Utc>::MIN_UTC);
                        if collector.complete_before(next, query.limit.max(1)) {
                            return Ok(chunks);
                        }
                        collector.add(chunk, query);
                    }
                    None => chunks.push(chunk),
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(chunks);
            }
        }
    }

    /// The ids among `activities` already in their users' chunks.
    async fn stored_ids(&self, tenant: &str, activities: &[Activity]) -> Result<HashSet<String>, StoreError> {
        // Per user: the earliest and latest time asked about, and the ids.
        type Span<'a> = (DateTime<Utc>, DateTime<Utc>, HashSet<&'a str>);
        let mut spans: BTreeMap<String, Span> = BTreeMap::new();
        for activity in activities.iter().filter(|a| a.tenant == tenant) {
            let at = activity.occurred_at;
            let span = spans.entry(activity.user_key()).or_insert_with(|| (at, at, HashSet::new()));
            span.0 = span.0.min(at);
            span.1 = span.1.max(at);
            span.2.insert(&activity.id);
        }
        let mut found = HashSet::new();
        for (user, (first, last, ids)) in spans {
            for chunk in self.user_chunks(tenant, &user, Some(first), Some(last), None).await? {
                found.extend(chunk.activities.into_iter().map(|a| a.id).filter(|id| ids.contains(id.as_str())));
            }
        }
        Ok(found)
    }

    async fn append_activities(&self, activities: &[Activity]) -> Result<usize, StoreError> {
        let mut by_user: BTreeMap<(String, String), Vec<&Activity>> = BTreeMap::new();
        for activity in activities {
            by_user.entry((activity.tenant.clone(), activity.user_key())).or_default().push(activity);
        }
        let mut new_total = 0;
        let mut items = Vec::new();
        let mut ip_days: BTreeMap<(String, String, String), DateTime<Utc>> = BTreeMap::new();
        for ((tenant, user), mut batch) in by_user {
            sort_refs(&mut batch);
            let (Some(first), Some(last)) = (batch.first(), batch.last()) else { continue };
            let stored: HashSet<String> = self
                .user_chunks(&tenant, &user, Some(first.occurred_at), Some(last.occurred_at), None)
                .await?
                .into_iter()
                .flat_map(|chunk| chunk.activities.into_iter().map(|a| a.id))
                .collect();
            let mut taken = HashSet::new();
            let fresh: Vec<&Activity> =
                batch.into_iter().filter(|a| !stored.contains(&a.id) && taken.insert(a.id.clone())).collect();
            new_total += fresh.len();
            for activity in &fresh {
                if let Some(ip) = activity.ip {
                    let at = ip_days
                        .entry((tenant.clone(), ip.to_string(), format!("{}#{user}", day_key(activity.occurred_at))))
                        .or_insert(activity.occurred_at);
                    *at = (*at).max(activity.occurred_at);
                }
            }
            items.extend(self.chunk_items(&tenant, &user, &fresh)?);
        }
        self.batch_put(&self.tables.activities, items).await?;
        self.index_ips(ip_days).await?;
        Ok(new_total)
    }

    /// Chunk items for one user's new activities (sorted): cut at each UTC hour and at the size limit.
    fn chunk_items(&self, tenant: &str, user: &str, activities: &[&Activity]) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut current: Vec<(&Activity, Vec<u8>)> = Vec::new();
        let mut size = 0;
        for activity in activities {
            let json = activity_json(activity)?;
            let new_hour =
                current.last().is_some_and(|(prev, _)| hour_key(prev.occurred_at) != hour_key(activity.occurred_at));
            if !current.is_empty() && (new_hour || size + json.len() > CHUNK_JSON_BYTES) {
                items.push(self.chunk_item(tenant, user, &current));
                current.clear();
                size = 0;
            }
            size += json.len() + 1;
            current.push((activity, json));
        }
        if !current.is_empty() {
            items.push(self.chunk_item(tenant, user, &current));
        }
        Ok(items)
    }

    fn chunk_item(&self, tenant: &str, user: &str, activities: &[(&Activity, Vec<u8>)]) -> Item {
        let mut json = Vec::with_capacity(activities.iter().map(|(_, j)| j.len() + 1).sum::<usize>() + 2);
        let mut hasher = Sha256::new();
        json.push(b'[');
        for (i, (activity, body)) in activities.iter().enumerate() {
            if i > 0 {
                json.push(b',');
            }
            json.extend_from_slice(body);
            hasher.update(activity.id.as_bytes());
            hasher.update([0]);
        }
        json.push(b']');
        let digest = hasher.finalize();
        let hash: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        let first = activities.first().map_or(DateTime::<Utc>::UNIX_EPOCH, |(a, _)| a.occurred_at);
        let last = activities.last().map_or(first, |(a, _)| a.occurred_at);
        let mut item = key(chunk_pk(tenant, user), format!("{}#{hash}", time_key(first)));
        item.insert("t".into(), s(tenant));
        item.insert("last".into(), n(last.timestamp_micros()));
        item.insert("n".into(), n(activities.len()));
        item.insert("body".into(), AttributeValue::B(Blob::new(compress(&json))));
        item.insert("expires_at".into(), n(self.expires_at(last)));
        item
    }

    /// Writes the IP index entries not already there (a batch read is a fifth of the price of writes).
    async fn index_ips(&self, ip_days: BTreeMap<(String, String, String), DateTime<Utc>>) -> Result<(), StoreError> {
        if ip_days.is_empty() {
            return Ok(());
        }
        let keys = ip_days.keys().map(|(tenant, ip, sk)| key(ip_pk(tenant, ip), sk.clone())).collect();
        let present: HashSet<(String, String)> = self
            .batch_get(&self.tables.activities, keys, false)
            .await?
            .iter()
            .filter_map(|item| Some((get_s(item, "pk")?.to_string(), get_s(item, "sk")?.to_string())))
            .collect();
        let items = ip_days
            .into_iter()
            .filter(|((tenant, ip, sk), _)| !present.contains(&(ip_pk(tenant, ip), sk.clone())))
            .map(|((tenant, ip, sk), at)| {
                let mut item = key(ip_pk(&tenant, &ip), sk);
                item.insert("expires_at".into(), n(self.expires_at(at)));
                item
            })
            .collect();
        self.batch_put(&self.tables.activities, items).await
    }

    /// Alert evidence by id: the pointers say whose chunks and about when; unknown ids are left out.
    async fn evidence(&self, tenant: &str, ids: &[String]) -> Result<Vec<Activity>, StoreError> {
        let keys = ids.iter().collect::<HashSet<_>>().into_iter().map(|id| evidence_key(tenant, id)).collect();
        let pointers = self.batch_get(&self.tables.activities, keys, false).await?;
        // user → (ids, newest alert time)
        let mut wanted: HashMap<String, (HashSet<String>, DateTime<Utc>)> = HashMap::new();
        let prefix = format!("E#{tenant}#");
        for item in &pointers {
            let (Some(id), Some(user), Some(at)) =
                (get_s(item, "pk").and_then(|pk| pk.strip_prefix(&prefix)), get_s(item, "user"), get_n(item, "at"))
            else {
                continue;
            };
            let entry = wanted.entry(user.to_string()).or_insert_with(|| (HashSet::new(), from_micros(at)));
            entry.0.insert(id.to_string());
            entry.1 = entry.1.max(from_micros(at));
        }
        let mut found: HashMap<String, Activity> = HashMap::new();
        for (user, (ids, at)) in wanted {
            let since = at - Duration::days(EVIDENCE_LOOKBACK_DAYS);
            for chunk in self.user_chunks(tenant, &user, Some(since), Some(at + Duration::days(1)), None).await? {
                for activity in chunk.activities {
                    if ids.contains(&activity.id) {
                        found.insert(activity.id.clone(), activity);
                    }
                }
            }
        }
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }
}

fn sort_refs(activities: &mut [&Activity]) {
    activities.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then_with(|| a.id.cmp(&b.id)));
}

impl ActivityLog for DynamoStore {
    fn append(&self, activities: &[Activity]) -> impl Future<Output = Result<usize, StoreError>> + Send {
        self.append_activities(activities)
    }

    /// Reads the chunks of each activity's user over the activities' times: one query per user, the same
    /// read `append` makes. See the module documentation.
    fn existing(
        &self,
        tenant: &str,
        activities: &[Activity],
    ) -> impl Future<Output = Result<HashSet<String>, StoreError>> + Send {
        self.stored_ids(tenant, activities)
    }

    /// Alert evidence (ids an alert names); other ids are left out. See the module documentation.
    fn get_many(&self, tenant: &str, ids: &[String]) -> impl Future<Output = Result<Vec<Activity>, StoreError>> + Send {
        self.evidence(tenant, ids)
    }

    fn search(&self, query: &ActivityQuery) -> impl Future<Output = Result<Vec<Activity>, StoreError>> + Send {
        self.search_activities(query)
    }
}

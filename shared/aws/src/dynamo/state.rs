//! Detector state in the state table: per-user state and tenant records (versioned, compressed JSON),
//! the tenant's first activity, and place usage (which users used which IP or country, when).
//!
//! Items: `U#<tenant>#<user>` / `state`; `T#<tenant>` / `state#<name>`; `T#<tenant>` / `first_seen`;
//! `P#<tenant>#<place>` / `<user>` with `first`, `last` (epoch µs) and `day`.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::Select;
use chrono::{DateTime, Utc};
use saaswarden_core::UserState;
use saaswarden_store::{StateStore, StoreError, Versioned};

use super::{
    DynamoStore, Item, compress, decompress, from_micros, get_b, get_n, get_s, is_condition_failure, key, n, s,
};
use crate::error::{backend, corrupt};

/// Place usage is read for the last 30 days (`detect_batch`); items outlive that a little, then expire.
const USAGE_TTL_DAYS: i64 = 60;

fn user_key(tenant: &str, user: &str) -> Item {
    key(format!("U#{tenant}#{user}"), "state")
}

fn tenant_key(tenant: &str, name: &str) -> Item {
    key(format!("T#{tenant}"), format!("state#{name}"))
}

fn usage_pk(tenant: &str, place: &str) -> String {
    format!("P#{tenant}#{place}")
}

fn day_number(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(86_400)
}

impl DynamoStore {
    /// A versioned, compressed JSON record: `Versioned::default`-like (version 0) when absent.
    async fn load_versioned(
        &self,
        key: Item,
        what: &'static str,
        id: &str,
    ) -> Result<Option<(Vec<u8>, u64)>, StoreError> {
        let table = &self.tables.state;
        let found = self.get_one(table, key, true, || format!("DynamoDB table {table}: load {what} {id}")).await?;
        let Some(item) = found else { return Ok(None) };
        let body = get_b(&item, "body").ok_or_else(|| corrupt(what, id, "no body"))?;
        let json = decompress(body).map_err(|e| corrupt(what, id, e))?;
        let version = get_n(&item, "version").and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
        Ok(Some((json, version)))
    }

    /// Writes a versioned record if its stored version is still `expected` (absent when 0).
    async fn save_versioned(
        &self,
        mut item: Item,
        json: &[u8],
        expected: u64,
        what: &'static str,
        id: String,
    ) -> Result<(), StoreError> {
        let table = &self.tables.state;
        item.insert("body".into(), aws_sdk_dynamodb::types::AttributeValue::B(Blob::new(compress(json))));
        item.insert("version".into(), n(expected + 1));
        self.wrote(table, &item);
        let request = self.client.put_item().table_name(table).set_item(Some(item));
        let request = if expected == 0 {
            request.condition_expression("attribute_not_exists(pk)")
        } else {
            request.condition_expression("version = :expected").expression_attribute_values(":expected", n(expected))
        };
        match request.send().await {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failure(&error) => Err(StoreError::Conflict { what, id, expected }),
            Err(error) => Err(backend(format!("DynamoDB table {table}: save {what} {id}"), error)),
        }
    }

    async fn usage_counts(
        &self,
        tenant: &str,
        keys: &[String],
        since: DateTime<Utc>,
    ) -> Result<HashMap<String, u32>, StoreError> {
        let table = &self.tables.state;
        let mut counts = HashMap::with_capacity(keys.len());
        for place in keys {
            let mut total: u32 = 0;
            let mut start = None;
            loop {
                let output = self
                    .client
                    .query()
                    .table_name(table)
                    .key_condition_expression("pk = :pk")
                    .filter_expression("#last >= :since")
                    .expression_attribute_names("#last", "last")
                    .expression_attribute_values(":pk", s(usage_pk(tenant, place)))
                    .expression_attribute_values(":since", n(since.timestamp_micros()))
                    .select(Select::Count)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(|e| backend(format!("DynamoDB table {table}: count users of {place}"), e))?;
                // A count still reads every item of the place (≈ 100 bytes each).
                self.meter.read(usize::try_from(output.scanned_count).unwrap_or(0) * 100, false);
                total = total.saturating_add(u32::try_from(output.count).unwrap_or(0));
                start = output.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
            counts.insert(place.clone(), total);
        }
        Ok(counts)
    }

    /// Writes a (place, user) item only when this use moves it to a later day or an earlier first use:
    /// a read costs a fifth of a write, and most batches repeat places already recorded today.
    async fn record_places(&self, tenant: &str, uses: &[(String, String, DateTime<Utc>)]) -> Result<(), StoreError> {
        // One entry per (place, user): the earliest and latest time of this call.
        let mut wanted: BTreeMap<(String, String), (DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
        for (place, user, at) in uses {
            let span = wanted.entry((place.clone(), user.clone())).or_insert((*at, *at));
            span.0 = span.0.min(*at);
            span.1 = span.1.max(*at);
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let keys = wanted.keys().map(|(place, user)| key(usage_pk(tenant, place), user.clone())).collect();
        let stored: HashMap<(String, String), (i64, i64)> = self
            .batch_get(&self.tables.state, keys, false)
            .await?
            .into_iter()
            .filter_map(|item| {
                let place = get_s(&item, "pk")?.strip_prefix(&format!("P#{tenant}#"))?.to_string();
                let user = get_s(&item, "sk")?.to_string();
                Some(((place, user), (get_n(&item, "first")?, get_n(&item, "last")?)))
            })
            .collect();
        let mut writes = Vec::new();
        for ((place, user), (first, last)) in wanted {
            let (first, last) = match stored.get(&(place.clone(), user.clone())) {
                Some(&(old_first, old_last)) => {
                    let (old_first, old_last) = (from_micros(old_first), from_micros(old_last));
                    let later_day = day_number(last) > day_number(old_last);
                    if !later_day && first >= old_first {
                        continue;
                    }
                    (first.min(old_first), last.max(old_last))
                }
                None => (first, last),
            };
            let mut item = key(usage_pk(tenant, &place), user);
            item.insert("first".into(), n(first.timestamp_micros()));
            item.insert("last".into(), n(last.timestamp_micros()));
            item.insert("expires_at".into(), n((last + chrono::Duration::days(USAGE_TTL_DAYS)).timestamp()));
            writes.push(item);
        }
        self.batch_put(&self.tables.state, writes).await
    }

    /// Keeps the earliest time: read first (cheap, and usually enough), write only when earlier.
    async fn note_first_seen(&self, tenant: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
        let table = &self.tables.state;
        let item_key = key(format!("T#{tenant}"), "first_seen");
        for _ in 0..5 {
            let found = self
                .get_one(table, item_key.clone(), true, || {
                    format!("DynamoDB table {table}: tenant {tenant} first activity")
                })
                .await?;
            let stored = found.as_ref().and_then(|item| get_n(item, "first")).map(from_micros);
            if let Some(stored) = stored
                && stored <= at
            {
                return Ok(stored);
            }
            self.meter.updated();
            let result = self
                .client
                .update_item()
                .table_name(table)
                .set_key(Some(item_key.clone()))
                .update_expression("SET #first = :at")
                .condition_expression("attribute_not_exists(#first) OR #first > :at")
                .expression_attribute_names("#first", "first")
                .expression_attribute_values(":at", n(at.timestamp_micros()))
                .send()
                .await;
            match result {
                Ok(_) => return Ok(at),
                // Someone recorded an even earlier time meanwhile: read it.
                Err(error) if is_condition_failure(&error) => continue,
                Err(error) => {
                    return Err(backend(format!("DynamoDB table {table}: tenant {tenant} first activity"), error));
                }
            }
        }
        Err(StoreError::Conflict { what: "tenant first activity", id: tenant.to_string(), expected: 0 })
    }
}

impl StateStore for DynamoStore {
    async fn load_user(&self, tenant: &str, user: &str) -> Result<Versioned<UserState>, StoreError> {
        let id = format!("{tenant}#{user}");
        match self.load_versioned(user_key(tenant, user), "user state", &id).await? {
            None => Ok(Versioned::default()),
            Some((json, version)) => {
                let value = serde_json::from_slice(&json).map_err(|e| corrupt("user state", id, e))?;
                Ok(Versioned { value, version })
            }
        }
    }

    fn save_user(
        &self,
        tenant: &str,
        user: &str,
        state: &UserState,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let id = format!("{tenant}#{user}");
        let json = serde_json::to_vec(state);
        let item = user_key(tenant, user);
        async move {
            let json = json.map_err(|e| corrupt("user state", id.clone(), e))?;
            self.save_versioned(item, &json, expected_version, "user state", id).await
        }
    }

    async fn load_tenant_state(&self, tenant: &str, name: &str) -> Result<Versioned<serde_json::Value>, StoreError> {
        let id = format!("{tenant}#{name}");
        match self.load_versioned(tenant_key(tenant, name), "tenant state", &id).await? {
            None => Ok(Versioned { value: serde_json::Value::Null, version: 0 }),
            Some((json, version)) => {
                let value = serde_json::from_slice(&json).map_err(|e| corrupt("tenant state", id, e))?;
                Ok(Versioned { value, version })
            }
        }
    }

    fn save_tenant_state(
        &self,
        tenant: &str,
        name: &str,
        value: &serde_json::Value,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let id = format!("{tenant}#{name}");
        let json = value.to_string().into_bytes();
        let item = tenant_key(tenant, name);
        async move { self.save_versioned(item, &json, expected_version, "tenant state", id).await }
    }

    fn usage(
        &self,
        tenant: &str,
        keys: &[String],
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<HashMap<String, u32>, StoreError>> + Send {
        self.usage_counts(tenant, keys, since)
    }

    fn record_usage(
        &self,
        tenant: &str,
        uses: &[(String, String, DateTime<Utc>)],
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.record_places(tenant, uses)
    }

    fn note_tenant_activity(
        &self,
        tenant: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<DateTime<Utc>, StoreError>> + Send {
        self.note_first_seen(tenant, at)
    }
}

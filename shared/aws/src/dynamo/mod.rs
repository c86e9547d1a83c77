//! The storage ports on DynamoDB. One [`DynamoStore`] implements them all over the template's tables.
//!
//! Every table has a string partition key `pk` and sort key `sk`; the item kinds and why they look the way
//! they do are in `docs/aws-storage.md`. Hot-path reads and writes go in batches (BatchGetItem,
//! BatchWriteItem, with the unprocessed part retried); conditional writes carry a `version` attribute.

mod activities;
mod alerts;
mod capacity;
mod checkpoints;
mod directory;
mod governance;
mod search;
mod state;
mod usage;

use std::collections::HashMap;
use std::io::{Read, Write};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::AsyncSleep;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use saaswarden_store::StoreError;

use crate::clients::Tables;
use crate::error::backend;
pub use capacity::{Capacity, CapacityMeter};
use capacity::{item_size, write_units};

pub(crate) type Item = HashMap<String, AttributeValue>;

/// BatchWriteItem takes at most 25 requests, BatchGetItem at most 100 keys.
const WRITE_BATCH: usize = 25;
const GET_BATCH: usize = 100;
/// How often the unprocessed part of a batch call is sent again before giving up.
const UNPROCESSED_RETRIES: usize = 8;
/// The first and the largest wait before resending an unprocessed part (exponential, full jitter: what
/// AWS advises for throttled batch calls, so concurrent detectors do not resend in step).
const BACKOFF_BASE: std::time::Duration = std::time::Duration::from_millis(50);
const BACKOFF_CAP: std::time::Duration = std::time::Duration::from_secs(5);

/// The wait before the `attempt`-th resend (1-based): a random time up to `BACKOFF_BASE · 2^(attempt-1)`,
/// capped. `entropy` is any varying number (the clock's nanoseconds).
fn backoff(attempt: usize, entropy: u32) -> std::time::Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1)).unwrap_or(u32::MAX).min(16);
    let ceiling = BACKOFF_BASE.saturating_mul(1_u32 << exponent).min(BACKOFF_CAP);
    ceiling.mul_f64(f64::from(entropy) / f64::from(u32::MAX))
}

/// Settings of the store that are not table names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreSettings {
    /// How long the audit trail keeps activities (DynamoDB TTL on its items), in days.
    pub retention_days: u32,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings { retention_days: 180 }
    }
}

/// Every storage port on DynamoDB.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    tables: Tables,
    settings: StoreSettings,
    meter: CapacityMeter,
    saturated: usage::SaturatedPlaces,
}

impl DynamoStore {
    pub fn new(client: Client, tables: Tables, settings: StoreSettings) -> DynamoStore {
        DynamoStore { client, tables, settings, meter: CapacityMeter::default(), saturated: Default::default() }
    }

    /// The same store tallying its estimated capacity units into `meter` (the cost bench).
    pub fn with_meter(mut self, meter: CapacityMeter) -> DynamoStore {
        self.meter = meter;
        self
    }

    /// The estimated capacity units consumed so far (see [`CapacityMeter`]).
    pub fn meter(&self) -> &CapacityMeter {
        &self.meter
    }

    /// Write units of the index entries an item makes: one keys-only entry per activity chunk; the alerts
    /// table's two indexes project whole items.
    fn index_units(&self, table: &str, item: &Item) -> u64 {
        if table == self.tables.activities && item.contains_key("t") {
            1
        } else if table == self.tables.alerts {
            2 * write_units(item_size(item))
        } else {
            0
        }
    }

    /// Accounts for one item written to `table`.
    fn wrote(&self, table: &str, item: &Item) {
        self.meter.wrote(item, self.index_units(table, item));
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    /// The TTL attribute value (epoch seconds) for an audit-trail item whose newest activity is at `at`.
    fn expires_at(&self, at: DateTime<Utc>) -> i64 {
        (at + chrono::Duration::days(i64::from(self.settings.retention_days))).timestamp()
    }

    /// Reads one item by key (strongly consistent when asked), metering its read units; `what` names the
    /// item in errors.
    async fn get_one(
        &self,
        table: &str,
        key: Item,
        consistent: bool,
        what: impl FnOnce() -> String,
    ) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(|e| backend(what(), e))?;
        self.meter.read(output.item.as_ref().map_or(0, capacity::item_size), consistent);
        Ok(output.item)
    }

    /// Waits before resending the unprocessed part of a batch call, on the SDK's own timer.
    async fn back_off(&self, attempt: usize) {
        let entropy = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos().wrapping_mul(2_654_435_761));
        if let Some(sleep) = self.client.config().sleep_impl() {
            sleep.sleep(backoff(attempt, entropy)).await;
        }
    }

    /// Reads items by key in batches of 100, retrying what DynamoDB leaves unprocessed.
    async fn batch_get(&self, table: &str, keys: Vec<Item>, consistent: bool) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(GET_BATCH) {
            let mut pending = chunk.to_vec();
            let mut attempts = 0;
            while !pending.is_empty() {
                attempts += 1;
                if attempts > UNPROCESSED_RETRIES {
                    return Err(StoreError::Invalid(format!(
                        "DynamoDB table {table}: {} keys still unprocessed after {UNPROCESSED_RETRIES} batch reads",
                        pending.len()
                    )));
                }
                if attempts > 1 {
                    self.back_off(attempts - 1).await;
                }
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(pending.clone()))
                    .consistent_read(consistent)
                    .build()
                    .map_err(|e| backend(format!("DynamoDB table {table}: batch read"), e))?;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(table, request)
                    .send()
                    .await
                    .map_err(|e| backend(format!("DynamoDB table {table}: batch read"), e))?;
                let asked = pending.len();
                let got = output.responses.and_then(|mut responses| responses.remove(table)).unwrap_or_default();
                for item in &got {
                    self.meter.read(item_size(item), consistent);
                }
                let rest_keys =
                    output.unprocessed_keys.as_ref().and_then(|rest| rest.get(table)).map_or(0, |rest| rest.keys.len());
                for _ in got.len() + rest_keys..asked {
                    self.meter.read(0, consistent);
                }
                found.extend(got);
                pending = output
                    .unprocessed_keys
                    .and_then(|mut rest| rest.remove(table))
                    .map(|rest| rest.keys)
                    .unwrap_or_default();
            }
        }
        Ok(found)
    }

    /// Puts items in batches of 25, retrying what DynamoDB leaves unprocessed.
    async fn batch_put(&self, table: &str, items: Vec<Item>) -> Result<(), StoreError> {
        for item in &items {
            self.wrote(table, item);
        }
        let requests: Vec<WriteRequest> = items
            .into_iter()
            .map(|item| {
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(|e| backend(format!("DynamoDB table {table}: batch write"), e))
            })
            .collect::<Result<_, _>>()?;
        for chunk in requests.chunks(WRITE_BATCH) {
            let mut pending = chunk.to_vec();
            let mut attempts = 0;
            while !pending.is_empty() {
                attempts += 1;
                if attempts > UNPROCESSED_RETRIES {
                    return Err(StoreError::Invalid(format!(
                        "DynamoDB table {table}: {} items still unprocessed after {UNPROCESSED_RETRIES} batch writes",
                        pending.len()
                    )));
                }
                if attempts > 1 {
                    self.back_off(attempts - 1).await;
                }
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(table, pending)
                    .send()
                    .await
                    .map_err(|e| backend(format!("DynamoDB table {table}: batch write"), e))?;
                pending = output.unprocessed_items.and_then(|mut rest| rest.remove(table)).unwrap_or_default();
            }
        }
        Ok(())
    }
}

/// A key item.
pub(crate) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

pub(crate) fn get_n(item: &Item, name: &str) -> Option<i64> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}

pub(crate) fn get_b<'a>(item: &'a Item, name: &str) -> Option<&'a [u8]> {
    item.get(name).and_then(|v| v.as_b().ok()).map(|b| b.as_ref())
}

/// A sortable text form of a time: zero-padded epoch microseconds (sorts like the time, before and after
/// 1970 alike within the representable range of activities).
pub(crate) fn time_key(at: DateTime<Utc>) -> String {
    format!("{:020}", at.timestamp_micros().max(0))
}

pub(crate) fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// Gzip: the audit trail and user states are JSON that compresses 4–8×, and DynamoDB bills writes per KB.
pub(crate) fn compress(json: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(json.len() / 4), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(json);
    encoder.finish().unwrap_or_default()
}

pub(crate) fn decompress(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() * 6);
    GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

/// Whether a conditional write failed on its condition (a lost race, not an outage).
pub(crate) fn is_condition_failure<E, R>(error: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    error.as_service_error().and_then(|e| e.code()) == Some("ConditionalCheckFailedException")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_and_is_jittered_below_it() {
        assert_eq!(backoff(1, u32::MAX), BACKOFF_BASE);
        assert_eq!(backoff(3, u32::MAX), BACKOFF_BASE * 4);
        assert_eq!(backoff(40, u32::MAX), BACKOFF_CAP);
        assert_eq!(backoff(3, 0), std::time::Duration::ZERO);
        assert!(backoff(3, u32::MAX / 2) < BACKOFF_BASE * 4 && backoff(3, u32::MAX / 2) > BACKOFF_BASE);
    }
}

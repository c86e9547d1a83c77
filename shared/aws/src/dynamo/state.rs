//! Detector state in the state table: per-user state (versioned, gzip of the binary
//! encoding, `UserState::to_bytes`; gzip of JSON when an earlier release wrote it) and tenant records
//! (versioned, gzip of JSON),
//! the tenant's first activity; place usage is in `usage.rs`.
//!
//! Items: `U#<tenant>#<user>` / `state`; `T#<tenant>` / `state#<name>`; `T#<tenant>` / `first_seen`.

use std::collections::HashMap;
use std::future::Future;

use aws_sdk_dynamodb::primitives::Blob;
use chrono::{DateTime, Utc};
use saaswarden_core::UserState;
use saaswarden_store::{StateStore, StoreError, Versioned};

use super::{DynamoStore, Item, compress, decompress, from_micros, get_b, get_n, is_condition_failure, key, n};
use crate::error::{backend, corrupt};

fn user_key(tenant: &str, user: &str) -> Item {
    key(format!("U#{tenant}#{user}"), "state")
}

fn tenant_key(tenant: &str, name: &str) -> Item {
    key(format!("T#{tenant}"), format!("state#{name}"))
}

impl DynamoStore {
    /// A versioned, compressed record (its bytes decompressed): `Versioned::default`-like (version 0) when absent.
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
            Some((bytes, version)) => {
                let value = UserState::from_bytes(&bytes).map_err(|source| StoreError::State { id, source })?;
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
        let bytes = state.to_bytes();
        let item = user_key(tenant, user);
        async move {
            let bytes = bytes.map_err(|source| StoreError::State { id: id.clone(), source })?;
            self.save_versioned(item, &bytes, expected_version, "user state", id).await
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

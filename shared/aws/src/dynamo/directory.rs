//! Terminated identities in the directory table: `pk` = tenant, `sk` = lower-cased user.

use std::future::Future;

use saaswarden_core::directory::{Termination, TerminationStatus};
use saaswarden_store::{Directory, StoreError};

use super::{DynamoStore, Item, from_micros, get_n, get_s, key, n, s};
use crate::error::{backend, corrupt};

fn decode(item: &Item) -> Result<Termination, StoreError> {
    let user = get_s(item, "sk").unwrap_or("?").to_string();
    let status: TerminationStatus = get_s(item, "status")
        .unwrap_or("")
        .parse()
        .map_err(|e: String| corrupt("directory record of", user.clone(), e))?;
    let since =
        get_n(item, "since").map(from_micros).ok_or_else(|| corrupt("directory record of", user.clone(), "no time"))?;
    Ok(Termination { user, status, since, source: get_s(item, "source").unwrap_or_default().to_string() })
}

fn encode(tenant: &str, record: &Termination) -> Item {
    let mut item = key(tenant, record.user.to_lowercase());
    item.insert("status".into(), s(record.status.as_str()));
    item.insert("since".into(), n(record.since.timestamp_micros()));
    item.insert("source".into(), s(&record.source));
    item
}

impl DynamoStore {
    async fn import_terminations(&self, tenant: &str, records: &[Termination]) -> Result<usize, StoreError> {
        let keys = records.iter().map(|r| key(tenant, r.user.to_lowercase())).collect();
        let stored: Vec<Termination> =
            self.batch_get(&self.tables.directory, keys, true).await?.iter().map(decode).collect::<Result<_, _>>()?;
        let mut latest: std::collections::BTreeMap<String, Termination> = std::collections::BTreeMap::new();
        for record in records {
            let mut record = record.clone();
            record.user = record.user.to_lowercase();
            latest.insert(record.user.clone(), record);
        }
        let changed: Vec<Item> =
            latest.values().filter(|record| !stored.contains(record)).map(|record| encode(tenant, record)).collect();
        let count = changed.len();
        self.batch_put(&self.tables.directory, changed).await?;
        Ok(count)
    }
}

impl DynamoStore {
    /// One conditional delete per user (re-enabled users are few): the condition keeps other sources'
    /// records, and a record already gone is not an error.
    async fn reinstate_users(&self, tenant: &str, users: &[String], source: &str) -> Result<usize, StoreError> {
        let table = &self.tables.directory;
        let mut removed = 0;
        for user in users {
            let result = self
                .client
                .delete_item()
                .table_name(table)
                .set_key(Some(key(tenant, user.to_lowercase())))
                .condition_expression("#source = :source")
                .expression_attribute_names("#source", "source")
                .expression_attribute_values(":source", s(source))
                .send()
                .await;
            match result {
                Ok(_) => {
                    self.meter.updated();
                    removed += 1;
                }
                Err(e) if super::is_condition_failure(&e) => self.meter.updated(),
                Err(e) => return Err(backend(format!("DynamoDB table {table}: directory record of {user}"), e)),
            }
        }
        Ok(removed)
    }
}

impl Directory for DynamoStore {
    async fn termination(&self, tenant: &str, user: &str) -> Result<Option<Termination>, StoreError> {
        let table = &self.tables.directory;
        let found = self
            .get_one(table, key(tenant, user.to_lowercase()), false, || {
                format!("DynamoDB table {table}: directory record of {user}")
            })
            .await?;
        found.as_ref().map(decode).transpose()
    }

    fn import(&self, tenant: &str, records: &[Termination]) -> impl Future<Output = Result<usize, StoreError>> + Send {
        self.import_terminations(tenant, records)
    }

    fn reinstate(
        &self,
        tenant: &str,
        users: &[String],
        source: &str,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send {
        self.reinstate_users(tenant, users, source)
    }

    async fn terminations(&self, tenant: &str) -> Result<Vec<Termination>, StoreError> {
        let table = &self.tables.directory;
        let mut all = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(tenant))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend(format!("DynamoDB table {table}: directory of {tenant}"), e))?;
            self.meter.read(super::capacity::items_size(output.items()), false);
            for item in output.items.unwrap_or_default() {
                all.push(decode(&item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(all);
            }
        }
    }
}

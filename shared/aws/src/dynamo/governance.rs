//! The governance log in the governance table: entries `G#<entry id>` / `entry` (JSON, version, tenant,
//! alert id, creation time) claimed with a conditional create, and hourly budgets `B#<tenant>` / `<window>`
//! taken with a conditional atomic counter. Governance actions are rare (per alert, not per activity), so
//! listing scans and filters rather than paying for an index on every write.

use saaswarden_core::governance::GovernanceEntry;
use saaswarden_store::{Claim, GovernanceFilter, GovernanceLog, StoreError, Versioned};

use super::{DynamoStore, Item, get_n, get_s, is_condition_failure, key, n, s};
use crate::error::{backend, corrupt};

fn entry_key(id: &str) -> Item {
    key(format!("G#{id}"), "entry")
}

fn decode(item: &Item) -> Result<Versioned<GovernanceEntry>, StoreError> {
    let id = get_s(item, "pk").unwrap_or("?").trim_start_matches("G#").to_string();
    let body = get_s(item, "body").ok_or_else(|| corrupt("governance entry", id.clone(), "no body"))?;
    let value = serde_json::from_str(body).map_err(|e| corrupt("governance entry", id, e))?;
    let version = get_n(item, "version").and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
    Ok(Versioned { value, version })
}

impl DynamoStore {
    /// Puts the entry at `version + 1` if it is still at `version` (absent when 0). `Ok(false)`: lost a race.
    async fn put_entry(&self, entry: &GovernanceEntry, version: u64) -> Result<bool, StoreError> {
        let table = &self.tables.governance;
        let body = serde_json::to_string(entry).map_err(|e| corrupt("governance entry", entry.id.clone(), e))?;
        let mut item = entry_key(&entry.id);
        item.insert("tenant".into(), s(&entry.tenant));
        item.insert("alert_id".into(), s(&entry.alert_id));
        item.insert("created".into(), n(entry.created_at.timestamp_micros()));
        item.insert("body".into(), s(body));
        item.insert("version".into(), n(version + 1));
        self.wrote(table, &item);
        let request = self.client.put_item().table_name(table).set_item(Some(item));
        let request = if version == 0 {
            request.condition_expression("attribute_not_exists(pk)")
        } else {
            request.condition_expression("version = :v").expression_attribute_values(":v", n(version))
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failure(&error) => Ok(false),
            Err(error) => Err(backend(format!("DynamoDB table {table}: governance entry {}", entry.id), error)),
        }
    }

    async fn read_entry(&self, id: &str) -> Result<Option<Versioned<GovernanceEntry>>, StoreError> {
        let table = &self.tables.governance;
        let found = self
            .get_one(table, entry_key(id), true, || format!("DynamoDB table {table}: governance entry {id}"))
            .await?;
        found.as_ref().map(decode).transpose()
    }
}

impl GovernanceLog for DynamoStore {
    async fn claim_action(&self, entry: &GovernanceEntry) -> Result<Claim, StoreError> {
        if self.put_entry(entry, 0).await? {
            return Ok(Claim::Claimed);
        }
        match self.read_entry(&entry.id).await? {
            Some(existing) => Ok(Claim::Existing(Box::new(existing))),
            None => Err(StoreError::Invalid(format!("governance entry `{}` vanished while being claimed", entry.id))),
        }
    }

    async fn governance_entry(&self, id: &str) -> Result<Option<Versioned<GovernanceEntry>>, StoreError> {
        self.read_entry(id).await
    }

    async fn save_governance_entry(&self, entry: &GovernanceEntry, expected_version: u64) -> Result<(), StoreError> {
        if expected_version > 0 && self.put_entry(entry, expected_version).await? {
            return Ok(());
        }
        Err(StoreError::Conflict { what: "governance entry", id: entry.id.clone(), expected: expected_version })
    }

    async fn governance_entries(&self, filter: &GovernanceFilter) -> Result<Vec<GovernanceEntry>, StoreError> {
        let table = &self.tables.governance;
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .scan()
                .table_name(table)
                .filter_expression("sk = :entry")
                .expression_attribute_values(":entry", s("entry"))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend(format!("DynamoDB table {table}: governance entries"), e))?;
            self.meter.read(super::capacity::items_size(output.items()), false);
            for item in output.items.unwrap_or_default() {
                let entry = decode(&item)?.value;
                if filter.tenant.as_ref().is_none_or(|t| &entry.tenant == t)
                    && filter.alert_id.as_ref().is_none_or(|a| &entry.alert_id == a)
                {
                    found.push(entry);
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
        found.truncate(filter.limit.max(1));
        Ok(found)
    }

    async fn take_budget(&self, tenant: &str, window: &str, limit: u32) -> Result<bool, StoreError> {
        let table = &self.tables.governance;
        self.meter.updated();
        let result = self
            .client
            .update_item()
            .table_name(table)
            .set_key(Some(key(format!("B#{tenant}"), window)))
            .update_expression("ADD taken :one")
            .condition_expression("attribute_not_exists(taken) OR taken < :limit")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failure(&error) => Ok(false),
            Err(error) => Err(backend(format!("DynamoDB table {table}: budget {tenant}/{window}"), error)),
        }
    }
}

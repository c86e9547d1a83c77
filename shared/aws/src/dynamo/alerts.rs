//! Alerts in the alerts table: one item per alert (`pk` = alert id, `sk` = `alert`) holding the alert's
//! JSON, its resolution history and a version for read-modify-conditional-write. Two indexes serve the
//! lists: `by_status` (`<tenant>#<status>`, time) and `by_tenant` (tenant, time). The table's stream
//! (new and old images) feeds the notifier, which turns item changes into "Alert Created" / "Alert
//! Updated" events (`crate::events`).

use std::collections::{HashMap, HashSet};
use std::future::Future;

use saaswarden_core::alert::merge_alert;
use saaswarden_core::{Alert, Resolution};
use saaswarden_store::{AlertFilter, AlertStore, StoreError};

use super::activities::evidence_key;
use super::{DynamoStore, Item, get_n, get_s, is_condition_failure, n, s, time_key};
use crate::error::{backend, corrupt};

/// How often a write that lost a race is redone (each time from a fresh read).
const ALERT_RETRIES: usize = 8;

fn alert_key(id: &str) -> Item {
    HashMap::from([("pk".to_string(), s(id)), ("sk".to_string(), s("alert"))])
}

/// A stored alert with its history and version.
pub(crate) struct StoredAlert {
    pub alert: Alert,
    pub history: Vec<Resolution>,
    pub version: u64,
}

pub(crate) fn decode_alert(item: &Item) -> Result<StoredAlert, StoreError> {
    let id = get_s(item, "pk").unwrap_or("?").to_string();
    let body = get_s(item, "body").ok_or_else(|| corrupt("alert", id.clone(), "no body"))?;
    let alert = serde_json::from_str(body).map_err(|e| corrupt("alert", id.clone(), e))?;
    let history = match get_s(item, "history") {
        Some(json) => serde_json::from_str(json).map_err(|e| corrupt("alert history of", id, e))?,
        None => Vec::new(),
    };
    let version = get_n(item, "version").and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
    Ok(StoredAlert { alert, history, version })
}

fn encode_alert(alert: &Alert, history: &[Resolution], version: u64) -> Result<Item, StoreError> {
    let body = serde_json::to_string(alert).map_err(|e| corrupt("alert", alert.id.clone(), e))?;
    let history = serde_json::to_string(history).map_err(|e| corrupt("alert history of", alert.id.clone(), e))?;
    let mut item = alert_key(&alert.id);
    item.insert("tenant".into(), s(&alert.tenant));
    item.insert("status".into(), s(alert.status.as_str()));
    item.insert("severity".into(), n(alert.severity as u8));
    item.insert("user".into(), s(alert.user.to_lowercase()));
    item.insert("policy_id".into(), s(&alert.policy_id));
    item.insert("created".into(), n(alert.created_at.timestamp_micros()));
    item.insert("status_key".into(), s(format!("{}#{}", alert.tenant, alert.status.as_str())));
    item.insert("time_key".into(), s(format!("{}#{}", time_key(alert.created_at), alert.id)));
    item.insert("body".into(), s(body));
    item.insert("history".into(), s(history));
    item.insert("version".into(), n(version));
    Ok(item)
}

impl DynamoStore {
    async fn read_alert(&self, id: &str) -> Result<Option<StoredAlert>, StoreError> {
        let table = &self.tables.alerts;
        let found =
            self.get_one(table, alert_key(id), true, || format!("DynamoDB table {table}: read alert {id}")).await?;
        found.as_ref().map(decode_alert).transpose()
    }

    /// Writes the alert at `version + 1` if it is still at `version` (absent when 0). `Ok(false)`: lost a race.
    async fn write_alert(&self, alert: &Alert, history: &[Resolution], version: u64) -> Result<bool, StoreError> {
        let table = &self.tables.alerts;
        let item = encode_alert(alert, history, version + 1)?;
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
            Err(error) => Err(backend(format!("DynamoDB table {table}: write alert {}", alert.id), error)),
        }
    }

    /// Evidence pointers are written before the alert that cites them: were it the other way round, a
    /// failure in between would leave an alert whose redelivery changes nothing and so never writes them.
    async fn upsert_alerts(&self, alerts: &[Alert]) -> Result<usize, StoreError> {
        let mut created = 0;
        // One pointer per evidence activity, whichever alerts cite it: a BatchWriteItem with the same key
        // twice is refused whole, and two detections often cite one sign-in.
        let mut pointed: HashSet<String> = HashSet::new();
        for alert in alerts {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let (merged, history, version, known_ids) = match self.read_alert(&alert.id).await? {
                    Some(mut stored) => {
                        let before = stored.alert.clone();
                        merge_alert(&mut stored.alert, alert.clone());
                        // Nothing new (a redelivery): no write, so no stream record and no event.
                        if stored.alert == before {
                            break;
                        }
                        (stored.alert, stored.history, stored.version, before.activity_ids)
                    }
                    None => (alert.clone(), Vec::new(), 0, Vec::new()),
                };
                let known: HashSet<&str> = known_ids.iter().map(String::as_str).collect();
                // Pointers for the ids the stored alert lists (its capped evidence), not for every id of the
                // batch: a long attack writes at most the cap's worth per update, and the ids it no longer
                // lists are found in the audit trail by user and time.
                let pointers: Vec<Item> = merged
                    .activity_ids
                    .iter()
                    .filter(|id| !known.contains(id.as_str()) && pointed.insert(id.to_string()))
                    .map(|id| {
                        let mut item = evidence_key(&alert.tenant, id);
                        item.insert("user".into(), s(&alert.user));
                        item.insert("at".into(), n(alert.created_at.timestamp_micros()));
                        item.insert("expires_at".into(), n(self.expires_at(alert.created_at)));
                        item
                    })
                    .collect();
                self.batch_put(&self.tables.activities, pointers).await?;
                if self.write_alert(&merged, &history, version).await? {
                    if version == 0 {
                        created += 1;
                    }
                    break;
                }
                if attempt >= ALERT_RETRIES {
                    return Err(StoreError::Conflict { what: "alert", id: alert.id.clone(), expected: version });
                }
            }
        }
        Ok(created)
    }

    async fn resolve_alert(&self, id: &str, resolution: Resolution) -> Result<Alert, StoreError> {
        for _ in 0..ALERT_RETRIES {
            let mut stored =
                self.read_alert(id).await?.ok_or_else(|| StoreError::NotFound { what: "alert", id: id.to_string() })?;
            stored.alert.resolve(resolution.clone());
            stored.history.push(resolution.clone());
            if self.write_alert(&stored.alert, &stored.history, stored.version).await? {
                return Ok(stored.alert);
            }
        }
        Err(StoreError::Conflict { what: "alert", id: id.to_string(), expected: 0 })
    }

    async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, StoreError> {
        let table = &self.tables.alerts;
        let limit = filter.limit.max(1);
        let user = filter.user.as_ref().map(|u| u.to_lowercase());
        let keep = |alert: &Alert| {
            filter.tenant.as_ref().is_none_or(|t| &alert.tenant == t)
                && filter.status.is_none_or(|st| alert.status == st)
                && filter.policy_id.as_ref().is_none_or(|p| &alert.policy_id == p)
                && filter.min_severity.is_none_or(|min| alert.severity >= min)
                && user.as_ref().is_none_or(|u| &alert.user.to_lowercase() == u)
                && filter.campaign.as_ref().is_none_or(|c| alert.campaign.as_ref() == Some(c))
        };
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let (items, next) = match (&filter.tenant, filter.status) {
                (Some(tenant), status) => {
                    let (index, name, value) = match status {
                        Some(status) => ("by_status", "status_key", format!("{tenant}#{}", status.as_str())),
                        None => ("by_tenant", "tenant", tenant.clone()),
                    };
                    let output = self
                        .client
                        .query()
                        .table_name(table)
                        .index_name(index)
                        .key_condition_expression("#k = :v")
                        .expression_attribute_names("#k", name)
                        .expression_attribute_values(":v", s(value))
                        .scan_index_forward(false)
                        .set_exclusive_start_key(start)
                        .send()
                        .await
                        .map_err(|e| backend(format!("DynamoDB table {table}: list alerts"), e))?;
                    (output.items.unwrap_or_default(), output.last_evaluated_key)
                }
                // Without a tenant there is no index to follow: an operator's cross-tenant list scans.
                (None, _) => {
                    let output = self
                        .client
                        .scan()
                        .table_name(table)
                        .set_exclusive_start_key(start)
                        .send()
                        .await
                        .map_err(|e| backend(format!("DynamoDB table {table}: list alerts"), e))?;
                    (output.items.unwrap_or_default(), output.last_evaluated_key)
                }
            };
            self.meter.read(super::capacity::items_size(&items), false);
            for item in &items {
                let alert = decode_alert(item)?.alert;
                if keep(&alert) {
                    found.push(alert);
                }
            }
            start = next;
            let indexed = filter.tenant.is_some();
            if start.is_none() || (indexed && found.len() >= limit) {
                break;
            }
        }
        found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.cmp(&b.id)));
        found.truncate(limit);
        Ok(found)
    }
}

impl AlertStore for DynamoStore {
    fn upsert(&self, alerts: &[Alert]) -> impl Future<Output = Result<usize, StoreError>> + Send {
        self.upsert_alerts(alerts)
    }

    async fn get(&self, id: &str) -> Result<Option<Alert>, StoreError> {
        Ok(self.read_alert(id).await?.map(|stored| stored.alert))
    }

    fn list(&self, filter: &AlertFilter) -> impl Future<Output = Result<Vec<Alert>, StoreError>> + Send {
        self.list_alerts(filter)
    }

    fn resolve(&self, id: &str, resolution: Resolution) -> impl Future<Output = Result<Alert, StoreError>> + Send {
        self.resolve_alert(id, resolution)
    }

    async fn history(&self, id: &str) -> Result<Vec<Resolution>, StoreError> {
        Ok(self.read_alert(id).await?.map(|stored| stored.history).unwrap_or_default())
    }
}

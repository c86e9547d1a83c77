//! Searching the audit trail: by email (the user's partition), by IP (the IP index names the users), or
//! by time alone and anything else (the keys-only `by_tenant` index of chunks). Matches are filtered in
//! memory by the same rules as the SQLite adapter, oldest first, stopping once no later chunk can change
//! the `limit` oldest matches.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use saaswarden_core::Activity;
use saaswarden_store::{ActivityQuery, StoreError};

use super::activities::{Chunk, chunk_low, day_key, decode_chunk, ip_pk};
use super::{DynamoStore, Item, from_micros, get_s, key, s, time_key};
use crate::error::backend;

/// Whether the activity matches every criterion of the query (as the SQLite adapter's WHERE clause does).
pub(super) fn matches(activity: &Activity, query: &ActivityQuery) -> bool {
    if let Some(user) = &query.user {
        let user = user.trim().to_lowercase();
        let by_id = activity.actor.id.as_ref().is_some_and(|id| id.to_lowercase() == user);
        if activity.user_key() != user && !by_id {
            return false;
        }
    }
    query.tenant.as_ref().is_none_or(|t| &activity.tenant == t)
        && query.ip.is_none_or(|ip| activity.ip == Some(ip))
        && query.country.as_ref().is_none_or(|c| activity.country() == Some(c.to_uppercase().as_str()))
        && query.app.is_none_or(|app| activity.app == app)
        && query.action.as_ref().is_none_or(|action| &activity.action == action)
        && query.outcome.is_none_or(|outcome| activity.outcome == outcome)
        && query.since.is_none_or(|since| activity.occurred_at >= since)
        && query.until.is_none_or(|until| activity.occurred_at <= until)
}

/// The first-activity time a chunk's sort key starts with.
pub(super) fn chunk_start(sk: &str) -> Option<DateTime<Utc>> {
    sk.split('#').next().and_then(|t| t.parse().ok()).map(from_micros)
}

/// Collects matching activities from chunks arriving in sort-key (first time) order, and says when no
/// later chunk can change the `limit` oldest matches.
#[derive(Default)]
pub(super) struct Collector {
    found: Vec<Activity>,
    seen: HashSet<String>,
}

impl Collector {
    pub(super) fn add(&mut self, chunk: Chunk, query: &ActivityQuery) {
        for activity in chunk.activities {
            if matches(&activity, query) && self.seen.insert(activity.id.clone()) {
                self.found.push(activity);
            }
        }
    }

    /// True once `limit` matches are held and every one is older than `next_start`.
    pub(super) fn complete_before(&mut self, next_start: DateTime<Utc>, limit: usize) -> bool {
        if self.found.len() < limit {
            return false;
        }
        sort(&mut self.found);
        self.found.get(limit - 1).is_some_and(|kth| kth.occurred_at < next_start)
    }

    pub(super) fn finish(mut self, limit: usize) -> Vec<Activity> {
        sort(&mut self.found);
        self.found.truncate(limit);
        self.found
    }
}

fn sort(activities: &mut [Activity]) {
    activities.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then_with(|| a.id.cmp(&b.id)));
}

impl DynamoStore {
    pub(super) async fn search_activities(&self, query: &ActivityQuery) -> Result<Vec<Activity>, StoreError> {
        let Some(tenant) = query.tenant.as_deref() else {
            return Err(StoreError::Invalid(
                "searching the DynamoDB audit trail needs a tenant (it is partitioned by tenant)".to_string(),
            ));
        };
        let limit = query.limit.max(1);
        let mut collector = Collector::default();
        match (&query.user, query.ip) {
            (Some(user), _) if user.contains('@') => {
                let user = user.trim().to_lowercase();
                self.user_chunks(tenant, &user, query.since, query.until, Some((query, &mut collector))).await?;
            }
            (_, Some(ip)) => {
                for user in self.users_of_ip(tenant, &ip.to_string(), query.since, query.until).await? {
                    self.user_chunks(tenant, &user, query.since, query.until, Some((query, &mut collector))).await?;
                }
            }
            _ => self.tenant_chunks(tenant, query, &mut collector).await?,
        }
        Ok(collector.finish(limit))
    }

    /// The users the IP index names for an IP between two times.
    async fn users_of_ip(
        &self,
        tenant: &str,
        ip: &str,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>, StoreError> {
        let table = &self.tables.activities;
        let low = since.map_or_else(|| "0".to_string(), day_key);
        let high = until.map_or_else(|| "~".to_string(), |t| format!("{}~", day_key(t)));
        let mut users = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
                .expression_attribute_values(":pk", s(ip_pk(tenant, ip)))
                .expression_attribute_values(":low", s(low.clone()))
                .expression_attribute_values(":high", s(high.clone()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend(format!("DynamoDB table {table}: users of IP {ip}"), e))?;
            self.meter.read(super::capacity::items_size(output.items()), false);
            for item in output.items.unwrap_or_default() {
                if let Some((_, user)) = get_s(&item, "sk").and_then(|sk| sk.split_once('#'))
                    && !users.iter().any(|u| u == user)
                {
                    users.push(user.to_string());
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(users);
            }
        }
    }

    /// Every chunk of the tenant in the query's time range, through the keys-only `by_tenant` index.
    async fn tenant_chunks(
        &self,
        tenant: &str,
        query: &ActivityQuery,
        collector: &mut Collector,
    ) -> Result<(), StoreError> {
        let table = &self.tables.activities;
        let low = chunk_low(query.since);
        let high = query.until.map_or_else(|| "~".to_string(), |t| format!("{}~", time_key(t)));
        let limit = query.limit.max(1);
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(table)
                .index_name("by_tenant")
                .key_condition_expression("t = :t AND sk BETWEEN :low AND :high")
                .expression_attribute_values(":t", s(tenant))
                .expression_attribute_values(":low", s(low.clone()))
                .expression_attribute_values(":high", s(high.clone()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend(format!("DynamoDB table {table}: activities of tenant {tenant}"), e))?;
            self.meter.read(super::capacity::items_size(output.items()), false);
            let keys: Vec<Item> = output
                .items
                .unwrap_or_default()
                .iter()
                .filter_map(|item| Some(key(get_s(item, "pk")?, get_s(item, "sk")?)))
                .collect();
            let next_start = keys.first().and_then(|k| get_s(k, "sk")).and_then(chunk_start);
            if next_start.is_some_and(|next| collector.complete_before(next, limit)) {
                return Ok(());
            }
            let mut items = self.batch_get(table, keys, false).await?;
            items.sort_by(|a, b| get_s(a, "sk").cmp(&get_s(b, "sk")));
            for item in items {
                collector.add(decode_chunk(&item)?, query);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(());
            }
        }
    }
}

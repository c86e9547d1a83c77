use std::future::Future;

use rusqlite::{OptionalExtension, ToSql, params};
use saaswarden_core::Activity;

use super::{SqliteStore, done, to_micros};
use crate::error::StoreError;
use crate::ports::{ActivityLog, ActivityQuery};

impl SqliteStore {
    fn append_sync(&self, activities: &[Activity]) -> Result<usize, StoreError> {
        self.conn()?.atomically("append activities", |conn| {
            let mut insert = conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO activities
                     (tenant, id, app, user_key, actor_id, occurred_at, action, ip, country, body, outcome)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(StoreError::sqlite("prepare append"))?;
            let mut inserted = 0;
            for activity in activities {
                let body = serde_json::to_string(activity).map_err(|source| StoreError::Corrupt {
                    what: "activity",
                    id: activity.id.clone(),
                    source,
                })?;
                inserted += insert
                    .execute(params![
                        activity.tenant,
                        activity.id,
                        activity.app.as_str(),
                        activity.user_key(),
                        activity.actor.id,
                        to_micros(activity.occurred_at),
                        activity.action,
                        activity.ip.map(|ip| ip.to_string()),
                        activity.country(),
                        body,
                        activity.outcome.as_str(),
                    ])
                    .map_err(StoreError::sqlite("append activity"))?;
            }
            Ok(inserted)
        })
    }

    fn existing_sync(
        &self,
        tenant: &str,
        activities: &[Activity],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn
            .prepare_cached("SELECT 1 FROM activities WHERE tenant = ?1 AND id = ?2")
            .map_err(StoreError::sqlite("prepare existence check"))?;
        let mut found = std::collections::HashSet::new();
        for activity in activities {
            let id = &activity.id;
            if statement.exists(params![tenant, id]).map_err(StoreError::sqlite("check activity"))? {
                found.insert(id.clone());
            }
        }
        Ok(found)
    }

    fn get_many_sync(&self, tenant: &str, ids: &[String]) -> Result<Vec<Activity>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn
            .prepare_cached("SELECT body FROM activities WHERE tenant = ?1 AND id = ?2")
            .map_err(StoreError::sqlite("prepare activity lookup"))?;
        let mut found = Vec::new();
        for id in ids {
            let body: Option<String> = statement
                .query_row(params![tenant, id], |row| row.get(0))
                .optional()
                .map_err(StoreError::sqlite("look up activity"))?;
            if let Some(body) = body {
                found.push(serde_json::from_str(&body).map_err(|source| StoreError::Corrupt {
                    what: "activity",
                    id: id.clone(),
                    source,
                })?);
            }
        }
        Ok(found)
    }

    fn search_sync(&self, query: &ActivityQuery) -> Result<Vec<Activity>, StoreError> {
        let mut filter = Filter::default();
        if let Some(tenant) = &query.tenant {
            filter.add("tenant = ?", tenant.clone());
        }
        if let Some(user) = &query.user {
            // An email matches the user key; an app's own user id matches the actor id.
            filter.add("(user_key = ? OR lower(actor_id) = ?)", user.trim().to_lowercase());
        }
        if let Some(ip) = query.ip {
            filter.add("ip = ?", ip.to_string());
        }
        if let Some(country) = &query.country {
            filter.add("country = ?", country.to_uppercase());
        }
        if let Some(app) = query.app {
            filter.add("app = ?", app.as_str());
        }
        if let Some(action) = &query.action {
            filter.add("action = ?", action.clone());
        }
        if let Some(outcome) = query.outcome {
            filter.add("outcome = ?", outcome.as_str());
        }
        if let Some(since) = query.since {
            filter.add("occurred_at >= ?", to_micros(since));
        }
        if let Some(until) = query.until {
            filter.add("occurred_at <= ?", to_micros(until));
        }
        let sql = format!(
            "SELECT id, body FROM activities WHERE {} ORDER BY occurred_at, id LIMIT {}",
            filter.clause(),
            query.limit.max(1)
        );
        let args = filter.args;
        let conn = self.conn()?;
        let mut statement = conn.prepare(&sql).map_err(StoreError::sqlite("prepare search"))?;
        let refs: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let rows = statement
            .query_map(refs.as_slice(), |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))
            .map_err(StoreError::sqlite("search activities"))?;
        let mut found = Vec::new();
        for row in rows {
            let (id, body) = row.map_err(StoreError::sqlite("read activity"))?;
            let activity =
                serde_json::from_str(&body).map_err(|source| StoreError::Corrupt { what: "activity", id, source })?;
            found.push(activity);
        }
        Ok(found)
    }
}

impl ActivityLog for SqliteStore {
    fn append(&self, activities: &[Activity]) -> impl Future<Output = Result<usize, StoreError>> + Send {
        done(self.append_sync(activities))
    }

    fn existing(
        &self,
        tenant: &str,
        activities: &[Activity],
    ) -> impl Future<Output = Result<std::collections::HashSet<String>, StoreError>> + Send {
        done(self.existing_sync(tenant, activities))
    }

    fn get_many(&self, tenant: &str, ids: &[String]) -> impl Future<Output = Result<Vec<Activity>, StoreError>> + Send {
        done(self.get_many_sync(tenant, ids))
    }

    fn search(&self, query: &ActivityQuery) -> impl Future<Output = Result<Vec<Activity>, StoreError>> + Send {
        done(self.search_sync(query))
    }
}

/// A WHERE clause built from optional criteria; each criterion's `?` marks bind its one value.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    args: Vec<Box<dyn ToSql>>,
}

impl Filter {
    fn add(&mut self, clause: &str, value: impl ToSql + 'static) {
        self.args.push(Box::new(value));
        self.clauses.push(clause.replace('?', &format!("?{}", self.args.len())));
    }

    fn clause(&self) -> String {
        if self.clauses.is_empty() { "1 = 1".to_string() } else { self.clauses.join(" AND ") }
    }
}

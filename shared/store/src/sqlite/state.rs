use std::collections::HashMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{OptionalExtension, params};
use saaswarden_core::UserState;

use super::{SqliteStore, done, from_micros, to_micros};
use crate::error::StoreError;
use crate::ports::{StateStore, Versioned};

impl SqliteStore {
    fn load_user_sync(&self, tenant: &str, user: &str) -> Result<Versioned<UserState>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn
            .prepare_cached("SELECT version, body FROM user_state WHERE tenant = ?1 AND user_key = ?2")
            .map_err(StoreError::sqlite("load user state"))?;
        let mut rows = statement.query(params![tenant, user]).map_err(StoreError::sqlite("load user state"))?;
        let Some(row) = rows.next().map_err(StoreError::sqlite("load user state"))? else {
            return Ok(Versioned::default());
        };
        let version: i64 = row.get(0).map_err(StoreError::sqlite("load user state"))?;
        // A binary state is a blob; one written as JSON by an earlier release is text.
        let body = match row.get_ref(1).map_err(StoreError::sqlite("load user state"))? {
            ValueRef::Blob(bytes) | ValueRef::Text(bytes) => bytes,
            _ => &[],
        };
        let value = UserState::from_bytes(body)
            .map_err(|source| StoreError::State { id: format!("{tenant}#{user}"), source })?;
        Ok(Versioned { value, version: u64::try_from(version).unwrap_or(0) })
    }

    fn load_tenant_state_sync(&self, tenant: &str, name: &str) -> Result<Versioned<serde_json::Value>, StoreError> {
        let conn = self.conn()?;
        let row: Option<(i64, String)> = conn
            .prepare_cached("SELECT version, body FROM tenant_state WHERE tenant = ?1 AND name = ?2")
            .and_then(|mut statement| {
                statement.query_row(params![tenant, name], |row| Ok((row.get(0)?, row.get(1)?))).optional()
            })
            .map_err(StoreError::sqlite("load tenant state"))?;
        match row {
            None => Ok(Versioned { value: serde_json::Value::Null, version: 0 }),
            Some((version, body)) => {
                let value = serde_json::from_str(&body).map_err(|source| StoreError::Corrupt {
                    what: "tenant state",
                    id: format!("{tenant}#{name}"),
                    source,
                })?;
                Ok(Versioned { value, version: u64::try_from(version).unwrap_or(0) })
            }
        }
    }

    fn save_tenant_state_sync(
        &self,
        tenant: &str,
        name: &str,
        value: &serde_json::Value,
        expected: u64,
    ) -> Result<(), StoreError> {
        let body = value.to_string();
        let expected_sql = i64::try_from(expected).unwrap_or(i64::MAX);
        let conn = self.conn()?;
        let changed = if expected == 0 {
            conn.prepare_cached(
                "INSERT INTO tenant_state (tenant, name, version, body) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (tenant, name) DO NOTHING",
            )
            .and_then(|mut statement| statement.execute(params![tenant, name, body]))
        } else {
            conn.prepare_cached(
                "UPDATE tenant_state SET version = version + 1, body = ?4 WHERE tenant = ?1 AND name = ?2 AND version = ?3",
            )
            .and_then(|mut statement| statement.execute(params![tenant, name, expected_sql, body]))
        }
        .map_err(StoreError::sqlite("save tenant state"))?;
        if changed == 0 {
            return Err(StoreError::Conflict { what: "tenant state", id: format!("{tenant}#{name}"), expected });
        }
        Ok(())
    }

    fn save_user_sync(&self, tenant: &str, user: &str, state: &UserState, expected: u64) -> Result<(), StoreError> {
        let body = state.to_bytes().map_err(|source| StoreError::State { id: format!("{tenant}#{user}"), source })?;
        let expected_sql = i64::try_from(expected).unwrap_or(i64::MAX);
        let conn = self.conn()?;
        // One statement does the conditional write: insert when new, update only at the expected version.
        let changed = if expected == 0 {
            conn.prepare_cached(
                "INSERT INTO user_state (tenant, user_key, version, body) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (tenant, user_key) DO NOTHING",
            )
            .and_then(|mut statement| statement.execute(params![tenant, user, body]))
            .map_err(StoreError::sqlite("insert user state"))?
        } else {
            conn.prepare_cached(
                "UPDATE user_state SET version = version + 1, body = ?4
                 WHERE tenant = ?1 AND user_key = ?2 AND version = ?3",
            )
            .and_then(|mut statement| statement.execute(params![tenant, user, expected_sql, body]))
            .map_err(StoreError::sqlite("update user state"))?
        };
        if changed == 0 {
            return Err(StoreError::Conflict { what: "user state", id: format!("{tenant}#{user}"), expected });
        }
        Ok(())
    }

    fn usage_sync(
        &self,
        tenant: &str,
        keys: &[String],
        since: DateTime<Utc>,
    ) -> Result<HashMap<String, u32>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn
            .prepare_cached("SELECT COUNT(*) FROM usage WHERE tenant = ?1 AND key = ?2 AND last_seen >= ?3")
            .map_err(StoreError::sqlite("prepare usage count"))?;
        let mut counts = HashMap::with_capacity(keys.len());
        for key in keys {
            let count: i64 = statement
                .query_row(params![tenant, key, to_micros(since)], |row| row.get(0))
                .map_err(StoreError::sqlite("count usage"))?;
            counts.insert(key.clone(), u32::try_from(count).unwrap_or(u32::MAX));
        }
        Ok(counts)
    }

    fn record_usage_sync(&self, tenant: &str, uses: &[(String, String, DateTime<Utc>)]) -> Result<(), StoreError> {
        self.conn()?.atomically("record usage", |conn| {
            let mut upsert = conn
                .prepare_cached(
                    "INSERT INTO usage (tenant, key, user_key, last_seen) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (tenant, key, user_key) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen)",
                )
                .map_err(StoreError::sqlite("prepare usage"))?;
            for (key, user, at) in uses {
                upsert
                    .execute(params![tenant, key, user, to_micros(*at)])
                    .map_err(StoreError::sqlite("record usage"))?;
            }
            Ok(())
        })
    }

    fn note_tenant_sync(&self, tenant: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
        let conn = self.conn()?;
        let first: i64 = conn
            .prepare_cached(
                "INSERT INTO tenants (tenant, first_seen) VALUES (?1, ?2)
                 ON CONFLICT (tenant) DO UPDATE SET first_seen = MIN(first_seen, excluded.first_seen)
                 RETURNING first_seen",
            )
            .and_then(|mut statement| statement.query_row(params![tenant, to_micros(at)], |row| row.get(0)))
            .map_err(StoreError::sqlite("record tenant activity"))?;
        Ok(from_micros(first))
    }
}

impl StateStore for SqliteStore {
    fn load_user(
        &self,
        tenant: &str,
        user: &str,
    ) -> impl Future<Output = Result<Versioned<UserState>, StoreError>> + Send {
        done(self.load_user_sync(tenant, user))
    }

    fn save_user(
        &self,
        tenant: &str,
        user: &str,
        state: &UserState,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        done(self.save_user_sync(tenant, user, state, expected_version))
    }

    fn load_tenant_state(
        &self,
        tenant: &str,
        name: &str,
    ) -> impl Future<Output = Result<Versioned<serde_json::Value>, StoreError>> + Send {
        done(self.load_tenant_state_sync(tenant, name))
    }

    fn save_tenant_state(
        &self,
        tenant: &str,
        name: &str,
        value: &serde_json::Value,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        done(self.save_tenant_state_sync(tenant, name, value, expected_version))
    }

    fn usage(
        &self,
        tenant: &str,
        keys: &[String],
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<HashMap<String, u32>, StoreError>> + Send {
        done(self.usage_sync(tenant, keys, since))
    }

    fn record_usage(
        &self,
        tenant: &str,
        uses: &[(String, String, DateTime<Utc>)],
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        done(self.record_usage_sync(tenant, uses))
    }

    fn note_tenant_activity(
        &self,
        tenant: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<DateTime<Utc>, StoreError>> + Send {
        done(self.note_tenant_sync(tenant, at))
    }
}

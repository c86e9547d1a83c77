//! Collector checkpoints: one versioned JSON record per (tenant, stream).

use std::future::Future;

use rusqlite::{OptionalExtension, params};
use saaswarden_core::checkpoint::Checkpoint;

use super::{SqliteStore, done};
use crate::error::StoreError;
use crate::ports::{Checkpoints, Versioned};

impl SqliteStore {
    fn load_checkpoint_sync(&self, tenant: &str, stream: &str) -> Result<Versioned<Option<Checkpoint>>, StoreError> {
        let conn = self.conn()?;
        let row: Option<(i64, String)> = conn
            .query_row(
                "SELECT version, body FROM checkpoints WHERE tenant = ?1 AND stream = ?2",
                params![tenant, stream],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(StoreError::sqlite("load checkpoint"))?;
        match row {
            None => Ok(Versioned { value: None, version: 0 }),
            Some((version, body)) => {
                let value = serde_json::from_str(&body).map_err(|source| StoreError::Corrupt {
                    what: "checkpoint",
                    id: format!("{tenant}#{stream}"),
                    source,
                })?;
                Ok(Versioned { value: Some(value), version: u64::try_from(version).unwrap_or(0) })
            }
        }
    }

    fn save_checkpoint_sync(
        &self,
        tenant: &str,
        stream: &str,
        checkpoint: &Checkpoint,
        expected: u64,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(checkpoint).map_err(|source| StoreError::Corrupt {
            what: "checkpoint",
            id: format!("{tenant}#{stream}"),
            source,
        })?;
        let expected_sql = i64::try_from(expected).unwrap_or(i64::MAX);
        let conn = self.conn()?;
        let changed = if expected == 0 {
            conn.execute(
                "INSERT INTO checkpoints (tenant, stream, version, body) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (tenant, stream) DO NOTHING",
                params![tenant, stream, body],
            )
        } else {
            conn.execute(
                "UPDATE checkpoints SET version = version + 1, body = ?4
                 WHERE tenant = ?1 AND stream = ?2 AND version = ?3",
                params![tenant, stream, expected_sql, body],
            )
        }
        .map_err(StoreError::sqlite("save checkpoint"))?;
        if changed == 0 {
            return Err(StoreError::Conflict { what: "checkpoint", id: format!("{tenant}#{stream}"), expected });
        }
        Ok(())
    }
}

impl Checkpoints for SqliteStore {
    fn load(
        &self,
        tenant: &str,
        stream: &str,
    ) -> impl Future<Output = Result<Versioned<Option<Checkpoint>>, StoreError>> + Send {
        done(self.load_checkpoint_sync(tenant, stream))
    }

    fn save(
        &self,
        tenant: &str,
        stream: &str,
        checkpoint: &Checkpoint,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        done(self.save_checkpoint_sync(tenant, stream, checkpoint, expected_version))
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use saaswarden_core::checkpoint::Seen;

    use super::*;

    fn checkpoint(seconds: i64) -> Checkpoint {
        let through = DateTime::from_timestamp(seconds, 0).unwrap_or_default();
        Checkpoint {
            through,
            recent: vec![Seen { id: format!("e{seconds}"), at: through }],
            last_id: None,
            last_error: None,
        }
    }

    #[tokio::test]
    async fn checkpoints_are_saved_conditionally_per_tenant_and_stream() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let store = SqliteStore::open(&dir.path().join("c.db"))?;
        assert_eq!(store.load("acme", "slack").await?, Versioned { value: None, version: 0 });

        store.save("acme", "slack", &checkpoint(10), 0).await?;
        // A second first-save (another collector that also saw nothing) loses.
        assert!(matches!(store.save("acme", "slack", &checkpoint(99), 0).await, Err(StoreError::Conflict { .. })));
        store.save("acme", "slack", &checkpoint(20), 1).await?;
        assert!(matches!(store.save("acme", "slack", &checkpoint(5), 1).await, Err(StoreError::Conflict { .. })));

        assert_eq!(store.load("acme", "slack").await?, Versioned { value: Some(checkpoint(20)), version: 2 });
        assert_eq!(store.load("acme", "zendesk").await?.value, None);
        assert_eq!(store.load("other", "slack").await?.value, None);
        Ok(())
    }
}

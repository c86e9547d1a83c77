use std::future::Future;

use rusqlite::{OptionalExtension, params};
use saaswarden_core::directory::{Termination, TerminationStatus};

use super::{SqliteStore, done, from_micros, to_micros};
use crate::error::StoreError;
use crate::ports::Directory;

fn row_to_termination(user: String, status: String, since: i64, source: String) -> Result<Termination, StoreError> {
    let status: TerminationStatus =
        status.parse().map_err(|e: String| StoreError::Invalid(format!("directory record of {user}: {e}")))?;
    Ok(Termination { user, status, since: from_micros(since), source })
}

impl SqliteStore {
    fn termination_sync(&self, tenant: &str, user: &str) -> Result<Option<Termination>, StoreError> {
        let conn = self.conn()?;
        let row: Option<(String, String, i64, String)> = conn
            .prepare_cached("SELECT user_key, status, since, source FROM directory WHERE tenant = ?1 AND user_key = ?2")
            .and_then(|mut statement| {
                statement
                    .query_row(params![tenant, user.to_lowercase()], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                    })
                    .optional()
            })
            .map_err(StoreError::sqlite("read directory"))?;
        row.map(|(u, status, since, source)| row_to_termination(u, status, since, source)).transpose()
    }

    fn import_sync(&self, tenant: &str, records: &[Termination]) -> Result<usize, StoreError> {
        self.conn()?.atomically("import directory", |conn| {
            let mut upsert = conn
                .prepare_cached(
                    "INSERT INTO directory (tenant, user_key, status, since, source) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (tenant, user_key) DO UPDATE SET status = excluded.status, since = excluded.since,
                         source = excluded.source
                     WHERE status != excluded.status OR since != excluded.since OR source != excluded.source",
                )
                .map_err(StoreError::sqlite("prepare directory write"))?;
            let mut changed = 0;
            for record in records {
                changed += upsert
                    .execute(params![
                        tenant,
                        record.user.to_lowercase(),
                        record.status.as_str(),
                        to_micros(record.since),
                        record.source
                    ])
                    .map_err(StoreError::sqlite("write directory"))?;
            }
            Ok(changed)
        })
    }

    fn reinstate_sync(&self, tenant: &str, users: &[String], source: &str) -> Result<usize, StoreError> {
        self.conn()?.atomically("remove directory records", |conn| {
            let mut delete = conn
                .prepare_cached("DELETE FROM directory WHERE tenant = ?1 AND user_key = ?2 AND source = ?3")
                .map_err(StoreError::sqlite("prepare directory removal"))?;
            let mut removed = 0;
            for user in users {
                removed += delete
                    .execute(params![tenant, user.to_lowercase(), source])
                    .map_err(StoreError::sqlite("remove directory record"))?;
            }
            Ok(removed)
        })
    }

    fn terminations_sync(&self, tenant: &str) -> Result<Vec<Termination>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn
            .prepare("SELECT user_key, status, since, source FROM directory WHERE tenant = ?1 ORDER BY user_key")
            .map_err(StoreError::sqlite("prepare directory list"))?;
        let rows = statement
            .query_map([tenant], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
            .map_err(StoreError::sqlite("list directory"))?;
        let mut all = Vec::new();
        for row in rows {
            let (u, status, since, source) = row.map_err(StoreError::sqlite("read directory row"))?;
            all.push(row_to_termination(u, status, since, source)?);
        }
        Ok(all)
    }
}

impl SqliteStore {
    /// The tenants the directory holds records for, with how many each: records filed under another
    /// tenant than a run's are invisible to that run, which the command line warns about.
    pub fn directory_tenants(&self) -> Result<Vec<(String, usize)>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn
            .prepare("SELECT tenant, COUNT(*) FROM directory GROUP BY tenant ORDER BY tenant")
            .map_err(StoreError::sqlite("prepare directory tenants"))?;
        let rows = statement
            .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))
            .map_err(StoreError::sqlite("list directory tenants"))?;
        let mut tenants = Vec::new();
        for row in rows {
            let (tenant, count) = row.map_err(StoreError::sqlite("read directory tenant"))?;
            tenants.push((tenant, usize::try_from(count).unwrap_or(0)));
        }
        Ok(tenants)
    }
}

impl Directory for SqliteStore {
    fn termination(
        &self,
        tenant: &str,
        user: &str,
    ) -> impl Future<Output = Result<Option<Termination>, StoreError>> + Send {
        done(self.termination_sync(tenant, user))
    }

    fn import(&self, tenant: &str, records: &[Termination]) -> impl Future<Output = Result<usize, StoreError>> + Send {
        done(self.import_sync(tenant, records))
    }

    fn terminations(&self, tenant: &str) -> impl Future<Output = Result<Vec<Termination>, StoreError>> + Send {
        done(self.terminations_sync(tenant))
    }

    fn reinstate(
        &self,
        tenant: &str,
        users: &[String],
        source: &str,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send {
        done(self.reinstate_sync(tenant, users, source))
    }
}

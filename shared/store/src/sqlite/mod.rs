//! The embedded store: one SQLite file holds the audit trail, alerts, detector state and checkpoints.

mod activities;
mod alerts;
mod checkpoints;
mod directory;
mod governance;
mod schema;
mod state;

use std::future::{Future, ready};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::error::StoreError;

/// In bulk mode, how many store operations share one transaction before it is committed.
const BULK_OPERATIONS: u32 = 50_000;

/// A SQLite-backed implementation of every storage port.
///
/// Every operation is atomic on its own (a savepoint). In bulk mode ([`SqliteStore::begin_bulk`]) the
/// operations also share an outer transaction committed every few thousand operations: a replay of
/// weeks of logs would otherwise spend its time committing. Committing part of a replay is safe — the
/// use cases write each batch's user state last — so an interrupted bulk run resumes by running again.
pub struct SqliteStore {
    inner: Mutex<Inner>,
    path: PathBuf,
}

struct Inner {
    conn: Connection,
    /// Operations since the outer transaction began, when in bulk mode.
    bulk: Option<u32>,
}

impl Deref for Inner {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl DerefMut for Inner {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        schema::prepare(&conn).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        Ok(SqliteStore { inner: Mutex::new(Inner { conn, bulk: None }), path: path.to_path_buf() })
    }

    /// Starts bulk mode: operations share transactions until [`SqliteStore::end_bulk`].
    pub fn begin_bulk(&self) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner.bulk.is_none() {
            // Checkpoint the WAL less often while bulk-loading: each checkpoint rewrites hot pages again.
            inner
                .pragma_update(None, "wal_autocheckpoint", 20_000)
                .map_err(StoreError::sqlite("bulk checkpointing"))?;
            inner.execute_batch("BEGIN").map_err(StoreError::sqlite("begin bulk"))?;
            inner.bulk = Some(0);
        }
        Ok(())
    }

    /// Commits what bulk mode holds and returns to one transaction per operation.
    pub fn end_bulk(&self) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner.bulk.take().is_some() {
            inner.execute_batch("COMMIT").map_err(StoreError::sqlite("commit bulk"))?;
            inner
                .pragma_update(None, "wal_autocheckpoint", 1_000)
                .map_err(StoreError::sqlite("end bulk checkpointing"))?;
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves SQLite itself consistent (transactions roll back).
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The connection for one operation; in bulk mode, commits the outer transaction when it is due.
    fn conn(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        let mut inner = self.lock();
        if let Some(operations) = inner.bulk {
            if operations >= BULK_OPERATIONS {
                inner.execute_batch("COMMIT; BEGIN").map_err(StoreError::sqlite("commit bulk"))?;
                inner.bulk = Some(0);
            } else {
                inner.bulk = Some(operations + 1);
            }
        }
        Ok(inner)
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if let Err(error) = self.end_bulk() {
            tracing::error!(%error, path = %self.path.display(), "could not commit the last bulk transaction");
        }
    }
}

/// Runs synchronous SQLite work and hands back its result as an already-finished future.
fn done<T: Send>(result: Result<T, StoreError>) -> impl Future<Output = Result<T, StoreError>> + Send {
    ready(result)
}

fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

#[cfg(test)]
mod tests;

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
/// operations share an outer transaction committed every [`BULK_OPERATIONS`] operations: a replay of
/// weeks of logs would otherwise spend its time committing. Committing part of a replay is safe — the
/// use cases order each batch's writes for crashes — so an interrupted bulk run resumes by running again.
/// In bulk mode a write is atomic through the outer transaction instead (see `Inner::atomically`).
pub struct SqliteStore {
    inner: Mutex<Inner>,
    path: PathBuf,
}

struct Inner {
    conn: Connection,
    /// Operations since the outer transaction began, when in bulk mode.
    bulk: Option<u32>,
    /// A write failed in bulk mode: the outer transaction was rolled back, and every later operation fails
    /// until [`SqliteStore::end_bulk`].
    failed: bool,
}

impl Inner {
    /// Runs a write of several statements wholly or not at all. Alone, it is a savepoint. In bulk mode it
    /// runs straight in the outer transaction — a savepoint there first copied every page the write
    /// touched into a journal, a tenth of a replay's time (docs/benchmarks.md) — and a failure rolls the
    /// outer transaction back to its last commit, which lies between two operations, and fails every later
    /// operation of the bulk run: nothing half-done is ever committed, and the run stops at the error.
    fn atomically<T>(
        &mut self,
        context: &'static str,
        write: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if let Some(operations) = self.bulk {
            // Failed until it succeeds: a write that panics leaves the outer transaction uncommitted too.
            self.failed = true;
            let written = write(&self.conn);
            if written.is_ok() {
                self.failed = false;
            } else {
                match self.conn.execute_batch("ROLLBACK") {
                    Ok(()) => tracing::error!(
                        operations,
                        "a write failed: the replay's writes since its last commit were rolled back; \
                         running it again resumes it"
                    ),
                    Err(error) => {
                        tracing::error!(%error, "could not roll back the bulk transaction after a failed write")
                    }
                }
            }
            return written;
        }
        let tx = self.conn.savepoint().map_err(StoreError::sqlite(context))?;
        let written = write(&tx)?;
        tx.commit().map_err(StoreError::sqlite(context))?;
        Ok(written)
    }
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
        // Every hot statement is prepared once (`prepare_cached`); the default cache of 16 is too small for them all.
        conn.set_prepared_statement_cache_capacity(64);
        schema::prepare(&conn).map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        Ok(SqliteStore { inner: Mutex::new(Inner { conn, bulk: None, failed: false }), path: path.to_path_buf() })
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

    /// Commits what bulk mode holds and returns to one transaction per operation. After a failed write
    /// there is nothing to commit: the failure rolled the outer transaction back (and was reported then).
    pub fn end_bulk(&self) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner.bulk.take().is_some() {
            if !std::mem::take(&mut inner.failed) {
                inner.execute_batch("COMMIT").map_err(StoreError::sqlite("commit bulk"))?;
            } else if !inner.is_autocommit() {
                // The failed write's rollback did not happen (it panicked, or the rollback itself failed).
                inner.execute_batch("ROLLBACK").map_err(StoreError::sqlite("roll back bulk"))?;
            }
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
        if inner.failed {
            return Err(StoreError::Invalid(
                "an earlier write of this bulk run failed: the run's writes since its last commit were rolled back"
                    .to_string(),
            ));
        }
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

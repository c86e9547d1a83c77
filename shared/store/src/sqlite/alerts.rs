use std::future::Future;

use rusqlite::{Connection, OptionalExtension, params};
use saaswarden_core::alert::merge_alert;
use saaswarden_core::{Alert, Resolution};

use super::{SqliteStore, done, to_micros};
use crate::error::StoreError;
use crate::ports::{AlertFilter, AlertStore};

fn severity_rank(alert: &Alert) -> i64 {
    alert.severity as i64
}

fn read_alert(tx: &Connection, id: &str) -> Result<Option<Alert>, StoreError> {
    let body: Option<String> = tx
        .prepare_cached("SELECT body FROM alerts WHERE id = ?1")
        .and_then(|mut statement| statement.query_row([id], |row| row.get(0)).optional())
        .map_err(StoreError::sqlite("read alert"))?;
    body.map(|body| {
        serde_json::from_str(&body).map_err(|source| StoreError::Corrupt { what: "alert", id: id.to_string(), source })
    })
    .transpose()
}

fn write_alert(tx: &Connection, alert: &Alert) -> Result<(), StoreError> {
    let body = serde_json::to_string(alert).map_err(|source| StoreError::Corrupt {
        what: "alert",
        id: alert.id.clone(),
        source,
    })?;
    tx.prepare_cached(
        "INSERT INTO alerts (id, tenant, policy_id, status, severity, user_key, created_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, severity = excluded.severity,
             created_at = excluded.created_at, body = excluded.body",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            alert.id,
            alert.tenant,
            alert.policy_id,
            alert.status.as_str(),
            severity_rank(alert),
            alert.user,
            to_micros(alert.created_at),
            body
        ])
    })
    .map_err(StoreError::sqlite("write alert"))?;
    Ok(())
}

impl SqliteStore {
    fn upsert_sync(&self, alerts: &[Alert]) -> Result<usize, StoreError> {
        self.conn()?.atomically("upsert alerts", |conn| {
            let mut created = 0;
            for alert in alerts {
                match read_alert(conn, &alert.id)? {
                    Some(mut stored) => {
                        merge_alert(&mut stored, alert.clone());
                        write_alert(conn, &stored)?;
                    }
                    None => {
                        write_alert(conn, alert)?;
                        created += 1;
                    }
                }
            }
            Ok(created)
        })
    }

    fn get_sync(&self, id: &str) -> Result<Option<Alert>, StoreError> {
        read_alert(&self.conn()?.conn, id)
    }

    fn list_sync(&self, filter: &AlertFilter) -> Result<Vec<Alert>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn
            .prepare(
                "SELECT id, body FROM alerts
                 WHERE (?1 IS NULL OR tenant = ?1) AND (?2 IS NULL OR status = ?2)
                   AND (?3 IS NULL OR policy_id = ?3) AND severity >= ?4 AND (?5 IS NULL OR user_key = ?5)
                   AND (?7 IS NULL OR json_extract(body, '$.campaign') = ?7)
                 ORDER BY created_at DESC, id LIMIT ?6",
            )
            .map_err(StoreError::sqlite("prepare alert list"))?;
        let rows = statement
            .query_map(
                params![
                    filter.tenant,
                    filter.status.map(|s| s.as_str()),
                    filter.policy_id,
                    filter.min_severity.map_or(0, |s| s as i64),
                    filter.user.as_ref().map(|u| u.to_lowercase()),
                    filter.limit.max(1) as i64,
                    filter.campaign,
                ],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
            )
            .map_err(StoreError::sqlite("list alerts"))?;
        let mut alerts = Vec::new();
        for row in rows {
            let (id, body) = row.map_err(StoreError::sqlite("read alert row"))?;
            alerts.push(serde_json::from_str(&body).map_err(|source| StoreError::Corrupt {
                what: "alert",
                id,
                source,
            })?);
        }
        Ok(alerts)
    }

    fn resolve_sync(&self, id: &str, resolution: Resolution) -> Result<Alert, StoreError> {
        self.conn()?.atomically("resolve alert", |conn| {
            let mut alert =
                read_alert(conn, id)?.ok_or_else(|| StoreError::NotFound { what: "alert", id: id.to_string() })?;
            let entry = serde_json::to_string(&resolution).map_err(|source| StoreError::Corrupt {
                what: "alert",
                id: id.to_string(),
                source,
            })?;
            alert.resolve(resolution);
            write_alert(conn, &alert)?;
            conn.execute(
                "INSERT INTO alert_history (alert_id, seq, body)
                 VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM alert_history WHERE alert_id = ?1), ?2)",
                params![id, entry],
            )
            .map_err(StoreError::sqlite("record alert history"))?;
            Ok(alert)
        })
    }

    fn history_sync(&self, id: &str) -> Result<Vec<Resolution>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn
            .prepare("SELECT body FROM alert_history WHERE alert_id = ?1 ORDER BY seq")
            .map_err(StoreError::sqlite("prepare alert history"))?;
        let rows = statement
            .query_map([id], |row| row.get::<_, String>(0))
            .map_err(StoreError::sqlite("read alert history"))?;
        let mut history = Vec::new();
        for row in rows {
            let body = row.map_err(StoreError::sqlite("read alert history row"))?;
            history.push(serde_json::from_str(&body).map_err(|source| StoreError::Corrupt {
                what: "alert history of",
                id: id.to_string(),
                source,
            })?);
        }
        Ok(history)
    }
}

impl AlertStore for SqliteStore {
    fn upsert(&self, alerts: &[Alert]) -> impl Future<Output = Result<usize, StoreError>> + Send {
        done(self.upsert_sync(alerts))
    }

    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Alert>, StoreError>> + Send {
        done(self.get_sync(id))
    }

    fn list(&self, filter: &AlertFilter) -> impl Future<Output = Result<Vec<Alert>, StoreError>> + Send {
        done(self.list_sync(filter))
    }

    fn resolve(&self, id: &str, resolution: Resolution) -> impl Future<Output = Result<Alert, StoreError>> + Send {
        done(self.resolve_sync(id, resolution))
    }

    fn history(&self, id: &str) -> impl Future<Output = Result<Vec<Resolution>, StoreError>> + Send {
        done(self.history_sync(id))
    }
}

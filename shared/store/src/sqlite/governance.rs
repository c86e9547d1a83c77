use std::future::Future;

use rusqlite::{OptionalExtension, params};
use saaswarden_core::governance::GovernanceEntry;

use super::{SqliteStore, done, to_micros};
use crate::error::StoreError;
use crate::ports::{Claim, GovernanceFilter, GovernanceLog, Versioned};

fn encode(entry: &GovernanceEntry) -> Result<String, StoreError> {
    serde_json::to_string(entry).map_err(|source| StoreError::Corrupt {
        what: "governance entry",
        id: entry.id.clone(),
        source,
    })
}

fn decode(id: &str, body: &str) -> Result<GovernanceEntry, StoreError> {
    serde_json::from_str(body).map_err(|source| StoreError::Corrupt {
        what: "governance entry",
        id: id.to_string(),
        source,
    })
}

impl SqliteStore {
    fn governance_entry_sync(&self, id: &str) -> Result<Option<Versioned<GovernanceEntry>>, StoreError> {
        let conn = self.conn()?;
        let row: Option<(i64, String)> = conn
            .query_row("SELECT version, body FROM governance_log WHERE id = ?1", [id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .map_err(StoreError::sqlite("read governance entry"))?;
        row.map(|(version, body)| {
            Ok(Versioned { value: decode(id, &body)?, version: u64::try_from(version).unwrap_or(0) })
        })
        .transpose()
    }

    fn claim_action_sync(&self, entry: &GovernanceEntry) -> Result<Claim, StoreError> {
        let body = encode(entry)?;
        let inserted = {
            let conn = self.conn()?;
            conn.execute(
                "INSERT INTO governance_log (id, tenant, alert_id, version, created_at, body) VALUES (?1, ?2, ?3, 1, ?4, ?5)
                 ON CONFLICT (id) DO NOTHING",
                params![entry.id, entry.tenant, entry.alert_id, to_micros(entry.created_at), body],
            )
            .map_err(StoreError::sqlite("claim governance action"))?
        };
        if inserted == 1 {
            return Ok(Claim::Claimed);
        }
        match self.governance_entry_sync(&entry.id)? {
            Some(existing) => Ok(Claim::Existing(Box::new(existing))),
            None => Err(StoreError::Invalid(format!("governance entry `{}` vanished while being claimed", entry.id))),
        }
    }

    fn save_governance_entry_sync(&self, entry: &GovernanceEntry, expected: u64) -> Result<(), StoreError> {
        let body = encode(entry)?;
        let conn = self.conn()?;
        let changed = conn
            .execute(
                "UPDATE governance_log SET version = version + 1, body = ?3 WHERE id = ?1 AND version = ?2",
                params![entry.id, i64::try_from(expected).unwrap_or(i64::MAX), body],
            )
            .map_err(StoreError::sqlite("save governance entry"))?;
        if changed == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict { what: "governance entry", id: entry.id.clone(), expected })
        }
    }

    fn governance_entries_sync(&self, filter: &GovernanceFilter) -> Result<Vec<GovernanceEntry>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn
            .prepare(
                "SELECT id, body FROM governance_log
                 WHERE (?1 IS NULL OR tenant = ?1) AND (?2 IS NULL OR alert_id = ?2)
                 ORDER BY created_at DESC, id LIMIT ?3",
            )
            .map_err(StoreError::sqlite("prepare governance log"))?;
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        let rows = statement
            .query_map(params![filter.tenant, filter.alert_id, limit], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(StoreError::sqlite("list governance log"))?;
        let mut entries = Vec::new();
        for row in rows {
            let (id, body) = row.map_err(StoreError::sqlite("read governance log row"))?;
            entries.push(decode(&id, &body)?);
        }
        Ok(entries)
    }

    fn take_budget_sync(&self, tenant: &str, period: &str, limit: u32) -> Result<bool, StoreError> {
        let conn = self.conn()?;
        // One statement: insert the first use, or increment only while below the limit.
        let changed = conn
            .execute(
                "INSERT INTO governance_budget (tenant, period, used) SELECT ?1, ?2, 1 WHERE ?3 > 0
                 ON CONFLICT (tenant, period) DO UPDATE SET used = used + 1 WHERE used < ?3",
                params![tenant, period, limit],
            )
            .map_err(StoreError::sqlite("take governance budget"))?;
        Ok(changed == 1)
    }
}

impl GovernanceLog for SqliteStore {
    fn claim_action(&self, entry: &GovernanceEntry) -> impl Future<Output = Result<Claim, StoreError>> + Send {
        done(self.claim_action_sync(entry))
    }

    fn governance_entry(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Versioned<GovernanceEntry>>, StoreError>> + Send {
        done(self.governance_entry_sync(id))
    }

    fn save_governance_entry(
        &self,
        entry: &GovernanceEntry,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        done(self.save_governance_entry_sync(entry, expected_version))
    }

    fn governance_entries(
        &self,
        filter: &GovernanceFilter,
    ) -> impl Future<Output = Result<Vec<GovernanceEntry>, StoreError>> + Send {
        done(self.governance_entries_sync(filter))
    }

    fn take_budget(
        &self,
        tenant: &str,
        window: &str,
        limit: u32,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        done(self.take_budget_sync(tenant, window, limit))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use saaswarden_core::governance::{ActionKind, Decision, GovernanceStatus, Mode, Trigger};

    use super::*;

    fn entry(alert: &str) -> GovernanceEntry {
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).single().expect("time");
        let decision = Decision {
            tenant: "acme".into(),
            alert_id: alert.into(),
            policy_id: "impossible_travel".into(),
            user: "ann@acme.example".into(),
            action: ActionKind::SuspendUser,
            trigger: Trigger::Automatic { mode: Mode::Automatic },
            alert_title: "Impossible travel".into(),
            alert_description: String::new(),
            alert_created_at: at,
            apps: vec![],
        };
        GovernanceEntry::new(&decision, GovernanceStatus::Running, None, at)
    }

    #[tokio::test]
    async fn an_action_is_claimed_once_and_later_steps_are_conditional() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqliteStore::open(&dir.path().join("g.db")).expect("open");
        let first = entry("al-1");
        assert_eq!(store.claim_action(&first).await.expect("claim"), Claim::Claimed);
        let mut again = entry("al-1");
        again.user = "someone@else.example".into();
        let Claim::Existing(existing) = store.claim_action(&again).await.expect("claim") else {
            panic!("a second claim must find the first")
        };
        assert_eq!((existing.value.user.as_str(), existing.version), ("ann@acme.example", 1));

        let mut done_entry = existing.value.clone();
        done_entry.record(GovernanceStatus::Succeeded, "policy:impossible_travel", None, done_entry.created_at);
        store.save_governance_entry(&done_entry, 1).await.expect("save at version 1");
        let stale = store.save_governance_entry(&done_entry, 1).await;
        assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{stale:?}");
        let read = store.governance_entry(&first.id).await.expect("read").expect("exists");
        assert_eq!((read.value.status, read.version), (GovernanceStatus::Succeeded, 2));

        store.claim_action(&entry("al-2")).await.expect("claim");
        let by_alert = GovernanceFilter { alert_id: Some("al-2".into()), limit: 10, ..Default::default() };
        let listed = store.governance_entries(&by_alert).await.expect("list");
        assert_eq!(listed.iter().map(|e| e.alert_id.as_str()).collect::<Vec<_>>(), ["al-2"]);
    }

    #[tokio::test]
    async fn the_budget_stops_at_its_limit_per_tenant_and_period() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqliteStore::open(&dir.path().join("b.db")).expect("open");
        let mut taken = 0;
        for _ in 0..10 {
            taken += usize::from(store.take_budget("acme", "2026-11-01T10", 3).await.expect("take"));
        }
        assert_eq!(taken, 3);
        assert!(store.take_budget("acme", "2026-11-01T11", 3).await.expect("take"), "a new hour has budget");
        assert!(store.take_budget("other", "2026-11-01T10", 3).await.expect("take"), "budgets are per tenant");
        assert!(!store.take_budget("acme", "2026-11-01T12", 0).await.expect("take"), "a zero budget allows none");
    }
}

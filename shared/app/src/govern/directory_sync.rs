//! Terminated identities from the identity provider's delta feed (`saaswarden directory sync`, the
//! `directory-sync` function): disabled and deleted users become terminations for `terminated_user`, and
//! a user enabled again is taken off the record when a sync had put them there (a termination imported
//! from a file stays: the identity provider does not overrule HR).
//!
//! The delta link is stored in the tenant's state (`directory-sync`) after the terminations are
//! imported: a crash in between repeats the same changes, which change nothing the second time. A user
//! already on record with the same status keeps the time first recorded, so a sync never moves a
//! termination later (that would hide activity after the real termination).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use saaswarden_core::directory::{Termination, TerminationStatus};
use saaswarden_core::governance::DirectoryFeed;
use saaswarden_store::{Directory, StateStore, StoreError};
use serde::{Deserialize, Serialize};

use super::GovernError;

/// The tenant-state record holding the delta link.
pub const DIRECTORY_SYNC_STATE: &str = "directory-sync";

/// The `source` of terminations the sync records.
const SOURCE: &str = "graph";

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Whether this sync continued from a stored delta link (else it read the whole directory).
    pub incremental: bool,
    pub changes: usize,
    /// Terminations added or changed.
    pub terminations: usize,
    /// Users enabled again whose termination this sync had recorded: taken off the record.
    pub reinstated: usize,
    /// Removed users the provider no longer names (purged): nothing to record.
    pub unnamed: usize,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct SyncState {
    delta_link: Option<String>,
    synced_at: Option<DateTime<Utc>>,
}

pub async fn sync_directory<S, F>(
    store: &S,
    feed: &F,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<SyncReport, GovernError>
where
    S: StateStore + Directory + Sync,
    F: DirectoryFeed + Sync,
{
    let saved = store.load_tenant_state(tenant, DIRECTORY_SYNC_STATE).await?;
    let state: SyncState = if saved.value.is_null() {
        SyncState::default()
    } else {
        serde_json::from_value(saved.value).map_err(|source| StoreError::Corrupt {
            what: "directory sync state of tenant",
            id: tenant.to_string(),
            source,
        })?
    };
    let delta = feed.changes(state.delta_link.as_deref()).await?;
    let mut report =
        SyncReport { incremental: state.delta_link.is_some(), changes: delta.changes.len(), ..Default::default() };
    // The delta's last word on each user wins; what is on record is read once, not per user.
    let mut latest: BTreeMap<&str, Option<TerminationStatus>> = BTreeMap::new();
    for change in &delta.changes {
        let status = match (change.deleted, change.disabled) {
            (true, _) => Some(TerminationStatus::Deleted),
            (false, true) => Some(TerminationStatus::Disabled),
            (false, false) => None,
        };
        match &change.user {
            Some(user) => {
                latest.insert(user.as_str(), status);
            }
            None if status.is_some() => report.unnamed += 1,
            None => {}
        }
    }
    let on_record: HashMap<String, Termination> =
        store.terminations(tenant).await?.into_iter().map(|t| (t.user.clone(), t)).collect();
    let mut records = Vec::new();
    let mut enabled_again = Vec::new();
    for (user, status) in latest {
        let known = on_record.get(user);
        match status {
            Some(status) if known.is_some_and(|t| t.status == status) => {}
            Some(status) => {
                records.push(Termination { user: user.to_string(), status, since: now, source: SOURCE.to_string() })
            }
            None if known.is_some_and(|t| t.source == SOURCE) => enabled_again.push(user.to_string()),
            None => {}
        }
    }
    report.terminations = store.import(tenant, &records).await?;
    report.reinstated = store.reinstate(tenant, &enabled_again, SOURCE).await?;
    let next = SyncState { delta_link: Some(delta.delta_link), synced_at: Some(now) };
    let value = serde_json::to_value(&next).map_err(|source| StoreError::Corrupt {
        what: "directory sync state of tenant",
        id: tenant.to_string(),
        source,
    })?;
    store.save_tenant_state(tenant, DIRECTORY_SYNC_STATE, &value, saved.version).await?;
    Ok(report)
}

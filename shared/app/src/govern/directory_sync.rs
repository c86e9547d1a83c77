//! Terminated identities from the identity provider's delta feed (`saaswarden directory sync`, the
//! `directory-sync` function): disabled and deleted users become terminations for `terminated_user`.
//!
//! The delta link is stored in the tenant's state (`directory-sync`) after the terminations are
//! imported: a crash in between repeats the same changes, which change nothing the second time. A user
//! already on record with the same status keeps the time first recorded, so a sync never moves a
//! termination later (that would hide activity after the real termination).

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
    let mut records = Vec::new();
    for change in &delta.changes {
        let status = match (change.deleted, change.disabled) {
            (true, _) => TerminationStatus::Deleted,
            (false, true) => TerminationStatus::Disabled,
            (false, false) => continue,
        };
        let Some(user) = &change.user else {
            report.unnamed += 1;
            continue;
        };
        let known = store.termination(tenant, user).await?;
        if known.is_some_and(|t| t.status == status) {
            continue;
        }
        records.push(Termination { user: user.clone(), status, since: now, source: SOURCE.to_string() });
    }
    report.terminations = store.import(tenant, &records).await?;
    let next = SyncState { delta_link: Some(delta.delta_link), synced_at: Some(now) };
    let value = serde_json::to_value(&next).map_err(|source| StoreError::Corrupt {
        what: "directory sync state of tenant",
        id: tenant.to_string(),
        source,
    })?;
    store.save_tenant_state(tenant, DIRECTORY_SYNC_STATE, &value, saved.version).await?;
    Ok(report)
}

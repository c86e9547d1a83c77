//! The ports: what the use cases need from storage and queues, independent of where it lives.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use saaswarden_core::directory::Termination;
use saaswarden_core::{Activity, Alert, AlertStatus, App, Outcome, Resolution, Severity, UserState};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// A value with the version it was read at, for conditional writes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    /// 0 when the record did not exist yet.
    pub version: u64,
}

/// Activities of one user (the queue's message group), in any order; detection sorts them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityBatch {
    pub tenant: String,
    /// The user key (`Activity::user_key`): one consumer at a time per user keeps their state consistent.
    pub user: String,
    pub activities: Vec<Activity>,
}

impl ActivityBatch {
    /// The queue's message group: tenant and user.
    pub fn group_id(&self) -> String {
        format!("{}#{}", self.tenant, self.user)
    }
}

/// The searchable audit trail.
pub trait ActivityLog {
    /// Stores activities, ignoring ids already stored. Returns how many were new.
    fn append(&self, activities: &[Activity]) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// The ids of `activities` (of one tenant) already stored. Exact on every adapter: detection relies on
    /// it to recognise a redelivered or replayed activity. The activities (not only their ids) are given so
    /// an adapter that files activities by user and time can look there.
    fn existing(
        &self,
        tenant: &str,
        activities: &[Activity],
    ) -> impl Future<Output = Result<std::collections::HashSet<String>, StoreError>> + Send;

    /// The stored activities among `ids` (of one tenant), in the order of `ids`; unknown ids are left out.
    fn get_many(&self, tenant: &str, ids: &[String]) -> impl Future<Output = Result<Vec<Activity>, StoreError>> + Send;

    /// Activities matching every given criterion, oldest first, at most `query.limit`.
    fn search(&self, query: &ActivityQuery) -> impl Future<Output = Result<Vec<Activity>, StoreError>> + Send;
}

/// Search criteria for the audit trail; `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityQuery {
    pub tenant: Option<String>,
    /// An email (case-insensitive) or an app's user id.
    pub user: Option<String>,
    pub ip: Option<IpAddr>,
    pub country: Option<String>,
    pub app: Option<App>,
    pub action: Option<String>,
    /// Whether the action succeeded (e.g. failed sign-ins).
    pub outcome: Option<Outcome>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: usize,
}

/// Detector state, written conditionally on its version.
pub trait StateStore {
    fn load_user(
        &self,
        tenant: &str,
        user: &str,
    ) -> impl Future<Output = Result<Versioned<UserState>, StoreError>> + Send;

    /// Saves `state` if the stored version is still `expected_version`; otherwise [`StoreError::Conflict`].
    fn save_user(
        &self,
        tenant: &str,
        user: &str,
        state: &UserState,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A tenant-wide state record (`name` says whose: e.g. `policies`), as JSON with its version.
    fn load_tenant_state(
        &self,
        tenant: &str,
        name: &str,
    ) -> impl Future<Output = Result<Versioned<serde_json::Value>, StoreError>> + Send;

    /// Saves a tenant-wide record if its version is still `expected_version`; otherwise
    /// [`StoreError::Conflict`].
    fn save_tenant_state(
        &self,
        tenant: &str,
        name: &str,
        value: &serde_json::Value,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// How many distinct users used each place (`ip:…`, `country:…`) since `since`.
    fn usage(
        &self,
        tenant: &str,
        keys: &[String],
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<HashMap<String, u32>, StoreError>> + Send;

    /// Records that `user` used each place at the given time. Idempotent: the same use twice counts once.
    fn record_usage(
        &self,
        tenant: &str,
        uses: &[(String, String, DateTime<Utc>)],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records that the tenant had activity at `at` and returns the tenant's first activity time so far.
    fn note_tenant_activity(
        &self,
        tenant: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<DateTime<Utc>, StoreError>> + Send;
}

/// What the identity provider says about terminated accounts.
pub trait Directory {
    /// The termination on record for `user` (lower-cased email or UPN), if any.
    fn termination(
        &self,
        tenant: &str,
        user: &str,
    ) -> impl Future<Output = Result<Option<Termination>, StoreError>> + Send;

    /// Adds or replaces terminations. Returns how many records changed.
    fn import(&self, tenant: &str, records: &[Termination]) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// Every termination on record, by user.
    fn terminations(&self, tenant: &str) -> impl Future<Output = Result<Vec<Termination>, StoreError>> + Send;

    /// Takes `users` (lower-cased email or UPN) off the record, but only the terminations `source`
    /// recorded: a directory sync that sees a user enabled again must not undo an HR file's import.
    /// Returns how many records were removed.
    fn reinstate(
        &self,
        tenant: &str,
        users: &[String],
        source: &str,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// Alerts and their resolution workflow.
pub trait AlertStore {
    /// Creates alerts, or folds a newer version into an existing one with the same id
    /// (`saaswarden_core::alert::merge_alert`). Returns how many were created.
    fn upsert(&self, alerts: &[Alert]) -> impl Future<Output = Result<usize, StoreError>> + Send;

    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Alert>, StoreError>> + Send;

    /// Newest first.
    fn list(&self, filter: &AlertFilter) -> impl Future<Output = Result<Vec<Alert>, StoreError>> + Send;

    /// Resolves, dismisses, reopens or comments on an alert (`Alert::resolve`) and records the step in its
    /// history.
    fn resolve(&self, id: &str, resolution: Resolution) -> impl Future<Output = Result<Alert, StoreError>> + Send;

    /// Every resolution the alert went through, oldest first.
    fn history(&self, id: &str) -> impl Future<Output = Result<Vec<Resolution>, StoreError>> + Send;
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    pub tenant: Option<String>,
    pub status: Option<AlertStatus>,
    pub policy_id: Option<String>,
    pub min_severity: Option<Severity>,
    pub user: Option<String>,
    /// Only the alerts of this campaign (`Alert::campaign`).
    pub campaign: Option<String>,
    pub limit: usize,
}

/// Where collectors hand activities to detection.
pub trait ActivityQueue {
    fn send(&self, batches: Vec<ActivityBatch>) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The largest activity (as JSON) the queue carries. A collector trims a larger one's raw entry before
    /// sending it, so one oversized entry never stops its stream (`saaswarden_app::collect_once`).
    fn max_activity_bytes(&self) -> usize {
        usize::MAX
    }
}

/// Where collectors keep how far each audit-log stream was read (`saaswarden_core::checkpoint`).
///
/// `stream` names the stream within the tenant: `slack`, `zendesk`, `zendesk_access`. A collector loads
/// the checkpoint, reads and hands entries downstream, then saves conditionally on the version it loaded:
/// two collectors racing on one stream cannot move it backwards or skip a window.
pub trait Checkpoints {
    /// The stored checkpoint (`None` and version 0 before the first save).
    fn load(
        &self,
        tenant: &str,
        stream: &str,
    ) -> impl Future<Output = Result<Versioned<Option<saaswarden_core::checkpoint::Checkpoint>>, StoreError>> + Send;

    /// Saves if the stored version is still `expected_version` (0: none stored yet); otherwise
    /// [`StoreError::Conflict`]. The stored version becomes `expected_version + 1`.
    fn save(
        &self,
        tenant: &str,
        stream: &str,
        checkpoint: &saaswarden_core::checkpoint::Checkpoint,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// How a governance decision's claim went.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The entry was recorded now (version 1): this delivery executes it.
    Claimed,
    /// An entry with that id already exists: another delivery claimed it first; act on nothing.
    Existing(Box<Versioned<saaswarden_core::governance::GovernanceEntry>>),
}

/// The governance log. Entries are claimed once per (alert, action) — a conditional create — so a
/// redelivered decision never acts twice; later steps are conditional on the entry's version.
pub trait GovernanceLog {
    /// Records `entry` unless an entry with its id exists; never overwrites.
    fn claim_action(
        &self,
        entry: &saaswarden_core::governance::GovernanceEntry,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;

    fn governance_entry(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Versioned<saaswarden_core::governance::GovernanceEntry>>, StoreError>> + Send;

    /// Saves an entry if its version is still `expected_version`; otherwise [`StoreError::Conflict`].
    fn save_governance_entry(
        &self,
        entry: &saaswarden_core::governance::GovernanceEntry,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Entries, newest first.
    fn governance_entries(
        &self,
        filter: &GovernanceFilter,
    ) -> impl Future<Output = Result<Vec<saaswarden_core::governance::GovernanceEntry>, StoreError>> + Send;

    /// Takes one unit of the tenant's budget for `window` (e.g. a clock hour) if fewer than `limit` were
    /// taken: an atomic conditional increment. Returns whether a unit was taken.
    fn take_budget(
        &self,
        tenant: &str,
        window: &str,
        limit: u32,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GovernanceFilter {
    pub tenant: Option<String>,
    pub alert_id: Option<String>,
    pub limit: usize,
}

//! Detect one batch of one user's activities: the detector function's whole job.
//!
//! Order of writes makes a redelivered or retried batch harmless: alerts (deterministic ids, merged) are
//! written first, then the user's state — which remembers the processed ids — conditionally on its
//! version (the commit point), then the activities (idempotent by id). A crash before the state commit
//! means the batch is processed again with the same result; a crash after it means the redelivered batch
//! is recognised by the state's recent ids and only its activities are written; a concurrent writer means
//! a reload and a retry.
//!
//! What counts as already processed: an id in the state's recent ids (a redelivery), or an activity that
//! is in the audit trail and no newer than the state's last activity (a replay of old logs). Because
//! activities are written only after their batch's state commit, an activity in the audit trail was
//! always processed — late, out-of-order activities included.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use saaswarden_core::Activity;
use saaswarden_core::detect::{Context, Engine, usage_keys};
use saaswarden_core::enrich::Enricher;
use saaswarden_policy::{Evaluator, EvaluatorState, Per, PolicySet};
use saaswarden_store::{ActivityBatch, ActivityLog, AlertStore, Directory, StateStore, StoreError};
use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

/// How often a batch is retried after losing a race for the user's state.
const STATE_RETRIES: usize = 5;

/// How far back "places the tenant's users use" looks.
const USAGE_DAYS: i64 = 30;

/// The tenant-state record holding the counters of the policies that count across users.
const SHARED_POLICY_STATE: &str = "policies";

/// Everything that turns activities into alerts, built once per process.
pub struct Detectors<'a> {
    pub engine: &'a Engine,
    /// Custom activity policies; `None` when there are none.
    pub policies: Option<&'a Policies>,
    pub enricher: &'a dyn Enricher,
}

/// Custom policies, split by where their counters live: policies counted per user (the default) keep
/// them in a record of that user, so a batch reads and writes only its user's counters; policies counted
/// per IP, app or tenant share one record of the tenant. Either record is touched only by batches with a
/// matching activity.
pub struct Policies {
    per_user: PolicySet,
    shared: PolicySet,
}

impl Policies {
    pub fn new(set: PolicySet) -> Policies {
        let (per_user, shared) = set.partition(|p| p.per().contains(&Per::User));
        Policies { per_user, shared }
    }

    pub fn len(&self) -> usize {
        self.per_user.len() + self.shared.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchReport {
    pub activities: usize,
    pub new_activities: usize,
    pub redelivered: usize,
    pub alerts_raised: usize,
    pub alerts_created: usize,
}

impl std::ops::AddAssign for BatchReport {
    fn add_assign(&mut self, other: Self) {
        self.activities += other.activities;
        self.new_activities += other.new_activities;
        self.redelivered += other.redelivered;
        self.alerts_raised += other.alerts_raised;
        self.alerts_created += other.alerts_created;
    }
}

pub async fn detect_batch<S>(
    detectors: &Detectors<'_>,
    store: &S,
    mut batch: ActivityBatch,
) -> Result<BatchReport, StoreError>
where
    S: ActivityLog + StateStore + AlertStore + Directory + Sync,
{
    let engine = detectors.engine;
    for activity in &mut batch.activities {
        detectors.enricher.enrich(activity);
    }
    let Some(earliest) = batch.activities.iter().map(|a| a.occurred_at).min() else {
        return Ok(BatchReport::default());
    };
    let tenant_first_seen = store.note_tenant_activity(&batch.tenant, earliest).await?;
    // Tenant-wide facts for this batch's places, and the directory's word on this user.
    let uses = places_used(&batch);
    let keys: Vec<String> = uses.iter().map(|(key, _, _)| key.clone()).collect();
    let usage = store.usage(&batch.tenant, &keys, earliest - chrono::Duration::days(USAGE_DAYS)).await?;
    let termination = store.termination(&batch.tenant, &batch.user).await?;
    let ctx = Context { tenant: batch.tenant.clone(), tenant_first_seen: Some(tenant_first_seen), usage, termination };

    let mut state = store.load_user(&batch.tenant, &batch.user).await?;
    let mut stored = stored_before(store, &batch, state.value.last_seen).await?;

    // Custom policies run once per batch, before the user's state is committed; only the policy sets with
    // a matching activity read and write their counters (see `Policies`).
    let mut policy_report = BatchReport::default();
    if let Some(policies) = detectors.policies {
        let user_record = format!("policies/user/{}", batch.user);
        let sets = [(&policies.per_user, user_record.as_str()), (&policies.shared, SHARED_POLICY_STATE)];
        let matching: Vec<_> =
            sets.into_iter().filter(|(set, _)| batch.activities.iter().any(|a| set.any_match(a))).collect();
        if !matching.is_empty() {
            let fresh = unprocessed(&batch.activities, &stored, state.value.last_seen);
            for (set, record) in matching {
                let (raised, created) =
                    evaluate_policies(set, record, store, &batch.tenant, &batch.user, &fresh).await?;
                policy_report.alerts_raised += raised;
                policy_report.alerts_created += created;
            }
        }
    }

    let mut attempt = 0;
    loop {
        attempt += 1;
        if attempt > 1 {
            // Another worker committed meanwhile: what it appended may now be in the audit trail, so ask again.
            state = store.load_user(&batch.tenant, &batch.user).await?;
            stored = stored_before(store, &batch, state.value.last_seen).await?;
        }
        let fresh = unprocessed(&batch.activities, &stored, state.value.last_seen);
        let replayed = batch.activities.len() - fresh.len();
        let mut outcome = engine.process_user(&batch.user, &mut state.value, fresh.iter().copied(), &ctx);
        outcome.redelivered += replayed;
        let alerts_created = store.upsert(&outcome.alerts).await?;
        store.record_usage(&batch.tenant, &uses).await?;
        // A batch with nothing new (a redelivery) leaves the state as it was: no write, no version churn.
        let saved = if outcome.processed == 0 {
            Ok(())
        } else {
            store.save_user(&batch.tenant, &batch.user, &state.value, state.version).await
        };
        match saved {
            Ok(()) => {
                let new_activities = store.append(&batch.activities).await?;
                debug!(user = %batch.user, processed = outcome.processed, alerts = outcome.alerts.len(), "batch detected");
                return Ok(BatchReport {
                    activities: batch.activities.len(),
                    new_activities,
                    redelivered: outcome.redelivered,
                    alerts_raised: outcome.alerts.len() + policy_report.alerts_raised,
                    alerts_created: alerts_created + policy_report.alerts_created,
                });
            }
            Err(StoreError::Conflict { .. }) if attempt < STATE_RETRIES => {
                warn!(user = %batch.user, attempt, "user state changed concurrently; retrying the batch");
            }
            Err(error) => return Err(error),
        }
    }
}

/// Which of the batch's activities no newer than `last_seen` are in the audit trail: only they can be a
/// replay of old logs (see [`unprocessed`]). Live collection mostly brings activities newer than the
/// user's last one, and then the audit trail is not read at all.
async fn stored_before<S: ActivityLog + Sync>(
    store: &S,
    batch: &ActivityBatch,
    last_seen: Option<DateTime<Utc>>,
) -> Result<HashSet<String>, StoreError> {
    let Some(last_seen) = last_seen else { return Ok(HashSet::new()) };
    let older: Vec<Activity> = batch.activities.iter().filter(|a| a.occurred_at <= last_seen).cloned().collect();
    if older.is_empty() {
        return Ok(HashSet::new());
    }
    store.existing(&batch.tenant, &older).await
}

/// The activities not yet processed, oldest first: not a replay of old logs (in the audit trail and no
/// newer than the state's last activity). Redeliveries of the latest batch are caught by the state's
/// recent ids inside the engine.
fn unprocessed<'a>(
    activities: &'a [Activity],
    stored: &HashSet<String>,
    last_seen: Option<DateTime<Utc>>,
) -> Vec<&'a Activity> {
    let mut fresh: Vec<&Activity> = activities
        .iter()
        .filter(|a| !(stored.contains(&a.id) && last_seen.is_some_and(|last| a.occurred_at <= last)))
        .collect();
    fresh.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then_with(|| a.id.cmp(&b.id)));
    fresh
}

/// How many users' last counted batches a policy-counter record remembers. A crashed batch comes back
/// within the queue's visibility timeout; the per-user records need one, the tenant's shared one enough to
/// outlast the other users' batches meanwhile while staying a small item.
const COUNTED_BATCHES: usize = 32;

/// A policy-counter record as stored: the evaluator's counters and the batches last counted into them
/// (user, batch mark), newest last. Records written before the marks were bare counters.
#[derive(Debug, Default, Serialize, Deserialize)]
struct PolicyRecord {
    evaluator: EvaluatorState,
    #[serde(default)]
    counted: Vec<(String, String)>,
}

impl PolicyRecord {
    fn decode(value: serde_json::Value, tenant: &str) -> Result<PolicyRecord, StoreError> {
        let corrupt = |source| StoreError::Corrupt { what: "policy state of tenant", id: tenant.to_string(), source };
        if value.is_null() {
            Ok(PolicyRecord::default())
        } else if value.get("evaluator").is_some() {
            serde_json::from_value(value).map_err(corrupt)
        } else {
            let evaluator = serde_json::from_value(value).map_err(corrupt)?;
            Ok(PolicyRecord { evaluator, counted: Vec::new() })
        }
    }
}

/// A batch's mark: its first and last new activity and their count (the activities are in time order).
fn batch_mark(activities: &[&Activity]) -> String {
    let id = |a: Option<&&Activity>| a.map_or("", |a| a.id.as_str()).to_string();
    format!("{}..{}#{}", id(activities.first()), id(activities.last()), activities.len())
}

/// Runs the custom policies over the batch's new activities against the tenant's policy counters; returns
/// the alerts raised and created.
///
/// Exactly once, whatever crashes: the alerts are upserted (idempotent) *before* the counters are saved,
/// and the counters are saved with the batch's mark in one conditional write. A batch that comes back
/// after its counters were saved finds its mark and counts nothing again; one that comes back before
/// evaluates from the same counters to the same alerts. A concurrent batch of the tenant means a reload
/// and a retry.
async fn evaluate_policies<S: StateStore + AlertStore + Sync>(
    set: &PolicySet,
    record: &str,
    store: &S,
    tenant: &str,
    user: &str,
    activities: &[&Activity],
) -> Result<(usize, usize), StoreError> {
    if activities.is_empty() {
        return Ok((0, 0));
    }
    let mark = batch_mark(activities);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let saved = store.load_tenant_state(tenant, record).await?;
        let PolicyRecord { evaluator, mut counted } = PolicyRecord::decode(saved.value, tenant)?;
        if counted.iter().any(|(u, m)| u == user && *m == mark) {
            return Ok((0, 0));
        }
        let mut evaluator = Evaluator::with_state(set, tenant, evaluator);
        let mut alerts = Vec::new();
        for activity in activities {
            alerts.extend(evaluator.observe(activity, user));
        }
        let created = store.upsert(&alerts).await?;
        counted.retain(|(u, _)| u != user);
        counted.push((user.to_string(), mark.clone()));
        let excess = counted.len().saturating_sub(COUNTED_BATCHES);
        counted.drain(..excess);
        let next = PolicyRecord { evaluator: evaluator.into_state(), counted };
        let state = serde_json::to_value(&next).map_err(|source| StoreError::Corrupt {
            what: "policy state of tenant",
            id: tenant.to_string(),
            source,
        })?;
        match store.save_tenant_state(tenant, record, &state, saved.version).await {
            Ok(()) => return Ok((alerts.len(), created)),
            Err(StoreError::Conflict { .. }) if attempt < STATE_RETRIES => {
                warn!(tenant, attempt, "policy state changed concurrently; re-evaluating the batch");
            }
            Err(error) => return Err(error),
        }
    }
}

/// The places (IP, country) the batch's user used, each with the latest time.
fn places_used(batch: &ActivityBatch) -> Vec<(String, String, DateTime<Utc>)> {
    let mut latest: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    for activity in &batch.activities {
        for key in usage_keys(activity) {
            let at = latest.entry(key).or_insert(activity.occurred_at);
            *at = (*at).max(activity.occurred_at);
        }
    }
    latest.into_iter().map(|(key, at)| (key, batch.user.clone(), at)).collect()
}

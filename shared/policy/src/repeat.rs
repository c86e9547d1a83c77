//! The evaluator: activities in (time order), alerts out, with repeated-activity counting, alert dedup and
//! the daily alert limit.
//!
//! State is kept per (policy, counting key) and is bounded: a repeated-activity window holds at most
//! `count` matches, keys whose window and dedup period have both passed are pruned as data time moves on,
//! and the daily counter is one number per policy.
//!
//! A repeated-activity policy fires when its window holds `count` matches no further apart than `within`.
//! Those matches are then spent: the next alert needs `count` new matches, so a long burst raises one alert
//! per `count` matches (before dedup), not one per match. A burst completed inside the dedup period of the
//! key's last alert, or after the policy reached its daily limit, raises nothing and is spent too.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, NaiveDate, Utc};
use saaswarden_core::activity::{Activity, App};
use saaswarden_core::alert::{Alert, AlertStatus, alert_id};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::compile::{CompiledPolicy, PolicySet};
use crate::index::ShapeIndex;
use crate::model::MatchMode;
use crate::template::format_duration;

/// How long a repeated-activity window keeps hits that arrived out of order.
const LATE_TOLERANCE: chrono::Duration = chrono::Duration::days(1);

/// How often, in data time, stale keys are pruned. A key lives at least its window plus a day of lateness,
/// so hourly pruning keeps at most about 1/24 more keys than pruning at every activity would, and a pass
/// over every key (which costs more than the evaluation itself when run every ten minutes of a busy
/// tenant's data) runs once per hour of data.
const PRUNE_EVERY: chrono::Duration = chrono::Duration::hours(1);

/// Everything the evaluator remembers between activities; persist it between batches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvaluatorState {
    policies: BTreeMap<String, PolicyState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_pruned: Option<DateTime<Utc>>,
}

/// One policy's counting keys and its alerts of the current UTC day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct PolicyState {
    keys: BTreeMap<String, KeyState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    day: Option<NaiveDate>,
    alerts_today: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct KeyState {
    /// Matches in the current window, oldest first; at most `count`.
    #[serde(default)]
    hits: VecDeque<Hit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_alert: Option<DateTime<Utc>>,
    last_seen: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Hit {
    at: DateTime<Utc>,
    id: String,
    app: App,
}

impl EvaluatorState {
    /// How many counting keys are remembered, over all policies.
    pub fn key_count(&self) -> usize {
        self.policies.values().map(|p| p.keys.len()).sum()
    }

    /// Alerts the policy raised on its current UTC day.
    pub fn alerts_today(&self, policy_id: &str) -> u32 {
        self.policies.get(policy_id).map_or(0, |p| p.alerts_today)
    }
}

/// Evaluates a [`PolicySet`] for one tenant. Pure: time comes from the activities.
#[derive(Debug)]
pub struct Evaluator<'a> {
    policies: &'a [CompiledPolicy],
    /// Narrows the policies to try by the activity's shape; `None` tries them all.
    index: Option<&'a ShapeIndex>,
    tenant: String,
    state: EvaluatorState,
    /// Inline tests exercise disabled policies too.
    include_disabled: bool,
}

impl<'a> Evaluator<'a> {
    pub fn new(set: &'a PolicySet, tenant: &str) -> Self {
        Evaluator::with_state(set, tenant, EvaluatorState::default())
    }

    /// Resumes from persisted state; the state of policies no longer in the set is dropped.
    pub fn with_state(set: &'a PolicySet, tenant: &str, mut state: EvaluatorState) -> Self {
        state.policies.retain(|id, _| set.get(id).is_some());
        Evaluator {
            policies: set.policies(),
            index: Some(set.index()),
            tenant: tenant.to_string(),
            state,
            include_disabled: false,
        }
    }

    pub(crate) fn for_policy(policy: &'a CompiledPolicy, tenant: &str) -> Self {
        Evaluator {
            policies: std::slice::from_ref(policy),
            index: None,
            tenant: tenant.to_string(),
            state: EvaluatorState::default(),
            include_disabled: true,
        }
    }

    pub fn state(&self) -> &EvaluatorState {
        &self.state
    }

    pub fn into_state(self) -> EvaluatorState {
        self.state
    }

    /// Looks at the next activity (in time order) of `user` (the key alerts are about: the email where
    /// known, as [`Activity::user_key`] gives it) and returns the alerts it completes.
    pub fn observe(&mut self, activity: &Activity, user: &str) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let policies = self.policies;
        match self.index {
            Some(index) => {
                for &i in index.candidates(policies, activity).iter() {
                    if let Some(policy) = policies.get(i as usize) {
                        self.consider(policy, activity, user, &mut alerts);
                    }
                }
            }
            None => {
                for policy in policies {
                    self.consider(policy, activity, user, &mut alerts);
                }
            }
        }
        self.prune(activity.occurred_at);
        alerts
    }

    fn consider(&mut self, policy: &CompiledPolicy, activity: &Activity, user: &str, alerts: &mut Vec<Alert>) {
        if !(policy.enabled || self.include_disabled) || !policy.matches(activity) {
            return;
        }
        if let Some(alert) = record(&mut self.state, &self.tenant, policy, activity, user) {
            alerts.push(alert);
        }
    }

    fn prune(&mut self, now: DateTime<Utc>) {
        match self.state.last_pruned {
            Some(last) if now - last < PRUNE_EVERY => return,
            _ => self.state.last_pruned = Some(now),
        }
        for policy in self.policies {
            let Some(state) = self.state.policies.get_mut(&policy.id) else { continue };
            let within = match policy.mode {
                MatchMode::Single => chrono::Duration::zero(),
                MatchMode::Repeated { within, .. } => to_chrono(within),
            };
            let dedup = to_chrono(policy.dedup);
            state.keys.retain(|_, key| {
                let counting = key.hits.back().is_some_and(|h| now - h.at <= within + LATE_TOLERANCE);
                let deduping = key.last_alert.is_some_and(|t| now - t < dedup);
                counting || deduping || key.last_seen > now
            });
        }
    }
}

fn to_chrono(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Records one matching activity; returns the alert if it completes a pattern that may alert.
fn record(
    state: &mut EvaluatorState,
    tenant: &str,
    policy: &CompiledPolicy,
    activity: &Activity,
    user: &str,
) -> Option<Alert> {
    let at = activity.occurred_at;
    if !state.policies.contains_key(&policy.id) {
        state.policies.insert(policy.id.clone(), PolicyState::default());
    }
    let policy_state = state.policies.get_mut(&policy.id)?;
    let hit = Hit { at, id: activity.id.clone(), app: activity.app };

    // A single-activity policy without dedup keeps no memory per key: only the daily limit can hold it
    // back, and the counting key is needed for the alert id alone.
    if policy.mode == MatchMode::Single && policy.dedup.is_zero() {
        if !daily_slot(&mut policy_state.day, &mut policy_state.alerts_today, policy.daily_limit, at) {
            return None;
        }
        let key = policy.counting_key_for(tenant, activity, user);
        return Some(build_alert(tenant, policy, activity, user, &key, &[hit]));
    }

    let key_state = policy_state
        .keys
        .entry(policy.counting_key_for(tenant, activity, user))
        .or_insert_with(|| KeyState { hits: VecDeque::new(), last_alert: None, last_seen: at });
    key_state.last_seen = key_state.last_seen.max(at);
    let hits: Vec<Hit> = match policy.mode {
        MatchMode::Single => vec![hit],
        MatchMode::Repeated { count, within } => {
            let window = &mut key_state.hits;
            // A redelivered activity counts once.
            if window.iter().any(|h| h.id == hit.id) {
                return None;
            }
            let hit_id = hit.id.clone();
            let position = window.partition_point(|h| h.at <= at);
            window.insert(position, hit);
            let within = to_chrono(within);
            let newest = window.back().map_or(at, |h| h.at);
            // Late hits are kept for a while: one user's batch may reach the evaluator after another
            // user's later activity (per-tenant and per-IP counting), up to a day apart in a replay.
            while window.front().is_some_and(|h| newest - h.at > within + LATE_TOLERANCE) {
                window.pop_front();
            }
            let n = (count as usize).max(1);
            while window.len() > n.saturating_mul(4).max(64) {
                window.pop_front();
            }
            // The burst: `count` consecutive hits no further apart than `within`, including the new one.
            let index = window.iter().position(|h| h.id == hit_id)?;
            let first = index.saturating_sub(n - 1);
            let run = (first..=index).find(|&i| {
                window.get(i + n - 1).zip(window.get(i)).is_some_and(|(last, start)| last.at - start.at <= within)
            })?;
            // Those matches are spent: the next alert needs `count` new ones.
            window.drain(run..run + n).collect()
        }
    };
    if key_state.last_alert.is_some_and(|last| at - last < to_chrono(policy.dedup)) {
        return None;
    }
    if !daily_slot(&mut policy_state.day, &mut policy_state.alerts_today, policy.daily_limit, at) {
        return None;
    }
    key_state.last_alert = Some(at);
    let key = policy.counting_key_for(tenant, activity, user);
    Some(build_alert(tenant, policy, activity, user, &key, &hits))
}

/// Takes one of the policy's alerts for the activity's UTC day, if any are left. A late activity of an
/// earlier day counts against the current day rather than reopening the old one.
fn daily_slot(day: &mut Option<NaiveDate>, alerts_today: &mut u32, limit: u32, at: DateTime<Utc>) -> bool {
    let today = at.date_naive();
    if day.is_none_or(|d| d < today) {
        *day = Some(today);
        *alerts_today = 0;
    }
    if *alerts_today >= limit {
        return false;
    }
    *alerts_today += 1;
    true
}

fn build_alert(
    tenant: &str,
    policy: &CompiledPolicy,
    activity: &Activity,
    user: &str,
    key: &str,
    hits: &[Hit],
) -> Alert {
    let window = match policy.mode {
        MatchMode::Single => activity.id.clone(),
        MatchMode::Repeated { .. } => hits.first().map_or(activity.occurred_at, |h| h.at).to_rfc3339(),
    };
    let mut apps: Vec<App> = hits.iter().map(|h| h.app).collect();
    apps.sort();
    apps.dedup();
    let mut key_parts = serde_json::Map::new();
    key_parts.insert("tenant".into(), json!(tenant));
    for (name, value) in policy.key_parts(activity, user) {
        key_parts.insert(name.into(), json!(value));
    }
    let mut evidence = json!({
        "policy": policy.name,
        "policy_origin": policy.origin,
        "mode": match policy.mode { MatchMode::Single => "single", MatchMode::Repeated { .. } => "repeated" },
        "matches": hits.len(),
        "per": policy.per.iter().map(|p| p.as_str()).chain(policy.per_fields()).collect::<Vec<_>>(),
        "key": key_parts,
        "counting_key": key,
        "action": activity.action,
        "governance": policy.governance,
    });
    if let (MatchMode::Repeated { count, within }, Some(facts)) = (policy.mode, evidence.as_object_mut()) {
        facts.insert("count".into(), json!(count));
        facts.insert("within".into(), json!(format_duration(within)));
    }
    if let Some(ip) = activity.ip
        && let Some(facts) = evidence.as_object_mut()
    {
        facts.insert("ip".into(), json!(ip.to_string()));
    }
    let rule = policy.severity_rule(activity);
    if let (Some((index, _)), Some(facts)) = (rule, evidence.as_object_mut()) {
        // Which rule set the severity, so an analyst can see why this alert is rated above the default.
        facts.insert("severity_rule".into(), json!(index));
    }
    let description = policy.render_description(activity, user);
    let description = if description.is_empty() {
        format!(
            "Custom activity policy `{}` ({}) matched {} activit{}.",
            policy.id,
            policy.name,
            hits.len(),
            if hits.len() == 1 { "y" } else { "ies" }
        )
    } else {
        description
    };
    Alert {
        id: alert_id(tenant, &policy.id, key, &window),
        tenant: tenant.to_string(),
        policy_id: policy.id.clone(),
        title: policy.render_title(activity, user),
        description,
        severity: rule.map_or(policy.severity, |(_, severity)| severity),
        status: AlertStatus::Open,
        user: user.to_string(),
        apps,
        created_at: activity.occurred_at,
        activity_ids: hits.iter().map(|h| h.id.clone()).collect(),
        evidence_span: None,
        campaign: None,
        evidence,
        resolution: None,
    }
}

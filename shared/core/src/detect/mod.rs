//! The detection engine: runs every enabled detection over one user's activities, in time order, against
//! that user's state.
//!
//! Each detection is a small type implementing [`Detection`]; it reads one activity at a time, updates its
//! part of [`UserState`] and may raise alerts. The engine owns ordering, redelivery and merging, so the
//! detections only hold their own logic.

pub mod anonymous_ip;
pub mod baseline;
pub mod borders;
pub mod failed_logins;
pub mod impossible_travel;
pub mod incident;
pub mod infrequent_country;
pub mod suspicious_ip;
pub mod terminated_user;
pub mod unusual;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::activity::{Activity, App};
use crate::alert::{Alert, AlertStatus, Severity, alert_id, merge_alert};
use crate::config::{Common, Config};
use crate::directory::Termination;
use crate::state::UserState;

/// How long per-user memory is kept: the longest baseline any detection uses, with room to spare.
const MEMORY_DAYS: i64 = 60;

/// What a detection may know beyond the user's own state: facts about the tenant and the directory,
/// fetched by the caller for one batch.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub tenant: String,
    /// The first activity saaswarden saw for this tenant: the tenant's learning period starts here.
    pub tenant_first_seen: Option<DateTime<Utc>>,
    /// How many distinct users of the tenant used a place, keyed by [`ip_key`] and [`country_key`].
    pub usage: HashMap<String, u32>,
    /// The directory's record of the batch's user, when the account was deleted or disabled.
    pub termination: Option<Termination>,
}

impl Context {
    pub fn users_of(&self, key: &str) -> u32 {
        self.usage.get(key).copied().unwrap_or(0)
    }
}

/// The usage key of an IP address.
pub fn ip_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

/// The usage key of a country.
pub fn country_key(country: &str) -> String {
    format!("country:{country}")
}

/// The usage keys an activity contributes to: only successful interactive activity the user performed
/// themselves counts as use of a place (an app's egress is not the tenant's place).
pub fn usage_keys(activity: &Activity) -> Vec<String> {
    if !activity.is_users_own_activity() {
        return Vec::new();
    }
    let mut keys = Vec::with_capacity(2);
    if let Some(ip) = activity.ip {
        keys.push(ip_key(ip));
    }
    if let Some(country) = activity.country() {
        keys.push(country_key(country));
    }
    keys
}

/// The activity's IP tags that are among `risky`, unless one of its tags is `trusted` (the organisation's
/// own ranges win). `None` when nothing risky remains.
pub(crate) fn risky_tags<'a>(activity: &'a Activity, risky: &[String], trusted: &[String]) -> Option<Vec<&'a str>> {
    if activity.ip_tags.iter().any(|t| trusted.contains(t)) {
        return None;
    }
    let matched: Vec<&str> = activity.ip_tags.iter().filter(|t| risky.contains(t)).map(String::as_str).collect();
    (!matched.is_empty()).then_some(matched)
}

/// What every alert of a detection has in common; the detection adds its own title and facts.
pub(crate) struct Raise<'a> {
    pub ctx: &'a Context,
    pub policy_id: &'static str,
    pub severity: Severity,
    pub user: &'a str,
}

impl Raise<'_> {
    /// An alert whose id is stable for (tenant, policy, user, `window`).
    pub fn alert(
        &self,
        window: &str,
        title: String,
        description: String,
        evidence: &[&Activity],
        facts: serde_json::Value,
    ) -> Alert {
        let mut apps: Vec<App> = evidence.iter().map(|a| a.app).collect();
        apps.sort();
        apps.dedup();
        Alert {
            id: alert_id(&self.ctx.tenant, self.policy_id, self.user, window),
            tenant: self.ctx.tenant.clone(),
            policy_id: self.policy_id.to_string(),
            title,
            description,
            severity: self.severity,
            status: AlertStatus::Open,
            user: self.user.to_string(),
            apps,
            created_at: evidence.iter().map(|a| a.occurred_at).max().unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
            activity_ids: evidence.iter().map(|a| a.id.clone()).collect(),
            evidence_span: None,
            campaign: None,
            evidence: facts,
            resolution: None,
        }
    }
}

/// One built-in detection or compiled policy.
pub trait Detection: Send + Sync {
    /// The policy id alerts carry (`multiple_failed_logins`, …).
    fn policy_id(&self) -> &'static str;

    /// Looks at the user's next activity (in time order), updates the user's state and pushes any alert.
    fn observe(&self, activity: &Activity, user: &str, state: &mut UserState, ctx: &Context, alerts: &mut Vec<Alert>);
}

/// What processing one user's batch produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// New or grown alerts, one per id.
    pub alerts: Vec<Alert>,
    /// Activities seen for the first time.
    pub processed: usize,
    /// Activities this state had already processed (a redelivery): skipped, changing nothing.
    pub redelivered: usize,
}

pub struct Engine {
    detections: Vec<Box<dyn Detection>>,
    /// Tags of ranges whose location is never learned as the user's place (`infrequent_country.ignored_tags`):
    /// an exempt VPN exit abroad must not make that country familiar to whoever comes from it later.
    unplaced_tags: Vec<String>,
}

impl Engine {
    /// The built-in detections enabled in `config`.
    pub fn from_config(config: &Config) -> Engine {
        let d = &config.detections;
        let all: [(bool, Box<dyn Detection>); 8] = [
            (d.anonymous_ip.enabled, Box::new(anonymous_ip::AnonymousIp::new(d.anonymous_ip.clone()))),
            (
                d.infrequent_country.enabled,
                Box::new(infrequent_country::InfrequentCountry::new(d.infrequent_country.clone())),
            ),
            (d.suspicious_ip.enabled, Box::new(suspicious_ip::SuspiciousIp::new(d.suspicious_ip.clone()))),
            (
                d.impossible_travel.enabled,
                Box::new(impossible_travel::ImpossibleTravel::new(d.impossible_travel.clone())),
            ),
            (d.terminated_user.enabled, Box::new(terminated_user::TerminatedUser::new(d.terminated_user.clone()))),
            (
                d.multiple_failed_logins.enabled,
                Box::new(failed_logins::MultipleFailedLogins::new(d.multiple_failed_logins.clone())),
            ),
            (
                d.unusual_admin_activity.enabled,
                Box::new(unusual::UnusualActivity::administrative(d.unusual_admin_activity.clone())),
            ),
            (
                d.unusual_impersonated_activity.enabled,
                Box::new(unusual::UnusualActivity::impersonated(d.unusual_impersonated_activity.clone())),
            ),
        ];
        Engine {
            detections: all.into_iter().filter(|(on, _)| *on).map(|(_, d)| d).collect(),
            unplaced_tags: d.infrequent_country.ignored_tags.clone(),
        }
    }

    pub fn with_detections(detections: Vec<Box<dyn Detection>>) -> Engine {
        Engine { detections, unplaced_tags: Vec::new() }
    }

    pub fn policy_ids(&self) -> Vec<&'static str> {
        self.detections.iter().map(|d| d.policy_id()).collect()
    }

    /// Runs every detection over one user's activities. The batch may be in any order: it is processed
    /// oldest first (ties by id). Activities the state already processed are skipped.
    pub fn process_user<'a>(
        &self,
        user: &str,
        state: &mut UserState,
        activities: impl IntoIterator<Item = &'a Activity>,
        ctx: &Context,
    ) -> Outcome {
        let mut order: Vec<&Activity> = activities.into_iter().collect();
        order.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then_with(|| a.id.cmp(&b.id)));

        let mut outcome = Outcome::default();
        let mut raised = Vec::new();
        // A batch with anything new replaces the remembered ids with its own; a redelivery changes nothing.
        let previous = state.begin_batch();
        for activity in order {
            if previous.contains(&activity.id) || state.has_processed(&activity.id) {
                outcome.redelivered += 1;
                continue;
            }
            state.mark_processed(&activity.id, activity.occurred_at);
            for detection in &self.detections {
                detection.observe(activity, user, state, ctx, &mut raised);
            }
            if !activity.ip_tags.iter().any(|t| self.unplaced_tags.contains(t)) {
                state.learn_place(activity);
            }
            outcome.processed += 1;
        }
        if outcome.processed == 0 {
            state.recent_ids = previous;
        }
        if let Some(last) = state.last_seen {
            state.forget_before(last - chrono::Duration::days(MEMORY_DAYS));
        }
        outcome.alerts = merge_by_id(raised);
        outcome
    }
}

/// Alerts raised again in one batch (a growing burst) collapse into one per id, in first-raised order.
fn merge_by_id(raised: Vec<Alert>) -> Vec<Alert> {
    let mut position: HashMap<String, usize> = HashMap::new();
    let mut merged: Vec<Alert> = Vec::new();
    for alert in raised {
        match position.get(&alert.id) {
            Some(&i) => merge_alert(&mut merged[i], alert),
            None => {
                position.insert(alert.id.clone(), merged.len());
                merged.push(alert);
            }
        }
    }
    merged
}

/// Whether `at` falls in the learning period of the user or of the tenant, when no alert may fire.
pub fn in_learning_period(common: &Common, state: &UserState, ctx: &Context, at: DateTime<Utc>) -> bool {
    let Ok(period) = chrono::Duration::from_std(common.learning_period) else {
        return true;
    };
    let user_start = state.first_seen.unwrap_or(at);
    let tenant_start = ctx.tenant_first_seen.unwrap_or(user_start);
    at < user_start + period || at < tenant_start + period
}

//! The detection engine: runs every enabled detection over one user's activities, in time order, against
//! that user's state.
//!
//! Each detection is a small type implementing [`Detection`]; it reads one activity at a time, updates its
//! part of [`UserState`] and may raise alerts. The engine owns ordering, redelivery and merging, so the
//! detections only hold their own logic.

pub mod failed_logins;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::activity::Activity;
use crate::alert::{Alert, merge_alert};
use crate::config::{Common, Config};
use crate::state::UserState;

/// What a detection may know beyond the user's own state.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub tenant: String,
    /// The first activity saaswarden saw for this tenant: the tenant's learning period starts here.
    pub tenant_first_seen: Option<DateTime<Utc>>,
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
}

impl Engine {
    /// The built-in detections enabled in `config`.
    pub fn from_config(config: &Config) -> Engine {
        let mut detections: Vec<Box<dyn Detection>> = Vec::new();
        let failed = &config.detections.multiple_failed_logins;
        if failed.enabled {
            detections.push(Box::new(failed_logins::MultipleFailedLogins::new(failed.clone())));
        }
        Engine { detections }
    }

    pub fn with_detections(detections: Vec<Box<dyn Detection>>) -> Engine {
        Engine { detections }
    }

    pub fn policy_ids(&self) -> Vec<&'static str> {
        self.detections.iter().map(|d| d.policy_id()).collect()
    }

    /// Runs every detection over one user's activities. The batch may be in any order: it is processed
    /// oldest first (ties by id). Activities the state already processed are skipped.
    pub fn process_user(&self, user: &str, state: &mut UserState, activities: &[Activity], ctx: &Context) -> Outcome {
        let mut order: Vec<&Activity> = activities.iter().collect();
        order.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then_with(|| a.id.cmp(&b.id)));

        let mut outcome = Outcome::default();
        let mut raised = Vec::new();
        for activity in order {
            if state.has_processed(&activity.id) {
                outcome.redelivered += 1;
                continue;
            }
            state.mark_processed(&activity.id, activity.occurred_at);
            for detection in &self.detections {
                detection.observe(activity, user, state, ctx, &mut raised);
            }
            outcome.processed += 1;
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
    let tenant_start = ctx.tenant_first_seen.unwrap_or(user_start).min(user_start);
    at < user_start + period || at < tenant_start + period
}

//! `terminated_user`: successful activity by an identity the directory records as deleted or disabled
//! before the activity (plus a grace for sessions ending and clock skew). A SaaS session can outlive the
//! identity-provider account; this is the sign that it did. One alert per termination; it grows.

use serde_json::json;

use super::{Context, Detection, Raise, in_learning_period};
use crate::activity::Activity;
use crate::alert::Alert;
use crate::config::{Common, TerminatedUserSettings};
use crate::state::UserState;

pub const POLICY_ID: &str = "terminated_user";

pub struct TerminatedUser {
    settings: TerminatedUserSettings,
    common: Common,
    grace: chrono::Duration,
}

impl TerminatedUser {
    pub fn new(settings: TerminatedUserSettings) -> Self {
        let common = settings.common();
        let grace = chrono::Duration::from_std(settings.grace).unwrap_or(chrono::Duration::MAX);
        TerminatedUser { settings, common, grace }
    }
}

impl Detection for TerminatedUser {
    fn policy_id(&self) -> &'static str {
        POLICY_ID
    }

    fn observe(&self, activity: &Activity, user: &str, state: &mut UserState, ctx: &Context, alerts: &mut Vec<Alert>) {
        let Some(termination) = &ctx.termination else { return };
        if !activity.is_interactive_user_activity() || activity.occurred_at <= termination.since + self.grace {
            return;
        }
        if in_learning_period(&self.common, state, ctx, activity.occurred_at) || !self.common.in_scope(user) {
            return;
        }
        let after = activity.occurred_at - termination.since;
        let raise = Raise { ctx, policy_id: POLICY_ID, severity: self.settings.severity, user };
        alerts.push(raise.alert(
            &termination.since.to_rfc3339(),
            format!(
                "Activity by a terminated user: {user} ({}) active in {} {} after the account was {}",
                termination.status,
                activity.app,
                human_span(after),
                termination.status
            ),
            format!(
                "The identity provider records {user} as {} since {}; {} still performed `{}`.",
                termination.status,
                termination.since.to_rfc3339(),
                activity.app,
                activity.action
            ),
            &[activity],
            json!({
                "status": termination.status,
                "terminated_at": termination.since,
                "directory_source": termination.source,
                "activity_after_seconds": after.num_seconds(),
                "grace_seconds": self.settings.grace.as_secs(),
                "ip": activity.ip.map(|ip| ip.to_string()),
            }),
        ));
    }
}

/// "3 days", "5 h", "12 min".
pub(crate) fn human_span(span: chrono::Duration) -> String {
    if span.num_days() >= 2 {
        format!("{} days", span.num_days())
    } else if span.num_hours() >= 2 {
        format!("{} h", span.num_hours())
    } else {
        format!("{} min", span.num_minutes().max(1))
    }
}

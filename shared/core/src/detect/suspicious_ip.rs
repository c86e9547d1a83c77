//! `suspicious_ip`: activity — including failed sign-ins, which is what password spraying looks like —
//! from an IP on a threat-intelligence list. One alert per user, IP and day; the alerts of every user the
//! IP acted against share its campaign id.

use serde_json::json;

use super::{Context, Detection, Raise, in_learning_period, risky_tags};
use crate::activity::{Activity, PrincipalKind};
use crate::alert::{Alert, campaign_id};
use crate::config::{Common, SuspiciousIpSettings};
use crate::state::UserState;

pub const POLICY_ID: &str = "suspicious_ip";

pub struct SuspiciousIp {
    settings: SuspiciousIpSettings,
    common: Common,
}

impl SuspiciousIp {
    pub fn new(settings: SuspiciousIpSettings) -> Self {
        let common = settings.common();
        SuspiciousIp { settings, common }
    }
}

impl Detection for SuspiciousIp {
    fn policy_id(&self) -> &'static str {
        POLICY_ID
    }

    fn observe(&self, activity: &Activity, user: &str, state: &mut UserState, ctx: &Context, alerts: &mut Vec<Alert>) {
        let Some(ip) = activity.ip else { return };
        if activity.actor.kind != PrincipalKind::User {
            return;
        }
        let Some(matched) = risky_tags(activity, &self.settings.tags, &self.settings.trusted_tags) else { return };
        if in_learning_period(&self.common, state, ctx, activity.occurred_at) || !self.common.in_scope(user) {
            return;
        }
        let raise = Raise { ctx, policy_id: POLICY_ID, severity: self.settings.severity, user };
        let day = activity.occurred_at.date_naive();
        let mut alert = raise.alert(
            &format!("{ip}/{day}"),
            format!("Activity from a suspicious IP: {user} from {ip} ({})", matched.join(", ")),
            format!(
                "{user} ({}) came from {ip}, listed by threat intelligence as {}.",
                activity.action,
                matched.join(", ")
            ),
            &[activity],
            json!({
                "ip": ip.to_string(),
                "tags_matched": matched,
                "ip_tags": activity.ip_tags,
                "country": activity.country(),
                "asn_org": activity.asn_org,
                "outcome": activity.outcome,
            }),
        );
        // One source against many users is one campaign: every user's alert from this IP links to it.
        alert.campaign = Some(campaign_id(&ctx.tenant, ip));
        alerts.push(alert);
    }
}

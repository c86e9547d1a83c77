//! `anonymous_ip`: successful interactive activity from an IP tagged anonymous (Tor, anonymous VPN,
//! open or residential proxy). An IP that many of the tenant's users use is taken as mis-tagged, and the
//! organisation's trusted ranges never alert. One alert per user and incident (`incident_gap`): a new exit or
//! the next day's session grows it.

use serde_json::json;

use super::{Context, Detection, Raise, in_learning_period, incident, ip_key, risky_tags};
use crate::activity::Activity;
use crate::alert::Alert;
use crate::config::{AnonymousIpSettings, Common};
use crate::state::UserState;

pub const POLICY_ID: &str = "anonymous_ip";

pub struct AnonymousIp {
    settings: AnonymousIpSettings,
    common: Common,
    gap: chrono::Duration,
}

impl AnonymousIp {
    pub fn new(settings: AnonymousIpSettings) -> Self {
        let common = settings.common();
        let gap = incident::gap(settings.incident_gap);
        AnonymousIp { settings, common, gap }
    }
}

impl Detection for AnonymousIp {
    fn policy_id(&self) -> &'static str {
        POLICY_ID
    }

    fn observe(&self, activity: &Activity, user: &str, state: &mut UserState, ctx: &Context, alerts: &mut Vec<Alert>) {
        let Some(ip) = activity.ip else { return };
        if !activity.is_interactive_user_activity() {
            return;
        }
        let Some(matched) = risky_tags(activity, &self.settings.tags, &self.settings.trusted_tags) else { return };
        let sharers = ctx.users_of(&ip_key(ip));
        if self.settings.shared_ip_users > 0 && sharers >= self.settings.shared_ip_users {
            return;
        }
        if in_learning_period(&self.common, state, ctx, activity.occurred_at) || !self.common.in_scope(user) {
            return;
        }
        let raise = Raise { ctx, policy_id: POLICY_ID, severity: self.settings.severity, user };
        let at = activity.occurred_at;
        // A run of anonymous IPs (a Tor circuit that changes exits, the next day's session) is one incident.
        let key = || format!("{ip}/{}", at.date_naive());
        let incident = incident::join_in(&mut state.incidents, POLICY_ID, key, at, self.gap);
        let grown = match incident.count {
            1 => String::new(),
            n => format!("; {n} anonymous activities since {} UTC", incident.first_at.format("%Y-%m-%d %H:%M")),
        };
        alerts.push(raise.alert(
            &incident.key,
            format!("Activity from an anonymous IP: {user} from {ip} ({}){grown}", matched.join(", ")),
            format!(
                "{user} was active from {ip}, which is tagged {}. Anonymizing networks hide where an attacker is; \
                 the organisation does not trust this address.",
                matched.join(", ")
            ),
            &[activity],
            json!({
                "ip": ip.to_string(),
                "tags_matched": matched,
                "ip_tags": activity.ip_tags,
                "country": activity.country(),
                "asn_org": activity.asn_org,
                "tenant_users_on_ip": sharers,
                "shared_ip_threshold": self.settings.shared_ip_users,
                "incident": { "activities": incident.count, "since": incident.first_at, "latest": incident.last_at },
            }),
        ));
    }
}

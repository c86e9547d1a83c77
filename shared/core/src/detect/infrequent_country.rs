//! `infrequent_country`: successful interactive activity from a country the user has not worked from
//! within the baseline (default 30 days). Optionally, countries many of the tenant's users use are
//! suppressed too. Once alerted, the country becomes familiar, so a trip is one alert, not one per day.

use serde_json::json;

use super::{Context, Detection, Raise, country_key, in_learning_period};
use crate::activity::Activity;
use crate::alert::Alert;
use crate::config::{Common, InfrequentCountrySettings};
use crate::state::UserState;

pub const POLICY_ID: &str = "infrequent_country";

pub struct InfrequentCountry {
    settings: InfrequentCountrySettings,
    common: Common,
    baseline: chrono::Duration,
}

impl InfrequentCountry {
    pub fn new(settings: InfrequentCountrySettings) -> Self {
        let common = settings.common();
        let baseline = chrono::Duration::from_std(settings.baseline).unwrap_or(chrono::Duration::MAX);
        InfrequentCountry { settings, common, baseline }
    }
}

impl Detection for InfrequentCountry {
    fn policy_id(&self) -> &'static str {
        POLICY_ID
    }

    fn observe(&self, activity: &Activity, user: &str, state: &mut UserState, ctx: &Context, alerts: &mut Vec<Alert>) {
        let Some(country) = activity.country() else { return };
        // Where the user is: their own activity, not an app's or an impersonator's; not the organisation's
        // ranges the settings exempt (a corporate VPN exit abroad).
        if !activity.is_users_own_activity() || activity.ip_tags.iter().any(|t| self.settings.ignored_tags.contains(t))
        {
            return;
        }
        let at = activity.occurred_at;
        let familiar = state
            .countries
            .get(country)
            .is_some_and(|place| place.first_seen <= at && at - place.last_seen <= self.baseline);
        if familiar || in_learning_period(&self.common, state, ctx, at) || !self.common.in_scope(user) {
            return;
        }
        let tenant_users = ctx.users_of(&country_key(country));
        if self.settings.tenant_users > 0 && tenant_users >= self.settings.tenant_users {
            return;
        }
        let mut usual: Vec<(&String, u32)> = state
            .countries
            .iter()
            .filter(|(_, place)| at - place.last_seen <= self.baseline)
            .map(|(c, place)| (c, place.days))
            .collect();
        usual.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let usual_names: Vec<&str> = usual.iter().map(|(c, _)| c.as_str()).collect();
        let place = place_name(activity);
        let raise = Raise { ctx, policy_id: POLICY_ID, severity: self.settings.severity, user };
        alerts.push(raise.alert(
            &format!("{country}/{}", at.date_naive()),
            format!(
                "Activity from an infrequent country: {user} from {place} (usually {})",
                if usual_names.is_empty() { "nowhere recently".to_string() } else { usual_names.join(", ") }
            ),
            format!(
                "{user} has not been active from {country} within the last {}; usual countries: {}.",
                humantime::format_duration(self.settings.baseline),
                usual_names.join(", ")
            ),
            &[activity],
            json!({
                "country": country,
                "city": activity.geo.as_ref().and_then(|g| g.city.clone()),
                "ip": activity.ip.map(|ip| ip.to_string()),
                "usual_countries": usual.iter().map(|(c, days)| json!({ "country": c, "days": days })).collect::<Vec<_>>(),
                "baseline_days": self.settings.baseline.as_secs() / 86_400,
                "tenant_users_in_country": tenant_users,
            }),
        ));
    }
}

/// "Changchun, CN", or the country alone.
pub(crate) fn place_name(activity: &Activity) -> String {
    match &activity.geo {
        Some(geo) => match &geo.city {
            Some(city) => format!("{city}, {}", geo.country),
            None => geo.country.clone(),
        },
        None => "an unknown place".to_string(),
    }
}

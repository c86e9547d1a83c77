//! One user's page: where and with what they work (the baselines the detections learn), what they did
//! lately, their alerts and governance, and whether the directory says they left.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use saaswarden_core::directory::Termination;
use saaswarden_core::governance::{GovernanceEntry, IdentityProvider};
use saaswarden_core::state::PlaceHistory;
use saaswarden_core::{Activity, Alert};
use saaswarden_store::{ActivityQuery, AlertFilter, GovernanceFilter};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::{Api, Store};

/// How many of the user's most recent activities the page reads (and counts places over).
pub const RECENT: usize = 500;

#[derive(Debug, Clone, Serialize)]
pub struct UserPage {
    pub user: String,
    pub tenant: String,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    /// The detections' country baseline: successful interactive activity only.
    pub countries: BTreeMap<String, PlaceHistory>,
    /// Counted over the recent activities.
    pub cities: BTreeMap<String, usize>,
    pub ips: BTreeMap<String, usize>,
    pub apps: BTreeMap<String, usize>,
    /// Activities by hour of day (UTC) and by country, over the recent activities.
    pub by_hour: [usize; 24],
    pub by_country: BTreeMap<String, usize>,
    /// Newest first.
    pub recent: Vec<Activity>,
    pub alerts: Vec<Alert>,
    pub governance: Vec<GovernanceEntry>,
    pub terminated: Option<Termination>,
}

impl<S: Store, P: IdentityProvider + Send + Sync + 'static> Api<S, P> {
    pub async fn user(&self, user: &str) -> Result<UserPage, ApiError> {
        let key = user.trim().to_lowercase();
        if key.is_empty() {
            return Err(ApiError::BadRequest("user: empty".into()));
        }
        // The audit trail answers oldest first: the newest come from a search that starts late enough.
        let mut recent = self.newest_activities(&key).await?;
        let alerts = self
            .store
            .list(&AlertFilter {
                tenant: self.tenant.clone(),
                user: Some(key.clone()),
                limit: 200,
                ..Default::default()
            })
            .await?;
        let tenant = match (&self.tenant, recent.first(), alerts.first()) {
            (_, None, None) => return Err(ApiError::NotFound(format!("no activity or alert of user `{user}`"))),
            (Some(tenant), _, _) => tenant.clone(),
            (None, Some(activity), _) => activity.tenant.clone(),
            (None, None, Some(alert)) => alert.tenant.clone(),
        };
        let state = self.store.load_user(&tenant, &key).await?.value;
        let terminated = self.store.termination(&tenant, &key).await?;
        let governance: Vec<GovernanceEntry> = self
            .store
            .governance_entries(&GovernanceFilter { tenant: Some(tenant.clone()), alert_id: None, limit: 1_000 })
            .await?
            .into_iter()
            .filter(|entry| entry.user.eq_ignore_ascii_case(&key))
            .collect();
        let mut page = UserPage {
            user: key,
            tenant,
            first_seen: state.first_seen,
            last_seen: state.last_seen,
            countries: state.countries,
            cities: BTreeMap::new(),
            ips: BTreeMap::new(),
            apps: BTreeMap::new(),
            by_hour: [0; 24],
            by_country: BTreeMap::new(),
            recent: Vec::new(),
            alerts,
            governance,
            terminated,
        };
        for activity in &recent {
            if let Some(geo) = &activity.geo {
                *page.by_country.entry(geo.country.clone()).or_default() += 1;
                if let Some(city) = &geo.city {
                    *page.cities.entry(format!("{city}, {}", geo.country)).or_default() += 1;
                }
            }
            if let Some(ip) = activity.ip {
                *page.ips.entry(ip.to_string()).or_default() += 1;
            }
            *page.apps.entry(activity.app.to_string()).or_default() += 1;
            page.by_hour[activity.occurred_at.format("%H").to_string().parse::<usize>().unwrap_or(0) % 24] += 1;
        }
        recent.reverse();
        page.recent = recent;
        Ok(page)
    }

    /// The user's last [`RECENT`] activities, oldest first: from the state's last-seen time backwards in
    /// widening windows, so a long history is not read whole.
    async fn newest_activities(&self, user: &str) -> Result<Vec<Activity>, ApiError> {
        let query = ActivityQuery { tenant: self.tenant.clone(), user: Some(user.to_string()), ..Default::default() };
        let mut days = 7;
        loop {
            let since = Utc::now() - chrono::Duration::days(days);
            let window = ActivityQuery { since: (days < 3_650).then_some(since), limit: 100_000, ..query.clone() };
            let found = self.store.search(&window).await?;
            if found.len() >= RECENT || days >= 3_650 {
                let skip = found.len().saturating_sub(RECENT);
                return Ok(found.into_iter().skip(skip).collect());
            }
            days *= 8;
        }
    }
}

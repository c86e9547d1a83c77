//! `impossible_travel`: two activities of one identity — across apps, joined by email — from places
//! farther apart than anyone can travel in the time between them.
//!
//! The distance is the great-circle distance minus both locations' accuracy radius, so imprecise
//! geolocation cannot make travel look impossible. Suppressed, as in Defender for Cloud Apps: the same or
//! a bordering country; both ends in trusted ranges (below high sensitivity); IPs whose location says
//! nothing about the user (hosting providers); places the user uses regularly (medium, low); places
//! many of the tenant's users use (low). Activities may arrive out of order: each is compared with its
//! neighbours in time.

use std::collections::VecDeque;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::borders::bordering;
use super::incident::{self, Incident};
use super::infrequent_country::place_name;
use super::{Context, Detection, Raise, country_key, in_learning_period};
use crate::activity::{Activity, App};
use crate::alert::Alert;
use crate::config::{Common, ImpossibleTravelSettings, Sensitivity};
use crate::state::UserState;

pub const POLICY_ID: &str = "impossible_travel";

/// Located activities remembered per user, newest last.
const REMEMBERED: usize = 16;

const EARTH_RADIUS_KM: f64 = 6371.0;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TravelState {
    pub recent: VecDeque<Point>,
}

/// Where and when one activity happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    #[serde(with = "crate::state::codec::time")]
    pub at: DateTime<Utc>,
    pub id: String,
    pub app: App,
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_km: f64,
    pub country: String,
    pub place: String,
    pub ip: Option<IpAddr>,
    pub trusted: bool,
}

pub struct ImpossibleTravel {
    settings: ImpossibleTravelSettings,
    common: Common,
    gap: chrono::Duration,
}

impl ImpossibleTravel {
    pub fn new(settings: ImpossibleTravelSettings) -> Self {
        let common = settings.common();
        let gap = incident::gap(settings.incident_gap);
        ImpossibleTravel { settings, common, gap }
    }

    fn point(&self, activity: &Activity) -> Option<Point> {
        let geo = activity.geo.as_ref()?;
        if !activity.is_users_own_activity() || activity.ip_tags.iter().any(|t| self.settings.ignored_tags.contains(t))
        {
            return None;
        }
        Some(Point {
            at: activity.occurred_at,
            id: activity.id.clone(),
            app: activity.app,
            latitude: geo.latitude,
            longitude: geo.longitude,
            accuracy_km: geo.accuracy_km.max(0.0),
            country: geo.country.clone(),
            place: place_name(activity),
            ip: activity.ip,
            trusted: activity.ip_tags.iter().any(|t| self.settings.trusted_tags.contains(t)),
        })
    }

    /// Whether travel between `a` and `b` (a first) is suppressed; `None` when it is possible at all.
    fn judge(&self, a: &Point, b: &Point, state: &UserState, ctx: &Context) -> Option<Travel> {
        if a.country == b.country || bordering(&a.country, &b.country) {
            return None;
        }
        let distance = great_circle_km(a, b);
        let effective = (distance - a.accuracy_km - b.accuracy_km).max(0.0);
        if effective < self.settings.min_distance_km {
            return None;
        }
        // One minute at the least: activities in the same second are still a fact about speed.
        let hours = ((b.at - a.at).num_seconds().abs().max(60)) as f64 / 3600.0;
        let speed = effective / hours;
        if speed <= self.settings.max_speed_kmh {
            return None;
        }
        let sensitivity = self.settings.sensitivity;
        if a.trusted && b.trusted && sensitivity != Sensitivity::High {
            return None;
        }
        let regular_for_user =
            |country: &str| state.countries.get(country).is_some_and(|place| place.days >= self.settings.regular_days);
        if sensitivity != Sensitivity::High && regular_for_user(&a.country) && regular_for_user(&b.country) {
            return None;
        }
        let regular_for_tenant = |country: &str| ctx.users_of(&country_key(country)) >= self.settings.tenant_users;
        if sensitivity == Sensitivity::Low && regular_for_tenant(&a.country) && regular_for_tenant(&b.country) {
            return None;
        }
        Some(Travel { distance_km: distance, effective_km: effective, hours, speed_kmh: speed })
    }
}

/// An impossible trip: its two ends and how fast it would have been.
struct Trip {
    from: Point,
    to: Point,
    travel: Travel,
}

struct Travel {
    distance_km: f64,
    effective_km: f64,
    hours: f64,
    speed_kmh: f64,
}

impl Detection for ImpossibleTravel {
    fn policy_id(&self) -> &'static str {
        POLICY_ID
    }

    fn observe(&self, activity: &Activity, user: &str, state: &mut UserState, ctx: &Context, alerts: &mut Vec<Alert>) {
        let Some(point) = self.point(activity) else { return };
        let position = state.travel.recent.partition_point(|p| (p.at, &p.id) <= (point.at, &point.id));
        let learning = in_learning_period(&self.common, state, ctx, point.at);
        if !learning && self.common.in_scope(user) {
            let before = position.checked_sub(1).and_then(|i| state.travel.recent.get(i));
            let after = state.travel.recent.get(position);
            let pairs = [before.map(|b| (b, &point)), after.map(|a| (&point, a))];
            let found: Vec<Trip> = pairs
                .into_iter()
                .flatten()
                .filter_map(|(from, to)| {
                    let travel = self.judge(from, to, state, ctx)?;
                    Some(Trip { from: from.clone(), to: to.clone(), travel })
                })
                .collect();
            // A session that keeps flipping between places is one incident: one alert that grows.
            for trip in found {
                let key = || format!("{}|{}", trip.from.id, trip.to.id);
                let incident = incident::join_in(&mut state.incidents, POLICY_ID, key, trip.to.at, self.gap);
                alerts.push(self.alert(activity, &trip, &incident, user, ctx));
            }
        }
        state.travel.recent.insert(position, point);
        while state.travel.recent.len() > REMEMBERED {
            state.travel.recent.pop_front();
        }
    }
}

impl ImpossibleTravel {
    fn alert(&self, activity: &Activity, trip: &Trip, incident: &Incident, user: &str, ctx: &Context) -> Alert {
        let (from, to, travel) = (&trip.from, &trip.to, &trip.travel);
        let raise = Raise { ctx, policy_id: POLICY_ID, severity: self.settings.severity, user };
        let minutes = (to.at - from.at).num_minutes().abs();
        // Under a minute, the speed is computed over one minute (see `travel`): a floor, said as such.
        let (elapsed, speed) = match minutes {
            0 => ("under a minute".to_string(), format!("over {} km/h", thousands(travel.speed_kmh))),
            1..120 => (format!("{minutes} min"), format!("≈ {} km/h", thousands(travel.speed_kmh))),
            _ => (format!("{:.1} h", minutes as f64 / 60.0), format!("≈ {} km/h", thousands(travel.speed_kmh))),
        };
        let grown = match incident.count {
            1 => String::new(),
            n => format!("; {n} impossible trips since {} UTC", incident.first_at.format("%Y-%m-%d %H:%M")),
        };
        let mut alert = raise.alert(
            &incident.key,
            format!("Impossible travel: {user} from {} to {} in {elapsed} ({speed}){grown}", from.place, to.place),
            format!(
                "{} km apart ({} km after subtracting the locations' accuracy) in {}; the limit is {} km/h.",
                thousands(travel.distance_km),
                thousands(travel.effective_km),
                if minutes == 0 {
                    "under a minute, counted as one".to_string()
                } else {
                    format!("{:.1} h", travel.hours)
                },
                thousands(self.settings.max_speed_kmh)
            ),
            &[activity],
            json!({
                "from": point_facts(from),
                "to": point_facts(to),
                "distance_km": travel.distance_km.round(),
                "effective_distance_km": travel.effective_km.round(),
                "minutes": minutes,
                "speed_kmh": travel.speed_kmh.round(),
                "max_speed_kmh": self.settings.max_speed_kmh,
                "sensitivity": format!("{:?}", self.settings.sensitivity).to_lowercase(),
                "incident": { "trips": incident.count, "since": incident.first_at, "latest": incident.last_at },
            }),
        );
        // Both ends are evidence, oldest first.
        alert.activity_ids = vec![from.id.clone(), to.id.clone()];
        let mut apps = vec![from.app, to.app];
        apps.sort();
        apps.dedup();
        alert.apps = apps;
        alert.created_at = from.at.max(to.at);
        alert
    }
}

fn point_facts(p: &Point) -> serde_json::Value {
    json!({
        "activity_id": p.id, "at": p.at, "place": p.place, "country": p.country, "ip": p.ip,
        "latitude": p.latitude, "longitude": p.longitude, "accuracy_km": p.accuracy_km, "trusted": p.trusted,
    })
}

/// The haversine great-circle distance in kilometres.
fn great_circle_km(a: &Point, b: &Point) -> f64 {
    let (lat1, lat2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.longitude - a.longitude).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// 8918 → "8,918".
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0.0 { format!("-{out}") } else { out }
}

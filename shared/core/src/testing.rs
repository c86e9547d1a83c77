//! Builders for tests: a plausible activity in one line, adjusted with chained setters.

use std::net::IpAddr;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::activity::{Activity, App, Category, Geo, Outcome, Principal, PrincipalKind};
use crate::alert::{Alert, AlertStatus, Severity};
use crate::state::UserState;

/// 2026-10-01T00:00:00Z, the epoch of test scenarios.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).single().unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// `t0() + minutes`.
pub fn at_minute(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}

/// A successful Slack sign-in by `email` at `at`, with id `slack:<source_id>`.
pub fn activity(source_id: &str, email: &str, at: DateTime<Utc>) -> Activity {
    Activity {
        id: format!("slack:{source_id}"),
        app: App::Slack,
        tenant: "acme".to_string(),
        occurred_at: at,
        action: "user_login".to_string(),
        category: Category::SignInSuccess,
        administrative: false,
        actor: Principal {
            kind: PrincipalKind::User,
            id: Some(format!("W{source_id}")),
            email: Some(email.to_string()),
            name: None,
        },
        target: None,
        impersonator: None,
        ip: None,
        user_agent: None,
        session_id: None,
        outcome: Outcome::Success,
        geo: None,
        ip_tags: Vec::new(),
        asn_org: None,
        raw: serde_json::json!({ "id": source_id }),
    }
}

impl Activity {
    pub fn with_action(mut self, action: &str, category: Category) -> Self {
        self.action = action.to_string();
        self.category = category;
        self.outcome = if category == Category::SignInFailure { Outcome::Failure } else { Outcome::Success };
        self
    }

    pub fn with_ip(mut self, ip: &str) -> Self {
        self.ip = ip.parse::<IpAddr>().ok();
        self
    }

    pub fn with_geo(mut self, country: &str, latitude: f64, longitude: f64) -> Self {
        self.geo = Some(Geo { country: country.to_string(), city: None, latitude, longitude, accuracy_km: 0.0 });
        self
    }

    pub fn with_accuracy(mut self, km: f64) -> Self {
        if let Some(geo) = self.geo.as_mut() {
            geo.accuracy_km = km;
        }
        self
    }

    pub fn with_city(mut self, city: &str) -> Self {
        if let Some(geo) = self.geo.as_mut() {
            geo.city = Some(city.to_string());
        }
        self
    }

    pub fn with_tags(mut self, tags: &[&str]) -> Self {
        self.ip_tags = tags.iter().map(|t| t.to_string()).collect();
        self
    }

    /// An administrative action (e.g. `role_change_to_admin`).
    pub fn admin(self, action: &str) -> Self {
        let mut activity = self.with_action(action, Category::Administrative);
        activity.administrative = true;
        activity
    }

    /// Performed in the actor's name by an app.
    pub fn impersonated_by(mut self, app_name: &str) -> Self {
        self.impersonator = Some(Principal {
            kind: PrincipalKind::App,
            id: Some(format!("A-{app_name}")),
            email: None,
            name: Some(app_name.into()),
        });
        self
    }

    pub fn with_app(mut self, app: App) -> Self {
        let source = self.id.split_once(':').map_or(self.id.clone(), |(_, s)| s.to_string());
        self.app = app;
        self.id = format!("{app}:{source}");
        self
    }
}

/// An open Slack alert of tenant `acme` on `user`, created at `at`, citing no activity yet.
pub fn alert(id: &str, policy_id: &str, severity: Severity, user: &str, at: DateTime<Utc>) -> Alert {
    Alert {
        id: id.to_string(),
        tenant: "acme".to_string(),
        policy_id: policy_id.to_string(),
        title: policy_id.replace('_', " "),
        description: String::new(),
        severity,
        status: AlertStatus::Open,
        user: user.to_string(),
        apps: vec![App::Slack],
        created_at: at,
        activity_ids: Vec::new(),
        evidence_span: None,
        campaign: None,
        evidence: serde_json::json!({}),
        resolution: None,
    }
}

/// A user's state as releases before the binary encoding wrote it: JSON, times as RFC 3339, a list of
/// recent ids. Each store's tests write it raw and read it back (the stores must keep reading it).
pub const LEGACY_STATE_JSON: &str = r#"{"first_seen":"2026-03-02T09:00:00Z","last_seen":"2026-03-02T09:07:00Z","recent_ids":["slack:1","slack:2"],"countries":{"US":{"first_seen":"2026-03-02T09:00:00Z","last_seen":"2026-03-02T09:07:00Z","days":1}},"failed_logins":{"window":[{"at":"2026-03-02T09:01:00Z","id":"zendesk:5","ip":"203.0.113.9"}],"burst":null},"travel":{"recent":[{"at":"2026-03-02T09:07:00Z","id":"slack:2","app":"slack","latitude":47.25,"longitude":-122.31,"accuracy_km":20.0,"country":"US","place":"Milton, US","ip":"216.160.83.58","trusted":false}]},"raised":{}}"#;

/// Checks a state read from [`LEGACY_STATE_JSON`].
pub fn assert_legacy_state(state: &UserState) {
    assert!(state.has_processed("slack:2") && state.countries["US"].days == 1, "{state:?}");
    assert_eq!(state.failed_logins.window[0].ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(state.travel.recent[0].ip, Some([216, 160, 83, 58].into()));
}

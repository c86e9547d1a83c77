//! Builders for tests: a plausible activity in one line, adjusted with chained setters.

use std::net::IpAddr;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::activity::{Activity, App, Category, Geo, Outcome, Principal, PrincipalKind};
use crate::alert::{Alert, AlertStatus, Severity};

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

//! What is configured: the detections and custom policies, and the collector streams with their health.

use chrono::{DateTime, Utc};
use saaswarden_core::governance::IdentityProvider;
use saaswarden_core::{App, Config, Severity};
use saaswarden_policy::PolicySet;
use saaswarden_store::AlertFilter;
use serde::Serialize;

use crate::error::ApiError;
use crate::state::{Api, Store};

/// A detection or custom policy as loaded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyInfo {
    pub id: String,
    pub name: String,
    /// `detection` (built in) or `custom`.
    pub kind: &'static str,
    pub enabled: bool,
    pub severity: Severity,
}

/// The detections as the configuration sets them, then the custom policies loaded.
pub fn policies(config: &Config, custom: Option<&PolicySet>) -> Vec<PolicyInfo> {
    let mut all = builtin_policies(config);
    all.extend(custom.iter().flat_map(|set| set.policies()).map(|p| PolicyInfo {
        id: p.id().to_string(),
        name: p.name().to_string(),
        kind: "custom",
        enabled: p.enabled(),
        severity: p.severity(),
    }));
    all
}

/// The eight built-in detections as the configuration sets them.
pub fn builtin_policies(config: &Config) -> Vec<PolicyInfo> {
    let d = &config.detections;
    let entry = |id: &str, name: &str, enabled: bool, severity: Severity| PolicyInfo {
        id: id.into(),
        name: name.into(),
        kind: "detection",
        enabled,
        severity,
    };
    vec![
        entry("anonymous_ip", "Activity from anonymous IP addresses", d.anonymous_ip.enabled, d.anonymous_ip.severity),
        entry(
            "infrequent_country",
            "Activity from infrequent country",
            d.infrequent_country.enabled,
            d.infrequent_country.severity,
        ),
        entry(
            "suspicious_ip",
            "Activity from suspicious IP addresses",
            d.suspicious_ip.enabled,
            d.suspicious_ip.severity,
        ),
        entry("impossible_travel", "Impossible travel", d.impossible_travel.enabled, d.impossible_travel.severity),
        entry(
            "terminated_user",
            "Activity by a terminated user",
            d.terminated_user.enabled,
            d.terminated_user.severity,
        ),
        entry(
            "multiple_failed_logins",
            "Multiple failed login attempts",
            d.multiple_failed_logins.enabled,
            d.multiple_failed_logins.severity,
        ),
        entry(
            "unusual_admin_activity",
            "Unusual administrative activity",
            d.unusual_admin_activity.enabled,
            d.unusual_admin_activity.severity,
        ),
        entry(
            "unusual_impersonated_activity",
            "Unusual impersonated activity",
            d.unusual_impersonated_activity.enabled,
            d.unusual_impersonated_activity.severity,
        ),
    ]
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyCount {
    #[serde(flatten)]
    pub policy: PolicyInfo,
    /// Alerts of this policy in the store (open or not), counted up to [`COUNT_CAP`].
    pub alerts: usize,
    pub open: usize,
}

/// Counting stops here: a policy with more alerts shows this many.
pub const COUNT_CAP: usize = 10_000;

/// One collector stream's health.
#[derive(Debug, Clone, Serialize)]
pub struct SourceHealth {
    pub tenant: String,
    pub app: App,
    /// `slack`, `zendesk` or `zendesk_access`.
    pub stream: String,
    /// Every entry up to this time was handed to detection; absent before the first run.
    pub through: Option<DateTime<Utc>>,
    /// How far `through` is behind now, in seconds.
    pub lag_seconds: Option<i64>,
    pub last_id: Option<String>,
    /// The latest run's error while no run since has succeeded: `at` (when that run started) and `error`.
    pub last_error: Option<saaswarden_core::checkpoint::StreamFailure>,
}

impl<S: Store, P: IdentityProvider + Send + Sync + 'static> Api<S, P> {
    pub async fn policy_counts(&self) -> Result<Vec<PolicyCount>, ApiError> {
        let mut counts = Vec::new();
        for policy in &self.policies {
            let filter = AlertFilter {
                tenant: self.tenant.clone(),
                policy_id: Some(policy.id.clone()),
                limit: COUNT_CAP,
                ..Default::default()
            };
            let alerts = self.store.list(&filter).await?;
            let open = alerts.iter().filter(|a| a.status == saaswarden_core::AlertStatus::Open).count();
            counts.push(PolicyCount { policy: policy.clone(), alerts: alerts.len(), open });
        }
        Ok(counts)
    }

    pub async fn sources(&self) -> Result<Vec<SourceHealth>, ApiError> {
        let now = Utc::now();
        let mut health = Vec::new();
        for source in &self.config.sources {
            let tenant = source.tenant.clone().unwrap_or_else(|| self.config.tenant.clone());
            let streams: &[&str] = match source.app {
                App::Slack => &["slack"],
                App::Zendesk => &["zendesk", "zendesk_access"],
            };
            for stream in streams {
                let checkpoint = self.store.load(&tenant, stream).await?.value;
                health.push(SourceHealth {
                    tenant: tenant.clone(),
                    app: source.app,
                    stream: stream.to_string(),
                    through: checkpoint.as_ref().map(|c| c.through),
                    lag_seconds: checkpoint.as_ref().map(|c| (now - c.through).num_seconds()),
                    last_id: checkpoint.as_ref().and_then(|c| c.last_id.clone()),
                    last_error: checkpoint.and_then(|c| c.last_error),
                });
            }
        }
        Ok(health)
    }
}

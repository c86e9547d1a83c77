//! Which governance actions an alert asks for, and the deterministic id that makes each execution happen
//! once per (alert, action) however often the decision is delivered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ActionKind, GovernanceSetting, Mode};
use crate::activity::App;
use crate::alert::{Alert, AlertStatus};
use crate::config::Config;

/// Who asked for an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Trigger {
    /// A policy's or detection's governance setting, when the alert was raised.
    Automatic { mode: Mode },
    /// An analyst (`saaswarden governance approve`).
    Manual { by: String },
}

/// One action to take for one alert: what the decisions queue carries. Holds the alert's facts the
/// action needs (the notification is built from them), so executing needs no other read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub tenant: String,
    pub alert_id: String,
    pub policy_id: String,
    /// The app user the alert is about (email where known).
    pub user: String,
    pub action: ActionKind,
    pub trigger: Trigger,
    pub alert_title: String,
    #[serde(default)]
    pub alert_description: String,
    pub alert_created_at: DateTime<Utc>,
    #[serde(default)]
    pub apps: Vec<App>,
}

impl Decision {
    pub fn new(alert: &Alert, action: ActionKind, trigger: Trigger) -> Decision {
        Decision {
            tenant: alert.tenant.clone(),
            alert_id: alert.id.clone(),
            policy_id: alert.policy_id.clone(),
            user: alert.user.clone(),
            action,
            trigger,
            alert_title: alert.title.clone(),
            alert_description: alert.description.clone(),
            alert_created_at: alert.created_at,
            apps: alert.apps.clone(),
        }
    }

    /// The governance log entry this decision executes as.
    pub fn entry_id(&self) -> String {
        entry_id(&self.tenant, &self.alert_id, self.action)
    }
}

/// The governance settings that apply to an alert: a built-in detection's from the configuration, a
/// custom policy's from the alert itself (policies write them into `evidence.governance`).
pub fn settings_for(alert: &Alert, config: &Config) -> Vec<GovernanceSetting> {
    match config.detections.governance(&alert.policy_id) {
        Some(settings) => settings.to_vec(),
        None => alert
            .evidence
            .get("governance")
            .and_then(|g| serde_json::from_value::<Vec<GovernanceSetting>>(g.clone()).ok())
            .unwrap_or_default(),
    }
}

/// The automatic decisions an alert asks for, one per action (the first setting of an action wins).
/// Approval-mode settings become decisions too: executing one records it as pending approval, so the
/// analyst sees it in the governance log. Closed alerts ask for nothing.
pub fn decisions_for_alert(alert: &Alert, config: &Config) -> Vec<Decision> {
    if alert.status != AlertStatus::Open {
        return Vec::new();
    }
    let mut decisions: Vec<Decision> = Vec::new();
    for setting in settings_for(alert, config) {
        if decisions.iter().all(|d| d.action != setting.action) {
            decisions.push(Decision::new(alert, setting.action, Trigger::Automatic { mode: setting.mode }));
        }
    }
    decisions
}

/// A stable governance log id: one (tenant, alert, action) is one entry, so a redelivered decision finds
/// the entry its first delivery claimed.
pub fn entry_id(tenant: &str, alert_id: &str, action: ActionKind) -> String {
    let mut hasher = Sha256::new();
    for part in [tenant, alert_id, action.as_str()] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    format!("gv-{hex}")
}

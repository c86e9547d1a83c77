//! What the policy tests share: raw entries normalized by the real connectors, as `saaswarden policies test`
//! does.

use saaswarden_connectors::{ZendeskUsers, slack, zendesk};
use saaswarden_core::{Activity, App};
use serde_json::Value;

/// Raw entries in inline tests go through the connectors' own normalizers.
pub fn connectors(app: App, entry: &Value, tenant: &str, users: &Value) -> Result<Activity, String> {
    match app {
        App::Slack => slack::normalize(entry, tenant).map_err(|e| e.to_string()),
        App::Zendesk => {
            let users = ZendeskUsers::from_json(users).map_err(|e| e.to_string())?;
            zendesk::normalize(entry, tenant, &users).map_err(|e| e.to_string())
        }
    }
}

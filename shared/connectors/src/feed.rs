//! Which log an entry comes from, and so which normalizer reads it. An app may offer more than one log:
//! Zendesk has its Audit Logs and, with an add-on, its Access Logs, each its own stream and checkpoint.

use saaswarden_core::App;
use saaswarden_core::activity::Activity;
use serde_json::Value;

use crate::error::NormalizeError;
use crate::zendesk::ZendeskUsers;
use crate::{slack, zendesk};

/// One kind of log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feed {
    /// Slack Enterprise Grid's Audit Logs API.
    SlackAudit,
    /// Zendesk's Audit Logs API.
    ZendeskAudit,
    /// Zendesk's Access Logs API (the Advanced Data Privacy and Protection add-on).
    ZendeskAccess,
}

impl Feed {
    /// The audit log of `app`: what exported files and the demo hold.
    pub fn audit_log(app: App) -> Feed {
        match app {
            App::Slack => Feed::SlackAudit,
            App::Zendesk => Feed::ZendeskAudit,
        }
    }

    pub fn app(self) -> App {
        match self {
            Feed::SlackAudit => App::Slack,
            Feed::ZendeskAudit | Feed::ZendeskAccess => App::Zendesk,
        }
    }

    /// The stream's name within a tenant: the key of its checkpoint and the label in reports and metrics.
    pub fn stream(self) -> &'static str {
        match self {
            Feed::SlackAudit => "slack",
            Feed::ZendeskAudit => "zendesk",
            Feed::ZendeskAccess => "zendesk_access",
        }
    }

    /// Normalizes one entry of this log; Zendesk actors come from `zendesk_users`.
    pub fn normalize(
        self,
        entry: &Value,
        tenant: &str,
        zendesk_users: &ZendeskUsers,
    ) -> Result<Activity, NormalizeError> {
        match self {
            Feed::SlackAudit => slack::normalize(entry, tenant),
            Feed::ZendeskAudit => zendesk::normalize(entry, tenant, zendesk_users),
            Feed::ZendeskAccess => zendesk::normalize_access(entry, tenant, zendesk_users),
        }
    }
}

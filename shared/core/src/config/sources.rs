//! The `[[sources]]` section: which audit logs `saaswarden collect` (and the collector Lambda) reads, for
//! which tenant, from where, and how hard it may push. Credentials are never in the file: a source names
//! the environment variable that holds its token (the Lambda reads the same value from Secrets Manager).

use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, duration};
use crate::activity::App;

/// Slack's Audit Logs API root; `/logs` is appended.
pub const SLACK_BASE_URL: &str = "https://api.slack.com/audit/v1";

/// The most requests a minute sent to Zendesk's Access Logs API, which allows 50.
pub const ACCESS_LOGS_REQUESTS_PER_MINUTE: u32 = 45;

/// Entries per Zendesk access-log page (the API takes up to 2,500).
pub const ACCESS_LOGS_PAGE_SIZE: u32 = 1_000;

/// One (tenant, app) audit log to collect, with its own checkpoint and credentials.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSettings {
    /// The tenant the activities are recorded under; the top-level `tenant` when absent.
    #[serde(default)]
    pub tenant: Option<String>,
    pub app: App,
    /// The API root. Slack: `https://api.slack.com/audit/v1` by default. Zendesk: required, e.g.
    /// `https://acme.zendesk.com` (or a proxy); `/api/v2/…` is appended.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The environment variable holding the token: Slack's `xoxp-…` user token with `auditlogs:read`;
    /// Zendesk's API token (with `email`) or an OAuth access token (without).
    pub token_env: String,
    /// Zendesk API-token authentication: the admin's email (`{email}/token:{token}`). Absent: the token is
    /// an OAuth bearer token.
    #[serde(default)]
    pub email: Option<String>,
    /// How far back the first run reads.
    #[serde(default = "defaults::backfill", deserialize_with = "duration")]
    pub backfill: Duration,
    /// How far before the checkpoint each run re-reads, for entries published late.
    #[serde(default = "defaults::overlap", deserialize_with = "duration")]
    pub overlap: Duration,
    /// How far behind now a run stops, for entries still being published.
    #[serde(default = "defaults::delay", deserialize_with = "duration")]
    pub delay: Duration,
    /// The longest window read as one unit; a back-fill saves progress after each.
    #[serde(default = "defaults::window", deserialize_with = "duration")]
    pub window: Duration,
    /// How long one run may take before it stops cleanly, progress saved (keep it under a Lambda's timeout).
    #[serde(default = "defaults::time_budget", deserialize_with = "duration")]
    pub time_budget: Duration,
    /// Client-side cap on requests per rolling minute (Slack Tier 3 is about 50; Zendesk depends on plan).
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    /// Entries per page (Slack `limit` ≤ 9999, default 1000; Zendesk `page[size]` ≤ 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// Zendesk only: also collect the Access Logs API (the Advanced Data Privacy and Protection add-on),
    /// as its own stream `zendesk_access` with its own checkpoint and request budget.
    #[serde(default)]
    pub access_logs: bool,
    /// Zendesk only: how long a resolved actor email is trusted before it is looked up again.
    #[serde(default = "defaults::users_refresh", deserialize_with = "duration")]
    pub users_refresh: Duration,
    /// Attempts per request on 5xx and timeouts.
    #[serde(default = "defaults::max_attempts")]
    pub max_attempts: u32,
}

mod defaults {
    use std::time::Duration;

    pub(super) fn backfill() -> Duration {
        Duration::from_secs(7 * 86_400)
    }
    pub(super) fn overlap() -> Duration {
        Duration::from_secs(10 * 60)
    }
    pub(super) fn delay() -> Duration {
        Duration::from_secs(2 * 60)
    }
    pub(super) fn window() -> Duration {
        Duration::from_secs(6 * 3_600)
    }
    pub(super) fn time_budget() -> Duration {
        Duration::from_secs(10 * 60)
    }
    pub(super) fn users_refresh() -> Duration {
        Duration::from_secs(86_400)
    }
    pub(super) fn max_attempts() -> u32 {
        5
    }
}

impl SourceSettings {
    /// The tenant of this source, given the configuration's default tenant.
    pub fn tenant_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.tenant.as_deref().unwrap_or(default)
    }

    /// The API root without a trailing slash.
    pub fn base_url(&self) -> Option<String> {
        let url = match (&self.base_url, self.app) {
            (Some(url), _) => url.clone(),
            (None, App::Slack) => SLACK_BASE_URL.to_string(),
            (None, App::Zendesk) => return None,
        };
        Some(url.trim_end_matches('/').to_string())
    }

    /// Requests per minute: the configured cap, or a default under each app's published limit.
    pub fn requests_per_minute(&self) -> u32 {
        self.requests_per_minute.unwrap_or(match self.app {
            App::Slack => 40,
            App::Zendesk => 200,
        })
    }

    /// The access log's request budget: the source's, capped under the API's 50 requests a minute.
    pub fn access_logs_requests_per_minute(&self) -> u32 {
        self.requests_per_minute().min(ACCESS_LOGS_REQUESTS_PER_MINUTE)
    }

    /// Entries per access-log page: large, because the API allows only 50 requests a minute.
    pub fn access_logs_page_size(&self) -> u32 {
        ACCESS_LOGS_PAGE_SIZE
    }

    pub fn page_size(&self) -> u32 {
        self.page_size.unwrap_or(match self.app {
            App::Slack => 1000,
            App::Zendesk => 100,
        })
    }
}

/// Checks every source; errors name `sources[i].setting`.
pub(crate) fn validate(
    sources: &[SourceSettings],
    default_tenant: &str,
    invalid: impl Fn(&str, String) -> ConfigError,
) -> Result<(), ConfigError> {
    let mut seen = std::collections::HashSet::new();
    for (i, source) in sources.iter().enumerate() {
        let at = |setting: &str| format!("sources[{i}].{setting}");
        let tenant = source.tenant_or(default_tenant);
        if tenant.trim().is_empty() || tenant.contains('#') {
            return Err(invalid(&at("tenant"), "must be non-empty and must not contain `#`".into()));
        }
        if !seen.insert((tenant.to_string(), source.app)) {
            return Err(invalid(
                &at("app"),
                format!("tenant `{tenant}` already has a {} source: one per tenant and app", source.app),
            ));
        }
        match source.base_url() {
            None => {
                return Err(invalid(
                    &at("base_url"),
                    "is required for Zendesk: your account's address, like https://acme.zendesk.com".into(),
                ));
            }
            Some(url) if !(url.starts_with("https://") || url.starts_with("http://")) => {
                return Err(invalid(&at("base_url"), format!("`{url}` must start with https:// (or http://)")));
            }
            Some(_) => {}
        }
        if source.token_env.trim().is_empty() {
            return Err(invalid(&at("token_env"), "must name the environment variable holding the token".into()));
        }
        if source.app == App::Slack && (source.email.is_some() || source.access_logs) {
            let setting = if source.access_logs { "access_logs" } else { "email" };
            return Err(invalid(&at(setting), "is a Zendesk setting; Slack sources do not take it".into()));
        }
        if source.email.as_deref().is_some_and(|email| !email.contains('@')) {
            return Err(invalid(&at("email"), "must be the Zendesk admin's email address".into()));
        }
        let max_page = if source.app == App::Slack { 9_999 } else { 100 };
        if source.page_size.is_some_and(|size| size == 0 || size > max_page) {
            return Err(invalid(&at("page_size"), format!("must be between 1 and {max_page} for {}", source.app)));
        }
        if source.requests_per_minute == Some(0) {
            return Err(invalid(&at("requests_per_minute"), "must be at least 1".into()));
        }
        if source.max_attempts == 0 {
            return Err(invalid(&at("max_attempts"), "must be at least 1".into()));
        }
        for (setting, value) in
            [("backfill", source.backfill), ("window", source.window), ("time_budget", source.time_budget)]
        {
            if value.is_zero() {
                return Err(invalid(&at(setting), "must be longer than 0s".into()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::Config;

    use super::*;

    #[test]
    fn a_source_gets_its_defaults_and_the_default_tenant() -> Result<(), ConfigError> {
        let config = Config::from_toml_str(
            "tenant = \"acme\"\n[[sources]]\napp = \"slack\"\ntoken_env = \"SLACK_TOKEN\"\n",
            "c.toml",
        )?;
        let source = &config.sources[0];
        assert_eq!(source.tenant_or(&config.tenant), "acme");
        assert_eq!(source.base_url().as_deref(), Some(SLACK_BASE_URL));
        assert_eq!(source.backfill, Duration::from_secs(7 * 86_400));
        assert_eq!((source.page_size(), source.requests_per_minute()), (1000, 40));
        Ok(())
    }

    #[test]
    fn zendesk_access_logs_are_opt_in_and_stay_under_their_own_rate_limit() -> Result<(), ConfigError> {
        let zendesk = "[[sources]]\napp = \"zendesk\"\nbase_url = \"https://a.zendesk.com\"\ntoken_env = \"T\"\n";
        let off = Config::from_toml_str(zendesk, "c.toml")?;
        assert!(!off.sources[0].access_logs);
        let on = Config::from_toml_str(&format!("{zendesk}access_logs = true\n"), "c.toml")?;
        let source = &on.sources[0];
        assert!(source.access_logs);
        assert_eq!((source.requests_per_minute(), source.access_logs_requests_per_minute()), (200, 45));
        let slow =
            Config::from_toml_str(&format!("{zendesk}access_logs = true\nrequests_per_minute = 10\n"), "c.toml")?;
        assert_eq!(slow.sources[0].access_logs_requests_per_minute(), 10);
        Ok(())
    }

    #[test]
    fn bad_sources_are_rejected_naming_the_setting() {
        let cases = [
            ("app = \"zendesk\"\ntoken_env = \"T\"\n", "sources[0].base_url"),
            ("app = \"slack\"\ntoken_env = \"\"\n", "sources[0].token_env"),
            ("app = \"slack\"\ntoken_env = \"T\"\naccess_logs = true\n", "sources[0].access_logs"),
            ("app = \"zendesk\"\nbase_url = \"acme.zendesk.com\"\ntoken_env = \"T\"\n", "sources[0].base_url"),
            (
                "app = \"zendesk\"\nbase_url = \"https://a.zendesk.com\"\ntoken_env = \"T\"\npage_size = 500\n",
                "sources[0].page_size",
            ),
            ("app = \"slack\"\ntoken_env = \"T\"\nwindow = \"0s\"\n", "sources[0].window"),
        ];
        for (body, setting) in cases {
            let error = Config::from_toml_str(&format!("[[sources]]\n{body}"), "c.toml").err();
            let message = error.map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains(setting), "{body}: {message}");
        }
        let twice =
            "[[sources]]\napp = \"slack\"\ntoken_env = \"A\"\n[[sources]]\napp = \"slack\"\ntoken_env = \"B\"\n";
        let message = Config::from_toml_str(twice, "c.toml").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("sources[1].app"), "{message}");
        let unknown = "[[sources]]\napp = \"slack\"\ntoken_env = \"A\"\ntoken = \"xoxp-inline\"\n";
        let message = Config::from_toml_str(unknown, "c.toml").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("token") && message.contains("c.toml"), "{message}");
    }
}

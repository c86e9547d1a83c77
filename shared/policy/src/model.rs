//! The policy file schema as parsed, before compilation: every value the compiler still has to check keeps
//! the line it came from.
//!
//! ```yaml
//! id: slack_admin_role_granted          # [a-z0-9_]+, unique, not a built-in detection's id
//! name: Slack admin or owner role granted
//! description: …                        # optional; a template like the title
//! severity: high                        # informational | low | medium | high | critical, or
//!                                       # { default: medium, rules: [ { when: {filter}, severity: high } ] }
//! enabled: true                         # optional, default true
//! apps: [slack]                         # optional; empty = every app
//! filter: { all: [ {field, op, value}, { not: {…} }, { any: […] } ] }
//! match: { mode: repeated, count: 20, within: 10m, per: [user, target.id] }   # optional; default single, per user
//! alert: { title: "…{{actor.email}}…", dedup: 1h, daily_limit: 50, captures: […], maps: {…}, conditions: {…} }
//! governance: [ { action: notify-user, mode: automatic } ]
//! tests: [ { name, activities: […], expect: { alerts: 1 } } ]
//! ```

use std::time::Duration;

use chrono::{DateTime, Utc};
use saaswarden_core::{App, Severity};
use serde::{Deserialize, Serialize};

use crate::parse::Node;

/// The top-level keys of a policy file.
pub(crate) const POLICY_KEYS: &[&str] =
    &["id", "name", "description", "severity", "enabled", "apps", "filter", "match", "alert", "governance", "tests"];
pub(crate) const MATCH_KEYS: &[&str] = &["mode", "count", "within", "per"];
pub(crate) const ALERT_KEYS: &[&str] = &["title", "dedup", "daily_limit", "captures", "maps", "conditions"];
pub(crate) const SEVERITY_KEYS: &[&str] = &["default", "rules"];
pub(crate) const SEVERITY_RULE_KEYS: &[&str] = &["when", "severity"];
pub(crate) const CAPTURE_KEYS: &[&str] = &["field", "regex"];
/// The severity words, lowest first.
pub(crate) const SEVERITY_NAMES: &[&str] = &["informational", "low", "medium", "high", "critical"];
pub(crate) const GOVERNANCE_KEYS: &[&str] = &["action", "mode"];
pub(crate) const LEAF_KEYS: &[&str] = &["field", "op", "value"];
pub(crate) const TEST_KEYS: &[&str] = &["name", "activities", "expect", "start", "interval", "zendesk_users"];
pub(crate) const EXPECT_KEYS: &[&str] = &["alerts", "activity_ids", "title", "user", "severity", "description"];

/// Alerts per policy per UTC day when a policy sets no `daily_limit`: enough for any real incident, few
/// enough that a policy matching everything cannot flood the alert queue.
pub const DEFAULT_DAILY_LIMIT: u32 = 100;
/// The most matches a repeated-activity policy may require: bounds the state kept per counting key.
pub const MAX_COUNT: u32 = 10_000;

#[derive(Debug)]
pub(crate) struct PolicyModel {
    pub id: String,
    pub id_line: usize,
    pub name: String,
    pub description: Spanned<String>,
    pub severity: SeverityModel,
    pub enabled: bool,
    pub apps: Vec<App>,
    pub filter: Option<FilterModel>,
    pub matching: MatchModel,
    pub alert: AlertModel,
    pub governance: Vec<GovernanceAction>,
    pub tests: Vec<TestModel>,
}

#[derive(Debug, Clone)]
pub(crate) struct Spanned<T> {
    pub value: T,
    pub line: usize,
}

/// A filter node; `path` is where it sits in the file (`filter.all[1]`), for error messages.
#[derive(Debug)]
pub(crate) enum FilterModel {
    All(Vec<FilterModel>),
    Any(Vec<FilterModel>),
    Not(Box<FilterModel>),
    Leaf(LeafModel),
}

#[derive(Debug)]
pub(crate) struct LeafModel {
    pub path: String,
    pub field: Spanned<String>,
    pub op: Spanned<String>,
    /// `None` only for `exists`, whose value defaults to `true`.
    pub value: Option<Node>,
}

/// `severity: high`, or a default with rules: the first rule whose filter matches the alerting activity
/// gives the severity.
#[derive(Debug)]
pub(crate) struct SeverityModel {
    pub default: Severity,
    pub rules: Vec<(FilterModel, Severity)>,
}

#[derive(Debug)]
pub(crate) struct MatchModel {
    pub mode: MatchMode,
    pub per: Vec<Per>,
    /// `per` entries naming an activity field (`target.id`, `raw.details.user_id`), in the order written.
    pub per_fields: Vec<Spanned<String>>,
}

#[derive(Debug)]
pub(crate) struct AlertModel {
    pub title: Spanned<String>,
    pub dedup: Duration,
    pub daily_limit: u32,
    pub captures: Vec<CaptureModel>,
    pub maps: Vec<MapModel>,
    /// Name → filter, for `{{#if name}}` in templates.
    pub conditions: Vec<(Spanned<String>, FilterModel)>,
}

/// A value map: name → (value → words), in file order.
pub(crate) type MapModel = (Spanned<String>, Vec<(String, String)>);

/// `{field, regex}`: the regex's named groups, matched on the field's value, become template values.
#[derive(Debug)]
pub(crate) struct CaptureModel {
    pub path: String,
    pub field: Spanned<String>,
    pub regex: Spanned<String>,
}

#[derive(Debug)]
pub(crate) struct TestModel {
    pub path: String,
    pub line: usize,
    pub name: String,
    pub activities: Vec<Node>,
    pub start: Option<DateTime<Utc>>,
    pub interval: Duration,
    /// Users API `users` for the test's raw Zendesk entries, as JSON (`{"users": […]}`).
    pub zendesk_users: serde_json::Value,
    pub expect: Expect,
}

/// What an inline test expects of the alerts its activities raise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Expect {
    /// How many alerts in all.
    pub alerts: usize,
    /// The evidence of the first alert, when given.
    pub activity_ids: Option<Vec<String>>,
    /// The first alert's title, when given.
    pub title: Option<String>,
    /// The first alert's user, when given.
    pub user: Option<String>,
    /// The first alert's severity, when given.
    pub severity: Option<Severity>,
    /// The first alert's description, when given.
    pub description: Option<String>,
}

/// Single activity, or N matching activities within T.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum MatchMode {
    Single,
    Repeated {
        count: u32,
        #[serde(with = "humantime_serde_compat")]
        within: Duration,
    },
}

/// What a repeated-activity count (and the alert dedup) is kept per; the tenant is always part of the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Per {
    User,
    App,
    Ip,
    Tenant,
}

impl Per {
    pub(crate) const NAMES: &'static [&'static str] = &["user", "app", "ip", "tenant"];

    pub fn as_str(self) -> &'static str {
        match self {
            Per::User => "user",
            Per::App => "app",
            Per::Ip => "ip",
            Per::Tenant => "tenant",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Per> {
        match s {
            "user" => Some(Per::User),
            "app" => Some(Per::App),
            "ip" => Some(Per::Ip),
            "tenant" => Some(Per::Tenant),
            _ => None,
        }
    }
}

/// A governance action a policy asks for when it alerts; carried in the alert's evidence for the
/// governance service to pick up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GovernanceAction {
    pub action: GovernanceKind,
    pub mode: GovernanceMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GovernanceKind {
    NotifyUser,
    /// Revoke the user's sessions in the identity provider.
    RequireSignIn,
    SuspendUser,
}

impl GovernanceKind {
    pub(crate) const NAMES: &'static [&'static str] = &["notify-user", "require-sign-in", "suspend-user"];

    pub fn as_str(self) -> &'static str {
        match self {
            GovernanceKind::NotifyUser => "notify-user",
            GovernanceKind::RequireSignIn => "require-sign-in",
            GovernanceKind::SuspendUser => "suspend-user",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "notify-user" => Some(GovernanceKind::NotifyUser),
            "require-sign-in" => Some(GovernanceKind::RequireSignIn),
            "suspend-user" => Some(GovernanceKind::SuspendUser),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GovernanceMode {
    /// Run as soon as the alert is raised.
    Automatic,
    /// Wait for an analyst to approve it.
    Approval,
}

impl GovernanceMode {
    pub(crate) const NAMES: &'static [&'static str] = &["automatic", "approval"];

    pub fn as_str(self) -> &'static str {
        match self {
            GovernanceMode::Automatic => "automatic",
            GovernanceMode::Approval => "approval",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "automatic" => Some(GovernanceMode::Automatic),
            "approval" => Some(GovernanceMode::Approval),
            _ => None,
        }
    }
}

/// Durations serialize as humantime text (`10m`), the way policy files write them.
mod humantime_serde_compat {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }
}

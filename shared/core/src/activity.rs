//! The normalized activity: one audit-log entry of Slack or Zendesk in a shape every detection understands.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A SaaS application whose audit log saaswarden reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum App {
    Slack,
    Zendesk,
}

impl App {
    pub const ALL: [App; 2] = [App::Slack, App::Zendesk];

    pub fn as_str(self) -> &'static str {
        match self {
            App::Slack => "slack",
            App::Zendesk => "zendesk",
        }
    }
}

impl fmt::Display for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for App {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "slack" => Ok(App::Slack),
            "zendesk" => Ok(App::Zendesk),
            other => Err(format!("unknown app `{other}`: expected slack or zendesk")),
        }
    }
}

/// What kind of thing an activity is, across apps. The app's own action name is kept in
/// [`Activity::action`]; detections and policies use the category when they need to be app-agnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    SignInSuccess,
    SignInFailure,
    SignOut,
    Administrative,
    DataAccess,
    Sharing,
    Export,
    Integration,
    Settings,
    Other,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::SignInSuccess => "sign_in_success",
            Category::SignInFailure => "sign_in_failure",
            Category::SignOut => "sign_out",
            Category::Administrative => "administrative",
            Category::DataAccess => "data_access",
            Category::Sharing => "sharing",
            Category::Export => "export",
            Category::Integration => "integration",
            Category::Settings => "settings",
            Category::Other => "other",
        }
    }
}

/// Whether the action the entry records succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Unknown => "unknown",
        }
    }
}

impl FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "success" => Ok(Outcome::Success),
            "failure" => Ok(Outcome::Failure),
            "unknown" => Ok(Outcome::Unknown),
            other => Err(format!("unknown outcome `{other}`: expected success, failure or unknown")),
        }
    }
}

/// Who a principal is: a person, an app or bot, or the SaaS platform itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    App,
    /// The platform acting on its own (Slack's `USLACKUSER`, `USLACKSECURITY`; Zendesk system actions).
    System,
    Unknown,
}

/// A user, app or system account as an app names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// The app's own id (Slack `W…`/`U…`, Zendesk numeric id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Lower-cased email, the key that joins the apps to each other and to the identity provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Principal {
    pub fn unknown() -> Self {
        Principal { kind: PrincipalKind::Unknown, id: None, email: None, name: None }
    }

    /// Email if known, else the id, else the name: what a person reading an alert recognises.
    pub fn display(&self) -> &str {
        self.email.as_deref().or(self.id.as_deref()).or(self.name.as_deref()).unwrap_or("unknown")
    }
}

/// What an activity acted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The app's entity type (`user`, `channel`, `file`, `account_setting`, `ticket`, …).
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Where an IP address is, filled in by enrichment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Geo {
    /// ISO 3166-1 alpha-2 country code, upper case.
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    /// How far off the coordinates may be, in kilometres.
    #[serde(default)]
    pub accuracy_km: f64,
}

/// One normalized audit-log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// `<app>:<source id>`, unique per tenant; the deduplication key everywhere.
    pub id: String,
    pub app: App,
    pub tenant: String,
    pub occurred_at: DateTime<Utc>,
    /// The app's own action name (`user_login`, `role_change_to_admin`, `zendesk` `update`, …).
    pub action: String,
    pub category: Category,
    /// One identity acting on another identity or on the organisation's configuration (MDCA's
    /// "administrative activity" flag).
    pub administrative: bool,
    pub actor: Principal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// Who or what really performed the activity in the actor's name, where the source shows it
    /// (an app acting for a Slack user, an agent assuming a Zendesk user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonator: Option<Principal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    pub outcome: Outcome,
    /// Where the IP is, once enriched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<Geo>,
    /// Tags of the IP once enriched (`anonymous`, `tor`, `vpn`, `corporate`, an organisation's own names…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_tags: Vec<String>,
    /// The autonomous-system organisation of the IP, once enriched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn_org: Option<String>,
    /// The entry exactly as the app sent it, for forensic work.
    pub raw: serde_json::Value,
}

impl Activity {
    /// The size of the activity as JSON, without building the text.
    pub fn json_bytes(&self) -> usize {
        let mut counter = ByteCount(0);
        // Counting cannot fail, and every field serializes.
        let _ = serde_json::to_writer(&mut counter, self);
        counter.0
    }

    /// The activity with its raw entry replaced by a marker naming why and how large it was: what a queue
    /// or the audit trail keeps of an entry too large for it. The normalized fields stay, so detection still
    /// sees the activity.
    pub fn without_raw(&self, reason: &str) -> Activity {
        let mut trimmed = self.clone();
        trimmed.raw = serde_json::json!({ "omitted": reason, "bytes": self.json_bytes() });
        trimmed
    }

    /// The key that groups a person's activities across apps: their email when known, else the app's id
    /// for the actor (`slack:W123`), else the system marker.
    pub fn user_key(&self) -> String {
        if let Some(email) = &self.actor.email {
            return email.clone();
        }
        match &self.actor.id {
            Some(id) => format!("{}:{}", self.app, id),
            None => format!("{}:unknown", self.app),
        }
    }

    /// Whether a person signed in or acted, as opposed to the platform or a background job.
    pub fn is_interactive_user_activity(&self) -> bool {
        self.actor.kind == PrincipalKind::User && self.outcome != Outcome::Failure
    }

    /// A successful interactive activity the user performed themselves: no app or other person acted for
    /// them. Only such activity says where the user is; an app acting for them (a Slack app's token, an AI
    /// agent) acts from its vendor's cloud, an impersonating admin from wherever the admin is.
    pub fn is_users_own_activity(&self) -> bool {
        self.is_interactive_user_activity() && self.impersonator.is_none()
    }

    pub fn impersonated(&self) -> bool {
        self.impersonator.is_some()
    }

    /// The activity's country, once enriched.
    pub fn country(&self) -> Option<&str> {
        self.geo.as_ref().map(|g| g.country.as_str())
    }

    pub fn has_ip_tag(&self, tag: &str) -> bool {
        self.ip_tags.iter().any(|t| t == tag)
    }
}

/// Builds the activity id for an app's own entry id.
pub fn activity_id(app: App, source_id: &str) -> String {
    format!("{app}:{source_id}")
}

/// An `io::Write` that only counts.
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

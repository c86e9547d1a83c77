//! One Slack Audit Logs entry as the API sends it (an element of `entries` of `GET /audit/v1/logs`).
//!
//! Every field is optional and unknown fields are ignored: Slack adds actions, entity types and fields over
//! time. The required fields stay raw JSON here so the normalizer can say precisely what is wrong with them.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::wire::{lenient, text};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Entry {
    pub id: Option<Value>,
    pub date_create: Option<Value>,
    pub action: Option<Value>,
    #[serde(deserialize_with = "lenient")]
    pub actor: Option<Actor>,
    #[serde(deserialize_with = "lenient")]
    pub entity: Option<Entity>,
    #[serde(deserialize_with = "lenient")]
    pub context: Option<Context>,
    #[serde(deserialize_with = "lenient")]
    pub details: Option<Details>,
}

/// `{"type": "user", "user": {…}}`: the object describing the actor sits under the key its type names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Actor {
    #[serde(rename = "type", deserialize_with = "text")]
    pub kind: Option<String>,
    #[serde(flatten)]
    pub objects: Map<String, Value>,
}

impl Actor {
    /// The object under `key` (`user`, `app`, …), if it is one.
    pub fn object(&self, key: &str) -> Option<Named> {
        named(self.objects.get(key)?)
    }
}

/// `{"type": "channel", "channel": {…}}`, same shape as the actor.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Entity {
    #[serde(rename = "type", deserialize_with = "text")]
    pub kind: Option<String>,
    #[serde(flatten)]
    pub objects: Map<String, Value>,
}

impl Entity {
    pub fn object(&self, key: &str) -> Option<Named> {
        named(self.objects.get(key)?)
    }
}

/// The identifying part of a user, app, channel, file, workspace, … object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Named {
    #[serde(deserialize_with = "text")]
    pub id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub name: Option<String>,
    /// Only a string: a number here is not an email.
    #[serde(deserialize_with = "lenient")]
    pub email: Option<String>,
}

impl Named {
    pub fn is_empty(&self) -> bool {
        self.id.is_none() && self.name.is_none() && self.email.is_none()
    }
}

fn named(value: &Value) -> Option<Named> {
    if !value.is_object() {
        return None;
    }
    Named::deserialize(value).ok()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Context {
    #[serde(deserialize_with = "lenient")]
    pub location: Option<Location>,
    #[serde(deserialize_with = "text")]
    pub ua: Option<String>,
    #[serde(deserialize_with = "text")]
    pub ip_address: Option<String>,
    /// Documented as a string that may be null; some exports carry it as a number.
    #[serde(deserialize_with = "text")]
    pub session_id: Option<String>,
    /// The app through which the actor acted.
    #[serde(deserialize_with = "lenient")]
    pub app: Option<Named>,
    #[serde(deserialize_with = "lenient")]
    pub acting_agent: Option<Named>,
}

/// Where the action happened: the Enterprise organization or one of its workspaces.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Location {
    #[serde(rename = "type", deserialize_with = "text")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "text")]
    pub id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub name: Option<String>,
    #[serde(deserialize_with = "text")]
    pub domain: Option<String>,
}

/// Action-specific details; only what normalization reads is decoded, the rest stays in the raw entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Details {
    #[serde(deserialize_with = "lenient")]
    pub acting_agent: Option<Named>,
}

//! One Slack Audit Logs entry as the API sends it (an element of `entries` of `GET /audit/v1/logs`).
//!
//! Every field is optional and unknown fields are ignored: Slack adds actions, entity types and fields over
//! time. The required fields stay raw JSON here so the normalizer can say precisely what is wrong with them.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::wire::{lenient, text, text_of};

#[derive(Debug, Clone, Default)]
pub struct Entry {
    pub id: Option<Value>,
    pub date_create: Option<Value>,
    pub action: Option<Value>,
    pub actor: Option<Actor>,
    pub entity: Option<Entity>,
    pub context: Option<Context>,
    pub details: Option<Details>,
}

impl Entry {
    /// The entry's fields read from its parsed JSON. Leniently: a field that is missing, null or not of its
    /// shape is `None`, never an error. Read by hand rather than derived: serde's derive copied each nested
    /// object into a fresh value before decoding it (and the actor's and entity's twice, for their
    /// flattened objects) — a tenth of a replay's time (docs/benchmarks.md).
    pub fn from_value(entry: &Value) -> Entry {
        let field = |key: &str| entry.get(key).filter(|value| !value.is_null());
        Entry {
            id: field("id").cloned(),
            date_create: field("date_create").cloned(),
            action: field("action").cloned(),
            actor: field("actor").and_then(Tagged::from_value).map(|Tagged { kind, objects }| Actor { kind, objects }),
            entity: field("entity")
                .and_then(Tagged::from_value)
                .map(|Tagged { kind, objects }| Entity { kind, objects }),
            context: field("context").and_then(|value| Context::deserialize(value).ok()),
            details: field("details").and_then(|value| Details::deserialize(value).ok()),
        }
    }
}

/// An object with a `type` and, under other keys, the objects it describes (the actor, the entity).
struct Tagged {
    kind: Option<String>,
    objects: Map<String, Value>,
}

impl Tagged {
    fn from_value(value: &Value) -> Option<Tagged> {
        let object = value.as_object()?;
        let kind = object.get("type").and_then(text_of);
        let objects = object.iter().filter(|(key, _)| *key != "type").map(|(k, v)| (k.clone(), v.clone())).collect();
        Some(Tagged { kind, objects })
    }
}

/// `{"type": "user", "user": {…}}`: the object describing the actor sits under the key its type names.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub kind: Option<String>,
    pub objects: Map<String, Value>,
}

impl Actor {
    /// The object under `key` (`user`, `app`, …), if it is one.
    pub fn object(&self, key: &str) -> Option<Named> {
        named(self.objects.get(key)?)
    }
}

/// `{"type": "channel", "channel": {…}}`, same shape as the actor.
#[derive(Debug, Clone, Default)]
pub struct Entity {
    pub kind: Option<String>,
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

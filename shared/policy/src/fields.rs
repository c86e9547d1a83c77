//! The activity fields policies filter on and templates print, resolved once at compile time to a [`Field`]
//! so matching reads a struct field instead of looking up a path.

use std::net::IpAddr;

use saaswarden_core::activity::{Activity, PrincipalKind};
use serde_json::Value;

/// A field path of a normalized [`Activity`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    App,
    Action,
    Category,
    Administrative,
    Impersonated,
    ActorEmail,
    ActorId,
    ActorName,
    /// The part of the actor's email after the last `@`.
    ActorDomain,
    /// Membership of the actor's email in a configured user group; only `equals` / `in` apply.
    ActorGroup,
    ActorKind,
    TargetKind,
    TargetId,
    TargetName,
    ImpersonatorId,
    ImpersonatorName,
    Ip,
    IpTags,
    Country,
    City,
    AsnOrg,
    UserAgent,
    SessionId,
    Outcome,
    Tenant,
    /// `raw.<a>.<b>…`: a value of the entry exactly as the app sent it; a numeric segment indexes a list.
    Raw(Box<[Box<str>]>),
}

/// What kind of value a field holds, which decides the operators that apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    /// Free text.
    Text,
    /// Text from a fixed set of words (app, category, outcome, actor.kind); the words are checked.
    Word(&'static [&'static str]),
    Bool,
    Ip,
    /// A list of text (ip.tags): a test matches when any element does.
    TextList,
    Group,
    /// Any JSON value.
    Raw,
}

/// Every field path, for error messages and suggestions (`raw.<path>` stands for the raw entry).
pub(crate) const FIELD_NAMES: &[&str] = &[
    "app",
    "action",
    "category",
    "administrative",
    "impersonated",
    "actor.email",
    "actor.id",
    "actor.name",
    "actor.domain",
    "actor.group",
    "actor.kind",
    "target.kind",
    "target.id",
    "target.name",
    "impersonator.id",
    "impersonator.name",
    "ip",
    "ip.tags",
    "country",
    "city",
    "asn_org",
    "user_agent",
    "session_id",
    "outcome",
    "tenant",
    "raw.<path>",
];

/// The error message for a field path that is not one of [`FIELD_NAMES`].
pub(crate) fn unknown_field(given: &str) -> String {
    format!(
        "unknown activity field `{given}`{} (expected one of {})",
        crate::error::did_you_mean(given, FIELD_NAMES.iter().copied()),
        FIELD_NAMES.join(", ")
    )
}

pub(crate) const APPS: &[&str] = &["slack", "zendesk"];
pub(crate) const CATEGORIES: &[&str] = &[
    "sign_in_success",
    "sign_in_failure",
    "sign_out",
    "administrative",
    "data_access",
    "sharing",
    "export",
    "integration",
    "settings",
    "other",
];
pub(crate) const OUTCOMES: &[&str] = &["success", "failure", "unknown"];
pub(crate) const PRINCIPAL_KINDS: &[&str] = &["user", "app", "system", "unknown"];

/// A field's value in one activity, borrowed: reading a field never allocates.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FieldValue<'a> {
    Absent,
    Str(&'a str),
    Bool(bool),
    Ip(IpAddr),
    Tags(&'a [String]),
    Json(&'a Value),
}

impl Field {
    pub fn parse(path: &str) -> Option<Field> {
        if let Some(rest) = path.strip_prefix("raw.") {
            let segments: Vec<Box<str>> = rest.split('.').map(Box::from).collect();
            return (!segments.iter().any(|s| s.is_empty())).then(|| Field::Raw(segments.into()));
        }
        Some(match path {
            "app" => Field::App,
            "action" => Field::Action,
            "category" => Field::Category,
            "administrative" => Field::Administrative,
            "impersonated" => Field::Impersonated,
            "actor.email" => Field::ActorEmail,
            "actor.id" => Field::ActorId,
            "actor.name" => Field::ActorName,
            "actor.domain" => Field::ActorDomain,
            "actor.group" => Field::ActorGroup,
            "actor.kind" => Field::ActorKind,
            "target.kind" => Field::TargetKind,
            "target.id" => Field::TargetId,
            "target.name" => Field::TargetName,
            "impersonator.id" => Field::ImpersonatorId,
            "impersonator.name" => Field::ImpersonatorName,
            "ip" => Field::Ip,
            "ip.tags" => Field::IpTags,
            "country" => Field::Country,
            "city" => Field::City,
            "asn_org" => Field::AsnOrg,
            "user_agent" => Field::UserAgent,
            "session_id" => Field::SessionId,
            "outcome" => Field::Outcome,
            "tenant" => Field::Tenant,
            _ => return None,
        })
    }

    pub fn kind(&self) -> FieldKind {
        match self {
            Field::App => FieldKind::Word(APPS),
            Field::Category => FieldKind::Word(CATEGORIES),
            Field::Outcome => FieldKind::Word(OUTCOMES),
            Field::ActorKind => FieldKind::Word(PRINCIPAL_KINDS),
            Field::Administrative | Field::Impersonated => FieldKind::Bool,
            Field::Ip => FieldKind::Ip,
            Field::IpTags => FieldKind::TextList,
            Field::ActorGroup => FieldKind::Group,
            Field::Raw(_) => FieldKind::Raw,
            _ => FieldKind::Text,
        }
    }

    /// Rough cost of reading and testing the field, so `all` / `any` try cheap tests first.
    pub fn cost(&self) -> u32 {
        match self {
            Field::App | Field::Administrative | Field::Impersonated | Field::Category | Field::Outcome => 0,
            Field::ActorKind | Field::Action => 1,
            Field::Raw(_) => 4,
            Field::ActorGroup => 3,
            _ => 2,
        }
    }

    pub fn value<'a>(&self, a: &'a Activity) -> FieldValue<'a> {
        use FieldValue::{Absent, Bool, Str};
        let opt = |s: Option<&'a String>| s.map_or(Absent, |s| Str(s.as_str()));
        match self {
            Field::App => Str(a.app.as_str()),
            Field::Action => Str(&a.action),
            Field::Category => Str(a.category.as_str()),
            Field::Administrative => Bool(a.administrative),
            Field::Impersonated => Bool(a.impersonator.is_some()),
            Field::ActorEmail => opt(a.actor.email.as_ref()),
            Field::ActorId => opt(a.actor.id.as_ref()),
            Field::ActorName => opt(a.actor.name.as_ref()),
            Field::ActorDomain => match a.actor.email.as_deref().and_then(|e| e.rsplit_once('@')) {
                Some((_, domain)) => Str(domain),
                None => Absent,
            },
            // Membership is tested by the group matcher; as a value the field is the email it tests.
            Field::ActorGroup => opt(a.actor.email.as_ref()),
            Field::ActorKind => Str(principal_kind(a.actor.kind)),
            Field::TargetKind => a.target.as_ref().map_or(Absent, |t| Str(&t.kind)),
            Field::TargetId => opt(a.target.as_ref().and_then(|t| t.id.as_ref())),
            Field::TargetName => opt(a.target.as_ref().and_then(|t| t.name.as_ref())),
            Field::ImpersonatorId => opt(a.impersonator.as_ref().and_then(|p| p.id.as_ref())),
            Field::ImpersonatorName => opt(a.impersonator.as_ref().and_then(|p| p.name.as_ref())),
            Field::Ip => a.ip.map_or(Absent, FieldValue::Ip),
            Field::IpTags => FieldValue::Tags(&a.ip_tags),
            Field::Country => a.geo.as_ref().map_or(Absent, |g| Str(&g.country)),
            Field::City => opt(a.geo.as_ref().and_then(|g| g.city.as_ref())),
            Field::AsnOrg => opt(a.asn_org.as_ref()),
            Field::UserAgent => opt(a.user_agent.as_ref()),
            Field::SessionId => opt(a.session_id.as_ref()),
            Field::Outcome => Str(outcome(a.outcome)),
            Field::Tenant => Str(&a.tenant),
            Field::Raw(path) => raw(&a.raw, path).map_or(Absent, FieldValue::Json),
        }
    }
}

/// Follows a dotted path through the raw entry; a numeric segment indexes a list.
fn raw<'a>(mut value: &'a Value, path: &[Box<str>]) -> Option<&'a Value> {
    for segment in path {
        value = match value {
            Value::Object(map) => map.get(&**segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    (!value.is_null()).then_some(value)
}

pub(crate) fn principal_kind(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "user",
        PrincipalKind::App => "app",
        PrincipalKind::System => "system",
        PrincipalKind::Unknown => "unknown",
    }
}

fn outcome(outcome: saaswarden_core::Outcome) -> &'static str {
    match outcome {
        saaswarden_core::Outcome::Success => "success",
        saaswarden_core::Outcome::Failure => "failure",
        saaswarden_core::Outcome::Unknown => "unknown",
    }
}

impl FieldValue<'_> {
    /// The value as text for a title; `None` when absent or empty.
    pub fn render(&self) -> Option<String> {
        let text = match self {
            FieldValue::Absent => return None,
            FieldValue::Str(s) => s.to_string(),
            FieldValue::Bool(b) => b.to_string(),
            FieldValue::Ip(ip) => ip.to_string(),
            FieldValue::Tags(tags) => tags.join(", "),
            FieldValue::Json(Value::String(s)) => s.clone(),
            FieldValue::Json(other) => other.to_string(),
        };
        (!text.is_empty()).then_some(text)
    }
}

#[cfg(test)]
mod tests {
    use saaswarden_core::testing::{activity, t0};
    use serde_json::json;

    use super::*;

    #[test]
    fn every_documented_field_name_parses() {
        for name in FIELD_NAMES {
            let name = name.replace("<path>", "details.reason");
            assert!(Field::parse(&name).is_some(), "{name}");
        }
        for bad in ["actor", "actor.mail", "raw", "raw.", "raw.a..b", "Action"] {
            assert!(Field::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn raw_paths_walk_objects_and_list_indexes() {
        let mut a = activity("1", "alice@acme.example", t0());
        a.raw = json!({"details": {"reason": "tor", "n": null}, "scopes": ["files:read", "chat:write"]});
        let get = |path: &str| Field::parse(path).map(|f| f.value(&a).render());
        assert_eq!(get("raw.details.reason"), Some(Some("tor".into())));
        assert_eq!(get("raw.scopes.1"), Some(Some("chat:write".into())));
        assert_eq!(get("raw.scopes.7"), Some(None));
        assert_eq!(get("raw.details.n"), Some(None));
        assert_eq!(get("raw.details.reason.deeper"), Some(None));
    }

    #[test]
    fn derived_fields_read_from_the_activity() {
        let a = activity("1", "alice@acme.example", t0()).with_ip("10.1.2.3").with_tags(&["corporate", "vpn"]);
        let get = |path: &str| Field::parse(path).and_then(|f| f.value(&a).render());
        assert_eq!(get("actor.domain").as_deref(), Some("acme.example"));
        assert_eq!(get("ip").as_deref(), Some("10.1.2.3"));
        assert_eq!(get("ip.tags").as_deref(), Some("corporate, vpn"));
        assert_eq!(get("impersonated").as_deref(), Some("false"));
        assert_eq!(get("actor.kind").as_deref(), Some("user"));
        assert_eq!(get("country"), None);
    }
}

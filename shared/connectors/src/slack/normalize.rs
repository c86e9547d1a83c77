//! A Slack Audit Logs entry to an [`Activity`].

use chrono::{DateTime, Utc};
use saaswarden_core::activity::{Activity, App, Principal, PrincipalKind, Target, activity_id};
use serde_json::Value;

use super::actions::{self, Circumstances};
use super::wire::{Actor, Entity, Entry, Named};
use crate::error::NormalizeError;
use crate::normalize::{email, ip};

/// Slack's own accounts: `USLACKUSER` when no person performed the action, `USLACKSECURITY` for Slack's
/// security systems.
const SYSTEM_USER_IDS: [&str; 2] = ["USLACKUSER", "USLACKSECURITY"];

/// The latest instant chrono and every store downstream handle (9999-12-31T23:59:59Z); anything later in
/// `date_create` is a corrupt value, not a date.
const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

/// Normalizes one Slack Audit Logs entry (an element of `entries`).
///
/// Required: `id` (non-empty string), `date_create` (Unix seconds), `action` (string). Everything else is
/// optional and tolerated when missing, unknown or of the wrong type.
pub fn normalize(entry: &Value, tenant: &str) -> Result<Activity, NormalizeError> {
    if !entry.is_object() {
        return Err(NormalizeError::not_an_object(entry));
    }
    // Every wire field is optional and lenient, so reading an object cannot fail.
    let wire = Entry::from_value(entry);

    let id = entry_id(wire.id.as_ref())?;
    let occurred_at = occurred_at(wire.date_create.as_ref(), id)?;
    let action = action(wire.action.as_ref(), id)?;

    let actor = actor(wire.actor.as_ref());
    let target = target(wire.entity.as_ref());
    let context = wire.context.unwrap_or_default();
    let impersonator =
        impersonator(&actor, context.acting_agent, wire.details.and_then(|d| d.acting_agent), context.app);

    let on_own_account = matches!(
        (&actor.id, &target),
        (Some(actor_id), Some(Target { kind, id: Some(target_id), .. })) if kind == "user" && actor_id == target_id
    );
    let org_level = context.location.as_ref().and_then(|l| l.kind.as_deref()) == Some("enterprise");
    let class = actions::classify(action, Circumstances { on_own_account, org_level });

    Ok(Activity {
        id: activity_id(App::Slack, id),
        app: App::Slack,
        tenant: tenant.to_owned(),
        occurred_at,
        action: action.to_owned(),
        category: class.category,
        administrative: class.administrative,
        actor,
        target,
        impersonator,
        ip: ip(context.ip_address.as_deref(), id),
        user_agent: context.ua,
        session_id: context.session_id,
        outcome: class.outcome,
        geo: None,
        ip_tags: Vec::new(),
        asn_org: None,
        raw: entry.clone(),
    })
}

fn entry_id(value: Option<&Value>) -> Result<&str, NormalizeError> {
    match value {
        None => Err(NormalizeError::missing(None, "id")),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
        Some(other) => Err(NormalizeError::invalid(None, "id", "a non-empty string", other)),
    }
}

fn occurred_at(value: Option<&Value>, id: &str) -> Result<DateTime<Utc>, NormalizeError> {
    let Some(value) = value else {
        return Err(NormalizeError::missing(Some(id), "date_create"));
    };
    let Value::Number(number) = value else {
        return Err(NormalizeError::invalid(Some(id), "date_create", "Unix seconds", value));
    };
    let out_of_range =
        || NormalizeError::invalid(Some(id), "date_create", "Unix seconds from 0 to 253402300799", value);
    let time = if let Some(seconds) = number.as_i64() {
        (0..=MAX_UNIX_SECONDS).contains(&seconds).then(|| DateTime::from_timestamp(seconds, 0)).flatten()
    } else {
        // Slack documents whole seconds; a fractional export keeps its fraction rather than failing.
        number.as_f64().filter(|s| s.is_finite() && (0.0..=MAX_UNIX_SECONDS as f64).contains(s)).and_then(|s| {
            let nanos = ((s.fract() * 1e9).round() as u32).min(999_999_999);
            DateTime::from_timestamp(s.trunc() as i64, nanos)
        })
    };
    time.ok_or_else(out_of_range)
}

fn action<'a>(value: Option<&'a Value>, id: &str) -> Result<&'a str, NormalizeError> {
    match value {
        None => Err(NormalizeError::missing(Some(id), "action")),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
        Some(other) => Err(NormalizeError::invalid(Some(id), "action", "an action name (a non-empty string)", other)),
    }
}

/// Slack documents the actor as always a user; the object under the key `type` names is read for other
/// types too, so an app or bot actor keeps its id.
fn actor(actor: Option<&Actor>) -> Principal {
    let Some(actor) = actor else {
        return Principal::unknown();
    };
    let key = actor.kind.as_deref().unwrap_or("user");
    let Some(named) = actor.object(key).filter(|n| !n.is_empty()) else {
        return Principal::unknown();
    };
    let kind = if key == "user" {
        match named.id.as_deref() {
            Some(id) if SYSTEM_USER_IDS.contains(&id) => PrincipalKind::System,
            None if named.email.is_none() => PrincipalKind::Unknown,
            _ => PrincipalKind::User,
        }
    } else if named.id.is_some() {
        PrincipalKind::App
    } else {
        PrincipalKind::Unknown
    };
    Principal { kind, id: named.id, email: email(named.email.as_deref()), name: named.name }
}

/// The entity under the key its `type` names. A user target falls back to its email for a name, so an
/// alert about a role change shows whom it was done to.
fn target(entity: Option<&Entity>) -> Option<Target> {
    let entity = entity?;
    let kind = entity.kind.clone()?;
    let named = entity.object(&kind).unwrap_or_default();
    let name = if kind == "user" { named.name.or_else(|| email(named.email.as_deref())) } else { named.name };
    Some(Target { kind, id: named.id, name })
}

/// Who acted in a user's name. Slack has no "log in as"; what it shows is an app acting with the user's
/// token (`context.app`) and, for AI agents, an `acting_agent` object. `acting_agent` is not in Slack's
/// published schema, so both places it could appear (`context`, `details`) are read, tolerantly, and
/// preferred over `context.app` as the more specific of the two.
fn impersonator(
    actor: &Principal,
    context_agent: Option<Named>,
    details_agent: Option<Named>,
    context_app: Option<Named>,
) -> Option<Principal> {
    if actor.kind != PrincipalKind::User {
        return None;
    }
    [context_agent, details_agent, context_app]
        .into_iter()
        .flatten()
        .find(|n| n.id.is_some() || n.name.is_some())
        .map(|n| Principal { kind: PrincipalKind::App, id: n.id, email: None, name: n.name })
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use saaswarden_core::activity::{Category, Outcome};
    use serde_json::json;

    use super::*;

    const TENANT: &str = "acme";

    /// The example entry of Slack's Audit Logs documentation.
    fn documented_entry() -> Value {
        json!({
            "id": "0123a45b-6c7d-8900-e12f-3456789gh0i1",
            "date_create": 1521214343,
            "action": "user_login",
            "actor": {
                "type": "user",
                "user": {"id": "W123AB456", "name": "Charlie Parker", "email": "bird@slack.com", "team": "T01234N56GB"}
            },
            "entity": {
                "type": "user",
                "user": {"id": "W123AB456", "name": "Charlie Parker", "email": "bird@slack.com"}
            },
            "context": {
                "location": {"type": "enterprise", "id": "E1701NCCA", "name": "Birdland", "domain": "birdland"},
                "ua": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_3)",
                "session_id": "847288190092",
                "ip_address": "1.23.45.67"
            },
            "details": {}
        })
    }

    /// Sets the value at a JSON pointer, adding the last key if its parent object lacks it.
    fn with(mut entry: Value, pointer: &str, value: Value) -> Value {
        let (parent, key) = pointer.rsplit_once('/').expect("pointer has a key");
        let parent = entry.pointer_mut(parent).and_then(Value::as_object_mut).expect("parent is an object");
        parent.insert(key.to_owned(), value);
        entry
    }

    fn without(mut entry: Value, parent: &str, key: &str) -> Value {
        if let Some(object) = entry.pointer_mut(parent).and_then(Value::as_object_mut) {
            object.remove(key);
        }
        entry
    }

    fn ok(entry: &Value) -> Activity {
        normalize(entry, TENANT).expect("entry normalizes")
    }

    #[test]
    fn documented_example_normalizes_to_a_successful_sign_in() {
        let entry = documented_entry();
        let activity = ok(&entry);

        assert_eq!(activity.id, "slack:0123a45b-6c7d-8900-e12f-3456789gh0i1");
        assert_eq!(activity.app, App::Slack);
        assert_eq!(activity.tenant, TENANT);
        assert_eq!(activity.occurred_at.to_rfc3339(), "2018-03-16T15:32:23+00:00");
        assert_eq!(activity.action, "user_login");
        assert_eq!(activity.category, Category::SignInSuccess);
        assert!(!activity.administrative);
        assert_eq!(activity.outcome, Outcome::Success);
        assert_eq!(
            activity.actor,
            Principal {
                kind: PrincipalKind::User,
                id: Some("W123AB456".into()),
                email: Some("bird@slack.com".into()),
                name: Some("Charlie Parker".into()),
            }
        );
        assert_eq!(
            activity.target,
            Some(Target { kind: "user".into(), id: Some("W123AB456".into()), name: Some("Charlie Parker".into()) })
        );
        assert_eq!(activity.ip, Some("1.23.45.67".parse::<IpAddr>().expect("ip")));
        assert_eq!(activity.user_agent.as_deref(), Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_3)"));
        assert_eq!(activity.session_id.as_deref(), Some("847288190092"));
        assert_eq!(activity.impersonator, None);
        assert_eq!(activity.raw, entry);
        assert_eq!(activity.geo, None);
        assert!(activity.ip_tags.is_empty());
    }

    #[test]
    fn actor_email_is_trimmed_and_lower_cased() {
        let entry = with(documented_entry(), "/actor/user/email", json!("  Bird@Slack.COM "));
        assert_eq!(ok(&entry).actor.email.as_deref(), Some("bird@slack.com"));
    }

    #[test]
    fn slack_system_accounts_are_system_principals() {
        for id in ["USLACKUSER", "USLACKSECURITY"] {
            let entry = with(documented_entry(), "/actor/user", json!({"id": id, "name": "Slack"}));
            let actor = ok(&entry).actor;
            assert_eq!(actor.kind, PrincipalKind::System, "{id}");
            assert_eq!(actor.id.as_deref(), Some(id));
            assert_eq!(actor.email, None);
        }
    }

    #[test]
    fn missing_or_empty_actor_is_unknown() {
        let cases = [
            ("no actor", without(documented_entry(), "", "actor")),
            ("null actor", with(documented_entry(), "/actor", json!(null))),
            ("actor of wrong type", with(documented_entry(), "/actor", json!("W123AB456"))),
            ("actor without user", with(documented_entry(), "/actor", json!({"type": "user"}))),
            ("user without id or email", with(documented_entry(), "/actor/user", json!({"team": "T1"}))),
        ];
        for (name, entry) in cases {
            assert_eq!(ok(&entry).actor.kind, PrincipalKind::Unknown, "{name}");
        }
    }

    #[test]
    fn non_user_actor_with_an_id_is_an_app() {
        let entry =
            with(documented_entry(), "/actor", json!({"type": "app", "app": {"id": "A0123", "name": "Deployer"}}));
        let actor = ok(&entry).actor;
        assert_eq!(
            actor,
            Principal {
                kind: PrincipalKind::App,
                id: Some("A0123".into()),
                email: None,
                name: Some("Deployer".into())
            }
        );
    }

    #[test]
    fn session_id_may_be_null_missing_or_a_number() {
        let cases = [
            (with(documented_entry(), "/context/session_id", json!(null)), None),
            (without(documented_entry(), "/context", "session_id"), None),
            (with(documented_entry(), "/context/session_id", json!(847288190092_u64)), Some("847288190092")),
        ];
        for (entry, expected) in cases {
            assert_eq!(ok(&entry).session_id.as_deref(), expected);
        }
    }

    #[test]
    fn ip_address_parses_v4_and_v6_and_drops_what_does_not_parse() {
        let cases = [
            (json!("2001:db8:85a3::8a2e:370:7334"), Some("2001:db8:85a3::8a2e:370:7334")),
            (json!("216.160.83.56"), Some("216.160.83.56")),
            (json!(""), None),
            (json!("not-an-ip"), None),
            (json!(null), None),
            (json!(12345), None),
        ];
        for (raw, expected) in cases {
            let entry = with(documented_entry(), "/context/ip_address", raw.clone());
            assert_eq!(ok(&entry).ip.map(|ip| ip.to_string()).as_deref(), expected, "{raw}");
        }
        let entry = without(documented_entry(), "/context", "ip_address");
        assert_eq!(ok(&entry).ip, None);
    }

    #[test]
    fn unknown_action_is_other_and_not_administrative() {
        let entry = with(documented_entry(), "/action", json!("hologram_meeting_started"));
        let activity = ok(&entry);
        assert_eq!(activity.action, "hologram_meeting_started");
        assert_eq!(activity.category, Category::Other);
        assert!(!activity.administrative);
        assert_eq!(activity.outcome, Outcome::Success);
    }

    #[test]
    fn unknown_entity_type_becomes_a_target_of_that_kind() {
        let entry = with(
            documented_entry(),
            "/entity",
            json!({"type": "canvas", "canvas": {"id": "F0CANVAS1", "name": "Q4 plan"}}),
        );
        assert_eq!(
            ok(&entry).target,
            Some(Target { kind: "canvas".into(), id: Some("F0CANVAS1".into()), name: Some("Q4 plan".into()) })
        );
    }

    #[test]
    fn target_is_absent_without_an_entity_type() {
        let cases = [
            without(documented_entry(), "", "entity"),
            with(documented_entry(), "/entity", json!({"user": {"id": "W1"}})),
            with(documented_entry(), "/entity", json!([])),
        ];
        for entry in cases {
            assert_eq!(ok(&entry).target, None, "{}", entry["entity"]);
        }
    }

    #[test]
    fn user_target_without_a_name_is_named_by_email() {
        let entry = with(documented_entry(), "/entity/user", json!({"id": "W999", "email": "Dizzy@Slack.com"}));
        assert_eq!(ok(&entry).target.and_then(|t| t.name).as_deref(), Some("dizzy@slack.com"));
    }

    #[test]
    fn app_acting_for_a_user_is_the_impersonator() {
        let entry = with(documented_entry(), "/context/app", json!({"id": "A0ZAPIER", "name": "Zapier"}));
        let entry = with(entry, "/action", json!("file_downloaded"));
        let activity = ok(&entry);
        assert_eq!(activity.actor.email.as_deref(), Some("bird@slack.com"));
        assert_eq!(
            activity.impersonator,
            Some(Principal {
                kind: PrincipalKind::App,
                id: Some("A0ZAPIER".into()),
                email: None,
                name: Some("Zapier".into())
            })
        );
        assert!(activity.impersonated());
    }

    #[test]
    fn acting_agent_is_preferred_over_the_app() {
        let agent = json!({"id": "B0AGENT", "name": "Research agent"});
        let app = json!({"id": "A0APP", "name": "Agent platform"});
        let cases = [
            with(with(documented_entry(), "/context/app", app.clone()), "/details", json!({"acting_agent": agent})),
            with(documented_entry(), "/context", json!({"app": app, "acting_agent": agent})),
        ];
        for entry in cases {
            let impersonator = ok(&entry).impersonator.expect("impersonated");
            assert_eq!(impersonator.id.as_deref(), Some("B0AGENT"));
        }
    }

    #[test]
    fn app_context_is_not_impersonation_when_slack_itself_acts() {
        let entry = with(documented_entry(), "/actor/user", json!({"id": "USLACKUSER", "name": "Slack"}));
        let entry = with(entry, "/context/app", json!({"id": "A0APP", "name": "Some app"}));
        assert_eq!(ok(&entry).impersonator, None);
    }

    #[test]
    fn impersonator_needs_an_id_or_name() {
        let entry = with(documented_entry(), "/context/app", json!({"is_distributed": true}));
        assert_eq!(ok(&entry).impersonator, None);
    }

    #[test]
    fn changing_own_email_is_a_setting_and_someone_elses_is_administrative() {
        let own = with(documented_entry(), "/action", json!("user_email_updated"));
        let other = with(own.clone(), "/entity/user/id", json!("W999OTHER"));

        let own = ok(&own);
        assert_eq!((own.category, own.administrative), (Category::Settings, false));
        let other = ok(&other);
        assert_eq!((other.category, other.administrative), (Category::Administrative, true));
    }

    #[test]
    fn app_install_is_administrative_only_at_org_level() {
        let org = with(documented_entry(), "/action", json!("app_installed"));
        let workspace = with(org.clone(), "/context/location/type", json!("workspace"));
        assert!(ok(&org).administrative);
        assert!(!ok(&workspace).administrative);
    }

    #[test]
    fn failed_sign_in_has_a_failure_outcome() {
        let entry = with(documented_entry(), "/action", json!("user_login_failed"));
        let activity = ok(&entry);
        assert_eq!((activity.category, activity.outcome), (Category::SignInFailure, Outcome::Failure));
    }

    #[test]
    fn unknown_fields_and_wrong_typed_optional_fields_are_tolerated() {
        let mut entry = documented_entry();
        entry["brand_new_field"] = json!({"nested": [1, 2, 3]});
        entry["context"]["ua"] = json!(["not", "a", "string"]);
        entry["context"]["location"] = json!("somewhere");
        entry["context"]["app"] = json!(42);
        entry["actor"]["user"]["name"] = json!({"first": "Charlie"});
        entry["actor"]["user"]["shoe_size"] = json!(44);
        entry["details"] = json!("free text");
        let activity = ok(&entry);
        assert_eq!(activity.actor.id.as_deref(), Some("W123AB456"));
        assert_eq!(activity.actor.name, None);
        assert_eq!(activity.user_agent, None);
        assert_eq!(activity.impersonator, None);
        assert_eq!(activity.raw["brand_new_field"]["nested"][2], 3);
    }

    #[test]
    fn fractional_date_create_keeps_its_fraction() {
        let entry = with(documented_entry(), "/date_create", json!(1521214343.5));
        assert_eq!(ok(&entry).occurred_at.timestamp_millis(), 1_521_214_343_500);
    }

    #[test]
    fn bad_required_fields_are_errors_naming_entry_and_field() {
        const ID: &str = "0123a45b-6c7d-8900-e12f-3456789gh0i1";
        #[rustfmt::skip]
        let cases = [
            (without(documented_entry(), "", "id"),                    None,     "id",          "field `id`: missing"),
            (with(documented_entry(), "/id", json!("")),               None,     "id",          "field `id`: expected a non-empty string, got \"\""),
            (with(documented_entry(), "/id", json!(17)),               None,     "id",          "field `id`: expected a non-empty string, got 17"),
            (without(documented_entry(), "", "date_create"),           Some(ID), "date_create", "field `date_create`: missing"),
            (with(documented_entry(), "/date_create", json!(null)),    Some(ID), "date_create", "field `date_create`: missing"),
            (with(documented_entry(), "/date_create", json!("yesterday")), Some(ID), "date_create", "field `date_create`: expected Unix seconds, got \"yesterday\""),
            (with(documented_entry(), "/date_create", json!("1521214343")), Some(ID), "date_create", "field `date_create`: expected Unix seconds, got \"1521214343\""),
            (with(documented_entry(), "/date_create", json!(-5)),      Some(ID), "date_create", "field `date_create`: expected Unix seconds from 0 to 253402300799, got -5"),
            (with(documented_entry(), "/date_create", json!(99999999999999_i64)), Some(ID), "date_create", "field `date_create`: expected Unix seconds from 0 to 253402300799, got 99999999999999"),
            (with(documented_entry(), "/date_create", json!(1e300)),   Some(ID), "date_create", "field `date_create`: expected Unix seconds from 0 to 253402300799, got 1e+300"),
            (without(documented_entry(), "", "action"),                Some(ID), "action",      "field `action`: missing"),
            (with(documented_entry(), "/action", json!(7)),            Some(ID), "action",      "field `action`: expected an action name (a non-empty string), got 7"),
        ];
        for (entry, entry_id, field, message) in cases {
            let err = normalize(&entry, TENANT).expect_err("entry is rejected");
            assert_eq!(err.entry_id(), entry_id, "{err}");
            assert_eq!(err.field(), Some(field), "{err}");
            let expected = match entry_id {
                Some(id) => format!("entry {id}: {message}"),
                None => message.to_owned(),
            };
            assert_eq!(err.to_string(), expected);
        }
    }

    /// Every JSON pointer into `value`, parents before children.
    fn pointers(value: &Value, prefix: String, out: &mut Vec<String>) {
        if let Value::Object(object) = value {
            for (key, child) in object {
                let pointer = format!("{prefix}/{key}");
                out.push(pointer.clone());
                pointers(child, pointer, out);
            }
        }
    }

    #[test]
    fn any_field_of_any_type_normalizes_or_names_a_required_field() {
        let odd_values = [
            json!(null),
            json!(true),
            json!(-1),
            json!(1.5),
            json!(""),
            json!("x"),
            json!([]),
            json!([1]),
            json!({}),
            json!({"id": 5, "type": []}),
        ];
        let mut all = Vec::new();
        pointers(&documented_entry(), String::new(), &mut all);
        for pointer in &all {
            for odd in &odd_values {
                let entry = with(documented_entry(), pointer, odd.clone());
                match normalize(&entry, TENANT) {
                    Ok(activity) => assert_eq!(activity.raw, entry),
                    Err(err) => {
                        let field = err.field().map(|f| format!("/{f}"));
                        assert_eq!(field.as_deref(), Some(pointer.as_str()), "{pointer} = {odd}: {err}");
                    }
                }
            }
        }
    }

    #[test]
    fn entries_that_are_not_objects_are_errors() {
        for entry in [json!(42), json!("entry"), json!(null), json!([documented_entry()])] {
            let err = normalize(&entry, TENANT).expect_err("not an object");
            assert_eq!(err.entry_id(), None);
            assert_eq!(err.field(), None);
            assert!(err.to_string().starts_with("expected a JSON object, got "), "{err}");
        }
    }
}

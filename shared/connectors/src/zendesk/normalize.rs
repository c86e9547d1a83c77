//! A Zendesk Audit Logs entry to an [`Activity`].

use chrono::{DateTime, Utc};
use saaswarden_core::activity::{Activity, App, Principal, PrincipalKind, Target, activity_id};
use serde::Deserialize;
use serde_json::Value;

use super::actions::{self, Facts};
use super::users::ZendeskUsers;
use super::wire::Entry;
use crate::error::NormalizeError;
use crate::normalize::{email, ip};
use crate::wire::integer_of;

/// Names Zendesk gives its own automatic changes.
const SYSTEM_ACTOR_NAMES: [&str; 2] = ["zendesk", "system"];

/// Normalizes one Zendesk Audit Logs entry (an element of `audit_logs`); the actor's email comes from
/// `users`.
///
/// Required: `id` (integer or numeric string), `created_at` (RFC 3339), `action` (string). Everything else
/// is optional and tolerated when missing, unknown or of the wrong type.
///
/// The audit log has no user agent or session id, and no per-action marker of an agent assuming a user
/// (only the `account_setting` that allows assuming users is logged), so `user_agent`, `session_id` and
/// `impersonator` are always `None`: guessing impersonation from free text would raise false alerts.
pub fn normalize(entry: &Value, tenant: &str, users: &ZendeskUsers) -> Result<Activity, NormalizeError> {
    if !entry.is_object() {
        return Err(NormalizeError::not_an_object(entry));
    }
    // Every wire field is optional and lenient, so decoding an object cannot fail.
    let wire = Entry::deserialize(entry).unwrap_or_default();

    let id = entry_id(wire.id.as_ref())?;
    let occurred_at = occurred_at(wire.created_at.as_ref(), &id, "created_at")?;
    let action = action(wire.action.as_ref(), &id)?;

    let actor = actor(wire.actor_id, wire.actor_name.as_deref(), users);
    let target = target(wire.source_type.as_deref(), wire.source_id.as_deref(), wire.source_label.as_deref());
    let on_own_account = matches!(
        (&actor.id, &target),
        (Some(actor_id), Some(Target { kind, id: Some(source_id), .. }))
            if kind.eq_ignore_ascii_case("user") && actor_id == source_id
    );
    let class = actions::classify(Facts {
        action,
        source_type: wire.source_type.as_deref(),
        change_description: wire.change_description.as_deref(),
        on_own_account,
    });

    Ok(Activity {
        id: activity_id(App::Zendesk, &id),
        app: App::Zendesk,
        tenant: tenant.to_owned(),
        occurred_at,
        action: action.to_owned(),
        category: class.category,
        administrative: class.administrative,
        actor,
        target,
        impersonator: None,
        ip: ip(wire.ip_address.as_deref(), &id),
        user_agent: None,
        session_id: None,
        outcome: class.outcome,
        geo: None,
        ip_tags: Vec::new(),
        asn_org: None,
        raw: entry.clone(),
    })
}

fn entry_id(value: Option<&Value>) -> Result<String, NormalizeError> {
    let Some(value) = value else {
        return Err(NormalizeError::missing(None, "id"));
    };
    match integer_of(value) {
        Some(id) if id >= 0 => Ok(id.to_string()),
        _ => Err(NormalizeError::invalid(None, "id", "a non-negative integer", value)),
    }
}

/// An RFC 3339 time in `field` (`created_at` in the audit log, `timestamp` in the access log).
pub(super) fn occurred_at(
    value: Option<&Value>,
    id: &str,
    field: &'static str,
) -> Result<DateTime<Utc>, NormalizeError> {
    let Some(value) = value else {
        return Err(NormalizeError::missing(Some(id), field));
    };
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| NormalizeError::invalid(Some(id), field, "an RFC 3339 date-time", value))
}

fn action<'a>(value: Option<&'a Value>, id: &str) -> Result<&'a str, NormalizeError> {
    match value {
        None => Err(NormalizeError::missing(Some(id), "action")),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
        Some(other) => Err(NormalizeError::invalid(Some(id), "action", "an action name (a non-empty string)", other)),
    }
}

/// System changes carry actor id -1 (or 0) or a system name. An id the directory does not know stays a
/// user with its id and name: the entry is kept, only its email is unknown.
pub(super) fn actor(actor_id: Option<i64>, actor_name: Option<&str>, users: &ZendeskUsers) -> Principal {
    let named_system = actor_name.is_some_and(|n| SYSTEM_ACTOR_NAMES.contains(&n.trim().to_lowercase().as_str()));
    let id = actor_id.map(|id| id.to_string());
    let name = actor_name.map(str::to_owned);
    match actor_id {
        Some(-1 | 0) => Principal { kind: PrincipalKind::System, id, email: None, name },
        _ if named_system => Principal { kind: PrincipalKind::System, id, email: None, name },
        None => Principal { kind: PrincipalKind::Unknown, id: None, email: None, name },
        Some(actor_id) => match users.get(actor_id) {
            Some(user) => Principal {
                kind: PrincipalKind::User,
                id,
                email: email(user.email.as_deref()),
                name: user.name.clone().or(name),
            },
            None => {
                tracing::debug!(actor_id, "Zendesk actor not in the users directory; keeping it unresolved");
                Principal { kind: PrincipalKind::User, id, email: None, name }
            }
        },
    }
}

fn target(source_type: Option<&str>, source_id: Option<&str>, source_label: Option<&str>) -> Option<Target> {
    if source_type.is_none() && source_id.is_none() && source_label.is_none() {
        return None;
    }
    Some(Target {
        // Keeps the id and label of an entry whose type is missing rather than dropping what is known.
        kind: source_type.unwrap_or("unknown").to_owned(),
        id: source_id.map(str::to_owned),
        name: source_label.map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use saaswarden_core::activity::{Category, Outcome};
    use serde_json::json;

    use super::*;
    use crate::zendesk::testing::{assert_any_field_of_any_type_is_tolerated_or_named, directory, with, without};

    const TENANT: &str = "acme";

    /// The example entry of Zendesk's Audit Logs documentation.
    fn documented_entry() -> Value {
        json!({
            "action": "update",
            "action_label": "Updated",
            "actor_id": 1234,
            "actor_name": "Sameer Patel",
            "change_description": "Role changed from Administrator to End User",
            "created_at": "2012-03-05T11:32:44Z",
            "id": 498483,
            "ip_address": "209.119.38.228",
            "source_id": 3456,
            "source_label": "John Doe",
            "source_type": "user",
            "url": "https://company.zendesk.com/api/v2/audit_logs/498483"
        })
    }

    fn users() -> ZendeskUsers {
        directory(1234, "Sameer Patel", "Sameer.Patel@Company.example", "admin")
    }

    fn ok(entry: &Value) -> Activity {
        normalize(entry, TENANT, &users()).expect("entry normalizes")
    }

    #[test]
    fn documented_example_normalizes_to_an_administrative_role_change() {
        let entry = documented_entry();
        let activity = ok(&entry);

        assert_eq!(activity.id, "zendesk:498483");
        assert_eq!(activity.app, App::Zendesk);
        assert_eq!(activity.tenant, TENANT);
        assert_eq!(activity.occurred_at.to_rfc3339(), "2012-03-05T11:32:44+00:00");
        assert_eq!(activity.action, "update");
        assert_eq!(activity.category, Category::Administrative);
        assert!(activity.administrative);
        assert_eq!(activity.outcome, Outcome::Success);
        assert_eq!(
            activity.actor,
            Principal {
                kind: PrincipalKind::User,
                id: Some("1234".into()),
                email: Some("sameer.patel@company.example".into()),
                name: Some("Sameer Patel".into()),
            }
        );
        assert_eq!(
            activity.target,
            Some(Target { kind: "user".into(), id: Some("3456".into()), name: Some("John Doe".into()) })
        );
        assert_eq!(activity.ip, Some("209.119.38.228".parse::<IpAddr>().expect("ip")));
        assert_eq!(activity.user_agent, None);
        assert_eq!(activity.session_id, None);
        assert_eq!(activity.impersonator, None);
        assert_eq!(activity.raw, entry);
    }

    #[test]
    fn successful_sign_in_is_a_sign_in_success() {
        let entry = with(documented_entry(), "action", json!("login"));
        let entry = with(entry, "source_id", json!(1234));
        let entry = with(entry, "change_description", json!("Successful sign-in using Zendesk password"));
        let activity = ok(&entry);
        assert_eq!(activity.category, Category::SignInSuccess);
        assert!(!activity.administrative);
        assert_eq!(activity.outcome, Outcome::Success);
    }

    #[test]
    fn system_actors_are_system_principals() {
        let cases = [
            (json!(-1), json!("Zendesk")),
            (json!(0), json!("Someone")),
            (json!(-1), json!(null)),
            (json!(777), json!("System")),
            (json!(null), json!("zendesk")),
        ];
        for (actor_id, actor_name) in cases {
            let entry = with(with(documented_entry(), "actor_id", actor_id.clone()), "actor_name", actor_name.clone());
            let actor = ok(&entry).actor;
            assert_eq!(actor.kind, PrincipalKind::System, "{actor_id} {actor_name}");
            assert_eq!(actor.email, None);
        }
    }

    #[test]
    fn unresolved_actor_is_kept_as_a_user_without_email() {
        let entry = with(documented_entry(), "actor_id", json!(99999));
        let entry = with(entry, "actor_name", json!("Departed Admin"));
        let activity = ok(&entry);
        assert_eq!(
            activity.actor,
            Principal {
                kind: PrincipalKind::User,
                id: Some("99999".into()),
                email: None,
                name: Some("Departed Admin".into()),
            }
        );
        assert_eq!(activity.user_key(), "zendesk:99999");
    }

    #[test]
    fn resolution_works_with_an_empty_directory() {
        let activity = normalize(&documented_entry(), TENANT, &ZendeskUsers::default()).expect("normalizes");
        assert_eq!(activity.actor.kind, PrincipalKind::User);
        assert_eq!(activity.actor.email, None);
        assert_eq!(activity.actor.name.as_deref(), Some("Sameer Patel"));
    }

    #[test]
    fn missing_or_wrong_typed_actor_id_is_an_unknown_actor() {
        for actor_id in [json!(null), json!("abc"), json!({"id": 1})] {
            let entry = with(documented_entry(), "actor_id", actor_id.clone());
            let actor = ok(&entry).actor;
            assert_eq!(actor.kind, PrincipalKind::Unknown, "{actor_id}");
            assert_eq!(actor.name.as_deref(), Some("Sameer Patel"));
        }
        let actor = ok(&without(documented_entry(), "actor_id")).actor;
        assert_eq!(actor.kind, PrincipalKind::Unknown);
    }

    #[test]
    fn numeric_string_actor_id_resolves() {
        let entry = with(documented_entry(), "actor_id", json!("1234"));
        assert_eq!(ok(&entry).actor.email.as_deref(), Some("sameer.patel@company.example"));
    }

    #[test]
    fn ip_address_parses_v4_and_v6_and_drops_what_does_not_parse() {
        let cases = [
            (json!("2a02:c7f:7e26:ee00::1"), Some("2a02:c7f:7e26:ee00::1")),
            (json!("89.160.20.112"), Some("89.160.20.112")),
            (json!(""), None),
            (json!("garbage"), None),
            (json!(null), None),
        ];
        for (raw, expected) in cases {
            let entry = with(documented_entry(), "ip_address", raw.clone());
            assert_eq!(ok(&entry).ip.map(|ip| ip.to_string()).as_deref(), expected, "{raw}");
        }
        assert_eq!(ok(&without(documented_entry(), "ip_address")).ip, None);
    }

    #[test]
    fn unknown_source_type_is_other_with_its_target_kept() {
        let entry = with(documented_entry(), "source_type", json!("hologram_projector"));
        let activity = ok(&entry);
        assert_eq!(activity.category, Category::Other);
        assert!(!activity.administrative);
        assert_eq!(
            activity.target,
            Some(Target { kind: "hologram_projector".into(), id: Some("3456".into()), name: Some("John Doe".into()) })
        );
    }

    #[test]
    fn target_without_type_keeps_id_and_label_and_is_absent_when_empty() {
        let entry = without(documented_entry(), "source_type");
        assert_eq!(
            ok(&entry).target,
            Some(Target { kind: "unknown".into(), id: Some("3456".into()), name: Some("John Doe".into()) })
        );
        let entry = without(without(entry, "source_id"), "source_label");
        assert_eq!(ok(&entry).target, None);
    }

    #[test]
    fn updating_own_user_record_is_not_administrative() {
        let entry = with(documented_entry(), "source_id", json!(1234));
        let entry = with(entry, "change_description", json!("Time zone changed"));
        let activity = ok(&entry);
        assert_eq!((activity.category, activity.administrative), (Category::Settings, false));
    }

    #[test]
    fn unknown_fields_and_wrong_typed_optional_fields_are_tolerated() {
        let mut entry = documented_entry();
        entry["brand_new_field"] = json!([{"x": 1}]);
        entry["source_label"] = json!({"localized": "John"});
        entry["change_description"] = json!(["a", "b"]);
        entry["url"] = json!(false);
        entry["action_label"] = json!(3);
        let activity = ok(&entry);
        assert_eq!(activity.target.and_then(|t| t.name), None);
        assert_eq!(activity.category, Category::Administrative);
        assert_eq!(activity.raw["brand_new_field"][0]["x"], 1);
    }

    #[test]
    fn id_may_be_a_numeric_string_and_created_at_may_have_an_offset() {
        let entry = with(documented_entry(), "id", json!("498483"));
        let entry = with(entry, "created_at", json!("2026-10-05T13:32:44.250+02:00"));
        let activity = ok(&entry);
        assert_eq!(activity.id, "zendesk:498483");
        assert_eq!(activity.occurred_at.to_rfc3339(), "2026-10-05T11:32:44.250+00:00");
    }

    #[test]
    fn bad_required_fields_are_errors_naming_entry_and_field() {
        #[rustfmt::skip]
        let cases = [
            (without(documented_entry(), "id"),                        None,           "id",         "field `id`: missing"),
            (with(documented_entry(), "id", json!("abc")),             None,           "id",         "field `id`: expected a non-negative integer, got \"abc\""),
            (with(documented_entry(), "id", json!(-3)),                None,           "id",         "field `id`: expected a non-negative integer, got -3"),
            (with(documented_entry(), "id", json!(4.5)),               None,           "id",         "field `id`: expected a non-negative integer, got 4.5"),
            (without(documented_entry(), "created_at"),                Some("498483"), "created_at", "field `created_at`: missing"),
            (with(documented_entry(), "created_at", json!("yesterday")), Some("498483"), "created_at", "field `created_at`: expected an RFC 3339 date-time, got \"yesterday\""),
            (with(documented_entry(), "created_at", json!(1330947164)), Some("498483"), "created_at", "field `created_at`: expected an RFC 3339 date-time, got 1330947164"),
            (with(documented_entry(), "created_at", json!("2012-03-05 11:32")), Some("498483"), "created_at", "field `created_at`: expected an RFC 3339 date-time, got \"2012-03-05 11:32\""),
            (without(documented_entry(), "action"),                    Some("498483"), "action",     "field `action`: missing"),
            (with(documented_entry(), "action", json!(["update"])),    Some("498483"), "action",     "field `action`: expected an action name (a non-empty string), got an array of 1 item"),
        ];
        for (entry, entry_id, field, message) in cases {
            let err = normalize(&entry, TENANT, &users()).expect_err("entry is rejected");
            assert_eq!(err.entry_id(), entry_id, "{err}");
            assert_eq!(err.field(), Some(field), "{err}");
            let expected = match entry_id {
                Some(id) => format!("entry {id}: {message}"),
                None => message.to_owned(),
            };
            assert_eq!(err.to_string(), expected);
        }
    }

    #[test]
    fn any_field_of_any_type_normalizes_or_names_a_required_field() {
        assert_any_field_of_any_type_is_tolerated_or_named(&documented_entry(), |e| normalize(e, TENANT, &users()));
    }

    #[test]
    fn entries_that_are_not_objects_are_errors() {
        for entry in [json!(498483), json!("entry"), json!(null), json!([documented_entry()])] {
            let err = normalize(&entry, TENANT, &users()).expect_err("not an object");
            assert_eq!((err.entry_id(), err.field()), (None, None));
        }
    }
}

//! A Zendesk Access Logs entry to an [`Activity`].
//!
//! The access log (the Advanced Data Privacy and Protection add-on) records every request an agent or admin
//! makes, reads included: who, from which IP, with which client, which path, and the HTTP status. The audit
//! log only records changes, so this is where an agent's presence (and so their IP addresses and
//! countries) shows up. How an entry becomes an activity:
//!
//! - `action` is `access_<method>` (`access_get`, `access_post`, …), or `access` without a method: a small,
//!   fixed set, so policies and the policy index key on it cheaply, while the path is in the target.
//! - `category`: bulk reads (`/api/v2/incremental/…`, any path segment naming an export) are `Export`;
//!   other reads (`GET`, `HEAD`, no method) are `DataAccess`; writes are `Other`, because the changes that
//!   matter are in the audit log already, classified there.
//! - `outcome` from `status`: below 400 a success, 400–599 a failure, otherwise unknown. A refused request
//!   is not a failed sign-in: Zendesk documents no sign-in entries here, so none are inferred.
//! - `target`: the kind is the API resource (`tickets` in `/api/v2/tickets/12.json`), `graphql` for
//!   GraphQL requests, else the first path segment (`agent`); the id is the path without its query, which
//!   keeps search terms and page tokens out of the target; the name is Zendesk's `summary` when present.
//! - `user_agent` is `client`; never administrative; no impersonation marker exists.

use saaswarden_core::activity::{Activity, App, Category, Outcome, Principal, Target, activity_id};
use serde::Deserialize;
use serde_json::Value;

use super::normalize::{actor, occurred_at};
use super::users::ZendeskUsers;
use super::wire::AccessEntry;
use crate::error::NormalizeError;
use crate::normalize::ip;

/// Access-log ids are ULIDs (26 characters); anything this long is not an id.
const MAX_ID_LEN: usize = 128;

/// Normalizes one Zendesk Access Logs entry (an element of `access_logs`); the user's email comes from
/// `users`.
///
/// Required: `id` (a non-empty string of letters, digits, `-` and `_`), `timestamp` (RFC 3339). Everything
/// else is optional and tolerated when missing, unknown or of the wrong type.
pub fn normalize_access(entry: &Value, tenant: &str, users: &ZendeskUsers) -> Result<Activity, NormalizeError> {
    if !entry.is_object() {
        return Err(NormalizeError::not_an_object(entry));
    }
    // Every wire field is optional and lenient, so decoding an object cannot fail.
    let wire = AccessEntry::deserialize(entry).unwrap_or_default();
    let id = entry_id(wire.id.as_ref())?;
    let occurred_at = occurred_at(wire.timestamp.as_ref(), id, "timestamp")?;

    let method = wire
        .method
        .as_deref()
        .map(str::to_ascii_lowercase)
        .filter(|m| !m.is_empty() && m.len() <= 10 && m.bytes().all(|b| b.is_ascii_lowercase()));
    let path = wire.url.as_deref().map(path_of).filter(|p| !p.is_empty());
    let graphql = wire.graphql.as_ref().is_some_and(|g| !g.is_null());
    let reads = method.as_deref().is_none_or(|m| m == "get" || m == "head");
    let category = match &path {
        Some(path) if is_bulk_export(path) => Category::Export,
        _ if reads => Category::DataAccess,
        _ => Category::Other,
    };
    let target = target(path, graphql, wire.summary);
    let actor = match wire.user_id {
        Some(user_id) => actor(Some(user_id), None, users),
        None => Principal::unknown(),
    };

    Ok(Activity {
        id: activity_id(App::Zendesk, &format!("access:{id}")),
        app: App::Zendesk,
        tenant: tenant.to_owned(),
        occurred_at,
        action: method.map_or_else(|| "access".to_string(), |m| format!("access_{m}")),
        category,
        administrative: false,
        actor,
        target,
        impersonator: None,
        ip: ip(wire.ip_address.as_deref(), id),
        user_agent: wire.client,
        session_id: None,
        outcome: match wire.status {
            Some(100..=399) => Outcome::Success,
            Some(400..=599) => Outcome::Failure,
            _ => Outcome::Unknown,
        },
        geo: None,
        ip_tags: Vec::new(),
        asn_org: None,
        raw: entry.clone(),
    })
}

fn entry_id(value: Option<&Value>) -> Result<&str, NormalizeError> {
    const EXPECTED: &str = "an access-log id (letters, digits, `-`, `_`)";
    match value {
        None => Err(NormalizeError::missing(None, "id")),
        Some(Value::String(s))
            if !s.trim().is_empty()
                && s.trim().len() <= MAX_ID_LEN
                && s.trim().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(s.trim())
        }
        Some(other) => Err(NormalizeError::invalid(None, "id", EXPECTED, other)),
    }
}

/// The path of a request: `url` may be a path with a query (`/api/v2/tickets.json?page=1`) or a whole URL.
/// The query and fragment go first, so a URL inside the query (`?return_to=https://…`) cannot pose as the
/// path.
fn path_of(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let url = &url[..end];
    let scheme = ["https://", "http://"].iter().find(|s| url.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s)));
    match scheme {
        Some(scheme) => {
            let rest = &url[scheme.len()..];
            rest.find('/').map_or_else(String::new, |slash| rest[slash..].to_string())
        }
        None => url.to_string(),
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// Incremental exports and export endpoints read a whole account's records in bulk.
fn is_bulk_export(path: &str) -> bool {
    let mut api = segments(path).skip_while(|s| *s != "v2").skip(1);
    api.next() == Some("incremental") || segments(path).any(|s| s.to_ascii_lowercase().contains("export"))
}

fn target(path: Option<String>, graphql: bool, summary: Option<String>) -> Option<Target> {
    let kind = match &path {
        _ if graphql => "graphql".to_string(),
        Some(path) => {
            let after_api: Vec<&str> = segments(path).skip_while(|s| *s != "v2").skip(1).collect();
            let resource = after_api.first().copied().or_else(|| segments(path).next()).unwrap_or("page");
            resource.trim_end_matches(".json").to_string()
        }
        None if summary.is_some() => "unknown".to_string(),
        None => return None,
    };
    Some(Target { kind, id: path, name: summary })
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use saaswarden_core::activity::PrincipalKind;
    use serde_json::json;

    use super::*;
    use crate::zendesk::testing::{assert_any_field_of_any_type_is_tolerated_or_named, directory, with, without};

    const TENANT: &str = "acme";

    /// The entry of Zendesk's access-log documentation (webhook payload of `access_log.created`).
    fn documented_entry() -> Value {
        json!({
            "id": "01J5M2QGXR3KZ8N4BVWYH6T9PA",
            "timestamp": "2024-08-15T14:23:45Z",
            "user_id": "6596848315901",
            "ip_address": "192.168.1.100",
            "method": "GET",
            "url": "/api/v2/tickets.json?page=1",
            "status": 200,
            "authorization_type": "bearer",
            "client": "Zendesk/1.0",
            "graphql": null,
            "summary": "List tickets"
        })
    }

    fn users() -> ZendeskUsers {
        directory(6_596_848_315_901, "Carol Mbeki", "Carol@Acme.example", "agent")
    }

    fn ok(entry: &Value) -> Activity {
        normalize_access(entry, TENANT, &users()).expect("entry normalizes")
    }

    #[test]
    fn the_documented_entry_is_a_data_access_by_the_resolved_user() {
        let entry = documented_entry();
        let activity = ok(&entry);
        assert_eq!(activity.id, "zendesk:access:01J5M2QGXR3KZ8N4BVWYH6T9PA");
        assert_eq!((activity.app, activity.tenant.as_str()), (App::Zendesk, TENANT));
        assert_eq!(activity.occurred_at.to_rfc3339(), "2024-08-15T14:23:45+00:00");
        assert_eq!((activity.action.as_str(), activity.category), ("access_get", Category::DataAccess));
        assert_eq!((activity.outcome, activity.administrative), (Outcome::Success, false));
        assert_eq!(activity.actor.kind, PrincipalKind::User);
        assert_eq!(activity.actor.email.as_deref(), Some("carol@acme.example"));
        assert_eq!(activity.user_key(), "carol@acme.example", "joins the user's audit-log and Slack activity");
        assert_eq!(
            activity.target,
            Some(Target {
                kind: "tickets".into(),
                id: Some("/api/v2/tickets.json".into()),
                name: Some("List tickets".into())
            })
        );
        assert_eq!(activity.ip, Some("192.168.1.100".parse::<IpAddr>().expect("ip")));
        assert_eq!(activity.user_agent.as_deref(), Some("Zendesk/1.0"));
        assert_eq!(activity.raw, entry);
    }

    #[test]
    fn method_path_and_status_decide_action_category_target_and_outcome() {
        #[rustfmt::skip]
        let cases = [
            ("GET",    "/api/v2/incremental/tickets/cursor.json?start_time=1", 200, "access_get",    Category::Export,     "incremental", Outcome::Success),
            ("POST",   "/api/v2/exports/tickets",                              202, "access_post",   Category::Export,     "exports",     Outcome::Success),
            ("PUT",    "/api/v2/tickets/12.json",                              200, "access_put",    Category::Other,      "tickets",     Outcome::Success),
            ("delete", "/api/v2/users/7.json",                                 403, "access_delete", Category::Other,      "users",       Outcome::Failure),
            ("GET",    "https://acme.zendesk.com/agent/tickets/5#comments",    302, "access_get",    Category::DataAccess, "agent",       Outcome::Success),
            ("HEAD",   "/api/v2/users/me.json",                                500, "access_head",   Category::DataAccess, "users",       Outcome::Failure),
            ("G E T",  "/api/v2/search.json?query=secret+project",             0,   "access",        Category::DataAccess, "search",      Outcome::Unknown),
            ("GET",    "/api/v2/tickets/1.json?x=https://evil.example/b",      200, "access_get",    Category::DataAccess, "tickets",     Outcome::Success),
            ("GET",    "/api/v2/incremental/tickets.json?r=http://h",          200, "access_get",    Category::Export,     "incremental", Outcome::Success),
            ("GET",    "HTTPS://acme.zendesk.com/api/v2/users.json",           200, "access_get",    Category::DataAccess, "users",       Outcome::Success),
        ];
        for (method, url, status, action, category, kind, outcome) in cases {
            let entry = with(
                with(with(documented_entry(), "method", json!(method)), "url", json!(url)),
                "status",
                json!(status),
            );
            let activity = ok(&entry);
            assert_eq!(
                (activity.action.as_str(), activity.category, activity.outcome),
                (action, category, outcome),
                "{method} {url}"
            );
            let target = activity.target.expect("target");
            assert_eq!(target.kind, kind, "{url}");
            let id = target.id.unwrap_or_default();
            assert!(!id.contains('?') && !id.contains('#') && id.starts_with('/'), "{url}: {id}");
        }
    }

    #[test]
    fn graphql_requests_and_requests_without_a_path_keep_what_is_known() {
        let entry = with(with(documented_entry(), "graphql", json!({"query": "{ me { id } }"})), "url", json!(null));
        assert_eq!(ok(&entry).target.map(|t| t.kind), Some("graphql".into()));
        let entry = with(with(documented_entry(), "url", json!(null)), "summary", json!(null));
        assert_eq!(ok(&entry).target, None);
        let entry = with(documented_entry(), "method", json!(null));
        assert_eq!((ok(&entry).action.as_str(), ok(&entry).category), ("access", Category::DataAccess));
    }

    #[test]
    fn unknown_numeric_or_missing_users_are_kept() {
        let unknown = ok(&with(documented_entry(), "user_id", json!(42)));
        assert_eq!((unknown.actor.kind, unknown.actor.email.as_deref()), (PrincipalKind::User, None));
        assert_eq!(unknown.user_key(), "zendesk:42");
        let numeric = ok(&with(documented_entry(), "user_id", json!(6_596_848_315_901_i64)));
        assert_eq!(numeric.actor.email.as_deref(), Some("carol@acme.example"));
        for missing in [json!(null), json!("someone"), json!([1])] {
            assert_eq!(ok(&with(documented_entry(), "user_id", missing)).actor, Principal::unknown());
        }
    }

    #[test]
    fn bad_required_fields_are_errors_naming_entry_and_field() {
        let id = "01J5M2QGXR3KZ8N4BVWYH6T9PA";
        let without_time = without(documented_entry(), "timestamp");
        #[rustfmt::skip]
        let cases = [
            (with(documented_entry(), "id", json!(null)),            None,     "id",        "field `id`: missing"),
            (with(documented_entry(), "id", json!("a b")),           None,     "id",        "field `id`: expected an access-log id (letters, digits, `-`, `_`), got \"a b\""),
            (with(documented_entry(), "id", json!("x".repeat(200))), None,     "id",        "field `id`: expected an access-log id (letters, digits, `-`, `_`), got \"xxxx"),
            (without_time,                                            Some(id), "timestamp", "field `timestamp`: missing"),
            (with(documented_entry(), "timestamp", json!(1_723_731_825)), Some(id), "timestamp", "field `timestamp`: expected an RFC 3339 date-time, got 1723731825"),
        ];
        for (entry, entry_id, field, message) in cases {
            let err = normalize_access(&entry, TENANT, &users()).expect_err("rejected");
            assert_eq!((err.entry_id(), err.field()), (entry_id, Some(field)), "{err}");
            assert!(err.to_string().contains(message), "{err}");
        }
    }

    #[test]
    fn any_field_of_any_type_normalizes_or_names_a_required_field() {
        assert_any_field_of_any_type_is_tolerated_or_named(&documented_entry(), |e| {
            normalize_access(e, TENANT, &users())
        });
        for not_an_object in [json!("entry"), json!(null), json!([documented_entry()])] {
            assert!(normalize_access(&not_an_object, TENANT, &users()).is_err());
        }
    }
}

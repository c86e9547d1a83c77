//! The Zendesk users directory: audit entries name their actor by id only, and the email is what joins
//! Zendesk activity to Slack and to the identity provider.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::wire;
use crate::error::{EntryProblem, UsersError};
use crate::normalize::email;
use crate::wire::integer_of;

/// One Zendesk user, as far as resolving actors needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZendeskUser {
    pub id: i64,
    pub name: Option<String>,
    /// Lower-cased.
    pub email: Option<String>,
    /// `end-user`, `agent` or `admin`.
    pub role: Option<String>,
    pub suspended: bool,
}

/// Zendesk users by id, from the Users API shape `{"users": [{"id", "name", "email", "role", "suspended",
/// …}]}` (a `show_many` response, or a users file of that shape in replay mode).
#[derive(Debug, Clone, Default)]
pub struct ZendeskUsers {
    by_id: HashMap<i64, ZendeskUser>,
}

impl ZendeskUsers {
    /// Reads one Users API response. Fields other than `id` are optional; a user without a usable `id`
    /// is an error naming its position, because a silently missing user turns into unresolved actors.
    pub fn from_json(value: &Value) -> Result<ZendeskUsers, UsersError> {
        let users =
            value.get("users").and_then(Value::as_array).ok_or_else(|| UsersError::not_users_response(value))?;
        let mut directory = ZendeskUsers::default();
        for (index, raw) in users.iter().enumerate() {
            directory.insert(user(raw).map_err(|problem| UsersError::User { index, problem })?);
        }
        Ok(directory)
    }

    /// Adds a user, replacing an earlier one with the same id (a later page is the fresher one).
    pub fn insert(&mut self, mut user: ZendeskUser) {
        user.email = email(user.email.as_deref());
        self.by_id.insert(user.id, user);
    }

    pub fn get(&self, id: i64) -> Option<&ZendeskUser> {
        self.by_id.get(&id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

fn user(raw: &Value) -> Result<ZendeskUser, EntryProblem> {
    if !raw.is_object() {
        return Err(EntryProblem::NotAnObject { got: crate::error::describe(raw) });
    }
    // Every wire field is optional and lenient, so decoding an object cannot fail.
    let wire = wire::User::deserialize(raw).unwrap_or_default();
    let id = match &wire.id {
        None => return Err(EntryProblem::Missing { field: "id" }),
        Some(id) => integer_of(id).ok_or_else(|| EntryProblem::Invalid {
            field: "id",
            expected: "a Zendesk user id (an integer)",
            got: crate::error::describe(id),
        })?,
    };
    Ok(ZendeskUser {
        id,
        name: wire.name,
        email: wire.email,
        role: wire.role,
        suspended: wire.suspended.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn users_response_resolves_ids_to_normalized_emails() {
        let users = ZendeskUsers::from_json(&json!({
            "users": [
                {"id": 1234, "name": "Sameer Patel", "email": " Sameer.Patel@Acme.example ", "role": "admin",
                 "suspended": false, "time_zone": "Copenhagen", "photo": null},
                {"id": "5678", "name": "Former Agent", "email": "former@acme.example", "role": "agent", "suspended": true},
                {"id": 9012}
            ],
            "next_page": null,
            "count": 3
        }))
        .expect("valid users response");

        assert_eq!(users.len(), 3);
        assert!(!users.is_empty());
        assert_eq!(
            users.get(1234),
            Some(&ZendeskUser {
                id: 1234,
                name: Some("Sameer Patel".into()),
                email: Some("sameer.patel@acme.example".into()),
                role: Some("admin".into()),
                suspended: false,
            })
        );
        assert!(users.get(5678).expect("string id accepted").suspended);
        assert_eq!(users.get(9012).expect("bare user").email, None);
        assert_eq!(users.get(1), None);
    }

    #[test]
    fn wrong_typed_optional_user_fields_are_ignored() {
        let users = ZendeskUsers::from_json(&json!({
            "users": [{"id": 7, "name": ["x"], "email": 12, "role": {}, "suspended": "yes"}]
        }))
        .expect("valid");
        assert_eq!(users.get(7), Some(&ZendeskUser { id: 7, name: None, email: None, role: None, suspended: false }));
    }

    #[test]
    fn malformed_users_responses_are_errors_naming_the_position() {
        let cases = [
            (json!([{"id": 1}]), "expected a Users API response {\"users\": [...]}, got an array of 1 item"),
            (json!({"user": {"id": 1}}), "expected a Users API response {\"users\": [...]}, got an object"),
            (json!({"users": {"id": 1}}), "expected a Users API response {\"users\": [...]}, got an object"),
            (json!({"users": [{"id": 1}, "x"]}), "users[1]: expected a JSON object, got \"x\""),
            (json!({"users": [{"name": "No Id"}]}), "users[0]: field `id`: missing"),
            (
                json!({"users": [{"id": 1}, {"id": 2}, {"id": "two"}]}),
                "users[2]: field `id`: expected a Zendesk user id (an integer), got \"two\"",
            ),
        ];
        for (value, message) in cases {
            let err = ZendeskUsers::from_json(&value).expect_err("rejected");
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn inserting_normalizes_the_email_and_replaces_the_same_id() {
        let mut users = ZendeskUsers::default();
        assert!(users.is_empty());
        let user =
            |email: &str| ZendeskUser { id: 42, name: None, email: Some(email.into()), role: None, suspended: false };
        users.insert(user("Old@Acme.example"));
        users.insert(user(" New@Acme.example"));
        assert_eq!(users.len(), 1);
        assert_eq!(users.get(42).and_then(|u| u.email.as_deref()), Some("new@acme.example"));
    }
}

//! What the Zendesk normalizers' unit tests share: editing an entry, a one-user directory, and the check
//! that no field of any type breaks a normalizer.

use saaswarden_core::activity::Activity;
use serde_json::{Value, json};

use super::users::{ZendeskUser, ZendeskUsers};
use crate::error::NormalizeError;

pub(super) fn with(mut entry: Value, key: &str, value: Value) -> Value {
    entry[key] = value;
    entry
}

pub(super) fn without(mut entry: Value, key: &str) -> Value {
    if let Some(object) = entry.as_object_mut() {
        object.remove(key);
    }
    entry
}

/// A directory holding one user.
pub(super) fn directory(id: i64, name: &str, email: &str, role: &str) -> ZendeskUsers {
    let mut users = ZendeskUsers::default();
    users.insert(ZendeskUser {
        id,
        name: Some(name.into()),
        email: Some(email.into()),
        role: Some(role.into()),
        suspended: false,
    });
    users
}

/// Every field of `documented` set to every odd JSON value: the entry normalizes, keeping the raw entry,
/// or the error names that very field.
pub(super) fn assert_any_field_of_any_type_is_tolerated_or_named(
    documented: &Value,
    normalize: impl Fn(&Value) -> Result<Activity, NormalizeError>,
) {
    let odd_values = [json!(null), json!(true), json!(-1), json!(1.5), json!(""), json!("x"), json!([]), json!({})];
    let keys: Vec<String> = documented.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    assert!(!keys.is_empty(), "the documented entry is an object with fields");
    for key in &keys {
        for odd in &odd_values {
            let entry = with(documented.clone(), key, odd.clone());
            match normalize(&entry) {
                Ok(activity) => assert_eq!(activity.raw, entry),
                Err(err) => assert_eq!(err.field(), Some(key.as_str()), "{key} = {odd}: {err}"),
            }
        }
    }
}

//! Errors of normalization and of reading exported audit logs. Every message names what was wrong and
//! where: the entry id and field for an entry, the path for a file.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;
use thiserror::Error;

/// One audit-log entry that cannot become an activity.
///
/// Its message names the entry by id when the entry has a usable one (`entry 0123…: field `date_create`:
/// expected Unix seconds, got "yesterday"`); callers that know where the entry came from add that location.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}{problem}", EntryPrefix(.entry_id.as_deref()))]
pub struct NormalizeError {
    entry_id: Option<String>,
    problem: EntryProblem,
}

/// What is wrong with an entry, without saying which entry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EntryProblem {
    #[error("expected a JSON object, got {got}")]
    NotAnObject { got: String },
    #[error("field `{field}`: missing")]
    Missing { field: &'static str },
    #[error("field `{field}`: expected {expected}, got {got}")]
    Invalid { field: &'static str, expected: &'static str, got: String },
}

impl NormalizeError {
    pub(crate) fn not_an_object(value: &Value) -> Self {
        NormalizeError { entry_id: None, problem: EntryProblem::NotAnObject { got: describe(value) } }
    }

    pub(crate) fn missing(entry_id: Option<&str>, field: &'static str) -> Self {
        NormalizeError { entry_id: entry_id.map(str::to_owned), problem: EntryProblem::Missing { field } }
    }

    pub(crate) fn invalid(entry_id: Option<&str>, field: &'static str, expected: &'static str, got: &Value) -> Self {
        NormalizeError {
            entry_id: entry_id.map(str::to_owned),
            problem: EntryProblem::Invalid { field, expected, got: describe(got) },
        }
    }

    /// The app's id of the entry, when the entry has a valid one.
    pub fn entry_id(&self) -> Option<&str> {
        self.entry_id.as_deref()
    }

    /// The field that was missing or wrong; `None` when the entry as a whole is unusable.
    pub fn field(&self) -> Option<&'static str> {
        match &self.problem {
            EntryProblem::NotAnObject { .. } => None,
            EntryProblem::Missing { field } | EntryProblem::Invalid { field, .. } => Some(field),
        }
    }

    /// What is wrong, without the entry id (for messages that show the id elsewhere).
    pub fn problem(&self) -> &EntryProblem {
        &self.problem
    }
}

struct EntryPrefix<'a>(Option<&'a str>);

impl fmt::Display for EntryPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, "entry {id}: "),
            None => Ok(()),
        }
    }
}

/// A Zendesk users file (Users API shape) that cannot be used to resolve actors.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UsersError {
    #[error("expected a Users API response {{\"users\": [...]}}, got {got}")]
    NotUsersResponse { got: String },
    #[error("users[{index}]: {problem}")]
    User { index: usize, problem: EntryProblem },
}

impl UsersError {
    pub(crate) fn not_users_response(value: &Value) -> Self {
        UsersError::NotUsersResponse { got: describe(value) }
    }
}

/// A path of exported audit logs that cannot be read at all.
#[derive(Debug, Error)]
pub enum InputError {
    #[error("cannot read audit logs at `{}`: {source} (check the path and its permissions)", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot list directory `{}`: {source} (check its permissions)", path.display())]
    ListDirectory {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl InputError {
    /// The file or directory that could not be read.
    pub fn path(&self) -> &Path {
        match self {
            InputError::Open { path, .. } | InputError::ListDirectory { path, .. } => path,
        }
    }
}

/// How a JSON value appears in an error message: short, so a huge or hostile value never floods a log.
pub(crate) fn describe(value: &Value) -> String {
    const MAX_CHARS: usize = 60;
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let mut shown: String = s.chars().take(MAX_CHARS).collect();
            if shown.len() < s.len() {
                shown.push('…');
            }
            format!("{shown:?}")
        }
        Value::Array(items) if items.len() == 1 => "an array of 1 item".to_owned(),
        Value::Array(items) => format!("an array of {} items", items.len()),
        Value::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn message_names_entry_field_and_value() {
        let err = NormalizeError::invalid(Some("0123a"), "date_create", "Unix seconds", &json!("yesterday"));
        assert_eq!(err.to_string(), "entry 0123a: field `date_create`: expected Unix seconds, got \"yesterday\"");
        assert_eq!(err.entry_id(), Some("0123a"));
        assert_eq!(err.field(), Some("date_create"));
    }

    #[test]
    fn message_without_id_starts_with_the_field() {
        let err = NormalizeError::missing(None, "id");
        assert_eq!(err.to_string(), "field `id`: missing");
        assert_eq!(err.entry_id(), None);
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "x".repeat(500);
        let shown = describe(&json!(long));
        assert!(shown.chars().count() < 70, "{shown}");
        assert!(shown.ends_with("…\""), "{shown}");
    }
}

//! Why a policy file was rejected. Every error names the file, the line and the field, and says what would
//! have been accepted, so `saaswarden policies validate` output can be fixed without opening the docs.

use std::fmt;

/// What kind of mistake a [`PolicyError`] reports; tests and tools match on it, people read the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The file or directory could not be read.
    Io,
    /// The text is not YAML, or not one YAML document.
    Syntax,
    /// A key the policy schema does not have (`severty:`).
    UnknownField,
    /// A required key is missing.
    MissingField,
    /// A filter operator that does not exist (`startswith`).
    UnknownOperator,
    /// A filter or template names an activity field that does not exist (`actor.mail`).
    UnknownFieldPath,
    /// A value of the wrong type for its key or operator (a list where one string goes, text for `gt`).
    WrongType,
    /// A value of the right type that is not allowed (`severity: urgent`, `app: jira`, `count: 0`).
    InvalidValue,
    BadRegex,
    BadCidr,
    BadDuration,
    /// A filter names a user group the configuration does not define.
    UnknownGroup,
    /// A title or description template that does not parse.
    BadTemplate,
    /// Two policy files declare the same id.
    DuplicateId,
    /// A policy id equal to one of the built-in detections' ids.
    BuiltinId,
}

/// One thing wrong with one policy file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    /// The file path (or the origin a caller gave to [`crate::PolicySet::from_sources`]).
    pub origin: String,
    /// 1-based line, when the error is about one place in the file.
    pub line: Option<usize>,
    /// The dotted path of the offending key (`filter.all[1].op`), empty when the error is about the file.
    pub field: String,
    pub kind: ErrorKind,
    pub message: String,
}

impl PolicyError {
    pub(crate) fn new(
        origin: &str,
        line: Option<usize>,
        field: impl Into<String>,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> Self {
        PolicyError { origin: origin.to_string(), line, field: field.into(), kind, message: message.into() }
    }
}

/// `policies/x.yaml:7: filter.all[1].op: unknown operator …`
impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// "did you mean `x`?" for a misspelt name, when one known name is close enough to be the likely intent.
pub(crate) fn did_you_mean<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let given = given.to_ascii_lowercase();
    let best = known
        .into_iter()
        .map(|k| (edit_distance(&given, &k.to_ascii_lowercase()), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((_, k)) => format!(" (did you mean `{k}`?)"),
        None => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_field() {
        let e = PolicyError::new("policies/x.yaml", Some(7), "filter.all[1].op", ErrorKind::UnknownOperator, "nope");
        assert_eq!(e.to_string(), "policies/x.yaml:7: filter.all[1].op: nope");
        let e = PolicyError::new("policies/x.yaml", None, "", ErrorKind::Io, "cannot read");
        assert_eq!(e.to_string(), "policies/x.yaml: cannot read");
    }

    #[test]
    fn did_you_mean_suggests_only_close_names() {
        assert_eq!(did_you_mean("severty", ["severity", "name"]), " (did you mean `severity`?)");
        assert_eq!(did_you_mean("startswith", ["prefix", "suffix"]), "");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}

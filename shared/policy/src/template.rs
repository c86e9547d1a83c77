//! Alert title and description templates: text with `{{field.path}}` placeholders over the same fields
//! filters use, plus `{{actor}}` (email, else id, else name), `{{user}}` (the user the alert is about),
//! `{{count}}` and `{{within}}` (the policy's threshold). A missing value prints as `unknown`.

use std::time::Duration;

use saaswarden_core::activity::Activity;

use crate::error::{ErrorKind, did_you_mean};
use crate::fields::{FIELD_NAMES, Field};
use crate::model::{MatchMode, Spanned};
use crate::parse::Decoder;

const EXTRA_NAMES: &[&str] = &["actor", "user", "count", "within"];

#[derive(Debug)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    Text(String),
    Field(Field),
    Actor,
    User,
    /// Replaced at compile time by the policy's threshold.
    Fixed(String),
}

impl Template {
    pub fn compile(d: &mut Decoder<'_>, source: &Spanned<String>, path: &str, mode: MatchMode) -> Option<Template> {
        let mut parts = Vec::new();
        let mut rest = source.value.as_str();
        let mut ok = true;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                d.error(source.line, path, ErrorKind::BadTemplate, "`{{` without a closing `}}`");
                return None;
            };
            let name = after[..close].trim();
            let part = match name {
                "actor" => Some(Part::Actor),
                "user" => Some(Part::User),
                "count" => Some(Part::Fixed(match mode {
                    MatchMode::Single => "1".to_string(),
                    MatchMode::Repeated { count, .. } => count.to_string(),
                })),
                "within" => Some(Part::Fixed(match mode {
                    MatchMode::Single => "0s".to_string(),
                    MatchMode::Repeated { within, .. } => format_duration(within),
                })),
                // Membership is a yes/no test, not a value to print.
                "actor.group" => None,
                _ => Field::parse(name).map(Part::Field),
            };
            match part {
                Some(part) => parts.push(part),
                None => {
                    ok = false;
                    let known = FIELD_NAMES.iter().chain(EXTRA_NAMES).copied().filter(|n| *n != "actor.group");
                    d.error(
                        source.line,
                        path,
                        ErrorKind::UnknownFieldPath,
                        format!(
                            "unknown template field `{{{{{name}}}}}`{} (expected an activity field like actor.email, or one of {})",
                            did_you_mean(name, known),
                            EXTRA_NAMES.join(", ")
                        ),
                    );
                }
            }
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        ok.then_some(Template { parts })
    }

    pub fn render(&self, activity: &Activity, user: &str) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) | Part::Fixed(text) => out.push_str(text),
                Part::Field(field) => out.push_str(field.value(activity).render().as_deref().unwrap_or("unknown")),
                Part::Actor => out.push_str(activity.actor.display()),
                Part::User => out.push_str(user),
            }
        }
        out
    }
}

pub(crate) fn format_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

#[cfg(test)]
mod tests {
    use saaswarden_core::testing::{activity, t0};

    use super::*;

    fn compile(text: &str, mode: MatchMode) -> (Option<Template>, Vec<String>) {
        let mut d = Decoder::new("t.yaml");
        let t = Template::compile(&mut d, &Spanned { value: text.to_string(), line: 3 }, "alert.title", mode);
        (t, d.errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn renders_fields_extras_and_unknown_for_missing_values() {
        let mode = MatchMode::Repeated { count: 20, within: Duration::from_secs(600) };
        let (t, errors) = compile("{{ actor.email }} did {{action}} {{count}}x in {{within}} from {{country}}", mode);
        assert!(errors.is_empty(), "{errors:?}");
        let a = activity("1", "alice@acme.example", t0());
        let text = t.expect("compiles").render(&a, "alice@acme.example");
        assert_eq!(text, "alice@acme.example did user_login 20x in 10m from unknown");
    }

    #[test]
    fn unknown_names_and_unclosed_braces_are_errors_with_line() {
        let (t, errors) = compile("{{actor.mail}} and {{nope}}", MatchMode::Single);
        assert!(t.is_none());
        assert_eq!(errors.len(), 2);
        assert!(
            errors[0].starts_with(
                "t.yaml:3: alert.title: unknown template field `{{actor.mail}}` (did you mean `actor.email`?)"
            ),
            "{}",
            errors[0]
        );
        let (t, errors) = compile("{{actor.email", MatchMode::Single);
        assert!(t.is_none());
        assert!(errors[0].contains("without a closing"));
    }
}

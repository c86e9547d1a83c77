//! Alert title and description templates: text with `{{…}}` tags over the same fields filters use, plus
//! `{{actor}}` (email, else id, else name), `{{user}}` (the user the alert is about), `{{count}}` and
//! `{{within}}` (the policy's threshold) and the named groups of the alert's `captures`.
//!
//! - `{{field | map: name | default: "text"}}`: a value passed through the alert's value maps (a value the
//!   map lacks prints as it is) and a default for a missing value; without a default, `unknown`.
//! - `{{#if name}}…{{else}}…{{/if}}`: `name` is one of the alert's `conditions` (a filter), or a value
//!   (true when it has one). Nested freely.
//!
//! Templates render only when an alert is raised, so rendering may allocate.

use std::collections::HashMap;
use std::time::Duration;

use regex::Regex;
use saaswarden_core::activity::Activity;

use crate::compile::compile_filter;
use crate::error::{ErrorKind, did_you_mean};
use crate::fields::{FIELD_NAMES, Field, unknown_field};
use crate::filter::{Matcher, compile_regex, fold};
use crate::groups::Groups;
use crate::model::{AlertModel, MatchMode, Spanned};
use crate::parse::Decoder;

const EXTRA_NAMES: &[&str] = &["actor", "user", "count", "within"];

/// What templates may refer to beside activity fields: the alert's captures, value maps and conditions.
#[derive(Debug, Default)]
pub(crate) struct TemplateContext {
    pub captures: Vec<Capture>,
    /// Name → (lower-cased value → words).
    pub maps: Vec<(String, HashMap<String, String>)>,
    pub conditions: Vec<(String, Matcher)>,
}

/// A regex over a field; each named group is a template value.
#[derive(Debug)]
pub(crate) struct Capture {
    pub field: Field,
    pub regex: Regex,
}

impl TemplateContext {
    /// The alert's captures, value maps and conditions, each checked; every problem is reported.
    pub fn compile(d: &mut Decoder<'_>, alert: &AlertModel, groups: &Groups) -> Option<TemplateContext> {
        let mut ok = true;
        let mut ctx = TemplateContext::default();
        let mut names: Vec<String> = Vec::new();
        let mut claim = |d: &mut Decoder<'_>, name: &str, line: usize, path: &str| -> bool {
            let taken = if names.iter().any(|n| n == name) {
                Some("another capture group or condition")
            } else if Field::parse(name).is_some() || EXTRA_NAMES.contains(&name) {
                Some("an activity field or template value")
            } else {
                None
            };
            if let Some(what) = taken {
                d.error(line, path, ErrorKind::InvalidValue, format!("the name `{name}` is already {what}: rename it"));
                return false;
            }
            names.push(name.to_string());
            true
        };
        for capture in &alert.captures {
            let field_path = format!("{}.field", capture.path);
            let regex_path = format!("{}.regex", capture.path);
            let field = match Field::parse(&capture.field.value) {
                Some(Field::ActorGroup) | None => {
                    let message = unknown_field(&capture.field.value);
                    d.error(capture.field.line, &field_path, ErrorKind::UnknownFieldPath, message);
                    None
                }
                field => field,
            };
            let regex = match compile_regex(&capture.regex.value) {
                Ok(regex) => Some(regex),
                Err(message) => {
                    d.error(capture.regex.line, &regex_path, ErrorKind::BadRegex, message);
                    None
                }
            };
            let Some(regex) = regex else {
                ok = false;
                continue;
            };
            let groups: Vec<String> = regex.capture_names().flatten().map(str::to_string).collect();
            if groups.is_empty() {
                d.error(
                    capture.regex.line,
                    &regex_path,
                    ErrorKind::BadRegex,
                    "the regex names no group: write `(?P<name>…)` for each value the templates print",
                );
                ok = false;
            }
            for group in &groups {
                ok &= claim(d, group, capture.regex.line, &regex_path);
            }
            match field {
                Some(field) => ctx.captures.push(Capture { field, regex }),
                None => ok = false,
            }
        }
        for (name, words) in &alert.maps {
            let lowered: HashMap<String, String> = words.iter().map(|(from, to)| (fold(from), to.clone())).collect();
            ctx.maps.push((name.value.clone(), lowered));
        }
        for (name, filter) in &alert.conditions {
            ok &= claim(d, &name.value, name.line, &format!("alert.conditions.{}", name.value));
            match compile_filter(d, filter, groups) {
                Some(matcher) => ctx.conditions.push((name.value.clone(), matcher)),
                None => ok = false,
            }
        }
        ok.then_some(ctx)
    }

    fn capture_of(&self, name: &str) -> Option<usize> {
        self.captures.iter().position(|c| c.regex.capture_names().flatten().any(|n| n == name))
    }

    fn map_of(&self, name: &str) -> Option<usize> {
        self.maps.iter().position(|(n, _)| n == name)
    }

    fn condition_of(&self, name: &str) -> Option<usize> {
        self.conditions.iter().position(|(n, _)| n == name)
    }

    /// Every name a template can print, for suggestions.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> =
            FIELD_NAMES.iter().chain(EXTRA_NAMES).filter(|n| **n != "actor.group").map(|n| n.to_string()).collect();
        for capture in &self.captures {
            names.extend(capture.regex.capture_names().flatten().map(str::to_string));
        }
        names
    }
}

#[derive(Debug)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    Text(String),
    Value { source: Source, pipes: Vec<Pipe> },
    If { condition: Condition, then: Vec<Part>, otherwise: Vec<Part> },
}

#[derive(Debug)]
enum Source {
    Field(Field),
    Actor,
    User,
    /// Replaced at compile time by the policy's threshold.
    Fixed(String),
    /// A named group of one of the alert's captures.
    Capture {
        capture: usize,
        group: String,
    },
}

#[derive(Debug)]
enum Pipe {
    Map(usize),
    Default(String),
}

#[derive(Debug)]
enum Condition {
    Named(usize),
    Present(Source),
}

/// Template parsing: every unknown name is reported; a broken structure (`{{#if}}` without `{{/if}}`)
/// stops at the first problem.
struct Parser<'c, 'd, 'a> {
    d: &'d mut Decoder<'a>,
    ctx: &'c TemplateContext,
    path: &'c str,
    line: usize,
    mode: MatchMode,
    failed: bool,
}

/// An open `{{#if}}`: the parts before it, its condition, and its `then` parts once `{{else}}` is seen.
struct Frame {
    outer: Vec<Part>,
    condition: Condition,
    then: Option<Vec<Part>>,
}

impl Template {
    pub fn compile(
        d: &mut Decoder<'_>,
        ctx: &TemplateContext,
        source: &Spanned<String>,
        path: &str,
        mode: MatchMode,
    ) -> Option<Template> {
        let mut p = Parser { d, ctx, path, line: source.line, mode, failed: false };
        let mut parts = Vec::new();
        let mut frames: Vec<Frame> = Vec::new();
        let mut rest = source.value.as_str();
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return p.error(ErrorKind::BadTemplate, "`{{` without a closing `}}`".to_string());
            };
            let tag = after[..close].trim();
            rest = &after[close + 2..];
            if let Some(name) = tag.strip_prefix("#if") {
                // A bad condition is reported; a stand-in keeps the structure checked.
                let condition = p.condition(name.trim()).unwrap_or(Condition::Present(Source::User));
                frames.push(Frame { outer: std::mem::take(&mut parts), condition, then: None });
            } else if tag == "else" {
                match frames.last_mut() {
                    Some(frame) if frame.then.is_none() => frame.then = Some(std::mem::take(&mut parts)),
                    Some(_) => return p.error(ErrorKind::BadTemplate, "a second `{{else}}` in one `{{#if}}`".into()),
                    None => return p.error(ErrorKind::BadTemplate, "`{{else}}` without an `{{#if …}}`".into()),
                }
            } else if tag == "/if" {
                let Some(frame) = frames.pop() else {
                    return p.error(ErrorKind::BadTemplate, "`{{/if}}` without an `{{#if …}}`".into());
                };
                let branch = std::mem::replace(&mut parts, frame.outer);
                let (then, otherwise) = match frame.then {
                    Some(then) => (then, branch),
                    None => (branch, Vec::new()),
                };
                parts.push(Part::If { condition: frame.condition, then, otherwise });
            } else if let Some(part) = p.value(tag) {
                parts.push(part);
            }
        }
        if !frames.is_empty() {
            return p.error(ErrorKind::BadTemplate, "`{{#if …}}` without its `{{/if}}`".into());
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        (!p.failed).then_some(Template { parts })
    }

    pub fn render(&self, ctx: &TemplateContext, activity: &Activity, user: &str) -> String {
        let mut out = String::new();
        render_parts(&self.parts, ctx, activity, user, &mut out);
        out
    }
}

fn render_parts(parts: &[Part], ctx: &TemplateContext, activity: &Activity, user: &str, out: &mut String) {
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Value { source, pipes } => {
                let mut value = source.value(ctx, activity, user);
                for pipe in pipes {
                    value = match (pipe, value) {
                        (Pipe::Map(i), Some(v)) => {
                            Some(ctx.maps.get(*i).and_then(|(_, words)| words.get(&fold(&v)).cloned()).unwrap_or(v))
                        }
                        (Pipe::Default(text), None) => Some(text.clone()),
                        (_, v) => v,
                    };
                }
                out.push_str(value.as_deref().unwrap_or("unknown"));
            }
            Part::If { condition, then, otherwise } => {
                let holds = match condition {
                    Condition::Named(i) => ctx.conditions.get(*i).is_some_and(|(_, m)| m.matches(activity)),
                    Condition::Present(source) => source.value(ctx, activity, user).is_some(),
                };
                render_parts(if holds { then } else { otherwise }, ctx, activity, user, out);
            }
        }
    }
}

impl Source {
    /// The value as text; `None` when missing or empty.
    fn value(&self, ctx: &TemplateContext, activity: &Activity, user: &str) -> Option<String> {
        let text = match self {
            Source::Field(field) => return field.value(activity).render(),
            Source::Actor => activity.actor.display().to_string(),
            Source::User => user.to_string(),
            Source::Fixed(text) => text.clone(),
            Source::Capture { capture, group } => {
                let capture = ctx.captures.get(*capture)?;
                let subject = capture.field.value(activity).render()?;
                capture.regex.captures(&subject)?.name(group)?.as_str().to_string()
            }
        };
        (!text.is_empty()).then_some(text)
    }
}

impl Parser<'_, '_, '_> {
    fn error<T>(&mut self, kind: ErrorKind, message: String) -> Option<T> {
        self.failed = true;
        self.d.error(self.line, self.path, kind, message);
        None
    }

    fn source(&mut self, name: &str) -> Option<Source> {
        let source = match name {
            "actor" => Some(Source::Actor),
            "user" => Some(Source::User),
            "count" => Some(Source::Fixed(match self.mode {
                MatchMode::Single => "1".to_string(),
                MatchMode::Repeated { count, .. } => count.to_string(),
            })),
            "within" => Some(Source::Fixed(match self.mode {
                MatchMode::Single => "0s".to_string(),
                MatchMode::Repeated { within, .. } => format_duration(within),
            })),
            // Membership is a yes/no test, not a value to print.
            "actor.group" => None,
            _ => match self.ctx.capture_of(name) {
                Some(capture) => Some(Source::Capture { capture, group: name.to_string() }),
                None => Field::parse(name).map(Source::Field),
            },
        };
        if source.is_none() {
            let names = self.ctx.names();
            return self.error(
                ErrorKind::UnknownFieldPath,
                format!(
                    "unknown template field `{{{{{name}}}}}`{} (expected an activity field like actor.email, a \
                     capture group, or one of {})",
                    did_you_mean(name, names.iter().map(String::as_str)),
                    EXTRA_NAMES.join(", ")
                ),
            );
        }
        source
    }

    fn condition(&mut self, name: &str) -> Option<Condition> {
        if name.is_empty() {
            return self.error(ErrorKind::BadTemplate, "`{{#if}}` needs a condition or a value to test".into());
        }
        match self.ctx.condition_of(name) {
            Some(i) => Some(Condition::Named(i)),
            None => self.source(name).map(Condition::Present),
        }
    }

    /// `source | map: name | default: "text"`.
    fn value(&mut self, tag: &str) -> Option<Part> {
        let mut segments = split_pipes(tag).into_iter();
        let source = self.source(segments.next().unwrap_or_default().trim())?;
        let mut pipes = Vec::new();
        for segment in segments {
            let (name, argument) = segment.split_once(':').unwrap_or((segment, ""));
            let argument = argument.trim();
            match name.trim() {
                "map" => match self.ctx.map_of(argument) {
                    Some(i) => pipes.push(Pipe::Map(i)),
                    None => {
                        let known: Vec<&str> = self.ctx.maps.iter().map(|(n, _)| n.as_str()).collect();
                        return self.error(
                            ErrorKind::BadTemplate,
                            format!(
                                "`map: {argument}` names no map of `alert.maps`{} (defined: {})",
                                did_you_mean(argument, known.iter().copied()),
                                if known.is_empty() { "none".to_string() } else { known.join(", ") }
                            ),
                        );
                    }
                },
                "default" => pipes.push(Pipe::Default(unquote(argument).to_string())),
                other => {
                    return self.error(
                        ErrorKind::BadTemplate,
                        format!(
                            "unknown template filter `{other}`{} (expected `map: <name>` or `default: \"text\"`)",
                            did_you_mean(other, ["map", "default"])
                        ),
                    );
                }
            }
        }
        Some(Part::Value { source, pipes })
    }
}

/// Splits a tag at `|` outside quotes.
fn split_pipes(tag: &str) -> Vec<&str> {
    let mut segments = Vec::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    for (i, c) in tag.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '|') => {
                segments.push(&tag[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    segments.push(&tag[start..]);
    segments
}

fn unquote(text: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return inner;
        }
    }
    text
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
        let ctx = TemplateContext::default();
        let t = Template::compile(&mut d, &ctx, &Spanned { value: text.to_string(), line: 3 }, "alert.title", mode);
        (t, d.errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn renders_fields_extras_and_unknown_for_missing_values() {
        let mode = MatchMode::Repeated { count: 20, within: Duration::from_secs(600) };
        let (t, errors) = compile("{{ actor.email }} did {{action}} {{count}}x in {{within}} from {{country}}", mode);
        assert!(errors.is_empty(), "{errors:?}");
        let a = activity("1", "alice@acme.example", t0());
        let text = t.expect("compiles").render(&TemplateContext::default(), &a, "alice@acme.example");
        assert_eq!(text, "alice@acme.example did user_login 20x in 10m from unknown");
    }

    #[test]
    fn defaults_and_presence_conditionals_render_without_a_context() {
        let (t, errors) = compile(
            "{{country | default: \"an unknown country\"}}{{#if ip}} from {{ip}}{{else}} (no IP){{/if}}",
            MatchMode::Single,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let a = activity("1", "alice@acme.example", t0());
        let text = t.expect("compiles").render(&TemplateContext::default(), &a, "alice@acme.example");
        assert_eq!(text, "an unknown country (no IP)");
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
        for (text, expected) in [
            ("{{actor.email", "without a closing"),
            ("{{#if ip}}x", "without its `{{/if}}`"),
            ("x{{/if}}", "`{{/if}}` without"),
            ("{{else}}", "`{{else}}` without"),
            ("{{action | upper}}", "unknown template filter `upper`"),
            ("{{action | map: roles}}", "names no map"),
        ] {
            let (t, errors) = compile(text, MatchMode::Single);
            assert!(t.is_none(), "{text}");
            assert!(errors[0].contains(expected), "{text}: {}", errors[0]);
        }
    }

    #[test]
    fn pipes_split_outside_quotes_only() {
        assert_eq!(split_pipes("a | default: \"x|y\" | map: m"), vec!["a ", " default: \"x|y\" ", " map: m"]);
        assert_eq!(unquote("'none'"), "none");
        assert_eq!(unquote("none"), "none");
    }
}

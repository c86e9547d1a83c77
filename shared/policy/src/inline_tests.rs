//! The `tests:` section of a policy file: activities in, expected alerts out, run by
//! `saaswarden policies test`.
//!
//! A test activity is a partial normalized [`Activity`] (its JSON shape); what it leaves out is filled in:
//!
//! | field | default |
//! | --- | --- |
//! | `id` | `test:<n>`, n counting the test's activities from 1 (after `repeat`) |
//! | `app` | `slack` |
//! | `tenant` | `test` |
//! | `occurred_at` | the test's `start` (default 2026-01-01T00:00:00Z), then each activity `interval` (default 1m) after the one before; a given `occurred_at` resets that clock |
//! | `category` | `other` |
//! | `outcome` | `success` |
//! | `administrative` | `false` |
//! | `actor` | `{kind: user}`; an actor without `kind` is a user |
//! | `impersonator.kind` | `app` |
//! | `target.kind` | `unknown` |
//! | `geo.latitude`, `geo.longitude` | `0` |
//! | `raw` | `{}` |
//!
//! `action` is required. `repeat: N` stands for N copies of the activity, each `interval` apart. Every
//! activity of a test is evaluated, oldest first, by a fresh evaluator for tenant `test` holding only this
//! policy (disabled or not), with the activity's own user key (email, else `<app>:<actor id>`) as the user.
//!
//! An item may instead be a raw audit entry, exactly as the app's API returns it: `{slack: {…entry…}}` or
//! `{zendesk: {…entry…}}`. The real connector normalizes it when the tests run; this crate does not link
//! the connectors, so the caller hands in an [`EntryNormalizer`] (the CLI's uses them). Raw Zendesk entries
//! resolve their actor through the test's `zendesk_users` (Users API objects).

use chrono::{DateTime, TimeZone, Utc};
use saaswarden_core::activity::{Activity, App};
use saaswarden_core::alert::Alert;
use serde_json::{Map, Value};

use crate::compile::PolicySet;
use crate::error::{ErrorKind, did_you_mean};
use crate::model::{Expect, TestModel};
use crate::parse::{Decoder, Node, NodeValue, join};
use crate::repeat::Evaluator;

/// The tenant of test activities and of the evaluator running them.
pub const TEST_TENANT: &str = "test";
/// Most activities one test may expand to.
const MAX_TEST_ACTIVITIES: usize = 100_000;

/// Turns a raw audit entry into an activity, as the app's connector does when collecting.
pub trait EntryNormalizer {
    /// `zendesk_users` is the test's users in the Users API's shape (`{"users": […]}`); the error says
    /// why the entry was rejected.
    fn normalize(&self, app: App, entry: &Value, tenant: &str, zendesk_users: &Value) -> Result<Activity, String>;
}

impl<F> EntryNormalizer for F
where
    F: Fn(App, &Value, &str, &Value) -> Result<Activity, String>,
{
    fn normalize(&self, app: App, entry: &Value, tenant: &str, zendesk_users: &Value) -> Result<Activity, String> {
        self(app, entry, tenant, zendesk_users)
    }
}

/// A compiled inline test.
#[derive(Debug)]
pub(crate) struct InlineTest {
    pub name: String,
    pub line: usize,
    pub inputs: Vec<TestInput>,
    pub zendesk_users: Value,
    pub expect: Expect,
}

/// One item of a test's `activities`.
#[derive(Debug)]
pub(crate) enum TestInput {
    Activity(Box<Activity>),
    /// A raw entry, normalized when the test runs.
    Entry {
        app: App,
        entry: Value,
        line: usize,
    },
}

/// The outcome of one inline test.
#[derive(Debug, Clone)]
pub struct InlineTestResult {
    /// The policy file.
    pub origin: String,
    /// The line the test starts on.
    pub line: usize,
    pub policy_id: String,
    pub test: String,
    pub passed: bool,
    /// What differed, when the test failed.
    pub message: Option<String>,
    /// The alerts the test's activities raised.
    pub alerts: Vec<Alert>,
}

/// Runs every inline test of every policy in the set (disabled policies included), in set order. A test
/// giving raw entries fails here, saying it needs a normalizer: see [`run_inline_tests_with`].
pub fn run_inline_tests(set: &PolicySet) -> Vec<InlineTestResult> {
    run_tests(set, None)
}

/// Runs every inline test, raw entries normalized by `normalizer` (the real connectors).
pub fn run_inline_tests_with(set: &PolicySet, normalizer: &dyn EntryNormalizer) -> Vec<InlineTestResult> {
    run_tests(set, Some(normalizer))
}

fn run_tests(set: &PolicySet, normalizer: Option<&dyn EntryNormalizer>) -> Vec<InlineTestResult> {
    let mut results = Vec::new();
    for policy in set.policies() {
        for test in &policy.tests {
            let result = |passed: bool, message: Option<String>, alerts: Vec<Alert>| InlineTestResult {
                origin: policy.origin.clone(),
                line: test.line,
                policy_id: policy.id.clone(),
                test: test.name.clone(),
                passed,
                message,
                alerts,
            };
            let activities = match activities_of(test, normalizer, &policy.origin) {
                Ok(activities) => activities,
                Err(message) => {
                    results.push(result(false, Some(message), Vec::new()));
                    continue;
                }
            };
            let mut evaluator = Evaluator::for_policy(policy, TEST_TENANT);
            let mut order: Vec<&Activity> = activities.iter().collect();
            order.sort_by_key(|a| a.occurred_at);
            let alerts: Vec<Alert> = order.into_iter().flat_map(|a| evaluator.observe(a, &a.user_key())).collect();
            let failures = compare(&test.expect, &alerts);
            results.push(result(failures.is_empty(), (!failures.is_empty()).then(|| failures.join("; ")), alerts));
        }
    }
    results
}

/// The test's activities, raw entries normalized; the error names the entry's line and why it failed.
fn activities_of(
    test: &InlineTest,
    normalizer: Option<&dyn EntryNormalizer>,
    origin: &str,
) -> Result<Vec<Activity>, String> {
    let mut activities = Vec::with_capacity(test.inputs.len());
    for input in &test.inputs {
        match input {
            TestInput::Activity(activity) => activities.push(activity.as_ref().clone()),
            TestInput::Entry { app, entry, line } => {
                let Some(normalizer) = normalizer else {
                    return Err(format!(
                        "{origin}:{line}: a raw {app} entry needs the connectors to normalize it: run the tests \
                         with `saaswarden policies test`"
                    ));
                };
                let activity = normalizer.normalize(*app, entry, TEST_TENANT, &test.zendesk_users).map_err(|e| {
                    let id = entry.get("id").map_or_else(|| "without an id".to_string(), |id| format!("id {id}"));
                    format!("{origin}:{line}: the raw {app} entry ({id}) does not normalize: {e}")
                })?;
                activities.push(activity);
            }
        }
    }
    Ok(activities)
}

fn compare(expect: &Expect, alerts: &[Alert]) -> Vec<String> {
    let mut failures = Vec::new();
    if alerts.len() != expect.alerts {
        let titles: Vec<String> = alerts.iter().map(|a| format!("\"{}\"", a.title)).collect();
        failures.push(format!(
            "expected {} alert(s), got {}{}",
            expect.alerts,
            alerts.len(),
            if titles.is_empty() { String::new() } else { format!(": {}", titles.join(", ")) }
        ));
    }
    let first = alerts.first();
    if let Some(ids) = &expect.activity_ids
        && first.map(|a| &a.activity_ids) != Some(ids)
    {
        failures
            .push(format!("expected the first alert's activity_ids {ids:?}, got {:?}", first.map(|a| &a.activity_ids)));
    }
    if let Some(title) = &expect.title
        && first.map(|a| &a.title) != Some(title)
    {
        failures.push(format!("expected the first alert's title {title:?}, got {:?}", first.map(|a| &a.title)));
    }
    if let Some(user) = &expect.user
        && first.map(|a| &a.user) != Some(user)
    {
        failures.push(format!("expected the first alert's user {user:?}, got {:?}", first.map(|a| &a.user)));
    }
    if let Some(severity) = expect.severity
        && first.map(|a| a.severity) != Some(severity)
    {
        let got = first.map_or_else(|| "no alert".to_string(), |a| a.severity.to_string());
        failures.push(format!("expected the first alert's severity {severity}, got {got}"));
    }
    if let Some(description) = &expect.description
        && first.map(|a| &a.description) != Some(description)
    {
        failures.push(format!(
            "expected the first alert's description {description:?}, got {:?}",
            first.map(|a| &a.description)
        ));
    }
    failures
}

/// The default start of a test's clock.
fn default_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// The shape of a test activity: which keys exist and which hold text (numbers and booleans written there
/// are taken as text, so `id: 1234` works for a Zendesk actor id).
enum Shape {
    Text,
    Bool,
    Number,
    TextList,
    Object(&'static [(&'static str, Shape)]),
    Any,
    Repeat,
}

const PRINCIPAL: &[(&str, Shape)] =
    &[("kind", Shape::Text), ("id", Shape::Text), ("email", Shape::Text), ("name", Shape::Text)];
const TARGET: &[(&str, Shape)] = &[("kind", Shape::Text), ("id", Shape::Text), ("name", Shape::Text)];
const GEO: &[(&str, Shape)] = &[
    ("country", Shape::Text),
    ("city", Shape::Text),
    ("latitude", Shape::Number),
    ("longitude", Shape::Number),
    ("accuracy_km", Shape::Number),
];
const ACTIVITY: &[(&str, Shape)] = &[
    ("id", Shape::Text),
    ("app", Shape::Text),
    ("tenant", Shape::Text),
    ("occurred_at", Shape::Text),
    ("action", Shape::Text),
    ("category", Shape::Text),
    ("administrative", Shape::Bool),
    ("actor", Shape::Object(PRINCIPAL)),
    ("target", Shape::Object(TARGET)),
    ("impersonator", Shape::Object(PRINCIPAL)),
    ("ip", Shape::Text),
    ("user_agent", Shape::Text),
    ("session_id", Shape::Text),
    ("outcome", Shape::Text),
    ("geo", Shape::Object(GEO)),
    ("ip_tags", Shape::TextList),
    ("asn_org", Shape::Text),
    ("raw", Shape::Any),
    ("repeat", Shape::Repeat),
];

/// Checks a test and builds its activities, reporting every bad activity with its line.
pub(crate) fn build_test(d: &mut Decoder<'_>, test: &TestModel) -> Option<InlineTest> {
    let mut clock = test.start.unwrap_or_else(default_start);
    let interval = chrono::Duration::from_std(test.interval).unwrap_or(chrono::Duration::minutes(1));
    let mut ok = true;
    let mut inputs = Vec::new();
    for (i, node) in test.activities.iter().enumerate() {
        let path = format!("{}[{i}]", join(&test.path, "activities"));
        if let Some(raw) = raw_entry(d, node, &path) {
            match raw {
                Some(input) => inputs.push(input),
                None => ok = false,
            }
            continue;
        }
        let Some(mut object) = shaped(d, node, &path, ACTIVITY) else {
            ok = false;
            continue;
        };
        let repeat = match object.remove("repeat") {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(1) as usize,
            _ => 1,
        };
        if object.get("action").is_none() {
            d.error(node.line, &join(&path, "action"), ErrorKind::MissingField, "missing field `action`");
            ok = false;
            continue;
        }
        if let Some(given) = object.get("occurred_at").and_then(Value::as_str) {
            match DateTime::parse_from_rfc3339(given.trim()) {
                Ok(t) => clock = t.with_timezone(&Utc),
                Err(_) => {
                    d.error(
                        node.line,
                        &join(&path, "occurred_at"),
                        ErrorKind::InvalidValue,
                        format!("`{given}` is not an RFC 3339 date-time like 2026-01-01T00:00:00Z"),
                    );
                    ok = false;
                    continue;
                }
            }
        }
        if inputs.len() + repeat > MAX_TEST_ACTIVITIES {
            d.error(
                node.line,
                &path,
                ErrorKind::InvalidValue,
                format!("a test may have at most {MAX_TEST_ACTIVITIES} activities"),
            );
            return None;
        }
        for _ in 0..repeat {
            let mut copy = object.clone();
            fill_defaults(&mut copy, inputs.len() + 1, clock);
            clock += interval;
            match serde_json::from_value::<Activity>(Value::Object(copy)) {
                Ok(activity) => inputs.push(TestInput::Activity(Box::new(activity))),
                Err(e) => {
                    d.error(node.line, &path, ErrorKind::InvalidValue, format!("not a valid activity: {e}"));
                    ok = false;
                    break;
                }
            }
        }
    }
    ok.then(|| InlineTest {
        name: test.name.clone(),
        line: test.line,
        inputs,
        zendesk_users: test.zendesk_users.clone(),
        expect: test.expect.clone(),
    })
}

/// `{slack: {…}}` or `{zendesk: {…}}`: `None` when the item is an activity, `Some(None)` when it is a
/// raw entry with a problem (reported).
fn raw_entry(d: &mut Decoder<'_>, node: &Node, path: &str) -> Option<Option<TestInput>> {
    let NodeValue::Map(entries) = &node.value else { return None };
    let (key, _) = entries.iter().find(|(k, _)| matches!(k.name.as_str(), "slack" | "zendesk"))?;
    let app = if key.name == "slack" { App::Slack } else { App::Zendesk };
    if let Some((other, _)) = entries.iter().find(|(k, _)| k.name != key.name) {
        d.error(
            other.line,
            &join(path, &other.name),
            ErrorKind::UnknownField,
            format!(
                "`{}` next to `{}`: a raw entry stands alone (its own fields give the time, actor and the rest)",
                other.name, key.name
            ),
        );
        return Some(None);
    }
    let (_, entry) = &entries[0];
    if !matches!(entry.value, NodeValue::Map(_)) {
        d.error(
            entry.line,
            &join(path, &key.name),
            ErrorKind::WrongType,
            format!("expected a raw {app} audit entry (a mapping, as the API returns it), got {}", entry.type_name()),
        );
        return Some(None);
    }
    Some(Some(TestInput::Entry { app, entry: entry.to_json(), line: entry.line }))
}

fn fill_defaults(object: &mut Map<String, Value>, n: usize, at: DateTime<Utc>) {
    let mut default = |key: &str, value: Value| {
        object.entry(key.to_string()).or_insert(value);
    };
    default("id", Value::String(format!("test:{n}")));
    default("app", "slack".into());
    default("tenant", TEST_TENANT.into());
    default("category", "other".into());
    default("outcome", "success".into());
    default("administrative", false.into());
    default("raw", Value::Object(Map::new()));
    default("actor", Value::Object(Map::new()));
    object.insert("occurred_at".into(), Value::String(at.to_rfc3339()));
    for (key, kind) in [("actor", "user"), ("impersonator", "app"), ("target", "unknown")] {
        if let Some(Value::Object(inner)) = object.get_mut(key) {
            inner.entry("kind").or_insert_with(|| kind.into());
        }
    }
    if let Some(Value::Object(geo)) = object.get_mut("geo") {
        geo.entry("latitude").or_insert(0.into());
        geo.entry("longitude").or_insert(0.into());
    }
}

/// The node as a JSON object of the given shape; unknown keys and wrong types are reported.
fn shaped(d: &mut Decoder<'_>, node: &Node, path: &str, shape: &[(&str, Shape)]) -> Option<Map<String, Value>> {
    let NodeValue::Map(entries) = &node.value else {
        d.error(
            node.line,
            path,
            ErrorKind::WrongType,
            format!("expected an activity (a mapping), got {}", node.type_name()),
        );
        return None;
    };
    let mut object = Map::new();
    let mut ok = true;
    for (key, value) in entries {
        let key_path = join(path, &key.name);
        let Some((_, kind)) = shape.iter().find(|(name, _)| *name == key.name) else {
            let names: Vec<&str> = shape.iter().map(|(n, _)| *n).collect();
            d.error(
                key.line,
                &key_path,
                ErrorKind::UnknownField,
                format!(
                    "unknown activity field `{}`{} (expected one of {})",
                    key.name,
                    did_you_mean(&key.name, names.iter().copied()),
                    names.join(", ")
                ),
            );
            ok = false;
            continue;
        };
        let converted = match (kind, &value.value) {
            (_, NodeValue::Null) => Some(Value::Null),
            (Shape::Text, NodeValue::Str(s)) => Some(Value::String(s.clone())),
            (Shape::Text, NodeValue::Int(_) | NodeValue::Float(_) | NodeValue::Bool(_)) => {
                Some(Value::String(value.to_json().to_string()))
            }
            (Shape::Bool, NodeValue::Bool(b)) => Some(Value::Bool(*b)),
            (Shape::Number, NodeValue::Int(_) | NodeValue::Float(_)) => Some(value.to_json()),
            (Shape::Repeat, NodeValue::Int(n)) if (1..=MAX_TEST_ACTIVITIES as i64).contains(n) => Some(value.to_json()),
            (Shape::TextList, NodeValue::Seq(items)) if items.iter().all(|i| i.as_str().is_some()) => {
                Some(value.to_json())
            }
            (Shape::Object(inner), NodeValue::Map(_)) => shaped(d, value, &key_path, inner).map(Value::Object),
            (Shape::Any, _) => Some(value.to_json()),
            _ => {
                let expected = match kind {
                    Shape::Text => "text",
                    Shape::Bool => "true or false",
                    Shape::Number => "a number",
                    Shape::TextList => "a list of text",
                    Shape::Object(_) => "a mapping",
                    Shape::Repeat => "a whole number from 1 to 100000",
                    Shape::Any => "anything",
                };
                d.error(
                    value.line,
                    &key_path,
                    ErrorKind::WrongType,
                    format!("expected {expected}, got {}", value.type_name()),
                );
                None
            }
        };
        match converted {
            // An explicit null leaves the default in place.
            Some(Value::Null) => {}
            Some(v) => {
                object.insert(key.name.clone(), v);
            }
            None => ok = false,
        }
    }
    ok.then_some(object)
}

//! Generated hostile inputs for every parser of untrusted text: the Slack and Zendesk normalizers, the
//! exported-file reader (JSON, JSON arrays, JSON Lines), the policy YAML parser and the configuration.
//!
//! Inputs are mutations of real ones (the fixtures, the starter policies, the example configuration):
//! values swapped for JSON of another type, fields dropped or duplicated, text cut, spliced and salted
//! with the characters each grammar cares about. A seeded generator (ChaCha) makes every run repeatable;
//! a failure names its case number and prints the input. Each check runs `cases` inputs and returns the
//! first broken property:
//!
//! - nothing panics;
//! - every rejection names what was wrong: the field (or that the entry is not an object) for an entry,
//!   the location for a file's part, the line or field for a policy, the setting or position for the
//!   configuration.
//!
//! `tests/it/fuzz.rs` runs a few thousand per parser in CI; `cargo bench -p saaswarden-tests --bench fuzz`
//! runs a million per parser (`SAASWARDEN_FUZZ_CASES`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use saaswarden_connectors::input::read_bytes;
use saaswarden_connectors::zendesk::ZendeskUsers;
use saaswarden_connectors::{slack, zendesk};
use saaswarden_core::activity::App;
use saaswarden_core::config::{Config, ConfigError};
use saaswarden_policy::{Groups, PolicySet};
use serde_json::{Map, Value, json};

use crate::fixture;

/// The parsers under test, by the name the bench prints.
pub const PARSERS: [&str; 5] = ["slack", "zendesk", "input", "policy", "config"];

/// Runs `cases` generated inputs through the parser `name` (one of [`PARSERS`]), from `seed`.
pub fn check(name: &str, cases: u64, seed: u64) -> Result<(), String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let seeds = Seeds::load();
    for case in 0..cases {
        let outcome = match name {
            "slack" => slack_case(&mut rng, &seeds),
            "zendesk" => zendesk_case(&mut rng, &seeds),
            "input" => input_case(&mut rng, &seeds),
            "policy" => policy_case(&mut rng, &seeds),
            "config" => config_case(&mut rng, &seeds),
            other => return Err(format!("no parser `{other}`; expected one of {PARSERS:?}")),
        };
        if let Err(broken) = outcome {
            return Err(format!("{name}, case {case} of seed {seed}: {broken}"));
        }
    }
    Ok(())
}

/// The real inputs mutations start from.
struct Seeds {
    slack: Vec<Value>,
    zendesk: Vec<Value>,
    users: ZendeskUsers,
    policies: Vec<String>,
    config: String,
}

impl Seeds {
    fn load() -> Seeds {
        let read = |relative: &str| std::fs::read_to_string(fixture(relative)).unwrap_or_default();
        let entries = |text: String, key: &str| -> Vec<Value> {
            serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|page| page.get(key).and_then(Value::as_array).cloned())
                .unwrap_or_default()
        };
        let mut policies: Vec<String> =
            saaswarden_policy::starter::sources().into_iter().map(|(_, text)| text).collect();
        policies.truncate(8);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        Seeds {
            slack: entries(read("slack/page1.json"), "entries"),
            zendesk: entries(read("zendesk/audit_logs.json"), "audit_logs"),
            users: crate::fixture_users(),
            policies,
            config: std::fs::read_to_string(root.join("docs/saaswarden.example.toml")).unwrap_or_default(),
        }
    }
}

/// Runs `parse`, turning a panic into the broken property (with the input).
fn no_panic<T>(input: &dyn std::fmt::Display, parse: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(parse)).map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("panicked ({message}) on input:\n{input}")
    })
}

fn slack_case(rng: &mut ChaCha8Rng, seeds: &Seeds) -> Result<(), String> {
    let entry = mutate_entry(rng, &seeds.slack);
    let result = no_panic(&entry, || slack::normalize(&entry, "acme"))?;
    entry_rejection_is_named(&entry, result.err())
}

fn zendesk_case(rng: &mut ChaCha8Rng, seeds: &Seeds) -> Result<(), String> {
    let entry = mutate_entry(rng, &seeds.zendesk);
    let result = no_panic(&entry, || zendesk::normalize(&entry, "acme", &seeds.users))?;
    entry_rejection_is_named(&entry, result.err())
}

/// A rejected entry names its field, or says the entry is not an object (and then it is not).
fn entry_rejection_is_named(entry: &Value, error: Option<saaswarden_connectors::NormalizeError>) -> Result<(), String> {
    let Some(error) = error else { return Ok(()) };
    match error.field() {
        Some(field) if error.to_string().contains(field) => Ok(()),
        None if !entry.is_object() => Ok(()),
        _ => Err(format!("rejection `{error}` names no field, for {entry}")),
    }
}

fn input_case(rng: &mut ChaCha8Rng, seeds: &Seeds) -> Result<(), String> {
    let (app, entries, key) = if rng.random_bool(0.5) {
        (App::Slack, &seeds.slack, "entries")
    } else {
        (App::Zendesk, &seeds.zendesk, "audit_logs")
    };
    let picked: Vec<Value> = (0..rng.random_range(0..6)).map(|_| mutate_entry(rng, entries)).collect();
    let text = match rng.random_range(0..3) {
        0 => json!({ key: picked }).to_string(),
        1 => Value::Array(picked).to_string(),
        _ => picked.iter().map(Value::to_string).collect::<Vec<_>>().join("\n"),
    };
    let mut bytes = mutate_text(rng, &text, b"{}[]\",:\n\\ 0e-").into_bytes();
    if rng.random_bool(0.05) {
        bytes.push(0xff);
    }
    let shown = String::from_utf8_lossy(&bytes).into_owned();
    let label = "fuzz/export.json";
    let outcome = no_panic(&shown, || read_bytes(label, bytes.clone(), app))?;
    for rejected in &outcome.rejected {
        if !rejected.location.starts_with(label) || rejected.reason.is_empty() {
            return Err(format!("rejection `{rejected}` names no place in the file, for:\n{shown}"));
        }
    }
    if let Some(entry) = outcome.entries.iter().find(|e| !e.value.is_object() || !e.location.starts_with(label)) {
        return Err(format!("entry at `{}` is not an object read from the file: {}", entry.location, entry.value));
    }
    Ok(())
}

fn policy_case(rng: &mut ChaCha8Rng, seeds: &Seeds) -> Result<(), String> {
    let base = seeds.policies.get(rng.random_range(0..seeds.policies.len().max(1))).cloned().unwrap_or_default();
    let text = mutate_text(rng, &base, b":-[]{}#'\"\n &*!|>%@`,?0");
    let sources = [("fuzz.yaml".to_string(), text.clone())];
    let result = no_panic(&text, || PolicySet::from_sources(&sources, &Groups::new()))?;
    let Err(errors) = result else { return Ok(()) };
    if errors.is_empty() {
        return Err(format!("rejected with no error, for:\n{text}"));
    }
    match errors.iter().find(|e| e.origin != "fuzz.yaml" || (e.line.is_none() && e.field.is_empty())) {
        Some(error) => Err(format!("error `{error}` names neither a line nor a field, for:\n{text}")),
        None => Ok(()),
    }
}

fn config_case(rng: &mut ChaCha8Rng, seeds: &Seeds) -> Result<(), String> {
    let text = mutate_text(rng, &seeds.config, b"=[]{}\"'#.\n ,0-_tf");
    let result = no_panic(&text, || Config::from_toml_str(&text, "fuzz.toml"))?;
    match result {
        Ok(_) => Ok(()),
        Err(ConfigError::Invalid { origin, setting, .. }) if origin == "fuzz.toml" && !setting.is_empty() => Ok(()),
        // TOML's own errors give the line and column.
        Err(ConfigError::Parse { origin, message }) if origin == "fuzz.toml" && message.contains("line") => Ok(()),
        Err(error) => Err(format!("error `{error}` names no setting nor position, for:\n{text}")),
    }
}

/// A seed entry with a few of its values replaced, dropped or nested deeper; sometimes not an object.
fn mutate_entry(rng: &mut ChaCha8Rng, seeds: &[Value]) -> Value {
    if seeds.is_empty() || rng.random_bool(0.03) {
        return random_value(rng, 3);
    }
    let mut entry = seeds[rng.random_range(0..seeds.len())].clone();
    for _ in 0..rng.random_range(1..4) {
        mutate_value(rng, &mut entry, 0);
    }
    entry
}

fn mutate_value(rng: &mut ChaCha8Rng, value: &mut Value, depth: usize) {
    match value {
        Value::Object(map) if !map.is_empty() && depth < 4 => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[rng.random_range(0..keys.len())];
            match rng.random_range(0..4) {
                0 => {
                    map.remove(key);
                }
                1 => {
                    map.insert(key.clone(), random_value(rng, 2));
                }
                _ => {
                    if let Some(inner) = map.get_mut(key) {
                        mutate_value(rng, inner, depth + 1);
                    }
                }
            }
        }
        Value::Array(items) if !items.is_empty() && depth < 4 => {
            let at = rng.random_range(0..items.len());
            mutate_value(rng, &mut items[at], depth + 1);
        }
        other => *other = random_value(rng, 2),
    }
}

/// Any JSON value, with the numbers and strings parsers trip on.
fn random_value(rng: &mut ChaCha8Rng, depth: usize) -> Value {
    let kinds = if depth == 0 { 5 } else { 7 };
    match rng.random_range(0..kinds) {
        0 => Value::Null,
        1 => Value::Bool(rng.random_bool(0.5)),
        2 => match rng.random_range(0..6) {
            0 => json!(i64::MIN),
            1 => json!(u64::MAX),
            2 => json!(-1),
            3 => json!(1e308),
            4 => json!(rng.random_range(-1_000_000_000_000_i64..10_000_000_000_000)),
            _ => json!(rng.random::<f64>() * 1e12),
        },
        3 | 4 => Value::String(random_string(rng)),
        5 => Value::Array((0..rng.random_range(0..4)).map(|_| random_value(rng, depth - 1)).collect()),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.random_range(0..4) {
                map.insert(random_string(rng), random_value(rng, depth - 1));
            }
            Value::Object(map)
        }
    }
}

fn random_string(rng: &mut ChaCha8Rng) -> String {
    const PIECES: [&str; 18] = [
        "",
        " ",
        "id",
        "user",
        "email",
        "@",
        "2026-10-14T09:12:51Z",
        "1791968700",
        "-1",
        "::1",
        "256.1.1.1",
        "user_login",
        "é",
        "\u{202e}",
        "\u{feff}",
        "\0",
        "\"",
        "W0BOB00002",
    ];
    let mut text = String::new();
    for _ in 0..rng.random_range(0..4) {
        if rng.random_bool(0.8) {
            text.push_str(PIECES[rng.random_range(0..PIECES.len())]);
        } else {
            text.push(char::from_u32(rng.random_range(0..0x11_0000)).unwrap_or('\u{fffd}'));
        }
    }
    text
}

/// Text with a few edits: characters of the grammar inserted, spans deleted or duplicated, lines swapped.
fn mutate_text(rng: &mut ChaCha8Rng, text: &str, alphabet: &[u8]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..rng.random_range(1..5) {
        let len = chars.len();
        let at = if len == 0 { 0 } else { rng.random_range(0..=len) };
        match rng.random_range(0..5) {
            0 | 1 => {
                let byte = alphabet.get(rng.random_range(0..alphabet.len().max(1))).copied().unwrap_or(b' ');
                chars.insert(at, char::from(byte));
            }
            2 if len > 0 => {
                let end = (at + rng.random_range(1..40)).min(len);
                chars.drain(at.min(end)..end);
            }
            3 if len > 0 => {
                let end = (at + rng.random_range(1..80)).min(len);
                let span: Vec<char> = chars[at.min(end)..end].to_vec();
                let to = rng.random_range(0..=chars.len());
                chars.splice(to..to, span);
            }
            _ => {
                let mut bytes = [0u8; 4];
                rng.fill_bytes(&mut bytes);
                let c = char::from_u32(u32::from_le_bytes(bytes) % 0x11_0000).unwrap_or('\u{fffd}');
                chars.insert(at, c);
            }
        }
    }
    chars.into_iter().collect()
}

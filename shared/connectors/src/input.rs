//! Reading exported audit logs from files: replay, demos and tests.
//!
//! A file holds API response pages (`{"entries": […]}` for Slack, `{"audit_logs": […]}` for Zendesk, other
//! keys ignored), a JSON array of entries, or JSON Lines (one entry, or one page, per line). The form is
//! read from the content, not the extension, because exports get renamed. Damage is contained: a broken
//! file, line or element becomes one [`Rejected`] and everything else is still read.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use saaswarden_core::activity::App;
use serde_json::{Map, Value};

use crate::error::{InputError, NormalizeError, describe};

/// One raw entry read from a file, with where it came from for error messages.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEntry {
    /// `logs/page1.json: entries[3]`, `logs/x.jsonl: line 7`, `logs/all.json: [12]`.
    pub location: String,
    pub value: Value,
}

impl RawEntry {
    /// The rejection to report when this entry does not normalize.
    pub fn reject(&self, error: &NormalizeError) -> Rejected {
        Rejected {
            location: self.location.clone(),
            entry_id: error.entry_id().map(str::to_owned),
            reason: error.problem().to_string(),
        }
    }
}

/// An entry or file that could not be read, reported and skipped; the rest goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub location: String,
    pub entry_id: Option<String>,
    pub reason: String,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.entry_id {
            Some(id) => write!(f, "{} (id {}): {}", self.location, id, self.reason),
            None => write!(f, "{}: {}", self.location, self.reason),
        }
    }
}

/// Everything read from a path: the entries in file order (files sorted by path), and what was skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadOutcome {
    pub entries: Vec<RawEntry>,
    pub rejected: Vec<Rejected>,
}

/// Reads a file or a directory of exported audit logs of `app`.
///
/// A directory is read recursively, files sorted by path, only `*.json`, `*.jsonl` and `*.ndjson`; a file
/// named directly is read whatever its extension. Symbolic links to directories are not followed, so a
/// link cycle cannot make the walk endless.
///
/// Only the shape is checked here (each entry is a JSON object); whether an entry has its required fields
/// is the normalizer's job. A path that cannot be opened or listed is an error; a file that opens but is
/// not valid JSON is one [`Rejected`] naming the file, and the other files are still read.
pub fn read_path(path: &Path, app: App) -> Result<ReadOutcome, InputError> {
    let files = log_files(path)?;
    let mut outcome = ReadOutcome::default();
    for file in &files {
        read_file(file, app, &mut outcome)?;
    }
    tracing::debug!(
        path = %path.display(),
        files = files.len(),
        entries = outcome.entries.len(),
        rejected = outcome.rejected.len(),
        "read exported audit logs"
    );
    Ok(outcome)
}

/// The files [`read_path`] reads for `path`, in the order it reads them: the file itself, or a directory's
/// log files sorted by path. Reading them one at a time with [`read_path`] keeps one file in memory.
pub fn log_files(path: &Path) -> Result<Vec<PathBuf>, InputError> {
    let metadata = fs::metadata(path).map_err(|source| InputError::Open { path: path.to_path_buf(), source })?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    collect_log_files(path, &mut files)?;
    files.sort();
    Ok(files)
}

const LOG_EXTENSIONS: [&str; 3] = ["json", "jsonl", "ndjson"];

fn collect_log_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let list_error = |source| InputError::ListDirectory { path: dir.to_path_buf(), source };
    for item in fs::read_dir(dir).map_err(list_error)? {
        let item = item.map_err(list_error)?;
        let path = item.path();
        let file_type = item.file_type().map_err(list_error)?;
        if file_type.is_dir() {
            collect_log_files(&path, files)?;
        } else if (file_type.is_file() || (file_type.is_symlink() && path.is_file())) && is_log_file(&path) {
            files.push(path);
        }
    }
    Ok(())
}

fn is_log_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| LOG_EXTENSIONS.iter().any(|known| e.eq_ignore_ascii_case(known)))
}

fn read_file(path: &Path, app: App, out: &mut ReadOutcome) -> Result<(), InputError> {
    let bytes = fs::read(path).map_err(|source| InputError::Open { path: path.to_path_buf(), source })?;
    read_bytes_into(&path.display().to_string(), bytes, app, out);
    Ok(())
}

/// Reads the content of one exported file, named `label` in locations: what [`read_path`] does with each
/// file once it is open.
pub fn read_bytes(label: &str, bytes: Vec<u8>, app: App) -> ReadOutcome {
    let mut outcome = ReadOutcome::default();
    read_bytes_into(label, bytes, app, &mut outcome);
    outcome
}

fn read_bytes_into(label: &str, bytes: Vec<u8>, app: App, out: &mut ReadOutcome) {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let reason = format!("not UTF-8 text ({err}); audit-log exports are JSON");
            out.rejected.push(Rejected { location: label.to_string(), entry_id: None, reason });
            return;
        }
    };
    read_text(label, text.trim_start_matches('\u{feff}'), app, out);
}

fn read_text(label: &str, text: &str, app: App, out: &mut ReadOutcome) {
    if text.trim().is_empty() {
        tracing::debug!(file = label, "empty audit-log file");
        return;
    }
    let whole_file_error = match serde_json::from_str::<Value>(text) {
        Ok(document) => return read_document(label, document, app, out),
        Err(err) => err,
    };
    // Not one JSON document: JSON Lines if at least one line is an object on its own. A truncated page
    // has no such line (its objects span lines or end in a comma), so it is reported as one broken file.
    let lines: Vec<(usize, Result<Value, serde_json::Error>)> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| (index + 1, serde_json::from_str(line)))
        .collect();
    if !lines.iter().any(|(_, parsed)| matches!(parsed, Ok(Value::Object(_)))) {
        let reason = format!("not valid JSON ({whole_file_error}); the file may be truncated, export it again");
        out.rejected.push(Rejected { location: label.to_owned(), entry_id: None, reason });
        return;
    }
    for (number, parsed) in lines {
        let location = format!("{label}: line {number}");
        match parsed {
            Ok(value) => read_document(&location, value, app, out),
            Err(err) => {
                let reason = format!("not valid JSON ({})", without_position(&err));
                out.rejected.push(Rejected { location, entry_id: None, reason });
            }
        }
    }
}

/// serde_json ends its messages with "at line 1 column 40"; inside a line the line number is the location's.
fn without_position(err: &serde_json::Error) -> String {
    let message = err.to_string();
    let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
    format!("{message} at column {}", err.column())
}

fn page_key(app: App) -> &'static str {
    match app {
        App::Slack => "entries",
        App::Zendesk => "audit_logs",
    }
}

/// One JSON document (a whole file or a line): a page, an array of entries, or a single entry.
fn read_document(location: &str, document: Value, app: App, out: &mut ReadOutcome) {
    let mut object = match document {
        Value::Object(object) => object,
        Value::Array(items) => return push_elements(location, "", items, out),
        other => {
            let reason =
                format!("expected an audit-log page, an array of entries or JSON Lines, got {}", describe(&other));
            out.rejected.push(Rejected { location: location.to_owned(), entry_id: None, reason });
            return;
        }
    };
    let key = page_key(app);
    if let Some(page) = object.remove(key) {
        match page {
            Value::Array(items) => push_elements(location, key, items, out),
            Value::Null => {}
            other => {
                let reason = format!("`{key}` should be an array of entries, got {}", describe(&other));
                out.rejected.push(Rejected { location: location.to_owned(), entry_id: None, reason });
            }
        }
        return;
    }
    if let Some(reason) = not_an_entry(&object, app) {
        out.rejected.push(Rejected { location: location.to_owned(), entry_id: None, reason });
        return;
    }
    if object.get("users").is_some_and(Value::is_array) {
        // A Zendesk users file kept next to the audit logs it resolves: not audit logs, not an error either.
        tracing::info!(file = location, "skipping a Zendesk users file");
        return;
    }
    if app == App::Zendesk
        && let Some(Value::Object(entry)) = object.remove("audit_log")
    {
        // `GET /audit_logs/{id}` wraps its one entry.
        let location = format!("{location}: audit_log");
        out.entries.push(RawEntry { location, value: Value::Object(entry) });
        return;
    }
    out.entries.push(RawEntry { location: location.to_owned(), value: Value::Object(object) });
}

/// Why an object that is not a page of `app` is not an entry either, if it is recognisably something else.
fn not_an_entry(object: &Map<String, Value>, app: App) -> Option<String> {
    for other in App::ALL.into_iter().filter(|other| *other != app) {
        let key = page_key(other);
        if object.contains_key(key) {
            return Some(format!("this is a {other} audit-log page (`{key}`), but it is being read as {app}"));
        }
    }
    let slack_error = object.get("ok") == Some(&Value::Bool(false));
    let error = object.get("error").or_else(|| object.get("errors"));
    if slack_error || error.is_some() {
        let error = error.map_or_else(|| "no error given".to_owned(), describe);
        let description = object.get("description").and_then(Value::as_str).map(|d| format!(": {d}"));
        return Some(format!(
            "the {app} API answered with an error instead of entries ({error}{})",
            description.unwrap_or_default()
        ));
    }
    None
}

fn push_elements(location: &str, key: &str, items: Vec<Value>, out: &mut ReadOutcome) {
    for (index, item) in items.into_iter().enumerate() {
        let location = format!("{location}: {key}[{index}]");
        if item.is_object() {
            out.entries.push(RawEntry { location, value: item });
        } else {
            let reason = format!("expected an entry object, got {}", describe(&item));
            out.rejected.push(Rejected { location, entry_id: None, reason });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use serde_json::json;
    use tempfile::TempDir;

    use super::*;

    fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent");
        }
        let mut file = fs::File::create(&path).expect("create file");
        file.write_all(content.as_bytes()).expect("write file");
        path
    }

    fn slack_entry(id: &str) -> Value {
        json!({"id": id, "date_create": 1791979200, "action": "user_login",
               "actor": {"type": "user", "user": {"id": "W1", "email": "ana@acme.example"}}})
    }

    fn zendesk_entry(id: i64) -> Value {
        json!({"id": id, "action": "login", "actor_id": 1234, "created_at": "2026-10-14T09:00:00Z"})
    }

    fn read(path: &Path, app: App) -> ReadOutcome {
        read_path(path, app).expect("path is readable")
    }

    fn locations(outcome: &ReadOutcome) -> Vec<String> {
        outcome.entries.iter().map(|e| e.location.clone()).collect()
    }

    fn ids(outcome: &ReadOutcome) -> Vec<Value> {
        outcome.entries.iter().map(|e| e.value["id"].clone()).collect()
    }

    #[test]
    fn slack_page_yields_its_entries_and_ignores_response_metadata() {
        let dir = TempDir::new().expect("tempdir");
        let page = json!({
            "entries": [slack_entry("a"), slack_entry("b"), slack_entry("c")],
            "response_metadata": {"next_cursor": "dXNlcjpVMEc5V0ZYTlo="}
        });
        let path = write(dir.path(), "page1.json", &serde_json::to_string_pretty(&page).expect("json"));

        let outcome = read(&path, App::Slack);

        assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
        assert_eq!(ids(&outcome), [json!("a"), json!("b"), json!("c")]);
        let file = path.display();
        assert_eq!(locations(&outcome), [0, 1, 2].map(|i| format!("{file}: entries[{i}]")));
        assert_eq!(outcome.entries[1].value, slack_entry("b"));
    }

    #[test]
    fn zendesk_page_yields_its_entries_and_ignores_meta_and_links() {
        let dir = TempDir::new().expect("tempdir");
        let page = json!({
            "audit_logs": [zendesk_entry(1), zendesk_entry(2)],
            "meta": {"has_more": true, "after_cursor": "xxx", "before_cursor": "yyy"},
            "links": {"next": "https://acme.zendesk.com/api/v2/audit_logs?page[after]=xxx", "prev": null}
        });
        let path = write(dir.path(), "audit_logs.json", &page.to_string());

        let outcome = read(&path, App::Zendesk);

        assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
        assert_eq!(ids(&outcome), [json!(1), json!(2)]);
        assert_eq!(outcome.entries[0].location, format!("{}: audit_logs[0]", path.display()));
    }

    #[test]
    fn json_lines_yield_one_entry_per_line_and_skip_blank_lines() {
        let dir = TempDir::new().expect("tempdir");
        let content = format!("{}\n\n{}\r\n   \n{}\n", slack_entry("a"), slack_entry("b"), slack_entry("c"));
        let path = write(dir.path(), "x.jsonl", &content);

        let outcome = read(&path, App::Slack);

        assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
        assert_eq!(ids(&outcome), [json!("a"), json!("b"), json!("c")]);
        let file = path.display();
        assert_eq!(locations(&outcome), [1, 3, 5].map(|n| format!("{file}: line {n}")));
    }

    #[test]
    fn broken_json_line_is_rejected_alone() {
        let dir = TempDir::new().expect("tempdir");
        let content =
            format!("{}\n{{\"id\": \"b\", \"date_create\": 17\n{}\n[1]\n", slack_entry("a"), slack_entry("c"));
        let path = write(dir.path(), "x.ndjson", &content);

        let outcome = read(&path, App::Slack);

        assert_eq!(ids(&outcome), [json!("a"), json!("c")]);
        let file = path.display();
        assert_eq!(
            outcome.rejected,
            [
                Rejected {
                    location: format!("{file}: line 2"),
                    entry_id: None,
                    reason: "not valid JSON (EOF while parsing an object at column 29)".into(),
                },
                Rejected {
                    location: format!("{file}: line 4: [0]"),
                    entry_id: None,
                    reason: "expected an entry object, got 1".into(),
                },
            ]
        );
    }

    #[test]
    fn json_array_yields_its_entries_with_positions() {
        let dir = TempDir::new().expect("tempdir");
        let path = write(dir.path(), "all.json", &json!([zendesk_entry(7), zendesk_entry(8)]).to_string());

        let outcome = read(&path, App::Zendesk);

        assert_eq!(ids(&outcome), [json!(7), json!(8)]);
        assert_eq!(outcome.entries[1].location, format!("{}: [1]", path.display()));
    }

    #[test]
    fn page_elements_that_are_not_objects_are_rejected_by_position_and_the_rest_is_kept() {
        let dir = TempDir::new().expect("tempdir");
        let page = json!({"entries": [
            slack_entry("a"),
            42,
            {"date_create": 1791979200, "action": "user_login"},
            "entry",
            null,
            slack_entry("b"),
        ]});
        let path = write(dir.path(), "page.json", &page.to_string());

        let outcome = read(&path, App::Slack);

        // An object without an id is still an entry: required fields are the normalizer's business.
        assert_eq!(ids(&outcome), [json!("a"), Value::Null, json!("b")]);
        let file = path.display();
        let rejected: Vec<String> = outcome.rejected.iter().map(ToString::to_string).collect();
        assert_eq!(
            rejected,
            [
                format!("{file}: entries[1]: expected an entry object, got 42"),
                format!("{file}: entries[3]: expected an entry object, got \"entry\""),
                format!("{file}: entries[4]: expected an entry object, got null"),
            ]
        );
    }

    #[test]
    fn directory_is_read_recursively_in_path_order_whatever_the_form() {
        let dir = TempDir::new().expect("tempdir");
        write(dir.path(), "b/page2.json", &json!({"entries": [slack_entry("p2")]}).to_string());
        write(dir.path(), "a.jsonl", &format!("{}\n{}\n", slack_entry("l1"), slack_entry("l2")));
        write(dir.path(), "b/page1.json", &json!({"entries": [slack_entry("p1")]}).to_string());
        write(dir.path(), "c/deeper/all.JSON", &json!([slack_entry("arr")]).to_string());
        write(dir.path(), "d.ndjson", &slack_entry("nd").to_string());
        write(dir.path(), "notes.txt", "not audit logs");
        write(dir.path(), "export.csv", "id,action\n1,user_login\n");

        let outcome = read(dir.path(), App::Slack);

        assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
        assert_eq!(ids(&outcome), ["l1", "l2", "p1", "p2", "arr", "nd"].map(|id| json!(id)));
    }

    #[test]
    fn truncated_file_is_rejected_by_name_and_the_other_files_are_still_read() {
        let dir = TempDir::new().expect("tempdir");
        let full =
            serde_json::to_string_pretty(&json!({"entries": [slack_entry("a"), slack_entry("b")]})).expect("json");
        let truncated = write(dir.path(), "1-truncated.json", &full[..full.len() / 2]);
        write(dir.path(), "2-good.json", &json!({"entries": [slack_entry("c")]}).to_string());

        let outcome = read(dir.path(), App::Slack);

        assert_eq!(ids(&outcome), [json!("c")]);
        assert_eq!(outcome.rejected.len(), 1);
        let rejected = &outcome.rejected[0];
        assert_eq!(rejected.location, truncated.display().to_string());
        assert!(rejected.reason.starts_with("not valid JSON (EOF while parsing"), "{rejected}");
        assert!(rejected.reason.contains(" at line "), "names line and column: {rejected}");
    }

    #[test]
    fn missing_path_is_an_error_naming_it() {
        let dir = TempDir::new().expect("tempdir");
        let missing = dir.path().join("no-such-export.json");

        let err = read_path(&missing, App::Slack).expect_err("missing path");

        assert_eq!(err.path(), missing);
        assert!(err.to_string().contains(&missing.display().to_string()), "{err}");
    }

    #[test]
    fn form_is_detected_from_content_not_extension() {
        let dir = TempDir::new().expect("tempdir");
        let lines_named_json =
            write(dir.path(), "lines.json", &format!("{}\n{}\n", slack_entry("a"), slack_entry("b")));
        let page_named_jsonl = write(dir.path(), "page.jsonl", &json!({"entries": [slack_entry("c")]}).to_string());

        assert_eq!(ids(&read(&lines_named_json, App::Slack)), [json!("a"), json!("b")]);
        assert_eq!(ids(&read(&page_named_jsonl, App::Slack)), [json!("c")]);
    }

    #[test]
    fn file_named_directly_is_read_whatever_its_extension() {
        let dir = TempDir::new().expect("tempdir");
        let path = write(dir.path(), "export.log", &slack_entry("a").to_string());
        assert_eq!(ids(&read(&path, App::Slack)), [json!("a")]);
    }

    #[test]
    fn json_lines_of_pages_expand_every_page() {
        let dir = TempDir::new().expect("tempdir");
        let content = format!(
            "{}\n{}\n",
            json!({"audit_logs": [zendesk_entry(1), zendesk_entry(2)], "meta": {"has_more": true}}),
            json!({"audit_logs": [zendesk_entry(3)], "meta": {"has_more": false}}),
        );
        let path = write(dir.path(), "pages.jsonl", &content);

        let outcome = read(&path, App::Zendesk);

        assert_eq!(ids(&outcome), [json!(1), json!(2), json!(3)]);
        assert_eq!(outcome.entries[2].location, format!("{}: line 2: audit_logs[0]", path.display()));
    }

    #[test]
    fn page_of_the_other_app_is_rejected_with_the_mismatch() {
        let dir = TempDir::new().expect("tempdir");
        let path = write(dir.path(), "page.json", &json!({"entries": [slack_entry("a")]}).to_string());

        let outcome = read(&path, App::Zendesk);

        assert!(outcome.entries.is_empty());
        assert_eq!(
            outcome.rejected[0].to_string(),
            format!("{}: this is a slack audit-log page (`entries`), but it is being read as zendesk", path.display())
        );
    }

    #[test]
    fn api_error_bodies_are_rejected_with_the_error() {
        let dir = TempDir::new().expect("tempdir");
        let slack = write(dir.path(), "slack.json", r#"{"ok": false, "error": "invalid_cursor"}"#);
        let zendesk = write(
            dir.path(),
            "zendesk.json",
            r#"{"error": "InvalidPaginationParameter", "description": "page[size] must be at most 100"}"#,
        );

        let slack = read(&slack, App::Slack);
        let zendesk = read(&zendesk, App::Zendesk);

        assert!(slack.entries.is_empty() && zendesk.entries.is_empty());
        assert!(slack.rejected[0].reason.contains("\"invalid_cursor\""), "{}", slack.rejected[0]);
        assert!(zendesk.rejected[0].reason.contains("page[size] must be at most 100"), "{}", zendesk.rejected[0]);
    }

    #[test]
    fn page_key_that_is_not_an_array_is_rejected_and_null_is_an_empty_page() {
        let dir = TempDir::new().expect("tempdir");
        let wrong = write(dir.path(), "wrong.json", r#"{"entries": {"id": "a"}}"#);
        let empty = write(dir.path(), "empty.json", r#"{"entries": null, "response_metadata": {"next_cursor": ""}}"#);

        let wrong = read(&wrong, App::Slack);
        assert_eq!(wrong.rejected[0].reason, "`entries` should be an array of entries, got an object");
        assert_eq!(read(&empty, App::Slack), ReadOutcome::default());
    }

    #[test]
    fn single_entry_documents_are_entries() {
        let dir = TempDir::new().expect("tempdir");
        let slack = write(dir.path(), "one.json", &slack_entry("solo").to_string());
        let zendesk = write(dir.path(), "show.json", &json!({"audit_log": zendesk_entry(9)}).to_string());

        let slack = read(&slack, App::Slack);
        let zendesk = read(&zendesk, App::Zendesk);

        assert_eq!(ids(&slack), [json!("solo")]);
        assert_eq!(ids(&zendesk), [json!(9)]);
        assert_eq!(zendesk.entries[0].location, format!("{}: audit_log", dir.path().join("show.json").display()));
    }

    #[test]
    fn users_file_next_to_audit_logs_is_skipped() {
        let dir = TempDir::new().expect("tempdir");
        write(dir.path(), "audit_logs.json", &json!({"audit_logs": [zendesk_entry(1)]}).to_string());
        write(dir.path(), "users.json", &json!({"users": [{"id": 1234, "email": "a@acme.example"}]}).to_string());

        let outcome = read(dir.path(), App::Zendesk);

        assert_eq!(ids(&outcome), [json!(1)]);
        assert!(outcome.rejected.is_empty(), "{:?}", outcome.rejected);
    }

    #[test]
    fn empty_files_hold_no_entries_and_scalars_and_non_utf8_are_rejected() {
        let dir = TempDir::new().expect("tempdir");
        write(dir.path(), "a-empty.jsonl", " \n\n");
        write(dir.path(), "b-bom.json", "\u{feff}[]");
        let scalar = write(dir.path(), "c-scalar.json", "42");
        let binary = dir.path().join("d-binary.json");
        fs::write(&binary, [0xff, 0xfe, 0x00, 0x7b]).expect("write");

        let outcome = read(dir.path(), App::Slack);

        assert!(outcome.entries.is_empty());
        let rejected: Vec<(String, bool)> = outcome
            .rejected
            .iter()
            .map(|r| {
                (
                    r.location.clone(),
                    r.reason.starts_with("expected an audit-log page") || r.reason.starts_with("not UTF-8"),
                )
            })
            .collect();
        assert_eq!(rejected, [(scalar.display().to_string(), true), (binary.display().to_string(), true)]);
    }

    #[test]
    fn rejected_entry_shows_location_id_and_reason_once() {
        let raw = RawEntry {
            location: "logs/page1.json: entries[3]".into(),
            value: json!({"id": "0123a", "action": "user_login"}),
        };
        let error = crate::slack::normalize(&raw.value, "acme").expect_err("no date_create");

        let rejected = raw.reject(&error);

        assert_eq!(rejected.entry_id.as_deref(), Some("0123a"));
        assert_eq!(rejected.to_string(), "logs/page1.json: entries[3] (id 0123a): field `date_create`: missing");
        let without_id =
            Rejected { location: "logs/x.jsonl: line 7".into(), entry_id: None, reason: "not valid JSON".into() };
        assert_eq!(without_id.to_string(), "logs/x.jsonl: line 7: not valid JSON");
    }
}

//! The `saaswarden` binary as a user runs it: arguments, output, exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(relative)
}

fn saaswarden(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saaswarden"))
        .args(args)
        .env_remove("SAASWARDEN_DB")
        .env_remove("SAASWARDEN_CONFIG")
        .output()
        .expect("run saaswarden")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A config with no learning period, so the minutes-long fixtures can alert.
fn eager_config(dir: &Path) -> PathBuf {
    let path = dir.join("eager.toml");
    std::fs::write(&path, "tenant = \"acme\"\n[detections.multiple_failed_logins]\nlearning_period = \"0s\"\n")
        .expect("write config");
    path
}

struct Replayed {
    _dir: tempfile::TempDir,
    db: String,
    config: String,
}

/// Every fixture replayed into a fresh store.
fn replayed() -> Replayed {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("cli.db").display().to_string();
    let config = eager_config(dir.path()).display().to_string();
    let out = saaswarden(&[
        "run",
        "--db",
        &db,
        "--config",
        &config,
        "--slack-logs",
        &fixture("slack/page1.json").display().to_string(),
        &fixture("slack/page2.json").display().to_string(),
        "--zendesk-logs",
        &fixture("zendesk/audit_logs.json").display().to_string(),
        "--zendesk-users",
        &fixture("zendesk/users.json").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    Replayed { _dir: dir, db, config }
}

fn alerts_json(db: &str) -> Vec<Value> {
    let out = saaswarden(&["alerts", "list", "--json", "--db", db]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice::<Value>(&out.stdout).expect("JSON").as_array().cloned().expect("array")
}

#[test]
fn demo_prints_a_readable_alert_table() {
    let out = saaswarden(&["demo", "--users", "60", "--days", "21"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("ID") && stdout.contains("SEVERITY") && stdout.contains("TITLE"), "{stdout}");
    assert!(stdout.contains("multiple_failed_logins"), "{stdout}");
    assert!(stdout.contains("Planted attacks:"), "{stdout}");
}

#[test]
fn demo_json_alerts_carry_the_contract_fields() {
    let out = saaswarden(&["demo", "--users", "60", "--days", "21", "--json"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let alerts: Vec<Value> = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert!(!alerts.is_empty());
    for alert in &alerts {
        for field in
            ["id", "policy_id", "title", "severity", "status", "user", "apps", "created_at", "activity_ids", "evidence"]
        {
            assert!(alert.get(field).is_some(), "missing {field} in {alert}");
        }
        let ids = alert["activity_ids"].as_array().expect("activity_ids array");
        assert!(
            !ids.is_empty()
                && ids
                    .iter()
                    .all(|id| id.as_str().is_some_and(|s| s.starts_with("slack:") || s.starts_with("zendesk:")))
        );
    }
}

#[test]
fn run_accepts_directories_and_json_lines_and_reports_rejected_entries_with_exit_3() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("r.db").display().to_string();
    let out = saaswarden(&[
        "run",
        "--db",
        &db,
        "--slack-logs",
        &fixture("slack").display().to_string(),
        "--zendesk-logs",
        &fixture("zendesk").display().to_string(),
        "--zendesk-users",
        &fixture("zendesk/users.json").display().to_string(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "broken fixtures make exit 3; stderr: {stderr}");
    assert!(stderr.contains("rejected: ") && stderr.contains("broken-page.json: entries["), "{stderr}");
    assert!(stderr.contains("entries.jsonl: line"), "{stderr}");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("new activities"), "{stdout}");
}

#[test]
fn alerts_resolve_and_dismiss_keep_status_resolution_who_and_comment() {
    let r = replayed();
    let alerts = alerts_json(&r.db);
    let id = alerts[0]["id"].as_str().expect("id").to_string();
    assert_eq!(alerts[0]["status"], "open");

    let out = saaswarden(&[
        "alerts",
        "resolve",
        &id,
        "--as",
        "false-positive",
        "--comment",
        "travel",
        "--by",
        "ana",
        "--db",
        &r.db,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = saaswarden(&["alerts", "show", &id, "--json", "--db", &r.db]);
    let shown: Value = serde_json::from_slice(&shown.stdout).expect("show JSON");
    assert_eq!(shown["alert"]["status"], "resolved");
    assert_eq!(shown["alert"]["resolution"]["kind"], "false-positive");
    assert_eq!(shown["alert"]["resolution"]["by"], "ana");
    assert_eq!(shown["alert"]["resolution"]["comment"], "travel");
    assert_eq!(shown["activities"].as_array().map(Vec::len), shown["alert"]["activity_ids"].as_array().map(Vec::len));

    let out = saaswarden(&["alerts", "dismiss", &id, "--by", "ana", "--db", &r.db]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown: Value =
        serde_json::from_slice(&saaswarden(&["alerts", "show", &id, "--json", "--db", &r.db]).stdout).expect("JSON");
    assert_eq!(shown["alert"]["status"], "dismissed");
    assert_eq!(shown["history"].as_array().map(Vec::len), Some(2), "both changes are in the history");

    let text_view = text(&saaswarden(&["alerts", "show", &id, "--db", &r.db]).stdout);
    assert!(text_view.contains("evidence (") && text_view.contains("user_login_failed"), "{text_view}");
}

#[test]
fn resolving_an_unknown_alert_fails_with_a_clear_message() {
    let r = replayed();
    let out = saaswarden(&["alerts", "resolve", "al-nope", "--as", "benign", "--db", &r.db]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no alert with id `al-nope`"), "{}", text(&out.stderr));
    let out = saaswarden(&["alerts", "resolve", "al-nope", "--as", "maybe", "--db", &r.db]);
    assert_eq!(out.status.code(), Some(2), "an unknown verdict is a usage error");
}

#[test]
fn activities_search_filters_and_prints_json() {
    let r = replayed();
    let search = |args: &[&str]| -> Vec<Value> {
        let mut all = vec!["activities", "search", "--json", "--db", &r.db];
        all.extend_from_slice(args);
        let out = saaswarden(&all);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).expect("JSON").as_array().cloned().expect("array")
    };
    let failed = search(&["--user", "carol.mbeki@acme.example", "--action", "user_login_failed"]);
    assert_eq!(failed.len(), 6);
    let by_app = search(&["--app", "zendesk"]);
    assert!(!by_app.is_empty() && by_app.iter().all(|a| a["app"] == "zendesk"));
    let by_ip = search(&["--ip", "175.16.199.23"]);
    assert!(by_ip.len() >= 6 && by_ip.iter().all(|a| a["ip"] == "175.16.199.23"));
    assert!(search(&["--since", "2030-01-01"]).is_empty());
    let out = saaswarden(&["activities", "search", "--since", "last tuesday", "--db", &r.db]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("RFC 3339"), "{}", text(&out.stderr));
    let _ = &r.config;
}

#[test]
fn a_bad_config_names_the_file_line_and_setting_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "tenant = \"acme\"\n[detections.multiple_failed_logins]\nwindow = \"soon\"\n")
        .expect("write");
    let db = dir.path().join("never.db");
    let out = saaswarden(&[
        "run",
        "--config",
        &config.display().to_string(),
        "--db",
        &db.display().to_string(),
        "--slack-logs",
        &fixture("slack/page1.json").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bad.toml: line 3") && stderr.contains("window"), "{stderr}");
    assert!(!db.exists(), "nothing is written when the config is wrong");
}

#[test]
fn run_without_inputs_is_an_error() {
    let out = saaswarden(&["run", "--db", "/nonexistent/never.db"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("nothing to replay"), "{}", text(&out.stderr));
}

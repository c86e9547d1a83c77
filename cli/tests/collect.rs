//! `saaswarden collect` as a user runs it: the real binary against local servers speaking Slack's and
//! Zendesk's audit-log APIs, collecting, detecting, and continuing from its checkpoints on the next run.

// Shared with tests/it/collect.rs; this test injects no faults, so parts go unused here.
#[allow(dead_code)]
#[path = "../../tests/it/collect/apis.rs"]
mod apis;

use std::path::Path;
use std::process::Output;

use apis::{
    SLACK_TOKEN, SlackApi, ZENDESK_EMAIL, ZENDESK_TOKEN, ZendeskApi, slack_entry, zendesk_access_entry, zendesk_entry,
};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn saaswarden(args: Vec<String>, env: Vec<(&'static str, &'static str)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_saaswarden"));
        command.args(&args).env_remove("SAASWARDEN_DB").env_remove("SAASWARDEN_CONFIG");
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().expect("run saaswarden")
    })
    .await
    .expect("join")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_config(dir: &Path, slack: &str, zendesk: &str) -> String {
    let path = dir.join("collect.toml");
    let config = format!(
        r#"tenant = "acme"

[detections.multiple_failed_logins]
learning_period = "0s"

[[sources]]
app = "slack"
base_url = "{slack}"
token_env = "TEST_SLACK_AUDIT_TOKEN"
backfill = "1d"
delay = "0s"
page_size = 3

[[sources]]
app = "zendesk"
base_url = "{zendesk}"
token_env = "TEST_ZENDESK_TOKEN"
email = "{ZENDESK_EMAIL}"
backfill = "1d"
delay = "0s"
access_logs = true
"#
    );
    std::fs::write(&path, config).expect("write config");
    path.display().to_string()
}

/// Both fakes served over HTTP, a configuration in `dir` pointing at them and a store path beside it; the
/// servers stop when the returned pair is dropped.
async fn serve(slack_api: &SlackApi, zendesk_api: &ZendeskApi, dir: &Path) -> ([MockServer; 2], String, String) {
    let slack = MockServer::start().await;
    Mock::given(method("GET")).respond_with(slack_api.clone()).mount(&slack).await;
    let zendesk = MockServer::start().await;
    Mock::given(method("GET")).respond_with(zendesk_api.clone()).mount(&zendesk).await;
    let config = write_config(dir, &slack.uri(), &zendesk.uri());
    let db = dir.join("collect.db").display().to_string();
    ([slack, zendesk], config, db)
}

const TOKENS: [(&str, &str); 2] = [("TEST_SLACK_AUDIT_TOKEN", SLACK_TOKEN), ("TEST_ZENDESK_TOKEN", ZENDESK_TOKEN)];

/// Six failed Slack sign-ins of one user within minutes: a burst the detection alerts on.
fn failed_burst(minutes_ago: i64) -> Vec<Value> {
    (0..6)
        .map(|i| {
            let at = Utc::now() - Duration::minutes(minutes_ago) + Duration::seconds(i * 20);
            let mut entry = slack_entry(&format!("failed-{minutes_ago}-{i}"), at, "carol@acme.example");
            entry["action"] = json!("user_login_failed");
            entry
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_pulls_both_apps_detects_and_a_second_run_adds_only_new_entries() {
    let slack_api = SlackApi::default();
    slack_api.0.add(failed_burst(90));
    slack_api.0.add(
        (0..4).map(|i| slack_entry(&format!("ok-{i}"), Utc::now() - Duration::minutes(80 - i), "dan@acme.example")),
    );
    let zendesk_api = ZendeskApi::default();
    zendesk_api.users.lock().expect("users").push(json!({"id": 1001, "email": "carol@acme.example", "role": "admin"}));
    zendesk_api.api.add((0..3).map(|i| zendesk_entry(900 + i, Utc::now() - Duration::minutes(70 - i), 1001)));
    zendesk_api.access.add((0..2).map(|i| {
        zendesk_access_entry(&format!("01JCLI{i}"), Utc::now() - Duration::minutes(60 - i), 1001, "81.2.69.142")
    }));
    let dir = tempfile::tempdir().expect("temp dir");
    let (_servers, config, db) = serve(&slack_api, &zendesk_api, dir.path()).await;
    let args = |extra: &[&str]| {
        let mut args: Vec<String> =
            vec!["collect".into(), "--config".into(), config.clone(), "--db".into(), db.clone()];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };

    let first = saaswarden(args(&["--json"]), TOKENS.to_vec()).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let summary: Value = serde_json::from_slice(&first.stdout).expect("JSON summary");
    assert_eq!(summary["new_activities"], 15, "{summary:#}");
    assert_eq!(summary["sources"][0]["activities_sent"], 10);
    assert_eq!(summary["sources"][1]["activities_sent"], 3);
    assert_eq!(summary["sources"][2]["stream"], "zendesk_access", "access_logs = true adds a stream");
    assert_eq!(summary["sources"][2]["activities_sent"], 2);
    assert!(summary["alerts_created"].as_u64().is_some_and(|n| n >= 1), "the failed sign-in burst alerts: {summary:#}");
    let stderr = text(&first.stderr);
    assert!(!stderr.contains(SLACK_TOKEN) && !stderr.contains(ZENDESK_TOKEN), "{stderr}");

    let alerts =
        saaswarden(vec!["alerts".into(), "list".into(), "--json".into(), "--db".into(), db.clone()], vec![]).await;
    let alerts: Value = serde_json::from_slice(&alerts.stdout).expect("alerts JSON");
    assert!(
        alerts.as_array().is_some_and(|a| a.iter().any(|alert| alert["policy_id"] == "multiple_failed_logins")),
        "{alerts:#}"
    );

    // New activity in Slack and in the access log; the second run sends just those, and progress lines
    // went to stderr.
    slack_api.0.add([slack_entry("ok-new", Utc::now() - Duration::seconds(5), "dan@acme.example")]);
    zendesk_api.access.add([zendesk_access_entry("01JCLINEW", Utc::now() - Duration::seconds(5), 1001, "81.2.69.142")]);
    let second = saaswarden(args(&[]), TOKENS.to_vec()).await;
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    let out = text(&second.stdout);
    assert!(out.contains("detected: 2 new activities"), "{out}");
    assert!(out.contains("zendesk_access acme: 1 pages"), "{out}");
    assert!(text(&second.stderr).contains("slack acme: window"), "progress on stderr: {}", text(&second.stderr));

    let third = saaswarden(args(&["--app", "zendesk", "--json"]), TOKENS.to_vec()).await;
    let summary: Value = serde_json::from_slice(&third.stdout).expect("JSON summary");
    assert_eq!(summary["sources"].as_array().map(Vec::len), Some(2), "audit and access logs: {summary:#}");
    assert_eq!(summary["new_activities"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_without_the_token_variable_names_the_setting_and_touches_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(dir.path(), "http://127.0.0.1:9", "http://127.0.0.1:9");
    let db = dir.path().join("none.db");
    let args = vec!["collect".into(), "--config".into(), config, "--db".into(), db.display().to_string()];
    let output = saaswarden(args, vec![("TEST_ZENDESK_TOKEN", "x")]).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("sources[0].token_env") && stderr.contains("TEST_SLACK_AUDIT_TOKEN"), "{stderr}");
    assert!(!db.exists(), "no store is created before the configuration is complete");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_source_exits_1_even_when_a_later_source_rejected_entries() {
    let slack_api = SlackApi::default();
    let zendesk_api = ZendeskApi::default();
    let mut no_action = zendesk_entry(950, Utc::now() - Duration::minutes(30), 1001);
    no_action.as_object_mut().map(|entry| entry.remove("action"));
    zendesk_api.api.add([no_action, zendesk_entry(951, Utc::now() - Duration::minutes(29), 1001)]);
    let dir = tempfile::tempdir().expect("temp dir");
    let (_servers, config, db) = serve(&slack_api, &zendesk_api, dir.path()).await;
    let args = vec!["collect".into(), "--config".into(), config, "--db".into(), db];

    // Slack (first) refuses its token; Zendesk (second) has one entry without an action.
    let env = vec![("TEST_SLACK_AUDIT_TOKEN", "xoxp-refused"), ("TEST_ZENDESK_TOKEN", ZENDESK_TOKEN)];
    let output = saaswarden(args, env).await;
    let stderr = text(&output.stderr);
    assert!(stderr.contains("error: slack acme: stopped") && stderr.contains("rejected: "), "{stderr}");
    assert!(stderr.contains("950"), "the rejected entry is named: {stderr}");
    assert_eq!(output.status.code(), Some(1), "a stopped source outranks rejected entries: {stderr}");
    assert!(text(&output.stdout).contains("detected: 1 new activities"), "the rest still ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_slack_host_is_read_at_its_audit_api_and_a_wrong_path_is_named_with_the_fix() {
    let slack_api = SlackApi::default();
    slack_api.0.add([slack_entry("bare-1", Utc::now() - Duration::minutes(30), "dan@acme.example")]);
    // Slack's API at its real path; anything else is 404, as a real host answers.
    let slack = MockServer::start().await;
    Mock::given(method("GET")).and(path("/audit/v1/logs")).respond_with(slack_api.clone()).mount(&slack).await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(404)).with_priority(10).mount(&slack).await;
    let zendesk = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ZendeskApi::default()).mount(&zendesk).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |slack_base: String, db: &str| {
        let config = write_config(dir.path(), &slack_base, &zendesk.uri());
        let args = vec!["collect", "--app", "slack", "--config", &config, "--db", db];
        saaswarden(args.into_iter().map(String::from).collect(), TOKENS.to_vec())
    };

    let bare = run(slack.uri(), &dir.path().join("bare.db").display().to_string()).await;
    assert_eq!(bare.status.code(), Some(0), "{}", text(&bare.stderr));
    assert!(text(&bare.stdout).contains("detected: 1 new activities"), "{}", text(&bare.stdout));

    let wrong = format!("{}/api", slack.uri());
    let failed = run(wrong.clone(), &dir.path().join("wrong.db").display().to_string()).await;
    assert_eq!(failed.status.code(), Some(1));
    let stderr = text(&failed.stderr);
    for named in [format!("{wrong}/logs"), "base_url".to_string(), "https://api.slack.com/audit/v1".to_string()] {
        assert!(stderr.contains(&named), "the error names {named}: {stderr}");
    }
}

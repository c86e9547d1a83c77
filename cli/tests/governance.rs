//! Governance driven through the `saaswarden` binary, as a user runs it: a replayed log raises an
//! impossible-travel alert whose policy suspends the user in a wiremock Microsoft Graph, then the
//! governance log and `governance revert`.

// Shared with tests/it/governance.rs, which uses all of it.
#[allow(dead_code)]
#[path = "../../tests/it/governance/graph_api.rs"]
mod graph_api;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use graph_api::{GRAPH_SCOPE, graph_server, suspend_on_travel_config, travel_entries};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_saaswarden"))
}

async fn patches(server: &MockServer) -> usize {
    let requests = server.received_requests().await.expect("recorded");
    requests.iter().filter(|r| r.method.as_str() == "PATCH").count()
}

fn saaswarden(binary: &Path, args: &[&str]) -> Output {
    command(binary, args).env("TEST_GRAPH_SECRET", "cli-secret").output().expect("run saaswarden")
}

/// As an analyst who only reads: the client secret's variable is not set.
fn saaswarden_without_secret(binary: &Path, args: &[&str]) -> Output {
    command(binary, args).env_remove("TEST_GRAPH_SECRET").output().expect("run saaswarden")
}

fn command(binary: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(binary);
    command.args(args).env_remove("SAASWARDEN_DB").env_remove("SAASWARDEN_CONFIG");
    command
}

fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "stdout: {}\nstderr: {}", text(&out.stdout), text(&out.stderr));
    text(&out.stdout)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The impossible-travel sign-ins as a Slack log file.
fn travel_log(dir: &Path) -> PathBuf {
    let path = dir.join("travel.jsonl");
    let lines: Vec<String> = travel_entries().iter().map(Value::to_string).collect();
    std::fs::write(&path, lines.join("\n")).expect("write log");
    path
}

#[tokio::test]
async fn impossible_travel_set_to_suspend_runs_against_graph_and_revert_re_enables() {
    let server = graph_server().await;
    let dir = tempfile::tempdir().expect("dir");
    let city_db = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/maxmind-test/GeoIP2-City-Test.mmdb");
    let config = dir.path().join("saaswarden.toml");
    let city = city_db.display().to_string();
    std::fs::write(&config, suspend_on_travel_config(&city, "TEST_GRAPH_SECRET", &server.uri())).expect("config");
    let (db, config) = (dir.path().join("g.db").display().to_string(), config.display().to_string());
    let log = travel_log(dir.path()).display().to_string();
    let exe = binary();

    let run = ok(&saaswarden(&exe, &["run", "--db", &db, "--config", &config, "--slack-logs", &log]));
    assert!(run.contains("governance: 1 decisions: 1 succeeded"), "{run}");
    let requests = server.received_requests().await.expect("recorded");
    let patch: Vec<&Request> = requests.iter().filter(|r| r.method.as_str() == "PATCH").collect();
    assert_eq!(patch.len(), 1);
    assert_eq!(patch[0].url.path(), "/v1.0/users/id-kofi.khan");
    assert_eq!(serde_json::from_slice::<Value>(&patch[0].body).expect("json"), json!({"accountEnabled": false}));
    let token = requests.iter().find(|r| r.url.path() == "/tenant-1/oauth2/v2.0/token").expect("token request");
    assert!(text(&token.body).contains("client_secret=cli-secret"), "the secret comes from the named variable");
    let scope = format!("scope={}", GRAPH_SCOPE.replace(':', "%3A").replace('/', "%2F"));
    assert!(text(&token.body).contains(&scope), "governance.graph.scope is asked for: {}", text(&token.body));

    let entries: Vec<Value> =
        serde_json::from_str(&ok(&saaswarden(&exe, &["governance", "log", "--json", "--db", &db]))).expect("JSON");
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let entry = &entries[0];
    assert_eq!((entry["action"].as_str(), entry["status"].as_str()), (Some("suspend-user"), Some("succeeded")));
    assert_eq!(
        (entry["user"].as_str(), entry["request_id"].as_str()),
        (Some("kofi.khan@acme.example"), Some("rq-patch"))
    );
    let (id, alert_id) = (entry["id"].as_str().expect("id"), entry["alert_id"].as_str().expect("alert"));

    let shown = ok(&saaswarden(&exe, &["alerts", "show", alert_id, "--db", &db]));
    assert!(shown.contains("governance (1 actions)") && shown.contains("succeeded"), "{shown}");

    // Running the same logs again acts on nothing.
    ok(&saaswarden(&exe, &["run", "--db", &db, "--config", &config, "--slack-logs", &log]));
    assert_eq!(patches(&server).await, 1);

    let reverted =
        ok(&saaswarden(&exe, &["governance", "revert", id, "--by", "analyst", "--db", &db, "--config", &config]));
    assert!(reverted.contains("reverted"), "{reverted}");
    let requests = server.received_requests().await.expect("recorded");
    let last = requests.iter().rfind(|r| r.method.as_str() == "PATCH").expect("a second PATCH");
    assert_eq!(serde_json::from_slice::<Value>(&last.body).expect("json"), json!({"accountEnabled": true}));
    let after = ok(&saaswarden(&exe, &["governance", "log", "--db", &db]));
    assert!(after.contains("reverted") && after.contains("analyst"), "{after}");
    let again = saaswarden(&exe, &["governance", "revert", id, "--db", &db, "--config", &config]);
    assert_eq!(again.status.code(), Some(1), "a reverted entry cannot be reverted twice");
}

/// A store and configuration files in `dir` (one acting, one in dry-run mode) and the travel log.
struct Setup {
    db: String,
    config: String,
    dry_run_config: String,
    log: String,
}

fn setup(dir: &Path, graph: &MockServer) -> Setup {
    let city_db = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/maxmind-test/GeoIP2-City-Test.mmdb");
    let acting = suspend_on_travel_config(&city_db.display().to_string(), "TEST_GRAPH_SECRET", &graph.uri());
    let config = dir.join("saaswarden.toml");
    std::fs::write(&config, &acting).expect("config");
    let dry_run_config = dir.join("dry-run.toml");
    std::fs::write(&dry_run_config, acting.replace("dry_run = false", "dry_run = true")).expect("config");
    Setup {
        db: dir.join("g.db").display().to_string(),
        config: config.display().to_string(),
        dry_run_config: dry_run_config.display().to_string(),
        log: travel_log(dir).display().to_string(),
    }
}

/// `governance log --json`, read without the client secret although the configuration acts on Graph.
fn logged(exe: &Path, s: &Setup) -> Vec<Value> {
    let out = saaswarden_without_secret(exe, &["governance", "log", "--json", "--db", &s.db, "--config", &s.config]);
    serde_json::from_str(&ok(&out)).expect("JSON")
}

#[tokio::test]
async fn an_action_approved_after_a_dry_run_shows_what_was_done_not_the_dry_run() {
    let server = graph_server().await;
    let dir = tempfile::tempdir().expect("dir");
    let s = setup(dir.path(), &server);
    let exe = binary();

    let run = ok(&saaswarden(&exe, &["run", "--db", &s.db, "--config", &s.dry_run_config, "--slack-logs", &s.log]));
    assert!(run.contains("1 skipped"), "{run}");
    let entries = logged(&exe, &s);
    assert!(
        entries[0]["reason"].as_str().is_some_and(|r| r.starts_with("dry run: would suspend-user")),
        "{entries:#?}"
    );
    let alert_id = entries[0]["alert_id"].as_str().expect("alert").to_string();

    let approve = ["governance", "approve", &alert_id, "--action", "suspend-user", "--by", "analyst"];
    let approved = ok(&saaswarden(&exe, &[&approve[..], &["--db", &s.db, "--config", &s.config]].concat()));
    assert!(approved.contains("succeeded (suspend-user kofi.khan@acme.example)"), "{approved}");
    assert!(!approved.contains("dry run"), "{approved}");
    let table = ok(&saaswarden_without_secret(&exe, &["governance", "log", "--db", &s.db, "--config", &s.config]));
    assert!(table.contains("suspend-user kofi.khan@acme.example") && !table.contains("dry run"), "{table}");
    let entry = &logged(&exe, &s)[0];
    assert_eq!(entry["reason"].as_str(), Some("suspend-user kofi.khan@acme.example"), "{entry:#?}");
    let first_step = entry["events"][0]["detail"].as_str().unwrap_or_default();
    assert!(first_step.starts_with("dry run: would suspend-user"), "the dry run stays in the steps: {entry:#?}");

    let id = entry["id"].as_str().expect("id");
    let reverted = ok(&saaswarden(&exe, &["governance", "revert", id, "--db", &s.db, "--config", &s.config]));
    assert!(reverted.contains("reverted (re-enabled id-kofi.khan)"), "{reverted}");
    assert_eq!(logged(&exe, &s)[0]["reason"].as_str(), Some("re-enabled id-kofi.khan"));
}

#[tokio::test]
async fn a_retry_that_succeeds_drops_the_failures_reason_and_request_id() {
    let server = graph_server().await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/id-kofi.khan"))
        .respond_with(ResponseTemplate::new(400).insert_header("request-id", "rq-bad").set_body_json(json!({
            "error": {"code": "Request_BadRequest", "message": "Invalid value specified for property."}
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("dir");
    let s = setup(dir.path(), &server);
    let exe = binary();

    let run = saaswarden(&exe, &["run", "--db", &s.db, "--config", &s.config, "--slack-logs", &s.log]);
    assert!(text(&run.stdout).contains("1 failed"), "{}", text(&run.stdout));
    let failed = &logged(&exe, &s)[0];
    assert_eq!((failed["status"].as_str(), failed["request_id"].as_str()), (Some("failed"), Some("rq-bad")));
    assert!(failed["reason"].as_str().is_some_and(|r| r.contains("HTTP 400")), "{failed:#?}");

    let id = failed["id"].as_str().expect("id").to_string();
    let retried =
        ok(&saaswarden(&exe, &["governance", "retry", &id, "--by", "analyst", "--db", &s.db, "--config", &s.config]));
    assert!(retried.contains("succeeded (suspend-user kofi.khan@acme.example) [request-id rq-patch]"), "{retried}");
    assert!(!retried.contains("HTTP 400"), "{retried}");
    let table = ok(&saaswarden_without_secret(&exe, &["governance", "log", "--db", &s.db, "--config", &s.config]));
    assert!(!table.contains("HTTP 400") && table.contains("rq-patch"), "{table}");

    let entry = &logged(&exe, &s)[0];
    assert_eq!(entry["reason"].as_str(), Some("suspend-user kofi.khan@acme.example"), "{entry:#?}");
    assert_eq!(entry["error"], Value::Null, "{entry:#?}");
    let steps: Vec<(&str, Option<&str>)> = entry["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| (e["status"].as_str().unwrap_or_default(), e["request_id"].as_str()))
        .collect();
    assert_eq!(
        steps,
        [("running", None), ("failed", Some("rq-bad")), ("running", None), ("succeeded", Some("rq-patch"))],
        "each step carries the request id of its own call"
    );
}

#[tokio::test]
async fn reading_the_governance_log_needs_no_client_secret_even_when_governance_acts() {
    let server = graph_server().await;
    let dir = tempfile::tempdir().expect("dir");
    let s = setup(dir.path(), &server);
    let exe = binary();
    let read = ok(&saaswarden_without_secret(&exe, &["governance", "log", "--db", &s.db, "--config", &s.config]));
    assert_eq!(read.trim(), "no governance actions");
    // Acting still needs it, and says which variable to set.
    let acting =
        saaswarden_without_secret(&exe, &["governance", "retry", "gv-none", "--db", &s.db, "--config", &s.config]);
    assert_eq!(acting.status.code(), Some(1));
    assert!(text(&acting.stderr).contains("TEST_GRAPH_SECRET"), "{}", text(&acting.stderr));
}

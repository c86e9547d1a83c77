//! Governance driven through the `saaswarden` binary, as a user runs it: a replayed log raises an
//! impossible-travel alert whose policy suspends the user in a wiremock Microsoft Graph, then the
//! governance log and `governance revert`.

// Shared with tests/it/governance.rs, which uses all of it.
#[allow(dead_code)]
#[path = "../../tests/it/governance/graph_api.rs"]
mod graph_api;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use graph_api::{graph_server, suspend_on_travel_config, travel_entries};
use serde_json::{Value, json};
use wiremock::{MockServer, Request};

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_saaswarden"))
}

async fn patches(server: &MockServer) -> usize {
    let requests = server.received_requests().await.expect("recorded");
    requests.iter().filter(|r| r.method.as_str() == "PATCH").count()
}

fn saaswarden(binary: &Path, args: &[&str]) -> Output {
    Command::new(binary)
        .args(args)
        .env_remove("SAASWARDEN_DB")
        .env_remove("SAASWARDEN_CONFIG")
        .env("TEST_GRAPH_SECRET", "cli-secret")
        .output()
        .expect("run saaswarden")
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

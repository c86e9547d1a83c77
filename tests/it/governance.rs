//! Governance end to end on the local runtime: the use cases on a real SQLite store with the real Graph
//! client against a wiremock Graph, and the `saaswarden` binary driving the same through its commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use saaswarden_app::govern::{Executed, Governor};
use saaswarden_connectors::graph::{GraphClient, GraphConnection};
use saaswarden_connectors::http::{HttpClient, ManualClock, RetryPolicy, Secret};
use saaswarden_core::config::GovernanceSettings;
use saaswarden_core::governance::{ActionKind, Decision, GovernanceStatus, Mode, Trigger};
use saaswarden_core::{Alert, AlertStatus, App, Severity};
use saaswarden_store::{AlertStore, GovernanceLog};
use saaswarden_tests::fresh_store;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PROTECTED_GROUP: &str = "0000aaaa-0000-0000-0000-00000000b001";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").map(|d| d.with_timezone(&Utc)).unwrap_or_default()
}

/// Graph's user lookup: any `…@acme.example` exists, with id `id-<local part>`; `ghost@…` does not.
struct Users;

impl Respond for Users {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let filter = request.url.query_pairs().find(|(k, _)| k == "$filter").map(|(_, v)| v.into_owned());
        let email = filter
            .as_deref()
            .and_then(|f| f.strip_prefix("userPrincipalName eq '"))
            .and_then(|f| f.split('\'').next())
            .unwrap_or_default()
            .to_string();
        let local = email.split('@').next().unwrap_or_default();
        let value = if local.starts_with("ghost") {
            json!([])
        } else {
            json!([{"id": format!("id-{local}"), "userPrincipalName": email, "mail": email, "accountEnabled": true}])
        };
        ResponseTemplate::new(200).set_body_json(json!({ "value": value }))
    }
}

/// `checkMemberGroups`: users whose id contains `breakglass` are in the protected group.
struct Membership;

impl Respond for Membership {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let member = request.url.path().contains("breakglass");
        ResponseTemplate::new(200)
            .set_body_json(json!({ "value": if member { vec![PROTECTED_GROUP] } else { vec![] } }))
    }
}

async fn graph_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/[^/]+/oauth2/v2\.0/token$"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "tok"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/v1.0/users")).respond_with(Users).mount(&server).await;
    Mock::given(method("POST")).and(path_regex(r"/checkMemberGroups$")).respond_with(Membership).mount(&server).await;
    Mock::given(method("PATCH"))
        .and(path_regex(r"^/v1\.0/users/[^/]+$"))
        .respond_with(ResponseTemplate::new(204).insert_header("request-id", "rq-patch"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"/revokeSignInSessions$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": true})))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> GraphClient {
    let clock = ManualClock::new(now());
    let http = HttpClient::with_time(RetryPolicy::default(), Arc::new(clock.clone()), Arc::new(clock)).expect("http");
    let connection = GraphConnection {
        tenant_id: "tenant-1".into(),
        client_id: "client-1".into(),
        client_secret: Secret::new("secret"),
        authority_host: server.uri(),
        graph_host: server.uri(),
        sender: Some("soc@acme.example".into()),
    };
    GraphClient::new(connection, http)
}

fn settings() -> GovernanceSettings {
    GovernanceSettings {
        dry_run: false,
        allowed_domains: vec!["acme.example".into()],
        protected_groups: vec![PROTECTED_GROUP.into()],
        ..GovernanceSettings::default()
    }
}

fn alert(n: usize, user: &str) -> Alert {
    Alert {
        id: format!("al-{n:04}"),
        tenant: "acme".into(),
        policy_id: "impossible_travel".into(),
        title: format!("Impossible travel: {user}"),
        description: String::new(),
        severity: Severity::High,
        status: AlertStatus::Open,
        user: user.into(),
        apps: vec![App::Slack],
        created_at: now(),
        activity_ids: vec![],
        evidence: Value::Null,
        resolution: None,
    }
}

fn automatic(alert: &Alert, action: ActionKind) -> Decision {
    Decision::new(alert, action, Trigger::Automatic { mode: Mode::Automatic })
}

async fn requests(server: &MockServer, verb: &str, suffix: &str) -> usize {
    let all = server.received_requests().await.expect("recorded");
    all.iter().filter(|r| r.method.as_str() == verb && r.url.path().ends_with(suffix)).count()
}

async fn patches(server: &MockServer) -> usize {
    let all = server.received_requests().await.expect("recorded");
    all.iter().filter(|r| r.method.as_str() == "PATCH").count()
}

#[tokio::test]
async fn a_decision_delivered_three_times_makes_one_graph_call() {
    let server = graph_server().await;
    let (_dir, store) = fresh_store();
    let (settings, idp) = (settings(), client(&server));
    let governor = Governor { settings: &settings, log: &store, idp: &idp };
    let decision = automatic(&alert(1, "ann@acme.example"), ActionKind::SuspendUser);
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        outcomes.push(governor.execute(&decision, now()).await.expect("execute"));
    }
    assert!(matches!(&outcomes[0], Executed::Claimed(e) if e.status == GovernanceStatus::Succeeded), "{outcomes:#?}");
    assert!(outcomes[1..].iter().all(|o| matches!(o, Executed::AlreadyClaimed(_))), "{outcomes:#?}");
    assert_eq!(patches(&server).await, 1);
    let entry = outcomes[0].entry();
    assert_eq!((entry.target.as_deref(), entry.request_id.as_deref()), (Some("id-ann"), Some("rq-patch")));
}

#[tokio::test]
async fn a_protected_user_is_never_suspended_or_signed_out_whatever_the_policy_says() {
    let server = graph_server().await;
    let (_dir, store) = fresh_store();
    let mut settings = settings();
    settings.protected_users = vec!["root@acme.example".into()];
    let idp = client(&server);
    let governor = Governor { settings: &settings, log: &store, idp: &idp };
    // By name (protected_users) and by Entra group membership; automatic and analyst-approved alike.
    let cases = [(1, "root@acme.example", "protected identity"), (2, "breakglass@acme.example", "protected group")];
    for (n, user, why) in cases {
        let alert = alert(n, user);
        store.upsert(std::slice::from_ref(&alert)).await.expect("alert");
        for action in [ActionKind::SuspendUser, ActionKind::RequireSignIn] {
            let entry = governor.execute(&automatic(&alert, action), now()).await.expect("execute").entry().clone();
            assert_eq!(entry.status, GovernanceStatus::Skipped, "{user} {action}: {entry:#?}");
            assert!(entry.reason.as_deref().is_some_and(|r| r.contains(why)), "{:?}", entry.reason);
        }
        let other = alert.clone();
        let manual = Governor { settings: &settings, log: &store, idp: &idp };
        let mut second = other;
        second.id = format!("al-manual-{n}");
        store.upsert(std::slice::from_ref(&second)).await.expect("alert");
        let approved =
            manual.approve(&store, &second.id, ActionKind::SuspendUser, "analyst", now()).await.expect("approve");
        assert_eq!(approved.status, GovernanceStatus::Skipped, "{approved:#?}");
    }
    assert_eq!(patches(&server).await, 0, "no suspension was sent");
    assert_eq!(requests(&server, "POST", "/revokeSignInSessions").await, 0, "no sign-out was sent");
}

#[tokio::test]
async fn the_hourly_budget_stops_a_storm_of_suspensions_and_the_rest_wait_for_approval() {
    let server = graph_server().await;
    let (_dir, store) = fresh_store();
    let mut settings = settings();
    settings.suspensions_per_hour = 5;
    let idp = client(&server);
    let governor = Governor { settings: &settings, log: &store, idp: &idp };
    let alerts: Vec<Alert> = (0..100).map(|n| alert(n, &format!("user{n}@acme.example"))).collect();
    store.upsert(&alerts).await.expect("alerts");
    let mut statuses = std::collections::BTreeMap::new();
    for alert in &alerts {
        let entry = governor.execute(&automatic(alert, ActionKind::SuspendUser), now()).await.expect("execute");
        *statuses.entry(entry.entry().status.as_str()).or_insert(0) += 1;
    }
    assert_eq!(statuses, [("pending", 95), ("succeeded", 5)].into_iter().collect());
    assert_eq!(patches(&server).await, 5, "at most the budget executed");
    let pending = store
        .governance_entries(&saaswarden_store::GovernanceFilter { limit: 1000, ..Default::default() })
        .await
        .expect("log")
        .into_iter()
        .find(|e| e.status == GovernanceStatus::Pending)
        .expect("a pending entry");
    assert!(pending.reason.as_deref().is_some_and(|r| r.contains("budget")), "{:?}", pending.reason);

    // An analyst's approval is outside the budget: it runs.
    let approved =
        governor.approve(&store, &pending.alert_id, ActionKind::SuspendUser, "analyst", now()).await.expect("approve");
    assert_eq!(approved.status, GovernanceStatus::Succeeded);
    assert_eq!(patches(&server).await, 6);
    // The next hour has a fresh budget.
    let later = now() + chrono::Duration::hours(1);
    let next = governor
        .execute(&automatic(&alert(500, "late@acme.example"), ActionKind::SuspendUser), later)
        .await
        .expect("run");
    assert_eq!(next.entry().status, GovernanceStatus::Succeeded);
}

#[tokio::test]
async fn insufficient_privileges_is_recorded_as_failed_and_a_retry_runs_it_again() {
    let server = graph_server().await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/id-ann"))
        .respond_with(ResponseTemplate::new(403).insert_header("request-id", "rq-denied").set_body_json(
            json!({"error": {
                "code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."
            }}),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let (_dir, store) = fresh_store();
    let (settings, idp) = (settings(), client(&server));
    let governor = Governor { settings: &settings, log: &store, idp: &idp };
    let entry =
        governor.execute(&automatic(&alert(1, "ann@acme.example"), ActionKind::SuspendUser), now()).await.expect("run");
    let entry = entry.entry().clone();
    assert_eq!(entry.status, GovernanceStatus::Failed);
    assert_eq!(entry.request_id.as_deref(), Some("rq-denied"));
    let error = entry.error.clone().unwrap_or_default();
    assert!(error.contains("403") && error.contains("Authorization_RequestDenied"), "{error}");
    assert_eq!(patches(&server).await, 1, "a 403 is not retried by itself");

    let retried = governor.retry(&entry.id, "analyst", now()).await.expect("retry");
    assert_eq!((retried.status, retried.error.as_deref()), (GovernanceStatus::Succeeded, None));
    let trail: Vec<(&str, &str)> = retried.events.iter().map(|e| (e.status.as_str(), e.by.as_str())).collect();
    assert_eq!(
        trail,
        [
            ("running", "policy:impossible_travel"),
            ("failed", "policy:impossible_travel"),
            ("running", "analyst"),
            ("succeeded", "analyst")
        ]
    );
    assert!(governor.retry(&entry.id, "analyst", now()).await.is_err(), "a succeeded entry is not retried");
}

#[tokio::test]
async fn unmapped_and_out_of_domain_users_are_never_acted_on() {
    let server = graph_server().await;
    let (_dir, store) = fresh_store();
    let mut settings = settings();
    settings.identities.insert("contractor@partner.example".into(), "ann@acme.example".into());
    let idp = client(&server);
    let governor = Governor { settings: &settings, log: &store, idp: &idp };
    let ghost = governor.execute(&automatic(&alert(1, "ghost@acme.example"), ActionKind::SuspendUser), now()).await;
    let ghost = ghost.expect("run").entry().clone();
    assert_eq!(ghost.status, GovernanceStatus::Failed);
    assert!(ghost.error.as_deref().is_some_and(|e| e.contains("no Entra user has the UPN or mail")), "{ghost:#?}");
    let outside = governor.execute(&automatic(&alert(2, "eve@other.example"), ActionKind::SuspendUser), now()).await;
    let outside = outside.expect("run").entry().clone();
    assert_eq!(outside.status, GovernanceStatus::Skipped);
    assert!(outside.reason.as_deref().is_some_and(|r| r.contains("outside the allowed domains")), "{outside:#?}");
    assert_eq!(patches(&server).await, 0);
}

// ---- the binary ----

/// The `saaswarden` binary of this workspace, built if needed (a `cargo test` of this package alone does
/// not build other packages' binaries).
fn binary() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", "saaswarden-cli"])
        .current_dir(&root)
        .status()
        .expect("cargo build");
    assert!(status.success(), "building saaswarden failed");
    let exe = std::env::current_exe().expect("test binary");
    // target/<profile>/deps/it-… → target/<profile>/saaswarden
    exe.parent().and_then(Path::parent).map(|p| p.join("saaswarden")).expect("target dir")
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

/// Two sign-ins of one user an hour apart, from the US and from Sweden (MaxMind's test database).
fn travel_log(dir: &Path) -> PathBuf {
    let entry = |id: &str, at: i64, ip: &str| {
        json!({
            "id": id, "date_create": at, "action": "user_login",
            "actor": {"type": "user", "user": {"id": "W0KOFI", "name": "Kofi Khan", "email": "kofi.khan@acme.example"}},
            "entity": {"type": "user", "user": {"id": "W0KOFI", "name": "Kofi Khan", "email": "kofi.khan@acme.example"}},
            "context": {"ip_address": ip, "ua": "Mozilla/5.0", "location": {"type": "enterprise", "id": "E0ACME0001"}}
        })
        .to_string()
    };
    let path = dir.join("travel.jsonl");
    let lines = [entry("trip-1", 1_791_968_400, "216.160.83.56"), entry("trip-2", 1_791_972_000, "89.160.20.112")];
    std::fs::write(&path, lines.join("\n")).expect("write log");
    path
}

#[tokio::test]
async fn impossible_travel_set_to_suspend_runs_against_graph_and_revert_re_enables() {
    let server = graph_server().await;
    let dir = tempfile::tempdir().expect("dir");
    let city_db = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/maxmind-test/GeoIP2-City-Test.mmdb");
    let config = dir.path().join("saaswarden.toml");
    std::fs::write(
        &config,
        format!(
            r#"tenant = "acme"
[enrichment]
city_db = "{city}"
[detections.impossible_travel]
learning_period = "0s"
governance = [{{ action = "suspend-user", mode = "automatic" }}]
[governance]
dry_run = false
allowed_domains = ["acme.example"]
[governance.graph]
tenant_id = "tenant-1"
client_id = "client-1"
client_secret_env = "TEST_GRAPH_SECRET"
authority_host = "{uri}"
graph_host = "{uri}"
"#,
            city = city_db.display(),
            uri = server.uri()
        ),
    )
    .expect("config");
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

#[tokio::test]
async fn directory_sync_records_disabled_and_deleted_users_continues_from_the_delta_link_and_reinstates() {
    use saaswarden_app::govern::{DIRECTORY_SYNC_STATE, sync_directory};
    use saaswarden_core::directory::TerminationStatus;
    use saaswarden_store::{Directory, StateStore};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/[^/]+/oauth2/v2\.0/token$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"expires_in": 3599, "access_token": "tok"})))
        .mount(&server)
        .await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(wiremock::matchers::query_param_is_missing("$deltatoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [
                {"id": "u1", "userPrincipalName": "ann@acme.example", "mail": "ann@acme.example", "accountEnabled": true},
                {"id": "u2", "userPrincipalName": "bob@acme.example", "mail": "Bob@acme.example", "accountEnabled": false}
            ],
            "@odata.deltaLink": format!("{base}/v1.0/users/delta?$deltatoken=one")
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(wiremock::matchers::query_param("$deltatoken", "one"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [
                {"id": "u2", "userPrincipalName": "bob@acme.example", "mail": "bob@acme.example", "accountEnabled": false},
                {"id": "u3", "userPrincipalName": "carl@acme.example", "@removed": {"reason": "deleted"}}
            ],
            "@odata.deltaLink": format!("{base}/v1.0/users/delta?$deltatoken=two")
        })))
        .mount(&server)
        .await;
    // Bob and dora are enabled again; a phone-number change (no `accountEnabled`) says nothing.
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(wiremock::matchers::query_param("$deltatoken", "two"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [
                {"id": "u2", "userPrincipalName": "bob@acme.example", "mail": "bob@acme.example", "accountEnabled": true},
                {"id": "u4", "userPrincipalName": "dora@acme.example", "mail": "dora@acme.example", "accountEnabled": true},
                {"id": "u3", "userPrincipalName": "carl@acme.example", "mobilePhone": "+1 555 0100"}
            ],
            "@odata.deltaLink": format!("{base}/v1.0/users/delta?$deltatoken=three")
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(wiremock::matchers::query_param("$deltatoken", "three"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [],
            "@odata.deltaLink": format!("{base}/v1.0/users/delta?$deltatoken=three")
        })))
        .mount(&server)
        .await;
    let (_dir, store) = fresh_store();
    let graph = client(&server);

    // Dora's termination came from an HR file: the identity provider does not overrule it.
    let from_hr = saaswarden_core::directory::Termination {
        user: "dora@acme.example".into(),
        status: TerminationStatus::Disabled,
        since: now(),
        source: "import:hr.csv".into(),
    };
    store.import("acme", std::slice::from_ref(&from_hr)).await.expect("import");

    let first = sync_directory(&store, &graph, "acme", now()).await.expect("full sync");
    assert_eq!((first.incremental, first.changes, first.terminations), (false, 2, 1), "ann enabled, bob disabled");
    let later = now() + chrono::Duration::hours(6);
    let second = sync_directory(&store, &graph, "acme", later).await.expect("incremental sync");
    assert_eq!((second.incremental, second.changes, second.terminations), (true, 2, 1));

    let on_record: Vec<(String, TerminationStatus, DateTime<Utc>, String)> = store
        .terminations("acme")
        .await
        .expect("list")
        .into_iter()
        .map(|t| (t.user, t.status, t.since, t.source))
        .collect();
    assert_eq!(
        on_record,
        [
            ("bob@acme.example".to_string(), TerminationStatus::Disabled, now(), "graph".to_string()),
            ("carl@acme.example".to_string(), TerminationStatus::Deleted, later, "graph".to_string()),
            ("dora@acme.example".to_string(), TerminationStatus::Disabled, now(), "import:hr.csv".to_string()),
        ],
        "bob keeps the time first recorded"
    );
    let state = store.load_tenant_state("acme", DIRECTORY_SYNC_STATE).await.expect("state");
    assert_eq!(state.value["delta_link"], json!(format!("{base}/v1.0/users/delta?$deltatoken=two")));

    let third = sync_directory(&store, &graph, "acme", later).await.expect("third sync");
    assert_eq!((third.changes, third.terminations, third.reinstated), (2, 0, 1), "{third:?}");
    let users: Vec<String> = store.terminations("acme").await.expect("list").into_iter().map(|t| t.user).collect();
    assert_eq!(users, ["carl@acme.example", "dora@acme.example"], "bob is enabled again; dora's HR record stays");
    let again = sync_directory(&store, &graph, "acme", later).await.expect("repeat");
    assert_eq!((again.changes, again.reinstated), (0, 0), "nothing new, nothing changes");
}

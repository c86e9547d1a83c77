//! Governance end to end on the local runtime: the use cases on a real SQLite store with the real Graph
//! client against a wiremock Graph. The `saaswarden` binary driving the same through its commands is
//! tested in `cli/tests/governance.rs`.

// Shared with the command-line and cloud-shape governance tests, which use the rest of it.
#[allow(dead_code)]
mod graph_api;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use graph_api::{PROTECTED_GROUP, graph_server};
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
use wiremock::{Mock, MockServer, ResponseTemplate};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").map(|d| d.with_timezone(&Utc)).unwrap_or_default()
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
        scope: "https://graph.microsoft.com/.default".into(),
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
        evidence_span: None,
        campaign: None,
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

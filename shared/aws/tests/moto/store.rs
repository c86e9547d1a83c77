//! State, alerts, directory and checkpoints: the same contracts the SQLite adapter is held to.

use saaswarden_aws::testing::stack;
use saaswarden_core::checkpoint::{Checkpoint, StreamFailure};
use saaswarden_core::directory::{Termination, TerminationStatus};
use saaswarden_core::testing::at_minute;
use saaswarden_core::{Alert, AlertStatus, App, Resolution, ResolutionKind, Severity, UserState};
use saaswarden_store::{AlertFilter, AlertStore, Checkpoints, Directory, StateStore, StoreError};

pub fn alert(id: &str, user: &str, minute: i64, evidence: &[&str]) -> Alert {
    Alert {
        id: id.to_string(),
        tenant: "acme".to_string(),
        policy_id: "multiple_failed_logins".to_string(),
        title: format!("alert {id}"),
        description: String::new(),
        severity: Severity::Medium,
        status: AlertStatus::Open,
        user: user.to_string(),
        apps: vec![App::Slack],
        created_at: at_minute(minute),
        activity_ids: evidence.iter().map(|e| e.to_string()).collect(),
        evidence_span: None,
        campaign: None,
        evidence: serde_json::json!({ "n": evidence.len() }),
        resolution: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn user_state_writes_are_conditional_on_the_version() {
    let store = stack().await.store();
    assert_eq!(store.load_user("acme", "a@x.io").await.expect("load").version, 0);
    let mut state = UserState::default();
    state.mark_processed("slack:1", at_minute(0));
    store.save_user("acme", "a@x.io", &state, 0).await.expect("first save");
    let mut other = UserState::default();
    other.mark_processed("slack:9", at_minute(5));
    let conflict = store.save_user("acme", "a@x.io", &other, 0).await;
    assert!(matches!(conflict, Err(StoreError::Conflict { expected: 0, .. })), "{conflict:?}");
    let loaded = store.load_user("acme", "a@x.io").await.expect("load");
    assert_eq!((loaded.version, &loaded.value), (1, &state));
    store.save_user("acme", "a@x.io", &loaded.value, 1).await.expect("save at version 1");
    assert!(matches!(store.save_user("acme", "a@x.io", &loaded.value, 1).await, Err(StoreError::Conflict { .. })));
    assert_eq!(store.load_user("acme", "a@x.io").await.expect("load").version, 2);
    assert_eq!(store.load_user("other", "a@x.io").await.expect("load").version, 0, "tenants are apart");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_state_written_as_json_by_an_earlier_release_is_read_and_rewritten_binary() {
    use std::io::Write;

    use aws_sdk_dynamodb::primitives::Blob;
    use aws_sdk_dynamodb::types::AttributeValue;

    // As an earlier release wrote it: gzip'd JSON.
    let stack = stack().await;
    let store = stack.store();
    let gzip = |bytes: &[u8]| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).expect("gzip");
        encoder.finish().expect("gzip")
    };
    let put = |body: Vec<u8>| {
        stack
            .clients()
            .dynamodb
            .put_item()
            .table_name(stack.tables().state)
            .item("pk", AttributeValue::S("U#acme#a@x.io".into()))
            .item("sk", AttributeValue::S("state".into()))
            .item("version", AttributeValue::N("4".into()))
            .item("body", AttributeValue::B(Blob::new(body)))
            .send()
    };
    put(gzip(saaswarden_core::testing::LEGACY_STATE_JSON.as_bytes())).await.expect("a legacy item");
    saaswarden_store::testing::assert_legacy_state_is_read_and_saved(&store).await;
    put(gzip(&[0x07, 0xff])).await.expect("a garbage item");
    saaswarden_store::testing::assert_unreadable_state_names_the_user(&store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tenant_state_is_versioned_and_first_activity_is_the_earliest() {
    let store = stack().await.store();
    let fresh = store.load_tenant_state("acme", "policies").await.expect("load");
    assert_eq!((fresh.value, fresh.version), (serde_json::Value::Null, 0));
    store.save_tenant_state("acme", "policies", &serde_json::json!({"n": 1}), 0).await.expect("create");
    let stale = store.save_tenant_state("acme", "policies", &serde_json::json!({"n": 9}), 0).await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{stale:?}");
    store.save_tenant_state("acme", "policies", &serde_json::json!({"n": 2}), 1).await.expect("update");
    let loaded = store.load_tenant_state("acme", "policies").await.expect("load");
    assert_eq!((loaded.value, loaded.version), (serde_json::json!({"n": 2}), 2));

    assert_eq!(store.note_tenant_activity("acme", at_minute(50)).await.expect("note"), at_minute(50));
    assert_eq!(store.note_tenant_activity("acme", at_minute(10)).await.expect("note"), at_minute(10));
    assert_eq!(store.note_tenant_activity("acme", at_minute(90)).await.expect("note"), at_minute(10));
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_counts_distinct_users_since_a_time_and_is_idempotent() {
    let store = stack().await.store();
    let key = "ip:1.2.3.4".to_string();
    let uses = vec![
        (key.clone(), "a@x.io".to_string(), at_minute(0)),
        (key.clone(), "b@x.io".to_string(), at_minute(100)),
        (key.clone(), "a@x.io".to_string(), at_minute(50)),
    ];
    store.record_usage("acme", &uses).await.expect("record");
    store.record_usage("acme", &uses).await.expect("record again");
    let count = |since| {
        let (store, key) = (&store, key.clone());
        async move { store.usage("acme", std::slice::from_ref(&key), since).await.expect("usage")[&key] }
    };
    assert_eq!(count(at_minute(0)).await, 2);
    // a's use is kept per day: a later use on a later day moves it.
    store.record_usage("acme", &[(key.clone(), "a@x.io".to_string(), at_minute(3 * 1440))]).await.expect("record");
    assert_eq!(count(at_minute(2 * 1440)).await, 1, "only a used it on day 3");
    assert_eq!(store.usage("other", std::slice::from_ref(&key), at_minute(0)).await.expect("usage")[&key], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn alert_upsert_creates_once_merges_and_keeps_resolution_history() {
    let store = stack().await.store();
    assert_eq!(store.upsert(&[alert("al-1", "a@x.io", 5, &["slack:1", "slack:2"])]).await.expect("create"), 1);
    assert_eq!(store.upsert(&[alert("al-1", "a@x.io", 7, &["slack:2", "slack:3"])]).await.expect("merge"), 0);
    let stored = store.get("al-1").await.expect("get").expect("exists");
    assert_eq!(stored.activity_ids, ["slack:1", "slack:2", "slack:3"]);
    assert_eq!(stored.created_at, at_minute(5));

    let by = |kind, comment: Option<&str>| Resolution {
        kind,
        by: "analyst@x.io".into(),
        at: at_minute(60),
        comment: comment.map(str::to_string),
    };
    let resolved = store.resolve("al-1", by(ResolutionKind::FalsePositive, Some("VPN"))).await.expect("resolve");
    assert_eq!(resolved.status, AlertStatus::Resolved);
    store.resolve("al-1", by(ResolutionKind::TruePositive, None)).await.expect("re-resolve");
    store.upsert(&[alert("al-1", "a@x.io", 6, &["slack:4"])]).await.expect("merge after resolution");
    let stored = store.get("al-1").await.expect("get").expect("exists");
    assert_eq!(stored.status, AlertStatus::Resolved, "a merge keeps the analyst's status");
    let history: Vec<_> = store.history("al-1").await.expect("history").into_iter().map(|r| r.kind).collect();
    assert_eq!(history, [ResolutionKind::FalsePositive, ResolutionKind::TruePositive]);
    let missing = store.resolve("al-nope", by(ResolutionKind::Benign, None)).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })), "{missing:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_list_by_status_and_time_newest_first() {
    let store = stack().await.store();
    let mut high = alert("al-2", "b@x.io", 20, &["slack:2"]);
    high.severity = Severity::High;
    // One spraying IP: the alerts of two users share its campaign; a third alert has none.
    high.campaign = Some("cp-spray".into());
    let mut sprayed = alert("al-1", "a@x.io", 10, &["slack:1"]);
    sprayed.campaign = Some("cp-spray".into());
    let mut elsewhere = alert("al-9", "a@x.io", 25, &["slack:9"]);
    elsewhere.tenant = "other".into();
    store.upsert(&[sprayed, high, alert("al-3", "a@x.io", 30, &["slack:3"]), elsewhere]).await.expect("create");
    let dismiss = Resolution { kind: ResolutionKind::Dismissed, by: "me".into(), at: at_minute(40), comment: None };
    store.resolve("al-3", dismiss).await.expect("dismiss");
    let ids = |alerts: Vec<Alert>| alerts.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let all = AlertFilter { tenant: Some("acme".into()), limit: 10, ..Default::default() };
    let cases = [
        ("tenant", all.clone(), vec!["al-3", "al-2", "al-1"]),
        ("open", AlertFilter { status: Some(AlertStatus::Open), ..all.clone() }, vec!["al-2", "al-1"]),
        ("dismissed", AlertFilter { status: Some(AlertStatus::Dismissed), ..all.clone() }, vec!["al-3"]),
        ("high", AlertFilter { min_severity: Some(Severity::High), ..all.clone() }, vec!["al-2"]),
        ("user", AlertFilter { user: Some("A@x.io".into()), ..all.clone() }, vec!["al-3", "al-1"]),
        ("campaign", AlertFilter { campaign: Some("cp-spray".into()), ..all.clone() }, vec!["al-2", "al-1"]),
        ("limit", AlertFilter { limit: 1, ..all.clone() }, vec!["al-3"]),
        ("every tenant", AlertFilter { limit: 10, ..Default::default() }, vec!["al-3", "al-9", "al-2", "al-1"]),
    ];
    for (name, filter, expected) in cases {
        assert_eq!(ids(store.list(&filter).await.expect(name)), expected, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn directory_import_replaces_and_reinstate_removes_records_looked_up_case_insensitively() {
    let store = stack().await.store();
    let record = |status, minute| Termination {
        user: "Gone@X.io".to_string(),
        status,
        since: at_minute(minute),
        source: "import:test.csv".to_string(),
    };
    assert_eq!(store.import("acme", &[record(TerminationStatus::Disabled, 10)]).await.expect("import"), 1);
    assert_eq!(store.import("acme", &[record(TerminationStatus::Disabled, 10)]).await.expect("again"), 0);
    assert_eq!(store.import("acme", &[record(TerminationStatus::Deleted, 20)]).await.expect("update"), 1);
    let found = store.termination("acme", "gone@x.io").await.expect("lookup").expect("on record");
    assert_eq!(
        (found.user.as_str(), found.status, found.since),
        ("gone@x.io", TerminationStatus::Deleted, at_minute(20))
    );
    assert!(store.termination("other", "gone@x.io").await.expect("lookup").is_none());
    assert_eq!(store.terminations("acme").await.expect("list").len(), 1);

    // Only the source that recorded a termination takes it off; unknown users are no error.
    let users = ["GONE@x.io".to_string(), "never@x.io".to_string()];
    assert_eq!(store.reinstate("acme", &users, "graph").await.expect("other source"), 0);
    assert_eq!(store.reinstate("acme", &users, "import:test.csv").await.expect("reinstate"), 1);
    assert!(store.termination("acme", "gone@x.io").await.expect("lookup").is_none());
    assert_eq!(store.reinstate("acme", &users, "import:test.csv").await.expect("again"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn checkpoints_are_saved_conditionally_on_their_version() {
    let store = stack().await.store();
    let loaded = store.load("acme", "slack").await.expect("load");
    assert_eq!((loaded.value.clone(), loaded.version), (None, 0));
    let failure = StreamFailure { at: at_minute(11), error: "Zendesk: HTTP 503".into() };
    let checkpoint = Checkpoint {
        through: at_minute(10),
        recent: Vec::new(),
        last_id: Some("e1".into()),
        last_error: Some(failure),
    };
    store.save("acme", "slack", &checkpoint, 0).await.expect("first save");
    let stale = store.save("acme", "slack", &checkpoint, 0).await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{stale:?}");
    let loaded = store.load("acme", "slack").await.expect("load");
    assert_eq!((loaded.value, loaded.version), (Some(checkpoint), 1));
    assert_eq!(store.load("acme", "zendesk").await.expect("load").version, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_load_from_secrets_manager_and_errors_name_the_secret_only() {
    let stack = stack().await;
    let secrets = stack.clients().secrets;
    let name = format!("{}/credentials", stack.name);
    secrets
        .create_secret()
        .name(&name)
        .secret_string(r#"{"SLACK_TOKEN":"xoxp-top-secret"}"#)
        .send()
        .await
        .expect("create secret");
    let values = saaswarden_aws::load_secret_values(&secrets, &name).await.expect("load");
    assert_eq!(values.get("SLACK_TOKEN").map(|s| s.expose().to_string()).ok(), Some("xoxp-top-secret".to_string()));

    let missing = saaswarden_aws::load_secret_values(&secrets, "no/such/secret").await.expect_err("missing");
    assert!(missing.to_string().contains("no/such/secret"), "{missing}");
    let broken = format!("{}/broken", stack.name);
    secrets
        .create_secret()
        .name(&broken)
        .secret_string(r#"{"SLACK_TOKEN":["xoxp-leak"]}"#)
        .send()
        .await
        .expect("create");
    let error = saaswarden_aws::load_secret_values(&secrets, &broken).await.expect_err("invalid").to_string();
    assert!(error.contains(&broken) && !error.contains("xoxp-leak"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn governance_budget_is_an_atomic_counter_with_a_limit() {
    use saaswarden_store::GovernanceLog;
    let store = stack().await.store();
    let (a, b, c) = tokio::join!(
        store.take_budget("acme", "2026-10-01T10", 2),
        store.take_budget("acme", "2026-10-01T10", 2),
        store.take_budget("acme", "2026-10-01T10", 2)
    );
    let taken = [a, b, c].into_iter().map(|r| r.expect("take")).filter(|t| *t).count();
    assert_eq!(taken, 2, "three concurrent takers of a budget of two");
    assert!(store.take_budget("acme", "2026-10-01T11", 2).await.expect("next window"), "a new window starts fresh");
    assert!(store.take_budget("other", "2026-10-01T10", 2).await.expect("other tenant"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_governance_action_is_claimed_once_and_later_steps_are_conditional() {
    use chrono::{TimeZone, Utc};
    use saaswarden_core::governance::{ActionKind, Decision, GovernanceEntry, GovernanceStatus, Mode, Trigger};
    use saaswarden_store::{Claim, GovernanceFilter, GovernanceLog};
    let entry = |alert: &str| {
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).single().expect("time");
        let decision = Decision {
            tenant: "acme".into(),
            alert_id: alert.into(),
            policy_id: "impossible_travel".into(),
            user: "ann@acme.example".into(),
            action: ActionKind::SuspendUser,
            trigger: Trigger::Automatic { mode: Mode::Automatic },
            alert_title: "Impossible travel".into(),
            alert_description: String::new(),
            alert_created_at: at,
            apps: vec![],
        };
        GovernanceEntry::new(&decision, GovernanceStatus::Running, None, at)
    };
    let store = stack().await.store();
    let first = entry("al-1");
    assert_eq!(store.claim_action(&first).await.expect("claim"), Claim::Claimed);
    let mut again = entry("al-1");
    again.user = "someone@else.example".into();
    let Claim::Existing(existing) = store.claim_action(&again).await.expect("claim") else {
        panic!("a second claim must find the first")
    };
    assert_eq!((existing.value.user.as_str(), existing.version), ("ann@acme.example", 1));
    let mut done = existing.value.clone();
    done.record(GovernanceStatus::Succeeded, "policy:impossible_travel", None, done.created_at);
    store.save_governance_entry(&done, 1).await.expect("save at version 1");
    let stale = store.save_governance_entry(&done, 1).await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{stale:?}");
    let read = store.governance_entry(&first.id).await.expect("read").expect("exists");
    assert_eq!((read.value.status, read.version), (GovernanceStatus::Succeeded, 2));
    store.claim_action(&entry("al-2")).await.expect("claim");
    let by_alert = GovernanceFilter { alert_id: Some("al-2".into()), limit: 10, ..Default::default() };
    let listed = store.governance_entries(&by_alert).await.expect("list");
    assert_eq!(listed.iter().map(|e| e.alert_id.as_str()).collect::<Vec<_>>(), ["al-2"]);
}

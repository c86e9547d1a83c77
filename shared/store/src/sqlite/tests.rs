//! The SQLite adapter against a real database file.

use chrono::Duration;
use saaswarden_core::testing::{activity, at_minute};
use saaswarden_core::{Alert, AlertStatus, App, Category, Resolution, ResolutionKind, Severity, UserState};
use tempfile::TempDir;

use super::SqliteStore;
use crate::error::StoreError;
use crate::ports::{ActivityLog, ActivityQuery, AlertFilter, AlertStore, StateStore};

fn store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("test.db")).expect("open store");
    (dir, store)
}

fn alert(id: &str, user: &str, minute: i64, evidence: &[&str]) -> Alert {
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

#[tokio::test]
async fn appending_the_same_activities_twice_stores_them_once() {
    let (_dir, store) = store();
    let batch = vec![activity("1", "a@x.io", at_minute(0)), activity("2", "a@x.io", at_minute(1))];
    assert_eq!(store.append(&batch).await.expect("append"), 2);
    assert_eq!(store.append(&batch).await.expect("append again"), 0);
    let all = store.search(&ActivityQuery { limit: 100, ..Default::default() }).await.expect("search");
    assert_eq!(all, batch);
    let ids = ["slack:2".to_string(), "slack:404".to_string(), "slack:1".to_string()];
    let picked = store.get_many("acme", &ids).await.expect("get_many");
    assert_eq!(picked, [batch[1].clone(), batch[0].clone()], "in the order asked, unknown ids left out");
    assert!(store.get_many("other-tenant", &ids).await.expect("get_many").is_empty());
}

#[tokio::test]
async fn search_filters_by_every_criterion() {
    let (_dir, store) = store();
    let activities = vec![
        activity("1", "alice@x.io", at_minute(0)).with_ip("216.160.83.56").with_geo("US", 47.0, -122.0),
        activity("2", "alice@x.io", at_minute(10)).with_ip("2001:db8::1").with_geo("SE", 58.0, 15.0),
        activity("3", "bob@x.io", at_minute(20))
            .with_ip("216.160.83.56")
            .with_action("file_downloaded", Category::DataAccess),
        activity("4", "bob@x.io", at_minute(30)).with_app(App::Zendesk),
    ];
    store.append(&activities).await.expect("append");
    let ids = |found: Vec<saaswarden_core::Activity>| found.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let cases: Vec<(&str, ActivityQuery, Vec<&str>)> = vec![
        (
            "email, any case",
            ActivityQuery { user: Some("ALICE@x.io".into()), ..Default::default() },
            vec!["slack:1", "slack:2"],
        ),
        ("app user id", ActivityQuery { user: Some("W3".into()), ..Default::default() }, vec!["slack:3"]),
        ("ip", ActivityQuery { ip: "216.160.83.56".parse().ok(), ..Default::default() }, vec!["slack:1", "slack:3"]),
        ("ipv6", ActivityQuery { ip: "2001:db8::1".parse().ok(), ..Default::default() }, vec!["slack:2"]),
        ("country", ActivityQuery { country: Some("se".into()), ..Default::default() }, vec!["slack:2"]),
        ("app", ActivityQuery { app: Some(App::Zendesk), ..Default::default() }, vec!["zendesk:4"]),
        ("action", ActivityQuery { action: Some("file_downloaded".into()), ..Default::default() }, vec!["slack:3"]),
        (
            "time range, inclusive",
            ActivityQuery { since: Some(at_minute(10)), until: Some(at_minute(20)), ..Default::default() },
            vec!["slack:2", "slack:3"],
        ),
        (
            "criteria combine",
            ActivityQuery { user: Some("bob@x.io".into()), ip: "216.160.83.56".parse().ok(), ..Default::default() },
            vec!["slack:3"],
        ),
        ("tenant", ActivityQuery { tenant: Some("other".into()), ..Default::default() }, vec![]),
        ("limit", ActivityQuery { limit: 1, ..Default::default() }, vec!["slack:1"]),
    ];
    for (name, mut query, expected) in cases {
        if query.limit == 0 {
            query.limit = 100;
        }
        let found = ids(store.search(&query).await.expect(name));
        assert_eq!(found, expected, "{name}");
    }
}

#[tokio::test]
async fn user_state_writes_are_conditional_on_the_version() {
    let (_dir, store) = store();
    let fresh = store.load_user("acme", "a@x.io").await.expect("load");
    assert_eq!(fresh.version, 0);
    let mut state = UserState::default();
    state.mark_processed("slack:1", at_minute(0));
    store.save_user("acme", "a@x.io", &state, 0).await.expect("first save");

    // A second writer that also read version 0 loses, and nothing it wrote sticks.
    let mut other = UserState::default();
    other.mark_processed("slack:9", at_minute(5));
    let conflict = store.save_user("acme", "a@x.io", &other, 0).await;
    assert!(matches!(conflict, Err(StoreError::Conflict { expected: 0, .. })), "{conflict:?}");

    let loaded = store.load_user("acme", "a@x.io").await.expect("load");
    assert_eq!((loaded.version, loaded.value.clone()), (1, state.clone()));
    store.save_user("acme", "a@x.io", &loaded.value, 1).await.expect("save at version 1");
    assert!(store.save_user("acme", "a@x.io", &loaded.value, 1).await.is_err(), "stale version 1 must conflict");
    assert_eq!(store.load_user("acme", "a@x.io").await.expect("load").version, 2);
}

#[tokio::test]
async fn a_state_written_as_json_by_an_earlier_release_is_read_and_rewritten_binary() {
    let (_dir, store) = store();
    {
        let conn = store.conn().expect("connection");
        conn.execute(
            "INSERT INTO user_state (tenant, user_key, version, body) VALUES ('acme', 'a@x.io', 4, ?1)",
            rusqlite::params![saaswarden_core::testing::LEGACY_STATE_JSON],
        )
        .expect("a legacy row");
    }
    crate::testing::assert_legacy_state_is_read_and_saved(&store).await;
    {
        let conn = store.conn().expect("connection");
        conn.execute("UPDATE user_state SET body = x'07ff' WHERE user_key = 'a@x.io'", []).expect("garbage");
    }
    crate::testing::assert_unreadable_state_names_the_user(&store).await;
}

#[tokio::test]
async fn tenant_first_seen_is_the_earliest_activity() {
    let (_dir, store) = store();
    assert_eq!(store.note_tenant_activity("acme", at_minute(50)).await.expect("note"), at_minute(50));
    assert_eq!(store.note_tenant_activity("acme", at_minute(10)).await.expect("note"), at_minute(10));
    assert_eq!(store.note_tenant_activity("acme", at_minute(90)).await.expect("note"), at_minute(10));
}

#[tokio::test]
async fn alert_upsert_creates_once_and_merges_growing_evidence() {
    let (_dir, store) = store();
    assert_eq!(store.upsert(&[alert("al-1", "a@x.io", 5, &["slack:1", "slack:2"])]).await.expect("create"), 1);
    assert_eq!(store.upsert(&[alert("al-1", "a@x.io", 7, &["slack:2", "slack:3"])]).await.expect("merge"), 0);
    let stored = store.get("al-1").await.expect("get").expect("exists");
    assert_eq!(stored.activity_ids, ["slack:1", "slack:2", "slack:3"]);
    assert_eq!(stored.created_at, at_minute(5), "created_at keeps the first time");
}

#[tokio::test]
async fn resolution_is_kept_with_history_and_survives_a_later_merge() {
    let (_dir, store) = store();
    store.upsert(&[alert("al-1", "a@x.io", 5, &["slack:1"])]).await.expect("create");
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
    assert_eq!(stored.status, AlertStatus::Resolved);
    assert_eq!(stored.resolution.as_ref().map(|r| r.kind), Some(ResolutionKind::TruePositive));
    let history = store.history("al-1").await.expect("history");
    let kinds: Vec<_> = history.iter().map(|r| (r.kind, r.comment.clone())).collect();
    assert_eq!(kinds, [(ResolutionKind::FalsePositive, Some("VPN".into())), (ResolutionKind::TruePositive, None)]);

    let missing = store.resolve("al-nope", by(ResolutionKind::Benign, None)).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })), "{missing:?}");
}

#[tokio::test]
async fn alerts_list_filters_and_orders_newest_first() {
    let (_dir, store) = store();
    let mut high = alert("al-2", "b@x.io", 20, &["slack:2"]);
    high.severity = Severity::High;
    // One spraying IP: the alerts of two users share its campaign; a third alert has none.
    high.campaign = Some("cp-spray".into());
    let mut sprayed = alert("al-1", "a@x.io", 10, &["slack:1"]);
    sprayed.campaign = Some("cp-spray".into());
    store.upsert(&[sprayed, high, alert("al-3", "a@x.io", 30, &["slack:3"])]).await.expect("create");
    store
        .resolve(
            "al-3",
            Resolution { kind: ResolutionKind::Dismissed, by: "me".into(), at: at_minute(40), comment: None },
        )
        .await
        .expect("dismiss");
    let ids = |alerts: Vec<Alert>| alerts.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let all = AlertFilter { limit: 10, ..Default::default() };
    assert_eq!(ids(store.list(&all).await.expect("list")), ["al-3", "al-2", "al-1"]);
    let open = AlertFilter { status: Some(AlertStatus::Open), ..all.clone() };
    assert_eq!(ids(store.list(&open).await.expect("list")), ["al-2", "al-1"]);
    let high_only = AlertFilter { min_severity: Some(Severity::High), ..all.clone() };
    assert_eq!(ids(store.list(&high_only).await.expect("list")), ["al-2"]);
    let campaign = AlertFilter { campaign: Some("cp-spray".into()), ..all.clone() };
    assert_eq!(ids(store.list(&campaign).await.expect("list")), ["al-2", "al-1"]);
    let user = AlertFilter { user: Some("A@x.io".into()), ..all };
    assert_eq!(ids(store.list(&user).await.expect("list")), ["al-3", "al-1"]);
}

#[tokio::test]
async fn reopening_a_store_keeps_its_data_and_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("again.db");
    {
        let store = SqliteStore::open(&path).expect("open");
        store.append(&[activity("1", "a@x.io", at_minute(0))]).await.expect("append");
    }
    let store = SqliteStore::open(&path).expect("reopen");
    let since = Some(at_minute(0) - Duration::minutes(1));
    let found = store.search(&ActivityQuery { since, limit: 10, ..Default::default() }).await.expect("search");
    assert_eq!(found.len(), 1);
}

#[test]
fn opening_a_file_that_is_not_sqlite_names_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("not-a-db.db");
    std::fs::write(&path, "this is not a database, it is a text file that is long enough").expect("write");
    let error = SqliteStore::open(&path).err().expect("must fail").to_string();
    assert!(error.contains("not-a-db.db"), "{error}");
}

#[tokio::test]
async fn usage_counts_distinct_users_since_a_time_and_is_idempotent() {
    use crate::ports::StateStore;
    let (_dir, store) = store();
    let key = "ip:1.2.3.4".to_string();
    let uses = vec![
        (key.clone(), "a@x.io".to_string(), at_minute(0)),
        (key.clone(), "b@x.io".to_string(), at_minute(100)),
        (key.clone(), "a@x.io".to_string(), at_minute(50)),
    ];
    store.record_usage("acme", &uses).await.expect("record");
    store.record_usage("acme", &uses).await.expect("record again");
    let count = |since| {
        let store = &store;
        let key = key.clone();
        async move { store.usage("acme", std::slice::from_ref(&key), since).await.expect("usage")[&key] }
    };
    assert_eq!(count(at_minute(0)).await, 2);
    assert_eq!(count(at_minute(60)).await, 1, "a's last use was at minute 50");
    assert_eq!(store.usage("other", std::slice::from_ref(&key), at_minute(0)).await.expect("usage")[&key], 0);
}

#[tokio::test]
async fn directory_import_replaces_and_reinstate_removes_records_looked_up_case_insensitively() {
    use crate::ports::Directory;
    use saaswarden_core::directory::{Termination, TerminationStatus};
    let (_dir, store) = store();
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
    assert_eq!(store.directory_tenants().expect("tenants"), [("acme".to_string(), 1)]);

    // Only the source that recorded a termination takes it off; unknown users are no error.
    let users = ["GONE@x.io".to_string(), "never@x.io".to_string()];
    assert_eq!(store.reinstate("acme", &users, "graph").await.expect("other source"), 0);
    assert_eq!(store.reinstate("acme", &users, "import:test.csv").await.expect("reinstate"), 1);
    assert!(store.termination("acme", "gone@x.io").await.expect("lookup").is_none());
    assert_eq!(store.reinstate("acme", &users, "import:test.csv").await.expect("again"), 0);
}

#[tokio::test]
async fn bulk_mode_commits_what_it_wrote() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bulk.db");
    {
        let store = SqliteStore::open(&path).expect("open");
        store.begin_bulk().expect("bulk");
        for i in 0..(super::BULK_OPERATIONS + 10) {
            store.append(&[activity(&i.to_string(), "a@x.io", at_minute(i64::from(i)))]).await.expect("append");
        }
        store.upsert(&[alert("al-1", "a@x.io", 5, &["slack:1"])]).await.expect("upsert in bulk");
        store.end_bulk().expect("end bulk");
        store.append(&[activity("after", "a@x.io", at_minute(0))]).await.expect("append after bulk");
    }
    let store = SqliteStore::open(&path).expect("reopen");
    let all = store.search(&ActivityQuery { limit: 100_000, ..Default::default() }).await.expect("search");
    assert_eq!(all.len() as u32, super::BULK_OPERATIONS + 11);
    assert!(store.get("al-1").await.expect("get").is_some());
}

/// A write that fails halfway — here a trigger refuses the second activity of an append — leaves nothing
/// of itself: alone, its savepoint is rolled back; in bulk mode (no savepoint, for speed) the whole bulk
/// transaction goes back to its last commit and every later operation fails until the run ends it.
#[tokio::test]
async fn a_write_that_fails_halfway_leaves_nothing_of_itself_alone_or_in_bulk_mode() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("failing.db");
    let ids = |found: Vec<saaswarden_core::Activity>| found.into_iter().map(|a| a.id).collect::<Vec<_>>();
    {
        let store = SqliteStore::open(&path).expect("open");
        store
            .lock()
            .execute_batch(
                "CREATE TEMP TRIGGER refuse BEFORE INSERT ON activities WHEN NEW.id LIKE 'slack:bad%'
                 BEGIN SELECT RAISE(ABORT, 'refused'); END",
            )
            .expect("trigger");
        store.append(&[activity("before", "a@x.io", at_minute(1))]).await.expect("append");
        let alone = [activity("half1", "a@x.io", at_minute(2)), activity("bad1", "a@x.io", at_minute(3))];
        assert!(matches!(store.append(&alone).await, Err(StoreError::Sqlite { .. })));

        store.begin_bulk().expect("bulk");
        store.append(&[activity("in-bulk", "a@x.io", at_minute(4))]).await.expect("append in bulk");
        let bulk = [activity("half2", "a@x.io", at_minute(5)), activity("bad2", "a@x.io", at_minute(6))];
        assert!(matches!(store.append(&bulk).await, Err(StoreError::Sqlite { .. })));
        let later = store.append(&[activity("later", "a@x.io", at_minute(7))]).await;
        assert!(matches!(&later, Err(StoreError::Invalid(message)) if message.contains("rolled back")), "{later:?}");
        store.end_bulk().expect("nothing left to commit");
        store.append(&[activity("after", "a@x.io", at_minute(8))]).await.expect("one transaction per write again");
    }
    let store = SqliteStore::open(&path).expect("reopen");
    let all = store.search(&ActivityQuery { limit: 100, ..Default::default() }).await.expect("search");
    assert_eq!(ids(all), ["slack:before", "slack:after"]);
}

/// A write that panics halfway in bulk mode (a bug, not an error) is not committed by the end of the run.
#[test]
fn a_write_that_panics_halfway_in_bulk_mode_is_not_committed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("panicking.db");
    {
        let store = SqliteStore::open(&path).expect("open");
        store.begin_bulk().expect("bulk");
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = store.lock().atomically("a write with a bug", |conn| -> Result<(), StoreError> {
                conn.execute("INSERT INTO tenants (tenant, first_seen) VALUES ('acme', 1)", []).expect("insert");
                panic!("a bug halfway through a write");
            });
        }));
        assert!(panicked.is_err());
        store.end_bulk().expect("end bulk");
    }
    let store = SqliteStore::open(&path).expect("reopen");
    let tenants: i64 = store.lock().query_row("SELECT COUNT(*) FROM tenants", [], |row| row.get(0)).expect("count");
    assert_eq!(tenants, 0);
}

#[tokio::test]
async fn tenant_state_writes_are_conditional_on_the_version() {
    let (_dir, store) = store();
    let fresh = store.load_tenant_state("acme", "policies").await.expect("load");
    assert_eq!((fresh.value.clone(), fresh.version), (serde_json::Value::Null, 0));
    store.save_tenant_state("acme", "policies", &serde_json::json!({"n": 1}), 0).await.expect("create");
    let stale = store.save_tenant_state("acme", "policies", &serde_json::json!({"n": 9}), 0).await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{stale:?}");
    store.save_tenant_state("acme", "policies", &serde_json::json!({"n": 2}), 1).await.expect("update");
    let loaded = store.load_tenant_state("acme", "policies").await.expect("load");
    assert_eq!((loaded.value, loaded.version), (serde_json::json!({"n": 2}), 2));
    assert_eq!(store.load_tenant_state("other", "policies").await.expect("load").version, 0);
}

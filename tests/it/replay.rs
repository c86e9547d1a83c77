//! Replaying exported audit logs through the whole local pipeline.

use saaswarden_app::{
    Detectors, Ingested, ReplayInput, RunReport, detect_batch, into_batches, normalize_entries, replay,
};
use saaswarden_connectors::Feed;
use saaswarden_connectors::input::RawEntry;
use saaswarden_connectors::zendesk::ZendeskUsers;
use saaswarden_core::detect::Engine;
use saaswarden_core::enrich::NoEnrichment;
use saaswarden_core::{Activity, Alert, Config};
use saaswarden_enrich::IpIntel;
use saaswarden_store::{ActivityLog, ActivityQuery, AlertFilter, AlertStore, SqliteStore};
use saaswarden_tests::{config_without_learning, fixture, fixture_users, fresh_store};

/// Every input form at once: a directory of Slack pages and JSON Lines, a single Zendesk page file.
fn every_form() -> ReplayInput {
    ReplayInput {
        slack_paths: vec![fixture("slack")],
        zendesk_paths: vec![fixture("zendesk/audit_logs.json")],
        entries: Vec::new(),
        zendesk_users: fixture_users(),
    }
}

async fn run(store: &SqliteStore, input: ReplayInput) -> RunReport {
    let config = config_without_learning();
    let engine = Engine::from_config(&config);
    let detectors = Detectors { engine: &engine, policies: None, enricher: &NoEnrichment };
    replay(input, &config.tenant, &detectors, store).await.expect("replay")
}

async fn snapshot(store: &SqliteStore) -> (Vec<Activity>, Vec<Alert>) {
    let activities = store.search(&ActivityQuery { limit: 10_000, ..Default::default() }).await.expect("search");
    let alerts = store.list(&AlertFilter { limit: 10_000, ..Default::default() }).await.expect("list");
    (activities, alerts)
}

#[tokio::test]
async fn replaying_the_same_files_twice_gives_identical_activities_and_alerts() {
    let (_dir, store) = fresh_store();
    let first = run(&store, every_form()).await;
    let after_first = snapshot(&store).await;
    assert!(first.detection.new_activities >= 30, "{first:?}");
    assert_eq!(after_first.0.len(), first.detection.new_activities);
    let burst: Vec<&Alert> = after_first.1.iter().filter(|a| a.policy_id == "multiple_failed_logins").collect();
    assert_eq!(burst.len(), 1, "the fixture's six failed sign-ins are one burst: {:#?}", after_first.1);
    assert_eq!(burst[0].user, "carol.mbeki@acme.example");
    assert_eq!(burst[0].activity_ids.len(), 6);

    let second = run(&store, every_form()).await;
    assert_eq!(second.detection.new_activities, 0);
    assert_eq!(second.detection.alerts_created, 0);
    assert_eq!(second.detection.redelivered, first.detection.activities, "every activity is recognised");
    assert_eq!(snapshot(&store).await, after_first);
}

#[tokio::test]
async fn two_stores_fed_the_same_files_agree() {
    let (_a, one) = fresh_store();
    let (_b, other) = fresh_store();
    run(&one, every_form()).await;
    run(&other, every_form()).await;
    assert_eq!(snapshot(&one).await, snapshot(&other).await);
}

#[tokio::test]
async fn a_broken_page_stores_every_good_entry_and_reports_each_bad_one() {
    let (_dir, store) = fresh_store();
    let input = ReplayInput { slack_paths: vec![fixture("slack/broken-page.json")], ..Default::default() };
    let report = run(&store, input).await;
    assert_eq!(report.detection.new_activities, 5, "{report:?}");
    assert_eq!(report.rejected.len(), 4, "{:#?}", report.rejected);
    for rejected in &report.rejected {
        assert!(rejected.location.contains("broken-page.json: entries["), "{rejected}");
    }
    let reasons: Vec<String> = report.rejected.iter().map(|r| r.to_string()).collect();
    assert!(reasons.iter().any(|r| r.contains("date_create")), "{reasons:#?}");
    assert!(reasons.iter().any(|r| r.contains("`id`")), "{reasons:#?}");
    assert!(reasons.iter().any(|r| r.contains("`action`")), "{reasons:#?}");
    assert!(reasons.iter().any(|r| r.contains("not an object") || r.contains("object")), "{reasons:#?}");
    let (stored, _) = snapshot(&store).await;
    assert_eq!(stored.len(), 5);
}

#[tokio::test]
async fn zendesk_actors_resolve_to_the_same_email_as_their_slack_identity() {
    let (_dir, store) = fresh_store();
    run(&store, every_form()).await;
    let carol = store
        .search(&ActivityQuery { user: Some("Carol.Mbeki@acme.example".into()), limit: 1000, ..Default::default() })
        .await
        .expect("search");
    let apps: std::collections::BTreeSet<_> = carol.iter().map(|a| a.app).collect();
    assert_eq!(apps.len(), 2, "Carol's Slack and Zendesk activity join by email: {carol:#?}");
}

#[tokio::test]
async fn a_missing_input_path_is_an_error_naming_it() {
    let (_dir, store) = fresh_store();
    let input = ReplayInput { slack_paths: vec![fixture("slack/no-such-file.json")], ..Default::default() };
    let config = config_without_learning();
    let engine = Engine::from_config(&config);
    let detectors = Detectors { engine: &engine, policies: None, enricher: &NoEnrichment };
    let error = replay(input, "acme", &detectors, &store).await.expect_err("missing file").to_string();
    assert!(error.contains("no-such-file.json"), "{error}");
}

/// Every activity and alert of a store.
async fn everything(store: &SqliteStore) -> (Vec<Activity>, Vec<Alert>) {
    let query = ActivityQuery { limit: 1_000_000, ..Default::default() };
    let alerts = AlertFilter { limit: 10_000, ..Default::default() };
    (store.search(&query).await.expect("search"), store.list(&alerts).await.expect("list"))
}

/// The replay as it was before it streamed: every entry normalized in memory, the whole input batched at
/// once, then detected — the reference the streaming replay must match.
async fn replay_in_memory(
    store: &SqliteStore,
    entries: Vec<(saaswarden_core::App, Vec<RawEntry>)>,
    users: &ZendeskUsers,
    enricher: &IpIntel,
) {
    let config = Config { tenant: "acme".into(), ..Default::default() };
    let engine = Engine::from_config(&config);
    let detectors = Detectors { engine: &engine, policies: None, enricher };
    let mut ingested = Ingested::default();
    let mut seen = std::collections::HashSet::new();
    for (app, entries) in entries {
        normalize_entries(Feed::audit_log(app), entries, &config.tenant, users, &mut ingested, &mut seen);
    }
    for batch in into_batches(ingested.activities) {
        detect_batch(&detectors, store, batch).await.expect("detect");
    }
}

#[tokio::test]
async fn a_streamed_replay_of_page_files_matches_the_whole_input_detected_at_once() {
    let intel_dir = tempfile::tempdir().expect("temp dir");
    let intel = saaswarden_tests::demo_enrichment(intel_dir.path());
    let tenant = saaswarden_demo::generate(&saaswarden_demo::DemoOptions { users: 60, days: 24, ..Default::default() });
    let users = ZendeskUsers::from_json(&tenant.zendesk_users).expect("users");
    let entries = |key: &str, pages: &[serde_json::Value]| -> Vec<RawEntry> {
        pages
            .iter()
            .flat_map(|page| page[key].as_array().cloned().unwrap_or_default())
            .map(|value| RawEntry { location: "demo".into(), value })
            .collect()
    };
    let (_a, reference) = fresh_store();
    replay_in_memory(
        &reference,
        vec![
            (saaswarden_core::App::Slack, entries("entries", &tenant.slack_pages)),
            (saaswarden_core::App::Zendesk, entries("audit_logs", &tenant.zendesk_pages)),
        ],
        &users,
        &intel,
    )
    .await;

    // The same tenant as page files, one per page, Slack's newest page first as its API returns them.
    let dir = tempfile::tempdir().expect("temp dir");
    for (app, pages) in [("slack", &tenant.slack_pages), ("zendesk", &tenant.zendesk_pages)] {
        std::fs::create_dir(dir.path().join(app)).expect("dir");
        for (n, page) in pages.iter().enumerate() {
            let path = dir.path().join(app).join(format!("page-{n:04}.json"));
            std::fs::write(path, serde_json::to_vec(page).expect("JSON")).expect("write page");
        }
    }
    let (_b, streamed) = fresh_store();
    let config = Config { tenant: "acme".into(), ..Default::default() };
    let engine = Engine::from_config(&config);
    let detectors = Detectors { engine: &engine, policies: None, enricher: &intel };
    let input = ReplayInput {
        slack_paths: vec![dir.path().join("slack")],
        zendesk_paths: vec![dir.path().join("zendesk")],
        entries: Vec::new(),
        zendesk_users: users,
    };
    let report = replay(input, &config.tenant, &detectors, &streamed).await.expect("replay");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let (activities, alerts) = everything(&streamed).await;
    let (reference_activities, reference_alerts) = everything(&reference).await;
    let policies: std::collections::BTreeSet<&str> = alerts.iter().map(|a| a.policy_id.as_str()).collect();
    // Every detection but terminated_user, which needs the directory, fires on the demo tenant.
    assert_eq!(policies.len(), 7, "{policies:?}");
    assert_eq!(activities.len(), report.detection.new_activities);
    assert!(activities == reference_activities, "the audit trails differ");
    assert_eq!(alerts, reference_alerts, "streamed and whole replays raise different alerts");
}

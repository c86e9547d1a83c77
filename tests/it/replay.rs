//! Replaying exported audit logs through the whole local pipeline.

use saaswarden_app::{Detectors, ReplayInput, RunReport, replay};
use saaswarden_core::detect::Engine;
use saaswarden_core::enrich::NoEnrichment;
use saaswarden_core::{Activity, Alert};
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

//! `detect_batch` on DynamoDB: redelivery changes nothing; concurrent runs on one user lose no update.

use saaswarden_app::{Detectors, detect_batch};
use saaswarden_aws::DynamoStore;
use saaswarden_aws::testing::stack;
use saaswarden_core::config::Config;
use saaswarden_core::detect::Engine;
use saaswarden_core::enrich::NoEnrichment;
use saaswarden_core::testing::{activity, at_minute};
use saaswarden_core::{Activity, Category};
use saaswarden_store::{ActivityBatch, ActivityLog, ActivityQuery, AlertFilter, AlertStore, StateStore};

fn engine() -> Engine {
    let mut config = Config { tenant: "acme".to_string(), ..Default::default() };
    config.detections.multiple_failed_logins.learning_period = std::time::Duration::ZERO;
    Engine::from_config(&config)
}

fn failures(user: &str, from: i64, count: i64) -> Vec<Activity> {
    (from..from + count)
        .map(|i| {
            activity(&format!("{user}-{i}"), user, at_minute(i))
                .with_ip("216.160.83.56")
                .with_action("user_login_failed", Category::SignInFailure)
        })
        .collect()
}

async fn snapshot(
    store: &DynamoStore,
    user: &str,
) -> (Vec<Activity>, Vec<saaswarden_core::Alert>, saaswarden_core::UserState) {
    let query = ActivityQuery { tenant: Some("acme".into()), limit: 10_000, ..Default::default() };
    let activities = store.search(&query).await.expect("search");
    let alerts = store
        .list(&AlertFilter { tenant: Some("acme".into()), limit: 100, ..Default::default() })
        .await
        .expect("alerts");
    (activities, alerts, store.load_user("acme", user).await.expect("state").value)
}

#[tokio::test(flavor = "multi_thread")]
async fn redelivering_a_batch_changes_nothing() {
    let store = stack().await.store();
    let engine = engine();
    let detectors = Detectors { engine: &engine, policies: None, enricher: &NoEnrichment };
    let batch =
        ActivityBatch { tenant: "acme".into(), user: "eve@x.io".into(), activities: failures("eve@x.io", 0, 30) };
    let first = detect_batch(&detectors, &store, batch.clone()).await.expect("first delivery");
    assert!(first.alerts_created >= 1 && first.new_activities == 30, "{first:?}");
    let before = snapshot(&store, "eve@x.io").await;
    let again = detect_batch(&detectors, &store, batch).await.expect("redelivery");
    assert_eq!((again.new_activities, again.alerts_created, again.redelivered), (0, 0, 30), "{again:?}");
    let after = snapshot(&store, "eve@x.io").await;
    assert_eq!(after, before, "same activities, alerts and user state");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_detector_runs_on_one_user_never_lose_an_update() {
    let store = stack().await.store();
    let engine = engine();
    let detectors = Detectors { engine: &engine, policies: None, enricher: &NoEnrichment };
    let user = "mallory@x.io";
    let one = ActivityBatch { tenant: "acme".into(), user: user.into(), activities: failures(user, 0, 10) };
    let two = ActivityBatch { tenant: "acme".into(), user: user.into(), activities: failures(user, 100, 10) };
    let (a, b) =
        tokio::join!(detect_batch(&detectors, &store, one.clone()), detect_batch(&detectors, &store, two.clone()));
    a.expect("first run");
    b.expect("second run");
    let state = store.load_user("acme", user).await.expect("state");
    // Both runs' updates are in the final state — a lost update would drop one end of the span — and it
    // remembers every id of the run that committed last (for a redelivery of it).
    assert_eq!(state.value.first_seen, Some(at_minute(0)));
    assert_eq!(state.value.last_seen, Some(at_minute(109)));
    let remembered = |batch: &ActivityBatch| batch.activities.iter().all(|a| state.value.has_processed(&a.id));
    assert!(remembered(&one) || remembered(&two), "the last committed batch's ids are remembered");

    // The store-level guarantee under it: of two writers at one version, exactly one wins.
    let loaded = store.load_user("acme", user).await.expect("state");
    let (x, y) = tokio::join!(
        store.save_user("acme", user, &loaded.value, loaded.version),
        store.save_user("acme", user, &loaded.value, loaded.version)
    );
    assert!(x.is_ok() != y.is_ok(), "exactly one conditional write wins: {x:?} {y:?}");
}

//! Two detector invocations on one user's state at once (two deliveries of the same message group — what a
//! visibility timeout shorter than a slow invocation could cause) never lose an update.

use saaswarden_app::into_batches;
use saaswarden_aws::testing::stack;
use saaswarden_core::Activity;
use saaswarden_core::testing::{activity, at_minute};
use saaswarden_lambda::detector::Detector;
use saaswarden_store::{ActivityLog, ActivityQuery, StateStore};

use crate::lambda::{Received, settings, sqs_event};

const USER: &str = "mallory@acme.example";

fn logins(from: i64, count: i64) -> Vec<Activity> {
    (from..from + count).map(|i| activity(&format!("m-{i}"), USER, at_minute(i))).collect()
}

/// One delivery of one message holding `activities`, as Lambda would hand it over.
fn delivery(id: &str, activities: Vec<Activity>) -> aws_lambda_events::event::sqs::SqsEvent {
    let batch = into_batches(activities).pop().expect("one user's batch");
    let message = Received {
        message_id: id.into(),
        receipt_handle: format!("rh-{id}"),
        group: Some(batch.group_id()),
        body: serde_json::to_string(&batch).expect("batch JSON"),
    };
    sqs_event("arn:aws:sqs:us-east-1:123456789012:activities.fifo", &[message])
}

#[tokio::test(flavor = "multi_thread")]
async fn two_detector_invocations_on_one_user_never_lose_an_update() {
    let stack = stack().await;
    let settings = settings(&stack, &[]);
    // Two warm instances of the function: separate clients, separate caches, one table.
    let one = Detector::start(&settings, &stack.config).await.expect("first instance");
    let two = Detector::start(&settings, &stack.config).await.expect("second instance");
    let (first, second) = (logins(0, 20), logins(100, 20));
    let (a, b) = tokio::join!(one.handle(delivery("m1", first.clone())), two.handle(delivery("m2", second.clone())));
    assert!(a.batch_item_failures.is_empty() && b.batch_item_failures.is_empty(), "{a:?} {b:?}");

    let store = stack.store();
    let state = store.load_user("acme", USER).await.expect("the user's state");
    // Both invocations' updates are in the final state — a lost update would drop one end of the span — and
    // it remembers every id of the batch that committed last (for a redelivery of it).
    assert_eq!((state.value.first_seen, state.value.last_seen), (Some(at_minute(0)), Some(at_minute(119))));
    let remembered = |batch: &[Activity]| batch.iter().all(|a| state.value.has_processed(&a.id));
    assert!(remembered(&first) || remembered(&second), "the last committed batch's ids are remembered");
    let query = ActivityQuery { tenant: Some("acme".into()), limit: 1_000, ..Default::default() };
    let trail = store.search(&query).await.expect("search the audit trail");
    assert_eq!(trail.len(), 40, "every activity of both invocations in the audit trail, once");
}

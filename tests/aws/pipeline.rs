//! Activities queue → detector → audit trail and alerts in DynamoDB → stream → notifier → the alerts bus.
//! → decisions queue → governance (dry run). A redelivered batch changes nothing; a poison message fails
//! alone.

use saaswarden_app::into_batches;
use saaswarden_aws::testing::{Stack, stack};
use saaswarden_core::Activity;
use saaswarden_core::directory::{Termination, TerminationStatus};
use saaswarden_core::testing::{activity, at_minute};
use saaswarden_lambda::detector::Detector;
use saaswarden_lambda::governance::GovernanceFunction;
use saaswarden_lambda::notifier::Notifier;
use saaswarden_store::{ActivityQueue, AlertFilter, AlertStore, Directory, GovernanceFilter, GovernanceLog};

use crate::deployment::assets_bucket;
use crate::lambda::{BusTap, StreamReader, delete, queue_arn, receive_all, settings, sqs_event, table_items};

const GONE: &str = "gone@acme.example";

const GOVERNED_CONFIG: &str = r#"
[detections.terminated_user]
governance = [{ action = "suspend-user" }, { action = "notify-user" }]
"#;

/// A benign user, and a user the directory says left yesterday who still signs in.
fn activities() -> Vec<Activity> {
    let benign = (0..5).map(|i| activity(&format!("alice-{i}"), "alice@acme.example", at_minute(i)));
    let gone = (10..13).map(|i| activity(&format!("gone-{i}"), GONE, at_minute(i)));
    benign.chain(gone).collect()
}

async fn tables_snapshot(stack: &Stack) -> Vec<Vec<String>> {
    let dynamodb = stack.clients().dynamodb;
    let tables = stack.tables();
    let mut snapshot = Vec::new();
    for table in [&tables.activities, &tables.state, &tables.alerts] {
        snapshot.push(table_items(&dynamodb, table).await);
    }
    snapshot
}

#[tokio::test(flavor = "multi_thread")]
async fn activities_flow_from_the_queue_to_alert_events_on_the_bus_exactly_once() {
    let stack = stack().await;
    let store = stack.store();
    let termination = Termination {
        user: GONE.into(),
        status: TerminationStatus::Disabled,
        since: at_minute(-24 * 60),
        source: "import:test".into(),
    };
    store.import("acme", &[termination]).await.expect("directory import");
    let tap = BusTap::new(&stack).await;
    // The deployment's configuration in S3, as the template's `ConfigLocation` parameter points to: a
    // terminated user's activity asks for their suspension (on approval) and a notification.
    let bucket = assets_bucket(&stack, "config", vec![("saaswarden.toml", GOVERNED_CONFIG.as_bytes().to_vec())]).await;
    let config_location = format!("s3://{bucket}/saaswarden.toml");

    // The collector's side: per-user batches on the FIFO queue, plus a message no detector can read.
    let queue_url = stack.output("ActivitiesQueueUrl").to_string();
    stack.activities_queue().send(into_batches(activities())).await.expect("send the batches");
    let sqs = stack.clients().sqs;
    sqs.send_message()
        .queue_url(&queue_url)
        .message_group_id("acme#poison@acme.example")
        .message_deduplication_id("poison")
        .message_body("{not an activity batch")
        .send()
        .await
        .expect("send the poison message");

    let messages = receive_all(&sqs, &queue_url).await;
    assert_eq!(messages.len(), 3, "two users' batches and the poison message: {messages:?}");
    let poison = messages.iter().find(|m| m.body.starts_with("{not")).expect("the poison message").clone();
    let event = sqs_event(&queue_arn(&sqs, &queue_url).await, &messages);

    let settings = settings(&stack, &[("SAASWARDEN_CONFIG", &config_location)]);
    let detector = Detector::start(&settings, &stack.config).await.expect("the detector starts");
    let response = detector.handle(event.clone()).await;
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, [poison.message_id.as_str()], "only the poison message fails");
    let processed: Vec<_> = messages.iter().filter(|m| m.message_id != poison.message_id).cloned().collect();
    delete(&sqs, &queue_url, &processed).await;

    let alerts = store.list(&AlertFilter { tenant: Some("acme".into()), limit: 100, ..Default::default() }).await;
    let alerts = alerts.expect("list alerts");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!((alerts[0].policy_id.as_str(), alerts[0].user.as_str()), ("terminated_user", GONE));
    let trail = tables_snapshot(&stack).await;
    assert!(!trail[0].is_empty() && !trail[1].is_empty(), "audit trail and user state written");

    // The alerts table's stream → the notifier → "Alert Created" on the template's bus.
    let mut stream = StreamReader::new(&stack).await;
    let records = stream.read().await;
    assert_eq!(records.records.len(), 1, "one new alert, one stream record");
    let notifier = Notifier::start(&settings, &stack.config).await.expect("the notifier starts");
    let response = notifier.handle(records).await;
    assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
    let events = tap.events(&stack).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["detail-type"], "Alert Created");
    assert_eq!(events[0]["detail"]["alert"]["id"], alerts[0].id.as_str());
    // … and the alert's governance decisions on the decisions queue, for the governance function.
    let decisions_url = stack.output("DecisionsQueueUrl").to_string();
    let decisions = receive_all(&sqs, &decisions_url).await;
    let mut actions: Vec<String> = decisions
        .iter()
        .map(|m| {
            let decision: serde_json::Value = serde_json::from_str(&m.body).expect("a decision as JSON");
            assert_eq!(decision["alert_id"], alerts[0].id.as_str(), "{decision}");
            decision["action"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    actions.sort();
    assert_eq!(actions, ["notify-user", "suspend-user"], "{decisions:?}");

    // The governance function (dry run) records both decisions in the governance log, once each even when
    // the delivery comes again.
    let governance = GovernanceFunction::start(&settings, &stack.config).await.expect("governance starts");
    let delivery = sqs_event(&queue_arn(&sqs, &decisions_url).await, &decisions);
    for _ in 0..2 {
        let response = governance.handle(delivery.clone()).await;
        assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
    }
    delete(&sqs, &decisions_url, &decisions).await;
    let filter = GovernanceFilter { tenant: Some("acme".into()), alert_id: Some(alerts[0].id.clone()), limit: 10 };
    let log = store.governance_entries(&filter).await.expect("the governance log");
    let mut logged: Vec<&str> = log.iter().map(|entry| entry.action.as_str()).collect();
    logged.sort();
    assert_eq!(logged, ["notify-user", "suspend-user"], "{log:?}");

    // Lambda redelivers the whole batch (say the function timed out after detecting it): nothing changes.
    let again = detector.handle(event).await;
    let failed: Vec<&str> = again.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, [poison.message_id.as_str()], "the poison message still fails alone");
    // The detector recognises every activity in the audit trail: nothing is written, versions included.
    let after = tables_snapshot(&stack).await;
    assert_eq!(after[0], trail[0], "the audit trail is unchanged");
    assert_eq!(after[2], trail[2], "the alerts are unchanged");
    assert_eq!(after[1], trail[1], "the detector state is unchanged, not even rewritten");
    assert!(stream.read().await.records.is_empty(), "no alert write, so no stream record and no event");
}

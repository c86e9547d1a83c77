//! The cloud pipeline under an attacker's volume: a day of downloads over Tor from one user stays one
//! bounded alert, every activity reaches the audit trail, and no message fails into the dead-letter queue.

use aws_sdk_sqs::types::MessageSystemAttributeName;
use chrono::Duration;
use saaswarden_app::into_batches;
use saaswarden_aws::testing::stack;
use saaswarden_core::Activity;
use saaswarden_core::testing::{activity, t0};
use saaswarden_lambda::detector::Detector;
use saaswarden_lambda::notifier::Notifier;
use saaswarden_store::{ActivityLog, ActivityQuery, ActivityQueue, AlertFilter, AlertStore};

use crate::lambda::{BusTap, Received, StreamReader, delete, queue_arn, settings, sqs_event};

const ATTACKER: &str = "mallory@acme.example";
const TOR_EXIT: &str = "185.220.101.7";
/// 50,000 by default, the size the hardening work promises; `SAASWARDEN_HOSTILE_ACTIVITIES` sets another
/// count (at most 86,400: the attack stays within one UTC day).
fn activities() -> i64 {
    std::env::var("SAASWARDEN_HOSTILE_ACTIVITIES").ok().and_then(|n| n.parse().ok()).unwrap_or(50_000).clamp(1, 86_400)
}
/// Far below DynamoDB's 400 KB item and EventBridge's 256 KB event limits.
const BOUND_BYTES: usize = 64 * 1024;

fn tor_day(count: i64) -> Vec<Activity> {
    // One activity a second from midnight: one UTC day, so one `anonymous_ip` alert (one per user, IP and day).
    (0..count)
        .map(|i| {
            activity(&format!("tor-{i}"), ATTACKER, t0() + Duration::seconds(i)).with_ip(TOR_EXIT).with_tags(&["tor"])
        })
        .collect()
}

/// Receives up to ten messages at once, as Lambda's poller does; empty once the queue is drained.
async fn receive(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Vec<Received> {
    let output = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
        .send()
        .await
        .expect("receive from the queue");
    output
        .messages
        .unwrap_or_default()
        .into_iter()
        .map(|message| Received {
            group: message
                .attributes
                .as_ref()
                .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
                .cloned(),
            message_id: message.message_id.unwrap_or_default(),
            receipt_handle: message.receipt_handle.unwrap_or_default(),
            body: message.body.unwrap_or_default(),
        })
        .collect()
}

/// DynamoDB's size of an item: attribute names plus values.
fn item_bytes(item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>) -> usize {
    item.iter()
        .map(|(name, value)| {
            name.len()
                + match value {
                    aws_sdk_dynamodb::types::AttributeValue::S(text) => text.len(),
                    aws_sdk_dynamodb::types::AttributeValue::N(number) => number.len(),
                    aws_sdk_dynamodb::types::AttributeValue::B(bytes) => bytes.as_ref().len(),
                    _ => 8,
                }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_thousand_tor_activities_of_one_day_stay_one_bounded_alert_with_a_complete_audit_trail() {
    let count = activities();
    let stack = stack().await;
    let sqs = stack.clients().sqs;
    let queue_url = stack.output("ActivitiesQueueUrl").to_string();
    stack.activities_queue().send(into_batches(tor_day(count))).await.expect("queue the day");
    let settings = settings(&stack, &[]);
    let detector = Detector::start(&settings, &stack.config).await.expect("the detector starts");
    let arn = queue_arn(&sqs, &queue_url).await;
    let mut deliveries = 0;
    loop {
        let messages = receive(&sqs, &queue_url).await;
        if messages.is_empty() {
            break;
        }
        deliveries += 1;
        let response = detector.handle(sqs_event(&arn, &messages)).await;
        assert!(response.batch_item_failures.is_empty(), "delivery {deliveries}: {:?}", response.batch_item_failures);
        delete(&sqs, &queue_url, &messages).await;
    }
    let dead_letters = receive(&sqs, stack.output("ActivitiesDeadLetterQueueUrl")).await;
    assert!(dead_letters.is_empty(), "no dead-letter message: {dead_letters:?}");

    let store = stack.store();
    let query = ActivityQuery {
        tenant: Some("acme".into()),
        user: Some(ATTACKER.into()),
        limit: 2 * count as usize,
        ..Default::default()
    };
    assert_eq!(store.search(&query).await.expect("search the audit trail").len(), count as usize);

    let alerts = store.list(&AlertFilter { tenant: Some("acme".into()), limit: 100, ..Default::default() }).await;
    let alerts = alerts.expect("list alerts");
    let tor: Vec<_> = alerts.iter().filter(|a| a.policy_id == "anonymous_ip").collect();
    assert_eq!(
        tor.len(),
        1,
        "one alert for the IP and day: {:?}",
        alerts.iter().map(|a| &a.policy_id).collect::<Vec<_>>()
    );
    let alert = tor[0];
    assert_eq!(alert.evidence_total(), count as u64, "every activity counted");
    let span = alert.evidence_span.expect("a grown alert has a span");
    assert_eq!((span.first_at, span.last_at), (t0(), t0() + Duration::seconds(count - 1)));
    assert_eq!(alert.activity_ids.first().map(String::as_str), Some("slack:tor-0"));
    assert_eq!(alert.activity_ids.last().map(String::as_str), Some(format!("slack:tor-{}", count - 1).as_str()));
    // The dropped middle stays findable: by user and time in the audit trail.
    let middle = ActivityQuery {
        since: Some(t0() + Duration::seconds(count / 2)),
        until: Some(t0() + Duration::seconds(count / 2 + 9)),
        ..query.clone()
    };
    let found = store.search(&middle).await.expect("search the middle");
    assert!(
        found.iter().any(|a| a.id == format!("slack:tor-{}", count / 2)),
        "{:?}",
        found.iter().map(|a| &a.id).collect::<Vec<_>>()
    );

    let item = stack
        .clients()
        .dynamodb
        .get_item()
        .table_name(&stack.tables().alerts)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(alert.id.clone()))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("alert".into()))
        .send()
        .await
        .expect("read the alert item")
        .item
        .expect("the alert item");
    let item_size = item_bytes(&item);

    let tap = BusTap::new(&stack).await;
    let mut stream = StreamReader::new(&stack).await;
    let notifier = Notifier::start(&settings, &stack.config).await.expect("the notifier starts");
    let mut events = Vec::new();
    loop {
        let records = stream.read().await;
        if records.records.is_empty() {
            break;
        }
        let response = notifier.handle(records).await;
        assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
        events.extend(tap.events(&stack).await);
    }
    // The bus does not keep order: the latest event is the one that counts the most evidence.
    let last = events
        .iter()
        .filter(|e| e["detail"]["alert"]["id"] == alert.id.as_str())
        .max_by_key(|e| e["detail"]["alert"]["evidence_span"]["total"].as_u64())
        .expect("the alert's events");
    assert_eq!(last["detail"]["alert"]["evidence_span"]["total"], count);
    let event_size = last.to_string().len();
    println!("alert item: {item_size} bytes; its latest event: {event_size} bytes ({deliveries} deliveries)");
    assert!(item_size < BOUND_BYTES && event_size < BOUND_BYTES, "item {item_size} B, event {event_size} B");
}

//! The FIFO activities queue: grouping, splitting, deduplication, and the dead-letter redrive.

use saaswarden_aws::testing::stack;
use saaswarden_core::testing::{activity, at_minute};
use saaswarden_store::{ActivityBatch, ActivityQueue};

fn batch(user: &str, ids: std::ops::Range<i64>) -> ActivityBatch {
    ActivityBatch {
        tenant: "acme".into(),
        user: user.into(),
        activities: ids.map(|i| activity(&format!("{user}-{i}"), user, at_minute(i))).collect(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_arrive_whole_grouped_by_user_and_deduplicated() {
    let stack = stack().await;
    let queue = stack.activities_queue();
    let batches: Vec<ActivityBatch> = (0..12).map(|u| batch(&format!("u{u}@x.io"), 0..5)).collect();
    queue.send(batches.clone()).await.expect("send");
    queue.send(batches[..3].to_vec()).await.expect("send the same again (a collector retry)");
    let mut received = Vec::new();
    loop {
        let messages = queue.receive(10, 0).await.expect("receive");
        if messages.is_empty() {
            break;
        }
        let handles: Vec<String> = messages.iter().map(|m| m.receipt_handle.clone()).collect();
        received.extend(messages.into_iter().map(|m| m.batch.expect("a batch")));
        queue.delete(&handles).await.expect("delete");
    }
    received.sort_by(|a, b| a.user.cmp(&b.user));
    let mut expected = batches;
    expected.sort_by(|a, b| a.user.cmp(&b.user));
    assert_eq!(received, expected, "each batch once, whole");
    let attributes = stack
        .clients()
        .sqs
        .get_queue_attributes()
        .queue_url(queue.queue_url())
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .expect("attributes");
    let attributes = attributes.attributes.unwrap_or_default();
    let redrive = attributes.get(&aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy).cloned().unwrap_or_default();
    assert!(redrive.contains("activities-dlq.fifo"), "the template's redrive policy: {redrive}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_batch_is_split_into_messages_under_the_limit_in_order() {
    let queue = stack().await.activities_queue();
    let mut big = batch("big@x.io", 0..100);
    for a in &mut big.activities {
        a.raw = serde_json::json!({ "padding": "y".repeat(6_000) });
    }
    queue.send(vec![big.clone()]).await.expect("send");
    let mut ids = Vec::new();
    let mut messages_seen = 0;
    loop {
        let messages = queue.receive(10, 0).await.expect("receive");
        if messages.is_empty() {
            break;
        }
        messages_seen += messages.len();
        let handles: Vec<String> = messages.iter().map(|m| m.receipt_handle.clone()).collect();
        for message in messages {
            ids.extend(message.batch.expect("batch").activities.into_iter().map(|a| a.id));
        }
        queue.delete(&handles).await.expect("delete");
    }
    assert!(messages_seen >= 3, "600 KB cannot travel in fewer than 3 messages: {messages_seen}");
    let expected: Vec<String> = big.activities.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids, expected, "a user's activities keep their order across messages");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poison_message_is_reported_with_its_id() {
    let stack = stack().await;
    let queue = stack.activities_queue();
    stack
        .clients()
        .sqs
        .send_message()
        .queue_url(queue.queue_url())
        .message_body("{not json")
        .message_group_id("acme#x")
        .message_deduplication_id("poison")
        .send()
        .await
        .expect("send poison");
    queue.send(vec![batch("ok@x.io", 0..2)]).await.expect("send good");
    let messages = queue.receive(10, 0).await.expect("receive");
    assert_eq!(messages.len(), 2);
    let poison = messages.iter().find(|m| m.batch.is_err()).expect("the poison message");
    let error = poison.batch.as_ref().expect_err("poison");
    assert!(error.contains(&poison.message_id), "{error}");
    assert!(messages.iter().any(|m| m.batch.as_ref().is_ok_and(|b| b.user == "ok@x.io")), "the rest is readable");
}

//! Alert events: stream records → events (pure), and publishing to the template's bus on moto.

use aws_lambda_events::dynamodb::EventRecord;
use saaswarden_aws::events::{ALERT_CREATED, ALERT_UPDATED, alert_event};
use saaswarden_aws::testing::stack;
use saaswarden_aws::{EventPublisher, RequestCounter};
use saaswarden_core::AlertStatus;

fn image(alert: &saaswarden_core::Alert) -> serde_json::Value {
    serde_json::json!({
        "pk": { "S": alert.id },
        "sk": { "S": "alert" },
        "body": { "S": serde_json::to_string(alert).expect("alert JSON") },
    })
}

fn record(name: &str, new: Option<serde_json::Value>, old: Option<serde_json::Value>) -> EventRecord {
    let mut change = serde_json::json!({
        "ApproximateCreationDateTime": 1_700_000_000,
        "Keys": { "pk": { "S": "al-1" }, "sk": { "S": "alert" } },
        "SequenceNumber": "1",
        "SizeBytes": 10,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    });
    if let Some(new) = new {
        change["NewImage"] = new;
    }
    if let Some(old) = old {
        change["OldImage"] = old;
    }
    serde_json::from_value(serde_json::json!({
        "eventID": "ev-1",
        "eventName": name,
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change,
    }))
    .expect("a stream record")
}

#[test]
fn stream_records_become_created_and_updated_events() {
    let mut created = crate::store::alert("al-1", "a@x.io", 5, &["slack:1"]);
    created.campaign = Some("cp-0123456789abcdef".into());
    let mut grown = created.clone();
    grown.activity_ids.push("slack:2".into());
    let mut resolved = grown.clone();
    resolved.status = AlertStatus::Resolved;

    let event = alert_event(&record("INSERT", Some(image(&created)), None)).expect("valid").expect("an event");
    assert_eq!((event.detail_type, event.alert_id.as_str()), (ALERT_CREATED, "al-1"));
    assert_eq!(event.detail["alert"]["user"], "a@x.io");
    assert_eq!(event.detail["alert"]["campaign"], "cp-0123456789abcdef", "a notification can link the campaign");

    let event =
        alert_event(&record("MODIFY", Some(image(&grown)), Some(image(&created)))).expect("valid").expect("event");
    assert_eq!((event.detail_type, event.detail["newEvidence"].as_u64()), (ALERT_UPDATED, Some(1)));
    let event =
        alert_event(&record("MODIFY", Some(image(&resolved)), Some(image(&grown)))).expect("valid").expect("event");
    assert_eq!(event.detail["previousStatus"], "open");
    assert_eq!(event.detail["alert"]["status"], "resolved");

    assert!(
        alert_event(&record("MODIFY", Some(image(&grown)), Some(image(&grown)))).expect("valid").is_none(),
        "no change"
    );
    assert!(alert_event(&record("REMOVE", None, Some(image(&grown)))).expect("valid").is_none(), "expiry is no event");
    let mut broken = image(&created);
    broken["body"] = serde_json::json!({ "S": "{not an alert" });
    let error = alert_event(&record("INSERT", Some(broken), None)).expect_err("unreadable");
    assert!(error.to_string().contains("ev-1"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn events_reach_the_template_bus_through_a_rule() {
    let stack = stack().await;
    let clients = stack.clients();
    let bus = stack.output("AlertsEventBusName");
    // A rule routing saaswarden events to a queue stands in for a notification target.
    let target = clients.sqs.create_queue().queue_name(format!("{}-target", stack.name)).send().await.expect("queue");
    let target_url = target.queue_url.expect("url");
    let arn = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&target_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("arn")
        .attributes
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn).cloned())
        .expect("queue arn");
    clients
        .eventbridge
        .put_rule()
        .name("alerts-to-queue")
        .event_bus_name(bus)
        .event_pattern(r#"{"source":["saaswarden"]}"#)
        .send()
        .await
        .expect("rule");
    let queue_target = aws_sdk_eventbridge::types::Target::builder().id("q").arn(arn).build().expect("target");
    clients
        .eventbridge
        .put_targets()
        .rule("alerts-to-queue")
        .event_bus_name(bus)
        .targets(queue_target)
        .send()
        .await
        .expect("targets");

    let counter = RequestCounter::new();
    let publisher = EventPublisher::new(stack.counted_clients(&counter).eventbridge, bus);
    let alerts: Vec<_> = (0..12).map(|i| crate::store::alert(&format!("al-{i}"), "a@x.io", i, &["slack:1"])).collect();
    let events: Vec<_> = alerts
        .iter()
        .map(|a| alert_event(&record("INSERT", Some(image(a)), None)).expect("valid").expect("event"))
        .collect();
    publisher.publish(&events).await.expect("publish");
    assert_eq!(counter.snapshot().get(&("EventBridge".to_string(), "PutEvents".to_string())), Some(&2), "ten per call");

    let mut delivered = Vec::new();
    loop {
        let output = clients
            .sqs
            .receive_message()
            .queue_url(&target_url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("receive");
        let messages = output.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for message in messages {
            let body: serde_json::Value = serde_json::from_str(message.body().unwrap_or("")).expect("event JSON");
            assert_eq!(body["detail-type"], ALERT_CREATED);
            delivered.push(body["detail"]["alert"]["id"].as_str().unwrap_or_default().to_string());
            clients
                .sqs
                .delete_message()
                .queue_url(&target_url)
                .receipt_handle(message.receipt_handle().unwrap_or(""))
                .send()
                .await
                .expect("delete");
        }
    }
    delivered.sort();
    let mut expected: Vec<String> = alerts.iter().map(|a| a.id.clone()).collect();
    expected.sort();
    assert_eq!(delivered, expected);

    let missing = EventPublisher::new(clients.eventbridge.clone(), "no-such-bus").publish(&events[..1]).await;
    assert!(missing.is_err(), "publishing to a missing bus fails: {missing:?}");
}

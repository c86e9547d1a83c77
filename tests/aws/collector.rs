//! The collector function on a schedule's input: Slack's and Zendesk's audit-log APIs and Zendesk's access
//! log (the wiremock fakes
//! shared with `tests/it/collect`), tokens from Secrets Manager, configuration from S3, checkpoints in
//! DynamoDB → per-user batches on the FIFO activities queue, which the detector then consumes.

use chrono::{Duration, Utc};
use saaswarden_aws::testing::{Stack, stack};
use saaswarden_lambda::Settings;
use saaswarden_lambda::collector::{Collector, CollectorInput};
use saaswarden_lambda::detector::Detector;
use saaswarden_store::{ActivityLog, ActivityQuery, Checkpoints};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

#[allow(dead_code)]
#[path = "../it/collect/apis.rs"]
mod apis;

use apis::{
    SLACK_TOKEN, SlackApi, ZENDESK_EMAIL, ZENDESK_TOKEN, ZendeskApi, slack_entry, zendesk_access_entry, zendesk_entry,
};

use crate::deployment::{assets_bucket, credentials_secret};
use crate::lambda::{queue_arn, receive_all, settings, sqs_event};

#[tokio::test(flavor = "multi_thread")]
async fn the_collector_queues_both_apps_activities_per_user_for_the_detector() {
    let stack = stack().await;
    // The collector reads from its checkpoint up to now (minus a delay): entries of the last hour.
    let now = Utc::now();
    let slack = SlackApi::default();
    slack.0.add((0..4).map(|i| slack_entry(&format!("s-{i}"), now - Duration::minutes(50 - i), "ann@acme.example")));
    let zendesk = ZendeskApi::default();
    zendesk.users.lock().expect("users").push(
        serde_json::json!({"id": 1001, "name": "Carol", "email": "carol@acme.example", "role": "admin", "suspended": false}),
    );
    zendesk.api.add((0..3).map(|i| zendesk_entry(7000 + i, now - Duration::minutes(40 - i), 1001)));
    zendesk
        .access
        .add((0..2).map(|i| {
            zendesk_access_entry(&format!("01JAWS{i}"), now - Duration::minutes(30 - i), 1001, "81.2.69.142")
        }));
    let slack_server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(slack.clone()).mount(&slack_server).await;
    let zendesk_server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(zendesk.clone()).mount(&zendesk_server).await;

    let config = format!(
        "tenant = \"acme\"\n\n[[sources]]\napp = \"slack\"\ntoken_env = \"SLACK_TOKEN\"\nbase_url = \"{}\"\n\n\
         [[sources]]\napp = \"zendesk\"\nbase_url = \"{}\"\nemail = \"{ZENDESK_EMAIL}\"\ntoken_env = \"ZENDESK_TOKEN\"\naccess_logs = true\n",
        slack_server.uri(),
        zendesk_server.uri()
    );
    let settings = deployed(&stack, config).await;

    let collector = Collector::start(&settings, &stack.config).await.expect("the collector starts");
    for app in ["slack", "zendesk"] {
        let input: CollectorInput = serde_json::from_value(serde_json::json!({ "app": app })).expect("input");
        let summary = collector.handle(input, Some(std::time::Duration::from_secs(300))).await.expect("collected");
        assert_eq!(summary["sources"][0]["activities_sent"], if app == "slack" { 4 } else { 3 }, "{summary}");
        if app == "zendesk" {
            assert_eq!(summary["sources"][1]["stream"], "zendesk_access", "{summary}");
            assert_eq!(summary["sources"][1]["activities_sent"], 2, "{summary}");
        }
    }

    let sqs = stack.clients().sqs;
    let queue_url = stack.output("ActivitiesQueueUrl").to_string();
    let messages = receive_all(&sqs, &queue_url).await;
    let mut groups: Vec<&str> = messages.iter().filter_map(|m| m.group.as_deref()).collect();
    groups.sort();
    groups.dedup();
    assert_eq!(groups, ["acme#ann@acme.example", "acme#carol@acme.example"], "message groups are per user");

    let detector = Detector::start(&settings, &stack.config).await.expect("the detector starts");
    let response = detector.handle(sqs_event(&queue_arn(&sqs, &queue_url).await, &messages)).await;
    assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
    let query = ActivityQuery { tenant: Some("acme".into()), limit: 100, ..Default::default() };
    let trail = stack.store().search(&query).await.expect("search");
    assert_eq!(trail.len(), 9, "both apps' activities (Zendesk's access log too) in the audit trail: {trail:?}");

    // The next scheduled run starts from the checkpoints: nothing new, nothing sent.
    let again = collector.handle(CollectorInput::default(), None).await.expect("second run");
    assert_eq!(sent(&again), 0, "{again}");

    // A later run of the same (warm) container: carol's new entry needs no user lookup, the users cache
    // outlives an invocation.
    zendesk.api.add([zendesk_entry(7100, Utc::now() - Duration::minutes(5), 1001)]);
    let zendesk_only: CollectorInput = serde_json::from_value(serde_json::json!({ "app": "zendesk" })).expect("input");
    let third = collector.handle(zendesk_only, None).await.expect("third run");
    assert_eq!(sent(&third), 1, "{third}");
    assert_eq!(zendesk.user_lookups.lock().expect("lookups").len(), 1, "carol was looked up once, on the first run");

    // A function timeout shorter than the reserve leaves no time to collect: the invocation fails, saying
    // what to change, and sends no request.
    let requests = zendesk.api.requests.lock().expect("requests").len();
    let short = collector.handle(CollectorInput::default(), Some(std::time::Duration::from_secs(100))).await;
    let message = short.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("100 s left") && message.contains("Timeout above 120 s"), "{message}");
    assert_eq!(zendesk.api.requests.lock().expect("requests").len(), requests);
}

/// The functions' settings with `config` in S3 and both apps' tokens in the credentials secret.
async fn deployed(stack: &Stack, config: String) -> Settings {
    let bucket = assets_bucket(stack, "collect", vec![("c.toml", config.into_bytes())]).await;
    let values = serde_json::json!({ "SLACK_TOKEN": SLACK_TOKEN, "ZENDESK_TOKEN": ZENDESK_TOKEN }).to_string();
    let secret_id = credentials_secret(stack, &values).await;
    let location = format!("s3://{bucket}/c.toml");
    settings(stack, &[("SAASWARDEN_CONFIG", &location), ("CREDENTIALS_SECRET_ID", &secret_id)])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_300_kb_entry_mid_window_is_trimmed_counted_and_never_stops_the_stream() {
    let stack = stack().await;
    let now = Utc::now();
    let slack = SlackApi::default();
    let entries = (0..5).map(|i| {
        let mut entry = slack_entry(&format!("s-{i}"), now - Duration::minutes(50 - i), "ann@acme.example");
        if i == 2 {
            entry["details"] = serde_json::json!({ "reason": "x".repeat(300 * 1024) });
        }
        entry
    });
    slack.0.add(entries);
    let slack_server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(slack.clone()).mount(&slack_server).await;
    let config = format!(
        "tenant = \"acme\"\n\n[[sources]]\napp = \"slack\"\ntoken_env = \"SLACK_TOKEN\"\nbase_url = \"{}\"\n",
        slack_server.uri()
    );
    let settings = deployed(&stack, config).await;
    let collector = Collector::start(&settings, &stack.config).await.expect("the collector starts");
    let summary = collector.handle(CollectorInput::default(), None).await.expect("collected");
    let source = &summary["sources"][0];
    assert_eq!(source["activities_sent"], 5, "{summary}");
    assert_eq!(source["trimmed"], serde_json::json!(["slack:s-2"]), "counted by id: {summary}");
    assert_eq!(source["set_aside"], serde_json::json!([]), "{summary}");
    let checkpoint = stack.store().load("acme", "slack").await.expect("load the checkpoint").value;
    let through = checkpoint.expect("the checkpoint was saved").through;
    assert!(through > now - Duration::minutes(46), "the checkpoint moved past the window: {through}");

    let sqs = stack.clients().sqs;
    let queue_url = stack.output("ActivitiesQueueUrl").to_string();
    let messages = receive_all(&sqs, &queue_url).await;
    let detector = Detector::start(&settings, &stack.config).await.expect("the detector starts");
    let response = detector.handle(sqs_event(&queue_arn(&sqs, &queue_url).await, &messages)).await;
    assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
    let query = ActivityQuery { tenant: Some("acme".into()), limit: 100, ..Default::default() };
    let trail = stack.store().search(&query).await.expect("search");
    let ids: Vec<&str> = trail.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["slack:s-0", "slack:s-1", "slack:s-2", "slack:s-3", "slack:s-4"]);
    assert_eq!(trail[2].raw["omitted"], "raw entry too large for the activities queue", "{}", trail[2].raw);
    assert!(trail[2].raw["bytes"].as_u64().is_some_and(|bytes| bytes > 300 * 1024), "{}", trail[2].raw);
    assert_eq!(trail[2].actor.email.as_deref(), Some("ann@acme.example"), "the normalized fields stay");

    let again = collector.handle(CollectorInput::default(), None).await.expect("second run");
    assert_eq!(sent(&again), 0, "the next run starts after the window: {again}");
}

fn sent(summary: &serde_json::Value) -> i64 {
    summary["sources"].as_array().into_iter().flatten().filter_map(|s| s["activities_sent"].as_i64()).sum()
}

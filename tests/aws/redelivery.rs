//! Exactly-once effects on DynamoDB under Lambda's at-least-once delivery: one FIFO delivery of ten
//! messages of 100 activities of one user — a terminated user downloading files in bulk, which raises the
//! terminated-user alert (suspension through Microsoft Graph) and a custom bulk-download policy (counters,
//! dedup and a daily limit it reaches) — comes back whole twice after a timeout. The tables, the decisions
//! and Graph's calls end exactly as after one clean delivery.

use chrono::Duration;
use saaswarden_app::into_batches;
use saaswarden_aws::testing::{Stack, stack};
use saaswarden_core::Activity;
use saaswarden_core::activity::Category;
use saaswarden_core::directory::{Termination, TerminationStatus};
use saaswarden_core::testing::{activity, t0};
use saaswarden_lambda::detector::Detector;
use saaswarden_lambda::governance::GovernanceFunction;
use saaswarden_lambda::notifier::Notifier;
use saaswarden_store::{AlertFilter, AlertStore, Directory};
use wiremock::MockServer;

use crate::deployment::{assets_bucket, credentials_secret};
use crate::governance::graph_api::graph_server;

use crate::lambda::{Received, StreamReader, delete, queue_arn, receive_all, settings, sqs_event, table_items};

const GONE: &str = "gone@acme.example";

fn config(graph_uri: &str) -> String {
    format!(
        r#"tenant = "acme"
[detections.terminated_user]
governance = [{{ action = "suspend-user", mode = "automatic" }}]
[governance]
dry_run = false
allowed_domains = ["acme.example"]
[governance.graph]
tenant_id = "tenant-1"
client_id = "client-1"
client_secret_env = "GRAPH_SECRET"
authority_host = "{graph_uri}"
graph_host = "{graph_uri}"
"#
    )
}

/// Counted per user; a thousand downloads, 50 every four minutes, would make eight alerts but for the limit.
const BULK_DOWNLOAD: &str = r#"
id: bulk_download
name: Bulk download
severity: medium
filter: { field: action, op: equals, value: file_downloaded }
match: { mode: repeated, count: 50, within: 10m, per: [user] }
alert:
  title: "{{user}} downloaded {{count}} files within {{within}}"
  dedup: 10m
  daily_limit: 3
"#;

/// A thousand downloads, one every 5 seconds.
fn downloads() -> Vec<Activity> {
    (0..1000)
        .map(|i| {
            activity(&format!("dl-{i}"), GONE, t0() + Duration::seconds(5 * i))
                .with_action("file_downloaded", Category::DataAccess)
        })
        .collect()
}

/// Every item of the tables detection and governance write, versions included.
async fn snapshot(stack: &Stack) -> Vec<Vec<String>> {
    let dynamodb = stack.clients().dynamodb;
    let tables = stack.tables();
    let mut snapshot = Vec::new();
    for table in [&tables.activities, &tables.state, &tables.alerts, &tables.governance] {
        snapshot.push(table_items(&dynamodb, table).await);
    }
    snapshot
}

async fn graph_calls(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.unwrap_or_default();
    requests.iter().map(|r| format!("{} {}", r.method, r.url.path())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_delivery_of_ten_messages_redelivered_twice_changes_nothing() {
    let stack = stack().await;
    let store = stack.store();
    let termination = Termination {
        user: GONE.into(),
        status: TerminationStatus::Disabled,
        since: t0(),
        source: "import:test".into(),
    };
    store.import("acme", &[termination]).await.expect("directory import");
    let server = graph_server().await;
    let objects = vec![
        ("saaswarden.toml", config(&server.uri()).into_bytes()),
        ("policies/bulk.yaml", BULK_DOWNLOAD.as_bytes().to_vec()),
    ];
    let bucket = assets_bucket(&stack, "redelivery", objects).await;
    let secret_id = credentials_secret(&stack, r#"{"GRAPH_SECRET":"cloud-secret"}"#).await;
    let location = format!("s3://{bucket}/saaswarden.toml");
    let policies = format!("s3://{bucket}/policies/");
    let settings = settings(
        &stack,
        &[
            ("SAASWARDEN_CONFIG", &location),
            ("POLICIES_LOCATION", &policies),
            ("CREDENTIALS_SECRET_ID", &secret_id),
            ("DRY_RUN", "false"),
        ],
    );

    // One delivery: ten messages of 100 activities of one message group, as Lambda hands them over.
    let messages: Vec<Received> = into_batches(downloads())
        .into_iter()
        .enumerate()
        .map(|(i, batch)| Received {
            message_id: format!("m{i}"),
            receipt_handle: format!("rh-{i}"),
            group: Some(batch.group_id()),
            body: serde_json::to_string(&batch).expect("batch JSON"),
        })
        .collect();
    assert_eq!((messages.len(), messages.iter().filter(|m| m.group == messages[0].group).count()), (10, 10));
    let delivery = sqs_event("arn:aws:sqs:us-east-1:123456789012:activities.fifo", &messages);
    let detector = Detector::start(&settings, &stack.config).await.expect("the detector starts");
    let notifier = Notifier::start(&settings, &stack.config).await.expect("the notifier starts");
    let governance = GovernanceFunction::start(&settings, &stack.config).await.expect("governance starts");
    let sqs = stack.clients().sqs;
    let decisions_url = stack.output("DecisionsQueueUrl").to_string();
    let decisions_arn = queue_arn(&sqs, &decisions_url).await;
    let mut stream = StreamReader::new(&stack).await;

    // What Lambda's event sources would do after each delivery: the stream to the notifier, the decisions
    // to the governance function. Returns how many decisions there were.
    let downstream = async |stream: &mut StreamReader| {
        let records = stream.read().await;
        if !records.records.is_empty() {
            let response = notifier.handle(records).await;
            assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
        }
        let decisions = receive_all(&sqs, &decisions_url).await;
        if !decisions.is_empty() {
            let response = governance.handle(sqs_event(&decisions_arn, &decisions)).await;
            assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
            delete(&sqs, &decisions_url, &decisions).await;
        }
        decisions.len()
    };

    let response = detector.handle(delivery.clone()).await;
    assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
    assert!(downstream(&mut stream).await >= 1, "the terminated user's suspension was decided");
    let once = snapshot(&stack).await;
    let calls = graph_calls(&server).await;
    let alerts = store.list(&AlertFilter { tenant: Some("acme".into()), limit: 100, ..Default::default() }).await;
    let alerts = alerts.expect("alerts");
    let policies: Vec<&str> = alerts.iter().map(|a| a.policy_id.as_str()).collect();
    assert!(policies.contains(&"terminated_user"), "{policies:?}");
    let bulk = alerts.iter().filter(|a| a.policy_id == "bulk_download").count();
    assert_eq!(bulk, 3, "the counted policy fired up to its daily limit");
    let suspensions = |calls: &[String]| calls.iter().filter(|c| c.starts_with("PATCH")).count();
    assert_eq!(suspensions(&calls), 1, "one Graph call suspends the user: {calls:?}");

    // The function timed out after finishing (say): Lambda delivers the same ten messages again, twice.
    for _ in 0..2 {
        let again = detector.handle(delivery.clone()).await;
        assert!(again.batch_item_failures.is_empty(), "{:?}", again.batch_item_failures);
        assert_eq!(downstream(&mut stream).await, 0, "no new decision");
    }
    let thrice = snapshot(&stack).await;
    for (table, (before, after)) in ["activities", "state", "alerts", "governance"].iter().zip(once.iter().zip(&thrice))
    {
        assert_eq!(before, after, "the {table} table is as after one delivery");
    }
    assert_eq!(graph_calls(&server).await, calls, "no Graph call after the redeliveries");
}

//! Governance in the cloud shape, against moto and a wiremock Microsoft Graph: an impossible-travel alert
//! whose detection is set to suspend automatically → the notifier's decision → the governance function
//! suspends the user through Graph, the DynamoDB governance log shows it, and revert re-enables the user.

use std::path::Path;

use chrono::Utc;
use saaswarden_app::govern::Governor;
use saaswarden_aws::testing::stack;
use saaswarden_connectors::graph::Provider;
use saaswarden_connectors::http::Secret;
use saaswarden_core::config::Config;
use saaswarden_core::governance::{ActionKind, Decision, Trigger};
use saaswarden_lambda::detector::Detector;
use saaswarden_lambda::governance::GovernanceFunction;
use saaswarden_lambda::notifier::Notifier;
use saaswarden_store::{ActivityBatch, ActivityQueue, GovernanceFilter, GovernanceLog};
use serde_json::{Value, json};
use wiremock::MockServer;

// Microsoft Graph, shared with the local governance tests.
#[allow(dead_code)]
#[path = "../it/governance/graph_api.rs"]
pub(crate) mod graph_api;
use graph_api::{graph_server, suspend_on_travel_config, travel_entries};

use crate::deployment::{assets_bucket, credentials_secret};
use crate::lambda::{StreamReader, delete, queue_arn, receive_all, settings, sqs_event};

/// The impossible-travel sign-ins, normalized as the collector hands them downstream.
fn travel() -> ActivityBatch {
    let activities = travel_entries()
        .iter()
        .map(|e| saaswarden_connectors::slack::normalize(e, "acme").expect("a valid Slack entry"))
        .collect();
    ActivityBatch { tenant: "acme".into(), user: "kofi.khan@acme.example".into(), activities }
}

async fn patches(server: &MockServer) -> Vec<Value> {
    let requests = server.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn impossible_travel_set_to_suspend_runs_against_graph_and_revert_re_enables() {
    let stack = stack().await;
    let server = graph_server().await;
    let config = suspend_on_travel_config("GeoIP2-City-Test.mmdb", "GRAPH_SECRET", &server.uri());
    // The deployment's assets bucket: configuration and GeoIP database; the Graph secret in Secrets Manager.
    let city = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/maxmind-test/GeoIP2-City-Test.mmdb"))
        .expect("MaxMind test database");
    let objects = vec![("saaswarden.toml", config.into_bytes()), ("geoip/GeoIP2-City-Test.mmdb", city)];
    let bucket = assets_bucket(&stack, "assets", objects).await;
    let secret_id = credentials_secret(&stack, r#"{"GRAPH_SECRET":"cloud-secret"}"#).await;
    let config_location = format!("s3://{bucket}/saaswarden.toml");
    let geoip_location = format!("s3://{bucket}/geoip/");
    let settings = settings(
        &stack,
        &[
            ("SAASWARDEN_CONFIG", &config_location),
            ("GEOIP_LOCATION", &geoip_location),
            ("POLICIES_LOCATION", "none"),
            ("CREDENTIALS_SECRET_ID", &secret_id),
            ("DRY_RUN", "false"),
        ],
    );

    // Collector's side → detector → the alert.
    let sqs = stack.clients().sqs;
    let queue_url = stack.output("ActivitiesQueueUrl").to_string();
    stack.activities_queue().send(vec![travel()]).await.expect("send");
    let messages = receive_all(&sqs, &queue_url).await;
    let detector = Detector::start(&settings, &stack.config).await.expect("detector starts");
    let response = detector.handle(sqs_event(&queue_arn(&sqs, &queue_url).await, &messages)).await;
    assert!(response.batch_item_failures.is_empty());
    delete(&sqs, &queue_url, &messages).await;

    // The alert's creation on the stream → the notifier → a suspend decision on the decisions queue.
    let notifier = Notifier::start(&settings, &stack.config).await.expect("notifier starts");
    let response = notifier.handle(StreamReader::new(&stack).await.read().await).await;
    assert!(response.batch_item_failures.is_empty());
    let decisions_url = stack.output("DecisionsQueueUrl").to_string();
    let decisions = receive_all(&sqs, &decisions_url).await;
    assert_eq!(decisions.len(), 1, "{decisions:?}");
    let decision: Value = serde_json::from_str(&decisions[0].body).expect("JSON decision");
    assert_eq!(
        (decision["policy_id"].as_str(), decision["action"].as_str()),
        (Some("impossible_travel"), Some("suspend-user"))
    );

    // The governance function executes it against Graph; a redelivery acts on nothing.
    let governance = GovernanceFunction::start(&settings, &stack.config).await.expect("governance starts");
    let event = sqs_event(&queue_arn(&sqs, &decisions_url).await, &decisions);
    assert!(governance.handle(event.clone()).await.batch_item_failures.is_empty());
    assert!(governance.handle(event).await.batch_item_failures.is_empty());
    assert_eq!(patches(&server).await, [json!({"accountEnabled": false})], "one suspension, whatever the deliveries");
    let requests = server.received_requests().await.unwrap_or_default();
    let token = requests.iter().find(|r| r.url.path() == "/tenant-1/oauth2/v2.0/token").expect("token request");
    assert!(String::from_utf8_lossy(&token.body).contains("client_secret=cloud-secret"), "secret from Secrets Manager");
    let scope = "scope=https%3A%2F%2Fgraph.microsoft.com%2F.default";
    assert!(String::from_utf8_lossy(&token.body).contains(scope), "governance.graph.scope from the S3 configuration");

    // The governance log in DynamoDB shows it; revert re-enables the user.
    let store = stack.store();
    let entries = store.governance_entries(&GovernanceFilter { limit: 10, ..Default::default() }).await.expect("log");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!(format!("{:?}", entry.status), "Succeeded", "{entry:?}");
    assert_eq!(entry.user, "kofi.khan@acme.example");
    let mut governance_settings = Config::default().governance;
    governance_settings.dry_run = false;
    governance_settings.allowed_domains = vec!["acme.example".into()];
    governance_settings.graph.tenant_id = "tenant-1".into();
    governance_settings.graph.client_id = "client-1".into();
    governance_settings.graph.authority_host = server.uri();
    governance_settings.graph.graph_host = server.uri();
    let provider = Provider::from_settings(&governance_settings, Some(Secret::new("cloud-secret"))).expect("provider");
    let governor = Governor { settings: &governance_settings, log: &store, idp: &provider };
    let reverted = governor.revert(&entry.id, "analyst", Utc::now()).await.expect("revert");
    assert_eq!(format!("{:?}", reverted.status), "Reverted");
    assert_eq!(patches(&server).await.last(), Some(&json!({"accountEnabled": true})));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_decision_holds_back_the_rest_of_its_alerts_group_only() {
    let stack = stack().await;
    let settings = settings(&stack, &[]);
    let governance = GovernanceFunction::start(&settings, &stack.config).await.expect("governance starts");
    let decision = |alert: &str| {
        let decision = Decision {
            tenant: "acme".into(),
            alert_id: alert.into(),
            policy_id: "terminated_user".into(),
            user: "gone@acme.example".into(),
            action: ActionKind::NotifyUser,
            trigger: Trigger::Manual { by: "analyst@acme.example".into() },
            alert_title: "Activity of a terminated user".into(),
            alert_description: String::new(),
            alert_created_at: Utc::now(),
            apps: Vec::new(),
        };
        serde_json::to_string(&decision).expect("a decision as JSON")
    };
    let message = |id: &str, group: &str, body: String| crate::lambda::Received {
        message_id: id.into(),
        receipt_handle: format!("rh-{id}"),
        group: Some(group.into()),
        body,
    };
    let delivery = sqs_event(
        "arn:aws:sqs:us-east-1:123456789012:decisions.fifo",
        &[
            message("m1", "al-1", "{not a decision".into()),
            message("m2", "al-1", decision("al-1")),
            message("m3", "al-2", decision("al-2")),
        ],
    );
    let response = governance.handle(delivery).await;
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, ["m1", "m2"], "al-1's later decision waits for the failed one");
    let store = stack.store();
    for (alert, logged) in [("al-1", 0), ("al-2", 1)] {
        let filter = GovernanceFilter { tenant: Some("acme".into()), alert_id: Some(alert.into()), limit: 10 };
        assert_eq!(store.governance_entries(&filter).await.expect("log").len(), logged, "{alert}");
    }
}

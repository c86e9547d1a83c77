//! What a million activities cost on AWS: the detector's flow on moto server with tables and queues from
//! `infra/template.yaml`, over the demo tenant's activities (≥ 10,000, normalized and batched per user and
//! day as the collector sends them), with every AWS request counted by the SDK interceptor
//! (`saaswarden_aws::RequestCounter`), the detector function's own handler (`Detector::handle`) on a counted
//! DynamoDB client, and DynamoDB capacity units estimated by its store's meter (moto does
//! not compute them). The counts are priced at public us-east-1 on-demand prices.
//!
//! Run: `cargo bench -p saaswarden-tests --bench cloud_cost` (after `bash tests/run.sh` once, for moto).
//! `SAASWARDEN_BENCH_USERS` / `SAASWARDEN_BENCH_DAYS` size the tenant (default 48 users × 24 days).
//! Results and the method go in docs/benchmarks.md ("Cloud cost").

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use saaswarden_app::into_batches;
use saaswarden_aws::testing::stack;
use saaswarden_aws::{RequestCounter, SqsActivityQueue};
use saaswarden_connectors::zendesk::ZendeskUsers;
use saaswarden_connectors::{slack, zendesk};
use saaswarden_core::Activity;
use saaswarden_demo::{DemoOptions, generate};
use saaswarden_lambda::Settings;
use saaswarden_lambda::detector::Detector;
use saaswarden_store::ActivityQueue;

// Public on-demand prices, us-east-1 (November 2026).
const DYNAMODB_PER_WRU: f64 = 0.625 / 1e6;
const DYNAMODB_PER_RRU: f64 = 0.125 / 1e6;
const DYNAMODB_PER_GB_MONTH: f64 = 0.25;
const SQS_FIFO_PER_REQUEST: f64 = 0.50 / 1e6;
/// SQS bills one request per started 64 KB of payload.
const SQS_BILLING_CHUNK: usize = 64 * 1024;
const LAMBDA_PER_REQUEST: f64 = 0.20 / 1e6;
const LAMBDA_ARM_PER_GB_SECOND: f64 = 0.000_013_333_4;
const EVENTBRIDGE_PER_EVENT: f64 = 1.00 / 1e6;
const LOGS_PER_GB: f64 = 0.50;
/// The detector's `MemorySize` in infra/template.yaml.
const DETECTOR_MEMORY_GB: f64 = 512.0 / 1024.0;
/// Lambda bills duration per started millisecond.
const LAMBDA_GRANULARITY_MS: f64 = 1.0;
/// CloudWatch Logs bytes per invocation: Lambda's START, END and REPORT lines (~330 bytes) plus the
/// detector's one JSON info line per delivery (~270 bytes). Warnings are rare and not counted.
const LOG_BYTES_PER_INVOCATION: f64 = 600.0;
/// DynamoDB storage: 100 bytes of overhead per item, per index entry too.
const ITEM_OVERHEAD_BYTES: usize = 100;
const MILLION: f64 = 1e6;
/// How many empty one-second polls end the drain of the queue (moto delivers at once).
const EMPTY_POLLS: usize = 2;

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => panic!("cannot start a Tokio runtime: {e}"),
    };
    runtime.block_on(run());
}

fn env_number(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(text) => text.trim().parse().unwrap_or_else(|e| panic!("{name}=`{text}`: {e}")),
        Err(_) => default,
    }
}

/// The demo tenant's activities, normalized as the collector does.
fn activities() -> Vec<Activity> {
    let options = DemoOptions {
        users: env_number("SAASWARDEN_BENCH_USERS", 48),
        days: env_number("SAASWARDEN_BENCH_DAYS", 24) as u32,
        ..DemoOptions::default()
    };
    let tenant = generate(&options);
    let users = ZendeskUsers::from_json(&tenant.zendesk_users).expect("the demo's Zendesk users");
    let slack = tenant.slack_entries().filter_map(|e| slack::normalize(e, "acme").ok());
    let zendesk = tenant.zendesk_entries().filter_map(|e| zendesk::normalize(e, "acme", &users).ok());
    slack.chain(zendesk).collect()
}

/// What the run measured.
#[derive(Default)]
struct Run {
    activities: usize,
    messages: usize,
    payload_bytes: usize,
    /// SQS billing units of the receive calls (a started 64 KB per call).
    receive_units: u64,
    empty_polls: u64,
    invocations: u64,
    handler_time: Duration,
    billed_ms: f64,
    alerts_created: u64,
}

async fn run() {
    let activities = activities();
    let total = activities.len();
    assert!(total >= 10_000, "only {total} activities: raise SAASWARDEN_BENCH_USERS or SAASWARDEN_BENCH_DAYS");
    let batches = into_batches(activities);
    let batch_count = batches.len();

    let stack = stack().await;
    let counter = RequestCounter::new();
    let clients = stack.counted_clients(&counter);
    let queue_url = stack.output("ActivitiesQueueUrl").to_string();

    // The detector function as its cold start builds it (bundled configuration and starter policies, no
    // GeoIP), its store on the counted DynamoDB client; its store's meter estimates capacity units.
    let tables = stack.tables();
    let environment: HashMap<String, String> = [
        ("ACTIVITIES_TABLE", &tables.activities),
        ("STATE_TABLE", &tables.state),
        ("ALERTS_TABLE", &tables.alerts),
        ("DIRECTORY_TABLE", &tables.directory),
        ("CHECKPOINTS_TABLE", &tables.checkpoints),
        ("GOVERNANCE_TABLE", &tables.governance),
    ]
    .into_iter()
    .map(|(variable, value)| (variable.to_string(), value.clone()))
    .collect();
    let detector =
        Detector::start_with_dynamodb(&Settings::from_map(environment), &stack.config, clients.dynamodb.clone())
            .await
            .expect("the detector starts");

    let started = Instant::now();
    SqsActivityQueue::new(clients.sqs.clone(), &queue_url).send(batches).await.expect("send to the queue");
    let sent = counter.snapshot();

    let mut run = Run { activities: total, ..Run::default() };
    let mut empty = 0;
    while empty < EMPTY_POLLS {
        let output = clients
            .sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .send()
            .await
            .expect("receive");
        let received = output.messages.unwrap_or_default();
        if received.is_empty() {
            empty += 1;
            run.empty_polls += 1;
            continue;
        }
        let bytes: usize = received.iter().map(|m| m.body().map_or(0, str::len)).sum();
        run.payload_bytes += bytes;
        run.receive_units += bytes.div_ceil(SQS_BILLING_CHUNK).max(1) as u64;
        run.messages += received.len();
        let handles: Vec<String> = received.iter().filter_map(|m| m.receipt_handle.clone()).collect();
        let event = sqs_event(received);
        // One Lambda invocation.
        let invoked = Instant::now();
        let response = detector.handle(event).await;
        let took = invoked.elapsed();
        assert!(
            response.batch_item_failures.is_empty(),
            "every delivery must succeed: {:?}",
            response.batch_item_failures
        );
        run.invocations += 1;
        run.handler_time += took;
        run.billed_ms += (took.as_secs_f64() * 1000.0 / LAMBDA_GRANULARITY_MS).ceil() * LAMBDA_GRANULARITY_MS;
        let entries: Vec<DeleteMessageBatchRequestEntry> = handles
            .iter()
            .enumerate()
            .map(|(i, handle)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(handle)
                    .build()
                    .expect("entry")
            })
            .collect();
        clients
            .sqs
            .delete_message_batch()
            .queue_url(&queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .expect("delete");
    }
    let elapsed = started.elapsed();
    let requests = counter.snapshot();
    let capacity = detector.store().meter().reading();
    run.alerts_created = item_count(&stack.clients().dynamodb, &tables.alerts).await;
    let storage = audit_trail_bytes(&stack.clients().dynamodb, &stack.tables().activities).await;

    print_report(&run, batch_count, &sent, &requests, capacity, storage, elapsed);
}

/// The `SqsEvent` Lambda would deliver for these messages.
fn sqs_event(messages: Vec<aws_sdk_sqs::types::Message>) -> SqsEvent {
    let records: Vec<serde_json::Value> = messages
        .into_iter()
        .map(|m| {
            let group = m.attributes.as_ref().and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId).cloned());
            serde_json::json!({
                "messageId": m.message_id, "receiptHandle": m.receipt_handle, "body": m.body,
                "attributes": { "MessageGroupId": group }, "messageAttributes": {}, "eventSource": "aws:sqs",
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "Records": records })).expect("an SqsEvent")
}

/// How many items a table holds (the alerts: one "Alert Created" event each).
async fn item_count(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> u64 {
    let (mut count, mut start) = (0u64, None);
    loop {
        let output = dynamodb
            .scan()
            .table_name(table)
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("count");
        count += output.count.max(0) as u64;
        start = output.last_evaluated_key;
        if start.is_none() {
            return count;
        }
    }
}

/// The audit trail's stored size by DynamoDB's rules: every item's attribute names and values plus 100
/// bytes, and for each chunk its keys-only `by_tenant` index entry (keys plus 100 bytes).
async fn audit_trail_bytes(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> (u64, u64) {
    let (mut bytes, mut items) = (0u64, 0u64);
    let mut start = None;
    loop {
        let output = dynamodb.scan().table_name(table).set_exclusive_start_key(start).send().await.expect("scan");
        for item in output.items.unwrap_or_default() {
            let size: usize = item.iter().map(|(name, value)| name.len() + value_size(value)).sum();
            bytes += (size + ITEM_OVERHEAD_BYTES) as u64;
            if let (Some(t), Some(pk), Some(sk)) = (item.get("t"), item.get("pk"), item.get("sk")) {
                let keys = 1 + value_size(t) + 2 + value_size(pk) + 2 + value_size(sk);
                bytes += (keys + ITEM_OVERHEAD_BYTES) as u64;
            }
            items += 1;
        }
        start = output.last_evaluated_key;
        if start.is_none() {
            return (bytes, items);
        }
    }
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::M(m) => 3 + m.iter().map(|(k, v)| k.len() + value_size(v) + 1).sum::<usize>(),
        AttributeValue::L(l) => 3 + l.iter().map(|v| value_size(v) + 1).sum::<usize>(),
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        _ => 0,
    }
}

fn count(requests: &BTreeMap<(String, String), u64>, service: &str, operation: Option<&str>) -> u64 {
    requests.iter().filter(|((s, o), _)| s == service && operation.is_none_or(|op| o == op)).map(|(_, n)| n).sum()
}

fn print_report(
    run: &Run,
    batches: usize,
    sent: &BTreeMap<(String, String), u64>,
    requests: &BTreeMap<(String, String), u64>,
    capacity: saaswarden_aws::Capacity,
    (storage_bytes, storage_items): (u64, u64),
    elapsed: Duration,
) {
    let n = run.activities as f64;
    let per_k = |x: f64| x / n * 1000.0;
    let per_m = |x: f64| x / n * MILLION;
    println!(
        "# Cloud cost: {} activities, {batches} batches, {} messages, {:.1?} on moto",
        run.activities, run.messages, elapsed
    );
    println!();
    println!("## Requests per 1,000 activities (counted by the SDK interceptor)");
    println!();
    println!("| service | operation | requests | per 1,000 activities |");
    println!("| --- | --- | ---: | ---: |");
    for ((service, operation), requests) in requests {
        let mut shown = *requests;
        if service == "SQS" && operation == "ReceiveMessage" {
            // The drain's final empty polls are the bench's, not the workload's (see the notes).
            shown = shown.saturating_sub(run.empty_polls);
        }
        println!("| {service} | {operation} | {shown} | {:.2} |", per_k(shown as f64));
    }
    println!("| Lambda | Invoke (detector deliveries) | {} | {:.2} |", run.invocations, per_k(run.invocations as f64));
    println!();

    // SQS: sends billed conservatively as one request per call plus one per full 64 KB of all payload;
    // receives exactly per call; deletes one per call.
    let send_calls = count(sent, "SQS", Some("SendMessageBatch"));
    let send_units = send_calls + (run.payload_bytes / SQS_BILLING_CHUNK) as u64;
    let delete_calls = count(requests, "SQS", Some("DeleteMessageBatch"));
    let sqs_units = send_units + run.receive_units + delete_calls;
    let dynamodb_requests = count(requests, "DynamoDB", None);
    let gb_seconds = run.billed_ms / 1000.0 * DETECTOR_MEMORY_GB;
    let log_gb = run.invocations as f64 * LOG_BYTES_PER_INVOCATION / 1e9;
    let storage_gb = storage_bytes as f64 / 1e9;

    let rows: Vec<(&str, String, f64)> = vec![
        (
            "DynamoDB writes",
            format!("{} WRU = {:.3} WRU/activity × $0.625/M", capacity.write_units, capacity.write_units as f64 / n),
            per_m(capacity.write_units as f64) * DYNAMODB_PER_WRU,
        ),
        (
            "DynamoDB reads",
            format!("{:.1} RRU = {:.3} RRU/activity × $0.125/M", capacity.read_units, capacity.read_units / n),
            per_m(capacity.read_units) * DYNAMODB_PER_RRU,
        ),
        (
            "SQS FIFO",
            format!(
                "{sqs_units} billed requests (send {send_units}, receive {}, delete {delete_calls}; {} KB payload) × $0.50/M",
                run.receive_units,
                run.payload_bytes / 1024
            ),
            per_m(sqs_units as f64) * SQS_FIFO_PER_REQUEST,
        ),
        (
            "Lambda requests",
            format!("{} invocations × $0.20/M", run.invocations),
            per_m(run.invocations as f64) * LAMBDA_PER_REQUEST,
        ),
        (
            "Lambda duration",
            format!(
                "{:.1} s handler time, {:.0} ms mean; {gb_seconds:.2} GB-s at 512 MB × $0.0000133334",
                run.handler_time.as_secs_f64(),
                run.handler_time.as_secs_f64() * 1000.0 / run.invocations.max(1) as f64
            ),
            per_m(gb_seconds) * LAMBDA_ARM_PER_GB_SECOND,
        ),
        (
            "EventBridge",
            format!("{} alert events × $1.00/M", run.alerts_created),
            per_m(run.alerts_created as f64) * EVENTBRIDGE_PER_EVENT,
        ),
        (
            "CloudWatch Logs",
            format!("{} invocations × {LOG_BYTES_PER_INVOCATION} B = {:.4} GB × $0.50/GB", run.invocations, log_gb),
            per_m(log_gb) * LOGS_PER_GB,
        ),
    ];
    println!("## AWS cost per million activities (us-east-1, on demand)");
    println!();
    println!("| item | measured | $ per million activities |");
    println!("| --- | --- | ---: |");
    let mut total = 0.0;
    for (item, measured, dollars) in &rows {
        total += dollars;
        println!("| {item} | {measured} | {dollars:.4} |");
    }
    println!(
        "| **total (processing, audit trail written)** | {dynamodb_requests} DynamoDB requests | **{total:.4}** |"
    );
    println!(
        "| audit-trail storage, per month kept | {storage_items} items, {:.1} MB ({:.0} B/activity) × $0.25/GB-month | {:.4} per month |",
        storage_bytes as f64 / 1e6,
        storage_bytes as f64 / n,
        per_m(storage_gb) * DYNAMODB_PER_GB_MONTH
    );
    println!();
    println!("Target ≤ $1.00 per million activities: {}", if total <= 1.0 { "met" } else { "NOT met" });
}

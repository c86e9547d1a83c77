//! What a million activities cost on AWS, and what a 500-user tenant pays a month all in: the detector's
//! flow on moto server with tables and queues from `infra/template.yaml`, every AWS request counted by the
//! SDK interceptor (`saaswarden_aws::RequestCounter`), the detector function's own handler
//! (`Detector::handle`) on a counted DynamoDB client, and DynamoDB capacity units estimated by its store's
//! meter (moto does not compute them). The counts are priced at public us-east-1 on-demand prices.
//!
//! The activities reach the detector as they do live: the collector runs every 5 minutes, so each app's
//! log arrives in 5-minute slices, batched per user within a slice (`SAASWARDEN_BENCH_SHAPE=slices`, the
//! default; `days` sends a user's whole day as one batch, the easier shape of earlier figures). Each
//! slice is sent, then drained in deliveries of ≤ 10 messages as Lambda's poller does.
//!
//! The tenant is the demo generator's (`SAASWARDEN_BENCH_USERS`, default 500, × `SAASWARDEN_BENCH_DAYS`,
//! default 15). Its history before the measured day(s) (`SAASWARDEN_BENCH_MEASURED_DAYS`, default 1) is
//! not sent through moto: it is detected in memory and each user's resulting state saved once, uncounted,
//! so the measured day reads and writes states of a realistic size. Activities are enriched before they
//! are sent (the MaxMind test databases), as the detector's GeoIP would; the bench's detector itself has
//! no GeoIP.
//!
//! Run: `cargo bench -p saaswarden-tests --bench cloud_cost` (after `bash tests/run.sh` once, for moto).
//! Results and the method go in docs/benchmarks.md ("Cloud cost").

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use chrono::{DateTime, Datelike, Duration as Span, DurationRound, NaiveDate, Utc};
use saaswarden_app::into_batches;
use saaswarden_aws::testing::stack;
use saaswarden_aws::{RequestCounter, SqsActivityQueue};
use saaswarden_connectors::zendesk::ZendeskUsers;
use saaswarden_connectors::{slack, zendesk};
use saaswarden_core::detect::{Context, Engine};
use saaswarden_core::enrich::Enricher;
use saaswarden_core::{Activity, App, Config, UserState};
use saaswarden_demo::{DemoOptions, generate};
use saaswarden_lambda::Settings;
use saaswarden_lambda::detector::Detector;
use saaswarden_store::{ActivityBatch, ActivityQueue, StateStore};

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
/// The collector's schedule (`SlackSchedule`, `ZendeskSchedule` in infra/template.yaml).
const SLICE_MINUTES: i64 = 5;
const TENANT: &str = "acme";

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

/// The demo tenant's activities, normalized as the collector does and enriched as the detector does.
fn activities(users: usize, days: usize) -> Vec<Activity> {
    let options = DemoOptions { users, days: days as u32, ..DemoOptions::default() };
    let tenant = generate(&options);
    let directory = ZendeskUsers::from_json(&tenant.zendesk_users).expect("the demo's Zendesk users");
    let slack = tenant.slack_entries().filter_map(|e| slack::normalize(e, TENANT).ok());
    let zendesk = tenant.zendesk_entries().filter_map(|e| zendesk::normalize(e, TENANT, &directory).ok());
    let dir = tempfile::tempdir().expect("temp dir");
    let intel = saaswarden_tests::demo_enrichment(dir.path());
    let mut activities: Vec<Activity> = slack.chain(zendesk).collect();
    for activity in &mut activities {
        intel.enrich(activity);
    }
    activities
}

/// How the collector hands activities to the queue.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    /// Every 5 minutes, each app's new entries, batched per user.
    Slices,
    /// A user's whole day as one batch (at most 100 activities each).
    Days,
}

/// The sends, in order: each is one collector run's batches, drained before the next is sent.
fn sends(activities: Vec<Activity>, shape: Shape) -> Vec<Vec<ActivityBatch>> {
    match shape {
        Shape::Days => vec![into_batches(activities)],
        Shape::Slices => {
            let mut slices: BTreeMap<(DateTime<Utc>, App), Vec<Activity>> = BTreeMap::new();
            for activity in activities {
                let start =
                    activity.occurred_at.duration_trunc(Span::minutes(SLICE_MINUTES)).expect("a 5-minute slice");
                slices.entry((start, activity.app)).or_default().push(activity);
            }
            slices.into_values().map(into_batches).collect()
        }
    }
}

/// The history before the measured days, detected in memory one user-day batch at a time as the detector
/// would; each user's state is saved once, and the tenant's first activity noted (uncounted: the caller
/// takes its readings after this).
async fn warm_up(detector: &Detector, history: Vec<Activity>) -> usize {
    let Some(first) = history.iter().map(|a| a.occurred_at).min() else { return 0 };
    let engine = Engine::from_config(&Config::default());
    let ctx = Context { tenant: TENANT.into(), tenant_first_seen: Some(first), ..Default::default() };
    let mut by_user: BTreeMap<String, Vec<Activity>> = BTreeMap::new();
    for activity in history {
        by_user.entry(activity.user_key()).or_default().push(activity);
    }
    let store = detector.store();
    store.note_tenant_activity(TENANT, first).await.expect("tenant's first activity");
    let users = by_user.len();
    for (user, mut activities) in by_user {
        activities.sort_by_key(|a| a.occurred_at);
        let mut state = UserState::default();
        for day in activities.chunk_by(|a, b| a.occurred_at.date_naive() == b.occurred_at.date_naive()) {
            engine.process_user(&user, &mut state, day.iter(), &ctx);
        }
        store.save_user(TENANT, &user, &state, 0).await.expect("a warmed-up user state");
    }
    users
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
    /// Calls to the queue (SendMessageBatch), and empty polls that ended a drain (the bench's own).
    sends: u64,
    billed_ms: f64,
    alerts_created: u64,
}

async fn run() {
    let users = env_number("SAASWARDEN_BENCH_USERS", 500);
    let days = env_number("SAASWARDEN_BENCH_DAYS", 15);
    let measured_days = env_number("SAASWARDEN_BENCH_MEASURED_DAYS", 1).clamp(1, days);
    let shape = match std::env::var("SAASWARDEN_BENCH_SHAPE").as_deref() {
        Ok("days") => Shape::Days,
        Ok("slices") | Err(_) => Shape::Slices,
        Ok(other) => panic!("SAASWARDEN_BENCH_SHAPE=`{other}`: `slices` or `days`"),
    };
    let activities = activities(users, days);
    let span = activities.iter().map(|a| a.occurred_at.date_naive()).collect::<std::collections::BTreeSet<_>>();
    let per_user_day = activities.len() as f64 / users as f64 / span.len() as f64;
    // The measured days end on the last working day (a weekend day is quieter than the month's average).
    let last_day = *span.iter().rev().find(|d| d.weekday().number_from_monday() <= 5).expect("a working day");
    let first_measured = last_day - Span::days(measured_days as i64 - 1);
    let (measured, history): (Vec<Activity>, Vec<Activity>) = activities
        .into_iter()
        .filter(|a| a.occurred_at.date_naive() <= last_day)
        .partition(|a| a.occurred_at.date_naive() >= first_measured);
    let total = measured.len();
    assert!(total >= 500, "only {total} activities measured: raise SAASWARDEN_BENCH_USERS");
    let sends = sends(measured, shape);
    let batch_count: usize = sends.iter().map(Vec::len).sum();

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

    let warmed = warm_up(&detector, history).await;
    let before = counter.snapshot();
    let capacity_before = detector.store().meter().reading();
    let queue = SqsActivityQueue::new(clients.sqs.clone(), &queue_url);

    let started = Instant::now();
    let mut run = Run { activities: total, ..Run::default() };
    let slices = sends.len();
    for (i, batches) in sends.into_iter().enumerate() {
        queue.send(batches).await.expect("send to the queue");
        drain(&clients.sqs, &queue_url, &detector, &mut run).await;
        if (i + 1) % 100 == 0 {
            eprintln!("{} of {slices} sends detected, {:.0?}", i + 1, started.elapsed());
        }
    }
    let elapsed = started.elapsed();
    let requests = difference(&counter.snapshot(), &before);
    let after = detector.store().meter().reading();
    let capacity = saaswarden_aws::Capacity {
        write_units: after.write_units - capacity_before.write_units,
        read_units: after.read_units - capacity_before.read_units,
        items_written: after.items_written - capacity_before.items_written,
    };
    run.alerts_created = item_count(&stack.clients().dynamodb, &tables.alerts).await;
    run.sends = count(&requests, "SQS", Some("SendMessageBatch"));
    let storage = audit_trail_bytes(&stack.clients().dynamodb, &tables.activities).await;
    let state_bytes = table_bytes(&stack.clients().dynamodb, &tables.state).await;

    let shape_line =
        Workload { users, warmed, days, measured_days, first_measured, shape, batches: batch_count, per_user_day };
    let per_million = print_report(&run, &shape_line, &requests, capacity, storage, elapsed);
    print_monthly_bill(&run, &shape_line, per_million, storage, state_bytes);
}

/// What was run.
struct Workload {
    users: usize,
    warmed: usize,
    days: usize,
    measured_days: usize,
    first_measured: NaiveDate,
    shape: Shape,
    batches: usize,
    /// Activities per user and day over the whole generated span, weekends included.
    per_user_day: f64,
}

/// Receives until the queue is empty, one handler invocation per delivery of ≤ 10 messages, and deletes
/// what each delivery processed (Lambda's poller).
async fn drain(sqs: &aws_sdk_sqs::Client, queue_url: &str, detector: &Detector, run: &mut Run) {
    loop {
        let output = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
            .send()
            .await
            .expect("receive");
        let received = output.messages.unwrap_or_default();
        if received.is_empty() {
            // moto answers at once; an empty answer means the slice is done.
            run.empty_polls += 1;
            return;
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
        sqs.delete_message_batch().queue_url(queue_url).set_entries(Some(entries)).send().await.expect("delete");
    }
}

/// Request counts made since `before`.
fn difference(
    after: &BTreeMap<(String, String), u64>,
    before: &BTreeMap<(String, String), u64>,
) -> BTreeMap<(String, String), u64> {
    after
        .iter()
        .map(|(key, n)| (key.clone(), n - before.get(key).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
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

/// The stored size of a table's items by DynamoDB's rules (attribute names and values plus 100 bytes).
async fn table_bytes(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> u64 {
    let (mut bytes, mut start) = (0u64, None);
    loop {
        let output = dynamodb.scan().table_name(table).set_exclusive_start_key(start).send().await.expect("scan");
        for item in output.items.unwrap_or_default() {
            let size: usize = item.iter().map(|(name, value)| name.len() + value_size(value)).sum();
            bytes += (size + ITEM_OVERHEAD_BYTES) as u64;
        }
        start = output.last_evaluated_key;
        if start.is_none() {
            return bytes;
        }
    }
}

/// Prints the request counts and the cost per million activities; returns that cost.
fn print_report(
    run: &Run,
    workload: &Workload,
    requests: &BTreeMap<(String, String), u64>,
    capacity: saaswarden_aws::Capacity,
    (storage_bytes, storage_items): (u64, u64),
    elapsed: Duration,
) -> f64 {
    let n = run.activities as f64;
    let per_k = |x: f64| x / n * 1000.0;
    let per_m = |x: f64| x / n * MILLION;
    println!(
        "# Cloud cost: {} users ({} with a warmed-up state from {} earlier days), {} measured day(s) from {}, {:?} shape",
        workload.users,
        workload.warmed,
        workload.days - workload.measured_days,
        workload.measured_days,
        workload.first_measured,
        workload.shape
    );
    println!();
    println!(
        "{} activities in {} batches ({:.2} activities per batch), {} messages, {} deliveries; {:.1?} on moto",
        run.activities,
        workload.batches,
        n / workload.batches.max(1) as f64,
        run.messages,
        run.invocations,
        elapsed
    );
    println!();
    println!("## Requests per 1,000 activities (counted by the SDK interceptor)");
    println!();
    println!("| service | operation | requests | per 1,000 activities |");
    println!("| --- | --- | ---: | ---: |");
    for ((service, operation), requests) in requests {
        let mut shown = *requests;
        if service == "SQS" && operation == "ReceiveMessage" {
            // The drains' final empty polls are the bench's, not the workload's (see the notes).
            shown = shown.saturating_sub(run.empty_polls);
        }
        println!("| {service} | {operation} | {shown} | {:.2} |", per_k(shown as f64));
    }
    println!("| Lambda | Invoke (detector deliveries) | {} | {:.2} |", run.invocations, per_k(run.invocations as f64));
    println!();

    // SQS: sends billed conservatively as one request per call plus one per full 64 KB of all payload;
    // receives exactly per call; deletes one per call.
    let send_units = run.sends + (run.payload_bytes / SQS_BILLING_CHUNK) as u64;
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
    let total = print_dollar_table(
        "AWS cost per million activities (us-east-1, on demand)",
        "| item | measured | $ per million activities |",
        &rows,
        4,
    );
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
    println!();
    total
}

/// The tenant the monthly bill is for.
const BILL_USERS: f64 = 500.0;
const DAYS_PER_MONTH: f64 = 30.44;
const MINUTES_PER_MONTH: f64 = DAYS_PER_MONTH * 24.0 * 60.0;
/// The stack's defaults (infra/template.yaml): audit trail kept 180 days, collectors every 5 minutes per
/// app, the directory synced hourly.
const RETENTION_DAYS: f64 = 180.0;
const COLLECTOR_TICKS_PER_MONTH: f64 = MINUTES_PER_MONTH / SLICE_MINUTES as f64;
const DIRECTORY_SYNCS_PER_MONTH: f64 = DAYS_PER_MONTH * 24.0;
const ALARM_PER_MONTH: f64 = 0.10;
const SECRET_PER_MONTH: f64 = 0.40;
/// Lambda keeps long polls open on an idle SQS event source. AWS does not publish how many; assumed: five
/// pollers, each a 20-second long poll, i.e. 15 requests a minute per queue.
const IDLE_POLLS_PER_MINUTE: f64 = 15.0;
/// Assumed per collector tick (not measured here: it waits on Slack or Zendesk): 1 s at 256 MB, the
/// stream's checkpoint read and written (2 RRU, 2 WRU), 1 KB of logs.
const COLLECTOR_TICK_SECONDS: f64 = 1.0;
const COLLECTOR_MEMORY_GB: f64 = 0.25;
/// Assumed per directory sync: 5 s at 256 MB (Microsoft Graph pages), 20 WRU, 1 KB of logs.
const DIRECTORY_SYNC_SECONDS: f64 = 5.0;

/// Prints a titled table of (item, basis, dollars) rows, dollars to `decimals` places; answers their total.
fn print_dollar_table(
    title: &str,
    header: &str,
    rows: &[(impl std::fmt::Display, String, f64)],
    decimals: usize,
) -> f64 {
    println!("## {title}");
    println!();
    println!("{header}");
    println!("| --- | --- | ---: |");
    let mut total = 0.0;
    for (item, basis, dollars) in rows {
        total += dollars;
        println!("| {item} | {basis} | {dollars:.decimals$} |");
    }
    total
}

/// Counts one kind of line in the deployed template.
fn template_count(template: &str, line: &str) -> usize {
    template.lines().filter(|l| *l == line).count()
}

/// The monthly bill of a 500-user tenant with this run's activities per user and day and cost per
/// activity, and the stack's fixed costs as deployed by infra/template.yaml.
fn print_monthly_bill(run: &Run, workload: &Workload, per_million: f64, (storage_bytes, _): (u64, u64), state: u64) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
    let template = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let alarms = template_count(&template, "    Type: AWS::CloudWatch::Alarm");
    let secrets = template_count(&template, "    Type: AWS::SecretsManager::Secret");
    let polled_queues = template_count(&template, "          Type: SQS");
    let schedules = template_count(&template, "          Type: Schedule");
    assert_eq!(schedules, 3, "the bill expects two collector schedules and the directory sync's");

    let per_user_day = workload.per_user_day;
    let monthly = per_user_day * BILL_USERS * DAYS_PER_MONTH;
    let bytes_per_activity = storage_bytes as f64 / run.activities as f64;
    let kept_gb = per_user_day * BILL_USERS * RETENTION_DAYS * bytes_per_activity / 1e9;
    let state_gb = state as f64 / workload.users as f64 * BILL_USERS / 1e9;
    let collector_ticks = COLLECTOR_TICKS_PER_MONTH * 2.0;
    let lambda = |invocations: f64, seconds: f64| {
        invocations * LAMBDA_PER_REQUEST + invocations * seconds * COLLECTOR_MEMORY_GB * LAMBDA_ARM_PER_GB_SECOND
    };
    let logs = |invocations: f64| invocations * 1000.0 / 1e9 * LOGS_PER_GB;
    let rows: Vec<(String, String, f64)> = vec![
        (
            "processing (the table above)".into(),
            format!(
                "{monthly:.0} activities ({per_user_day:.1} per user per day, the demo's average) × ${per_million:.4} per million"
            ),
            monthly / MILLION * per_million,
        ),
        (
            "audit trail storage".into(),
            format!("{RETENTION_DAYS:.0} days kept × {bytes_per_activity:.0} B per activity = {kept_gb:.3} GB × $0.25"),
            kept_gb * DYNAMODB_PER_GB_MONTH,
        ),
        (
            "detector state storage".into(),
            format!("{:.0} B per user (measured) = {state_gb:.4} GB × $0.25", state as f64 / workload.users as f64),
            state_gb * DYNAMODB_PER_GB_MONTH,
        ),
        (
            "collector ticks".into(),
            format!(
                "2 apps × {COLLECTOR_TICKS_PER_MONTH:.0} ticks; assumed {COLLECTOR_TICK_SECONDS} s at 256 MB, 2 RRU + 2 WRU, 1 KB logs each"
            ),
            lambda(collector_ticks, COLLECTOR_TICK_SECONDS)
                + collector_ticks * (2.0 * DYNAMODB_PER_RRU + 2.0 * DYNAMODB_PER_WRU)
                + logs(collector_ticks),
        ),
        (
            "directory sync".into(),
            format!(
                "{DIRECTORY_SYNCS_PER_MONTH:.0} hourly runs; assumed {DIRECTORY_SYNC_SECONDS} s at 256 MB, 20 WRU each"
            ),
            lambda(DIRECTORY_SYNCS_PER_MONTH, DIRECTORY_SYNC_SECONDS)
                + DIRECTORY_SYNCS_PER_MONTH * 20.0 * DYNAMODB_PER_WRU
                + logs(DIRECTORY_SYNCS_PER_MONTH),
        ),
        (
            "idle SQS pollers".into(),
            format!(
                "{polled_queues} queues with a Lambda event source × {IDLE_POLLS_PER_MINUTE} long polls a minute (assumed) × $0.50/M"
            ),
            polled_queues as f64 * IDLE_POLLS_PER_MINUTE * MINUTES_PER_MONTH * SQS_FIFO_PER_REQUEST,
        ),
        ("CloudWatch alarms".into(), format!("{alarms} alarms × ${ALARM_PER_MONTH}"), alarms as f64 * ALARM_PER_MONTH),
        (
            "Secrets Manager".into(),
            format!("{secrets} secret × ${SECRET_PER_MONTH} (read once per cold start)"),
            secrets as f64 * SECRET_PER_MONTH,
        ),
    ];
    let total = print_dollar_table(
        &format!("Monthly bill of a {BILL_USERS:.0}-user tenant, all in (us-east-1, on demand, no free tier)"),
        "| item | basis | $ per month |",
        &rows,
        2,
    );
    println!("| **total** | | **{total:.2}** |");
    println!();
    println!("Target ≤ $5 a month for a 500-user tenant: {}", if total <= 5.0 { "met" } else { "NOT met" });
}

//! Collecting over HTTP: the collect use case against servers speaking Slack's and Zendesk's audit-log
//! protocols (wiremock), a real SQLite store for checkpoints and the audit trail, and detection downstream.
//! Waits are recorded by a manual clock, never slept.

mod apis;

use std::sync::Arc;
use std::time::Duration;

use apis::{
    Fault, SLACK_TOKEN, SlackApi, When, ZENDESK_EMAIL, ZENDESK_TOKEN, ZendeskApi, slack_entry, zendesk_access_entry,
    zendesk_entry,
};
use chrono::{DateTime, Utc};
use saaswarden_app::{BatchReport, CollectReport, CollectSettings, Detectors, collect_once, detect_batch};
use saaswarden_connectors::AuditSource;
use saaswarden_connectors::SourceError;
use saaswarden_connectors::http::{HttpClient, HttpError, ManualClock, RetryPolicy, Secret};
use saaswarden_connectors::slack::SlackClient;
use saaswarden_connectors::zendesk::{ZendeskAuth, ZendeskClient};
use saaswarden_core::checkpoint::{Checkpoint, WindowPolicy};
use saaswarden_core::detect::Engine;
use saaswarden_core::enrich::NoEnrichment;
use saaswarden_store::{ActivityLog, ActivityQuery, Checkpoints, InProcessQueue, SqliteStore, StoreError, Versioned};
use saaswarden_tests::{config_without_learning, fresh_store};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z").map(|d| d.with_timezone(&Utc)).expect("time")
}

fn minutes_ago(minutes: i64) -> DateTime<Utc> {
    now() - chrono::Duration::minutes(minutes)
}

fn settings() -> CollectSettings {
    CollectSettings {
        tenant: "acme".into(),
        windows: WindowPolicy {
            backfill: chrono::Duration::days(7),
            overlap: chrono::Duration::minutes(10),
            delay: chrono::Duration::minutes(2),
            max_window: chrono::Duration::hours(6),
        },
        time_budget: Duration::from_secs(600),
    }
}

fn http(clock: &ManualClock) -> HttpClient {
    HttpClient::with_time(RetryPolicy::default(), Arc::new(clock.clone()), Arc::new(clock.clone())).expect("client")
}

async fn slack_server(api: &SlackApi) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(api.clone()).mount(&server).await;
    server
}

async fn zendesk_server(api: &ZendeskApi) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(api.clone()).mount(&server).await;
    server
}

fn slack(server: &MockServer, clock: &ManualClock, limit: u32) -> SlackClient {
    SlackClient::new(http(clock), &server.uri(), Secret::new(SLACK_TOKEN), limit)
}

fn zendesk(server: &MockServer, clock: &ManualClock, page_size: u32) -> ZendeskClient {
    let auth = ZendeskAuth::ApiToken { email: ZENDESK_EMAIL.into(), token: Secret::new(ZENDESK_TOKEN) };
    ZendeskClient::new(http(clock), &server.uri(), auth, page_size, Duration::from_secs(86_400))
}

/// Collects once into an in-process queue, then runs detection on every batch, like the local runtime.
async fn collect_and_detect<S: AuditSource, C: Checkpoints + Sync>(
    source: &S,
    checkpoints: &C,
    store: &SqliteStore,
) -> (Result<CollectReport, saaswarden_app::CollectError>, BatchReport) {
    let queue = InProcessQueue::new();
    let report = collect_once(&settings(), source, checkpoints, &queue, &|_| {}).await;
    (report, drain(&queue, store).await)
}

async fn drain(queue: &InProcessQueue, store: &SqliteStore) -> BatchReport {
    let config = config_without_learning();
    let engine = Engine::from_config(&config);
    let detectors = Detectors { engine: &engine, policies: None, enricher: &NoEnrichment };
    let mut detected = BatchReport::default();
    while let Some(batch) = queue.pop() {
        detected += detect_batch(&detectors, store, batch).await.expect("detect");
    }
    detected
}

async fn stored_ids(store: &SqliteStore) -> Vec<String> {
    let mut ids: Vec<String> = store
        .search(&ActivityQuery { limit: 100_000, ..Default::default() })
        .await
        .expect("search")
        .into_iter()
        .map(|a| a.id)
        .collect();
    ids.sort();
    ids
}

/// A checkpoint just before the test entries: one window to read.
fn start() -> Checkpoint {
    Checkpoint { through: minutes_ago(90), recent: Vec::new(), last_id: None, last_error: None }
}

async fn seed(store: &SqliteStore, stream: &str) -> Checkpoint {
    store.save("acme", stream, &start(), 0).await.expect("seed checkpoint");
    start()
}

async fn checkpoint(store: &SqliteStore, stream: &str) -> Option<Checkpoint> {
    store.load("acme", stream).await.expect("load checkpoint").value
}

/// Where the stream got to: the checkpoint without the error a stopped run records on it.
async fn progress(store: &SqliteStore, stream: &str) -> Option<Checkpoint> {
    checkpoint(store, stream).await.map(|c| Checkpoint { last_error: None, ..c })
}

/// A first run that stopped: nothing read, the error recorded for the sources page.
async fn assert_nothing_read_but_the_error(store: &SqliteStore, stream: &str) {
    let stopped = checkpoint(store, stream).await.expect("a checkpoint holding the error");
    assert!(stopped.recent.is_empty() && stopped.last_id.is_none() && stopped.last_error.is_some(), "{stopped:?}");
}

/// 25 entries over the last hour, five of them sharing one second, for `carol` and `dan`.
fn slack_entries() -> Vec<serde_json::Value> {
    let mut entries: Vec<_> = (0..20)
        .map(|i| {
            slack_entry(
                &format!("e-{i:02}"),
                minutes_ago(60 - i * 2),
                if i % 2 == 0 { "carol@acme.example" } else { "dan@acme.example" },
            )
        })
        .collect();
    entries.extend((0..5).map(|i| slack_entry(&format!("same-second-{i}"), minutes_ago(30), "carol@acme.example")));
    entries
}

#[tokio::test]
async fn slack_pages_a_window_then_a_second_run_adds_only_new_entries() {
    let (_dir, store) = fresh_store();
    let api = SlackApi::default();
    api.0.add(slack_entries());
    // One entry inside the overlap the next run re-reads.
    api.0.add([slack_entry("edge", minutes_ago(5), "dan@acme.example")]);
    let server = slack_server(&api).await;
    let clock = ManualClock::new(now());

    let (report, detected) = collect_and_detect(&slack(&server, &clock, 4), &store, &store).await;
    let report = report.expect("first run");
    assert!(report.error.is_none(), "{:?}", report.error);
    assert!(report.pages >= 6, "26 entries at 4 a page, one page larger than its limit: {report:?}");
    assert_eq!((report.activities_sent, detected.new_activities), (26, 26));
    let first = checkpoint(&store, "slack").await.expect("checkpoint saved");
    assert_eq!(first.through, minutes_ago(2), "collected up to now − delay");

    // Ten minutes later: three new entries, one of them in the same second as an old one.
    clock.set(now() + chrono::Duration::minutes(10));
    api.0.add([
        slack_entry("late-1", now() + chrono::Duration::minutes(5), "dan@acme.example"),
        slack_entry("late-2", now() + chrono::Duration::minutes(6), "dan@acme.example"),
        slack_entry("late-3", minutes_ago(2), "carol@acme.example"),
    ]);
    let (report, detected) = collect_and_detect(&slack(&server, &clock, 4), &store, &store).await;
    let report = report.expect("second run");
    assert_eq!(report.activities_sent, 3, "only the new entries go downstream: {report:?}");
    assert_eq!(report.duplicates, 1, "the overlap re-read the entry the checkpoint holds: {report:?}");
    assert_eq!(detected.new_activities, 3);
    assert_eq!(stored_ids(&store).await.len(), 29);
}

#[tokio::test]
async fn a_rate_limit_then_a_server_error_are_waited_out_and_recorded_not_slept() {
    let (_dir, store) = fresh_store();
    let api = SlackApi::default();
    api.0.add(slack_entries());
    api.0.fail(When::WithCursor, Fault::RateLimited { retry_after: "30" });
    api.0.fail(When::Any, Fault::ServerError);
    let server = slack_server(&api).await;
    let clock = ManualClock::new(now());

    let (report, _) = collect_and_detect(&slack(&server, &clock, 10), &store, &store).await;
    let report = report.expect("run");
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.activities_sent, 25);
    let waits = clock.waits();
    assert_eq!(waits[0], Duration::from_secs(30), "Retry-After honoured: {waits:?}");
    assert_eq!(waits.len(), 2, "one rate-limit wait, one backoff: {waits:?}");
    assert!(waits[1] <= Duration::from_secs(1), "first backoff is at most the base: {waits:?}");
    assert_eq!((report.http.rate_limited, report.http.retries), (1, 1));
}

#[tokio::test]
async fn truncated_json_stops_safely_and_the_next_run_recovers_everything_once() {
    let (_dir, store) = fresh_store();
    let api = SlackApi::default();
    api.0.add(slack_entries());
    api.0.fail(When::WithCursor, Fault::Truncated);
    let server = slack_server(&api).await;
    let clock = ManualClock::new(now());
    seed(&store, "slack").await;

    let (report, detected) = collect_and_detect(&slack(&server, &clock, 10), &store, &store).await;
    let report = report.expect("run");
    let error = report.error.as_ref().expect("the broken page stops the stream");
    assert!(matches!(error, SourceError::Http(HttpError::Malformed { .. })), "{error}");
    assert!(error.to_string().contains("page 2"), "the error names the page: {error}");
    assert_eq!((report.activities_sent, detected.new_activities), (0, 0), "a newest-first window is all or nothing");
    let stopped = checkpoint(&store, "slack").await.expect("a checkpoint");
    let failure = stopped.last_error.clone().expect("the error is kept for the sources page");
    assert_eq!(Checkpoint { last_error: None, ..stopped }, start(), "checkpoint unchanged but for the error");
    assert_eq!((failure.at, failure.error), (now(), error.to_string()));

    let (report, detected) = collect_and_detect(&slack(&server, &clock, 10), &store, &store).await;
    assert!(report.expect("rerun").error.is_none());
    let recovered = checkpoint(&store, "slack").await.expect("a checkpoint");
    assert_eq!(recovered.last_error, None, "a run that succeeds clears the error");
    assert_eq!(detected.new_activities, 25);
    assert_eq!(stored_ids(&store).await.len(), 25);
}

#[tokio::test]
async fn an_invalid_cursor_rereads_the_window_from_its_start() {
    let (_dir, store) = fresh_store();
    let api = SlackApi::default();
    api.0.add(slack_entries());
    api.0.fail(When::WithCursor, Fault::InvalidCursor);
    let server = slack_server(&api).await;
    let clock = ManualClock::new(now());

    let (report, detected) = collect_and_detect(&slack(&server, &clock, 10), &store, &store).await;
    let report = report.expect("run");
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.cursor_restarts, 1);
    assert_eq!((report.activities_sent, report.entries), (25, 25), "entries before the restart are not counted twice");
    assert_eq!(detected.new_activities, 25);
}

#[tokio::test]
async fn an_entry_repeated_on_the_next_page_goes_downstream_once() {
    let (_dir, store) = fresh_store();
    let api = SlackApi::default();
    api.0.add(slack_entries());
    // Two later pages each start with the previous page's last entry again.
    api.0.fail(When::WithCursor, Fault::RepeatPrevious);
    api.0.fail(When::WithCursor, Fault::RepeatPrevious);
    let server = slack_server(&api).await;
    let clock = ManualClock::new(now());

    let (report, detected) = collect_and_detect(&slack(&server, &clock, 4), &store, &store).await;
    let report = report.expect("run");
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!((report.entries, report.duplicates), (27, 2), "two entries were read twice: {report:?}");
    assert_eq!(report.activities_sent, 25);
    assert_eq!((detected.activities, detected.new_activities), (25, 25), "the queue carried each entry once");
}

#[tokio::test]
async fn zendesk_entries_repeated_on_the_next_page_go_downstream_once() {
    let (_dir, store) = fresh_store();
    let api = ZendeskApi::default();
    api.users.lock().expect("users").extend(zendesk_users());
    api.api.add((0..12).map(|i| zendesk_entry(5000 + i, minutes_ago(50 - i), 1001)));
    api.api.fail(When::WithCursor, Fault::RepeatPrevious);
    let server = zendesk_server(&api).await;
    let clock = ManualClock::new(now());
    seed(&store, "zendesk").await;

    let (report, detected) = collect_and_detect(&zendesk(&server, &clock, 5), &store, &store).await;
    let report = report.expect("run");
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!((report.entries, report.duplicates, report.activities_sent), (13, 1, 12), "{report:?}");
    assert_eq!((detected.activities, detected.new_activities), (12, 12));
}

#[tokio::test]
async fn entries_in_the_second_the_overlap_starts_in_are_not_sent_again() {
    let (_dir, store) = fresh_store();
    let api = SlackApi::default();
    // A real run's clock is part-way through a second, and the APIs filter by whole seconds: the next
    // run's overlap (10 min before the checkpoint at now − 2 min) starts in the second of `on-the-edge`.
    let half = chrono::Duration::milliseconds(500);
    api.0.add([
        slack_entry("on-the-edge", minutes_ago(12), "carol@acme.example"),
        slack_entry("inside", minutes_ago(11), "carol@acme.example"),
    ]);
    let server = slack_server(&api).await;
    let clock = ManualClock::new(now() + half);
    let (report, _) = collect_and_detect(&slack(&server, &clock, 10), &store, &store).await;
    assert_eq!(report.expect("first run").activities_sent, 2);

    clock.set(now() + chrono::Duration::minutes(10) + half);
    let (report, detected) = collect_and_detect(&slack(&server, &clock, 10), &store, &store).await;
    let report = report.expect("second run");
    assert_eq!(report.entries, 2, "the overlap re-read both: {report:?}");
    assert_eq!((report.activities_sent, report.duplicates, detected.activities), (0, 2, 0), "{report:?}");
}

#[tokio::test]
async fn two_tenants_of_one_app_keep_their_own_checkpoints_and_activities() {
    let (_dir, store) = fresh_store();
    let acme = SlackApi::default();
    acme.0.add(slack_entries());
    let globex = SlackApi::default();
    globex.0.add([slack_entry("g-1", minutes_ago(20), "zoe@globex.example")]);
    let (acme_server, globex_server) = (slack_server(&acme).await, slack_server(&globex).await);
    let clock = ManualClock::new(now());
    let run = |tenant: &'static str| {
        let server = if tenant == "acme" { &acme_server } else { &globex_server };
        let settings = CollectSettings { tenant: tenant.into(), ..settings() };
        let client = slack(server, &clock, 10);
        let store = &store;
        async move {
            let queue = InProcessQueue::new();
            let report = collect_once(&settings, &client, store, &queue, &|_| {}).await.expect("run");
            drain(&queue, store).await;
            report.activities_sent
        }
    };
    assert_eq!((run("acme").await, run("globex").await), (25, 1));
    let of = |tenant: &str| ActivityQuery { tenant: Some(tenant.into()), limit: 100, ..Default::default() };
    assert_eq!(store.search(&of("globex")).await.expect("search").len(), 1);
    assert_eq!(store.search(&of("acme")).await.expect("search").len(), 25);

    // Later, only globex has something new: each tenant continues from its own checkpoint.
    clock.set(now() + chrono::Duration::minutes(10));
    globex.0.add([slack_entry("g-2", now() + chrono::Duration::minutes(5), "zoe@globex.example")]);
    assert_eq!((run("acme").await, run("globex").await), (0, 1));
    assert!(checkpoint(&store, "slack").await.is_some(), "acme's checkpoint");
    assert_eq!(store.load("globex", "slack").await.expect("load").value.map(|c| c.recent.len()), Some(1));
}

#[tokio::test]
async fn empty_windows_move_the_checkpoint_and_send_nothing() {
    let (_dir, store) = fresh_store();
    let api = SlackApi::default();
    let server = slack_server(&api).await;
    let clock = ManualClock::new(now());

    let (report, detected) = collect_and_detect(&slack(&server, &clock, 10), &store, &store).await;
    let report = report.expect("run");
    assert_eq!(report.windows_planned, 28, "seven days of back-fill in six-hour windows");
    assert_eq!((report.windows_done, report.activities_sent, detected.activities), (28, 0, 0));
    assert_eq!(checkpoint(&store, "slack").await.map(|c| c.through), Some(minutes_ago(2)));
}

#[tokio::test]
async fn a_bad_token_stops_with_a_clear_message_that_never_shows_the_token() {
    let (_dir, store) = fresh_store();
    let api = SlackApi::default();
    api.0.add(slack_entries());
    let server = slack_server(&api).await;
    let clock = ManualClock::new(now());
    let client = SlackClient::new(http(&clock), &server.uri(), Secret::new("xoxp-wrong-and-secret"), 10);

    let (report, _) = collect_and_detect(&client, &store, &store).await;
    let report = report.expect("run");
    let error = report.error.expect("stopped");
    let message = error.to_string();
    assert!(!error.is_transient());
    assert!(message.contains("invalid_authentication") && message.contains("auditlogs:read"), "{message}");
    assert!(!message.contains("wrong-and-secret"), "{message}");
    // Kept for the sources page, on a checkpoint where the first run started reading (nothing was read).
    let stopped = checkpoint(&store, "slack").await.expect("a checkpoint holding the error");
    assert_eq!(stopped.last_error.map(|f| f.error), Some(message));
    assert!(stopped.recent.is_empty() && stopped.through < now());
    assert_eq!(api.0.requests.lock().expect("requests").len(), 1, "a permanent error is not retried");
}

#[tokio::test]
async fn the_time_budget_stops_between_windows_with_finished_ones_saved() {
    let (_dir, store) = fresh_store();
    let api = SlackApi::default();
    api.0.add(slack_entries());
    // Every request waits a minute (2 requests a minute allowed, one taken by each window's page)...
    let server = slack_server(&api).await;
    let clock = ManualClock::new(now());
    let policy = RetryPolicy { requests_per_minute: 1, ..RetryPolicy::default() };
    let http = HttpClient::with_time(policy, Arc::new(clock.clone()), Arc::new(clock.clone())).expect("client");
    let client = SlackClient::new(http, &server.uri(), Secret::new(SLACK_TOKEN), 100);
    let budget = CollectSettings { time_budget: Duration::from_secs(5 * 60 + 30), ..settings() };
    let queue = InProcessQueue::new();

    // ...so a 5½-minute budget reads six of the 28 back-fill windows.
    let report = collect_once(&budget, &client, &store, &queue, &|_| {}).await.expect("run");
    assert!(report.out_of_time && report.error.is_none(), "{report:?}");
    assert_eq!(report.windows_done, 6, "{report:?}");
    let saved = checkpoint(&store, "slack").await.expect("progress saved");
    assert_eq!(saved.through, now() - chrono::Duration::days(7) + chrono::Duration::hours(36));
}

/// The checkpoint store of a collector that dies right after handing a window downstream.
struct CrashBeforeSave<'a>(&'a SqliteStore);

impl Checkpoints for CrashBeforeSave<'_> {
    async fn load(&self, tenant: &str, stream: &str) -> Result<Versioned<Option<Checkpoint>>, StoreError> {
        Checkpoints::load(self.0, tenant, stream).await
    }

    async fn save(&self, _: &str, _: &str, _: &Checkpoint, _: u64) -> Result<(), StoreError> {
        Err(StoreError::Invalid("the process died before saving the checkpoint".into()))
    }
}

#[tokio::test]
async fn a_crash_between_sending_and_saving_the_checkpoint_loses_nothing_and_duplicates_nothing() {
    let (_dir, store) = fresh_store();
    let api = SlackApi::default();
    api.0.add(slack_entries());
    let server = slack_server(&api).await;
    let clock = ManualClock::new(now());
    let start = seed(&store, "slack").await;

    let (crashed, detected) = collect_and_detect(&slack(&server, &clock, 10), &CrashBeforeSave(&store), &store).await;
    assert!(crashed.is_err(), "the run died");
    assert_eq!(detected.new_activities, 25, "the batches sent before the crash were processed");
    assert_eq!(checkpoint(&store, "slack").await, Some(start.clone()), "checkpoint not moved");

    let (rerun, detected) = collect_and_detect(&slack(&server, &clock, 10), &store, &store).await;
    let rerun = rerun.expect("rerun");
    assert_eq!(rerun.activities_sent, 25, "the window is sent again");
    assert_eq!((detected.new_activities, detected.redelivered), (0, 25), "downstream keeps each once");
    assert_eq!(stored_ids(&store).await.len(), 25);
    assert!(checkpoint(&store, "slack").await.is_some_and(|c| c.through == minutes_ago(2)));
}

fn zendesk_users() -> Vec<serde_json::Value> {
    vec![
        serde_json::json!({"id": 1001, "name": "Carol Mbeki", "email": "Carol@Acme.example", "role": "admin", "suspended": false}),
        serde_json::json!({"id": 1002, "name": "Dan Ode", "email": "dan@acme.example", "role": "agent", "suspended": false}),
    ]
}

#[tokio::test]
async fn zendesk_pages_oldest_first_resolves_actors_to_emails_and_a_second_run_adds_only_new_entries() {
    let (_dir, store) = fresh_store();
    let api = ZendeskApi::default();
    api.users.lock().expect("users").extend(zendesk_users());
    // Three actors: two known users and a system actor Zendesk does not resolve.
    api.api.add((0..12).map(|i| zendesk_entry(5000 + i, minutes_ago(50 - i), [1001, 1002, -1][i as usize % 3])));
    let server = zendesk_server(&api).await;
    let clock = ManualClock::new(now());
    let client = zendesk(&server, &clock, 5);

    let (report, detected) = collect_and_detect(&client, &store, &store).await;
    let report = report.expect("run");
    assert!(report.error.is_none(), "{:?}", report.error);
    // 27 empty six-hour back-fill windows, one page each, then the last window's three pages.
    assert_eq!((report.pages, report.activities_sent, detected.new_activities), (30, 12, 12));
    let carol = store
        .search(&ActivityQuery { user: Some("carol@acme.example".into()), limit: 100, ..Default::default() })
        .await
        .expect("search");
    assert_eq!(carol.len(), 4, "Zendesk actor 1001 is carol by email");
    assert_eq!(stored_ids(&store).await.len(), 12, "the unresolved system actor's activity is kept");
    let lookups = api.user_lookups.lock().expect("lookups").clone();
    assert_eq!(lookups, ["-1,1001,1002"], "one batched show_many for the window's actors");
    let saved = checkpoint(&store, "zendesk").await.expect("checkpoint");
    assert_eq!(saved.last_id.as_deref(), Some("zendesk:5011"));

    clock.set(now() + chrono::Duration::minutes(10));
    api.api.add([zendesk_entry(6000, now() + chrono::Duration::minutes(3), 1002)]);
    let (report, detected) = collect_and_detect(&client, &store, &store).await;
    let report = report.expect("second run");
    assert_eq!((report.activities_sent, detected.new_activities), (1, 1), "{report:?}");
    assert_eq!(api.user_lookups.lock().expect("lookups").len(), 1, "actors are cached between runs");
}

#[tokio::test]
async fn zendesk_rate_limits_invalid_cursors_and_truncated_pages_are_survived() {
    let (_dir, store) = fresh_store();
    let api = ZendeskApi::default();
    api.users.lock().expect("users").extend(zendesk_users());
    api.api.add((0..12).map(|i| zendesk_entry(7000 + i, minutes_ago(40 - i), 1001)));
    api.api.fail(When::Any, Fault::RateLimited { retry_after: "7" });
    api.api.fail(When::WithCursor, Fault::InvalidCursor);
    api.api.fail(When::WithCursor, Fault::Truncated);
    let server = zendesk_server(&api).await;
    let clock = ManualClock::new(now());
    let client = zendesk(&server, &clock, 5);
    seed(&store, "zendesk").await;

    let (first, detected) = collect_and_detect(&client, &store, &store).await;
    let first = first.expect("run");
    assert_eq!(first.cursor_restarts, 1);
    assert!(matches!(first.error, Some(SourceError::Http(HttpError::Malformed { .. }))), "{:?}", first.error);
    assert_eq!(detected.new_activities, 0, "a window is handed downstream only once it is complete");
    assert_eq!(progress(&store, "zendesk").await, Some(start()), "checkpoint unchanged but for the error");
    assert_eq!(clock.waits()[0], Duration::from_secs(7));

    let (second, detected) = collect_and_detect(&client, &store, &store).await;
    assert!(second.expect("rerun").error.is_none());
    assert_eq!(detected.new_activities, 12);
}

#[tokio::test]
async fn zendesk_credentials_refused_is_permanent_and_names_what_to_check() {
    let (_dir, store) = fresh_store();
    let api = ZendeskApi::default();
    let server = zendesk_server(&api).await;
    let clock = ManualClock::new(now());
    let auth = ZendeskAuth::ApiToken { email: ZENDESK_EMAIL.into(), token: Secret::new("zd-wrong-secret") };
    let client = ZendeskClient::new(http(&clock), &server.uri(), auth, 100, Duration::from_secs(60));
    let (report, _) = collect_and_detect(&client, &store, &store).await;
    let error = report.expect("run").error.expect("stopped");
    let message = error.to_string();
    assert!(!error.is_transient() && message.contains("API token"), "{message}");
    assert!(!message.contains("wrong-secret"), "{message}");
    assert_nothing_read_but_the_error(&store, "zendesk").await;
}

#[test]
fn collect_once_is_send_so_a_lambda_can_run_it_on_a_multi_threaded_runtime() {
    fn is_send<T: Send>(_: &T) {}
    let (_dir, store) = fresh_store();
    let clock = ManualClock::new(now());
    let slack = SlackClient::new(http(&clock), "http://127.0.0.1:9", Secret::new(SLACK_TOKEN), 10);
    let zendesk = ZendeskClient::new(
        http(&clock),
        "http://127.0.0.1:9",
        ZendeskAuth::OAuth(Secret::new(ZENDESK_TOKEN)),
        100,
        Duration::from_secs(60),
    );
    let queue = InProcessQueue::new();
    let settings = settings();
    // Never polled: this test is about the futures' type, which the compiler checks.
    is_send(&collect_once(&settings, &slack, &store, &queue, &|_| {}));
    is_send(&collect_once(&settings, &zendesk, &store, &queue, &|_| {}));
}

/// `count` Zendesk entries by carol, a minute apart from 40 minutes ago, after a seeded checkpoint, and a
/// client allowed one request a minute with pages of five: a run's time goes in whole minutes.
async fn zendesk_one_request_a_minute(count: i64, store: &SqliteStore) -> (MockServer, ManualClock, ZendeskClient) {
    let api = ZendeskApi::default();
    api.users.lock().expect("users").extend(zendesk_users());
    api.api.add((0..count).map(|i| zendesk_entry(8000 + i, minutes_ago(40 - i), 1001)));
    let server = zendesk_server(&api).await;
    let clock = ManualClock::new(now());
    let policy = RetryPolicy { requests_per_minute: 1, ..RetryPolicy::default() };
    let http = HttpClient::with_time(policy, Arc::new(clock.clone()), Arc::new(clock.clone())).expect("client");
    let auth = ZendeskAuth::ApiToken { email: ZENDESK_EMAIL.into(), token: Secret::new(ZENDESK_TOKEN) };
    let client = ZendeskClient::new(http, &server.uri(), auth, 5, Duration::from_secs(86_400));
    seed(store, "zendesk").await;
    (server, clock, client)
}

#[tokio::test]
async fn zendesk_saves_the_oldest_first_prefix_it_read_when_the_time_budget_runs_out() {
    let (_dir, store) = fresh_store();
    let (_server, _clock, client) = zendesk_one_request_a_minute(12, &store).await;
    // A 90-second budget: pages 1 and 2 are read, page 3 would start too late.
    let budget = CollectSettings { time_budget: Duration::from_secs(90), ..settings() };

    let queue = InProcessQueue::new();
    let report = collect_once(&budget, &client, &store, &queue, &|_| {}).await.expect("run");
    assert!(report.out_of_time && report.error.is_none(), "{report:?}");
    assert_eq!(report.activities_sent, 10, "{report:?}");
    let saved = checkpoint(&store, "zendesk").await.expect("checkpoint");
    assert_eq!(saved.through, minutes_ago(31), "the tenth entry's time");
    assert_eq!(saved.last_id.as_deref(), Some("zendesk:8009"));
    assert_eq!(drain(&queue, &store).await.new_activities, 10);

    // The next run re-reads from the overlap before it and sends only the last two.
    let (report, detected) = collect_and_detect(&client, &store, &store).await;
    assert_eq!((report.expect("rerun").activities_sent, detected.new_activities), (2, 2));
    assert_eq!(stored_ids(&store).await.len(), 12);
}

#[tokio::test]
async fn a_zendesk_window_read_just_before_the_deadline_still_looks_up_its_users_and_is_saved() {
    let (_dir, store) = fresh_store();
    let (_server, clock, client) = zendesk_one_request_a_minute(8, &store).await;
    // A 61-second budget: both pages are read (the second at 60 s), and the users lookup, due at 120 s,
    // runs in the grace the hand-over gets.
    let budget = CollectSettings { time_budget: Duration::from_secs(61), ..settings() };

    let queue = InProcessQueue::new();
    let report = collect_once(&budget, &client, &store, &queue, &|_| {}).await.expect("run");
    assert!(!report.out_of_time && report.error.is_none(), "{report:?}");
    assert_eq!((report.pages, report.activities_sent, report.windows_done), (2, 8, 1), "{report:?}");
    let waited: Duration = clock.waits().iter().sum();
    assert_eq!(waited, Duration::from_secs(120), "the lookup waited for its request slot, past the budget");
    let saved = checkpoint(&store, "zendesk").await.expect("checkpoint");
    assert_eq!(saved.through, now() - chrono::Duration::minutes(2), "the whole window, to now − delay");
    assert_eq!(drain(&queue, &store).await.new_activities, 8);
}

/// Seven access-log entries over the last 45 minutes, alternating carol (1001) and dan (1002), the last
/// two in one second.
fn access_entries() -> Vec<serde_json::Value> {
    (0..7)
        .map(|i| {
            let at = minutes_ago(45 - i.min(5) * 5);
            zendesk_access_entry(&format!("01JACCESS{i:017}"), at, [1001, 1002][i as usize % 2], "81.2.69.142")
        })
        .collect()
}

#[tokio::test]
async fn zendesk_access_logs_are_a_stream_of_their_own_joined_to_users_by_email() {
    let (_dir, store) = fresh_store();
    let api = ZendeskApi::default();
    api.users.lock().expect("users").extend(zendesk_users());
    api.api.add((0..3).map(|i| zendesk_entry(9000 + i, minutes_ago(50 - i), 1001)));
    api.access.add(access_entries());
    let server = zendesk_server(&api).await;
    let clock = ManualClock::new(now());
    let audit = zendesk(&server, &clock, 100);
    let access = audit.access_logs(http(&clock), 3);
    assert_eq!((audit.stream(), access.stream()), ("zendesk", "zendesk_access"));
    seed(&store, "zendesk").await;
    seed(&store, "zendesk_access").await;

    let (report, detected) = collect_and_detect(&audit, &store, &store).await;
    assert_eq!((report.expect("audit run").activities_sent, detected.new_activities), (3, 3));
    let (report, detected) = collect_and_detect(&access, &store, &store).await;
    let report = report.expect("access run");
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!((report.stream.as_str(), report.pages, report.activities_sent), ("zendesk_access", 3, 7));
    assert_eq!(detected.new_activities, 7);

    let first_request = api.access.requests.lock().expect("requests")[0].clone();
    for part in
        ["/api/v2/access_logs?", "filter%5Bstart%5D=2026-11-20T10%3A20%3A00Z", "filter%5Bend%5D=", "page%5Bsize%5D=3"]
    {
        assert!(first_request.contains(part), "{part} in {first_request}");
    }
    let carol = store
        .search(&ActivityQuery { user: Some("carol@acme.example".into()), limit: 100, ..Default::default() })
        .await
        .expect("search");
    let access_ids: Vec<&str> =
        carol.iter().map(|a| a.id.as_str()).filter(|id| id.starts_with("zendesk:access:")).collect();
    assert_eq!((carol.len(), access_ids.len()), (7, 4), "user_id 1001 is carol, like actor_id 1001");
    assert_eq!(
        *api.user_lookups.lock().expect("lookups"),
        ["1001", "1002"],
        "the access log asks only for the user the audit log's lookup did not cache"
    );
    let audit_checkpoint = checkpoint(&store, "zendesk").await.expect("audit checkpoint");
    let access_checkpoint = checkpoint(&store, "zendesk_access").await.expect("access checkpoint");
    assert_eq!(audit_checkpoint.last_id.as_deref(), Some("zendesk:9002"));
    assert_eq!(access_checkpoint.last_id.as_deref(), Some("zendesk:access:01JACCESS00000000000000006"));

    clock.set(now() + chrono::Duration::minutes(10));
    api.access.add([zendesk_access_entry("01JACCESSLATE", now() + chrono::Duration::minutes(3), 1002, "81.2.69.142")]);
    let (report, detected) = collect_and_detect(&access, &store, &store).await;
    let report = report.expect("second access run");
    assert_eq!((report.activities_sent, detected.new_activities), (1, 1), "{report:?}");
}

#[tokio::test]
async fn zendesk_access_logs_wait_for_ratelimit_reset_and_a_truncated_page_fails_safe() {
    let (_dir, store) = fresh_store();
    let api = ZendeskApi::default();
    api.users.lock().expect("users").extend(zendesk_users());
    api.access.add(access_entries());
    let reset = (now() + chrono::Duration::seconds(45)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    api.access.fail(When::Any, Fault::RateLimitedUntil(reset));
    api.access.fail(When::WithCursor, Fault::Truncated);
    let server = zendesk_server(&api).await;
    let clock = ManualClock::new(now());
    let access = zendesk(&server, &clock, 100).access_logs(http(&clock), 3);
    seed(&store, "zendesk_access").await;

    let (first, detected) = collect_and_detect(&access, &store, &store).await;
    let first = first.expect("run");
    assert_eq!(clock.waits().first(), Some(&Duration::from_secs(45)), "waited until ratelimit-reset, not slept");
    assert_eq!(first.http.rate_limited, 1);
    assert!(matches!(first.error, Some(SourceError::Http(HttpError::Malformed { .. }))), "{:?}", first.error);
    assert_eq!(detected.new_activities, 0);
    assert_eq!(progress(&store, "zendesk_access").await, Some(start()), "checkpoint unchanged but for the error");

    let (second, detected) = collect_and_detect(&access, &store, &store).await;
    assert!(second.expect("rerun").error.is_none());
    assert_eq!(detected.new_activities, 7);
}

#[tokio::test]
async fn zendesk_access_logs_without_the_add_on_stop_that_stream_only() {
    let (_dir, store) = fresh_store();
    let api = ZendeskApi::default();
    api.users.lock().expect("users").extend(zendesk_users());
    api.api.add((0..2).map(|i| zendesk_entry(9100 + i, minutes_ago(20 - i), 1002)));
    api.access.fail(When::Any, Fault::Forbidden);
    let server = zendesk_server(&api).await;
    let clock = ManualClock::new(now());
    let audit = zendesk(&server, &clock, 100);
    let access = audit.access_logs(http(&clock), 1000);

    let (report, _) = collect_and_detect(&access, &store, &store).await;
    let error = report.expect("run").error.expect("stopped");
    assert!(!error.is_transient(), "{error}");
    assert!(error.to_string().contains("Advanced Data Privacy and Protection add-on"), "{error}");
    assert_nothing_read_but_the_error(&store, "zendesk_access").await;
    let (report, detected) = collect_and_detect(&audit, &store, &store).await;
    assert!(report.expect("audit run").error.is_none());
    assert_eq!(detected.new_activities, 2, "the audit log is collected whatever happens to the access log");
}

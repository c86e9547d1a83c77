//! Peak memory of collecting one large window: 200,000 Slack-shaped entries (about 700 bytes each, the
//! size of a real sign-in entry) in pages of 1,000, read by `collect_once` from a generated audit-log
//! source, normalized and sent to a queue that counts and drops, with the checkpoint in SQLite. The peak
//! resident set (`VmHWM`) must stay far below the collector Lambda's 256 MB: the window waits in a spool
//! (memory, then a temporary file) and is handed downstream 5,000 entries at a time.
//!
//! Run: `cargo bench -p saaswarden-tests --bench collect_memory` (Linux: reads `/proc/self/status`).
//! `SAASWARDEN_BENCH_ENTRIES` sets the window's size. Results go in docs/benchmarks.md ("Collector memory").

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, Utc};
use saaswarden_app::{CollectSettings, collect_once};
use saaswarden_connectors::feed::Feed;
use saaswarden_connectors::http::{HttpClient, RetryPolicy};
use saaswarden_connectors::input::RawEntry;
use saaswarden_connectors::source::{Order, Page};
use saaswarden_connectors::zendesk::ZendeskUsers;
use saaswarden_connectors::{AuditSource, SourceError};
use saaswarden_core::checkpoint::{Window, WindowPolicy};
use saaswarden_store::{ActivityBatch, ActivityQueue, StoreError};
use serde_json::json;

const PAGE: usize = 1_000;

/// A Slack audit log of `total` entries spread over whichever window is asked, oldest first by index.
struct Generated {
    http: HttpClient,
    total: usize,
}

impl AuditSource for Generated {
    fn feed(&self) -> Feed {
        Feed::SlackAudit
    }

    fn order(&self) -> Order {
        Order::NewestFirst
    }

    fn http(&self) -> &HttpClient {
        &self.http
    }

    async fn page(&self, window: Window, cursor: Option<&str>) -> Result<Page, SourceError> {
        let from: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let to = (from + PAGE).min(self.total);
        let span = (window.end - window.start).num_seconds().max(1);
        let entries = (from..to)
            .map(|i| {
                let offset = i64::try_from(i).unwrap_or(0) * span / i64::try_from(self.total).unwrap_or(1);
                RawEntry {
                    location: format!("generated: entries[{i}]"),
                    value: entry(i, window.start + Duration::seconds(offset)),
                }
            })
            .collect();
        Ok(Page { entries, next_cursor: (to < self.total).then(|| to.to_string()) })
    }

    async fn prepare(&self, _entries: &[RawEntry]) -> Result<ZendeskUsers, SourceError> {
        Ok(ZendeskUsers::default())
    }
}

fn entry(i: usize, at: DateTime<Utc>) -> serde_json::Value {
    let email = format!("user-{}@acme.example", i % 5_000);
    json!({
        "id": format!("{:08x}-{:04x}-4a5b-8c9d-{:012x}", i, i % 65_536, i * 7_919),
        "date_create": at.timestamp(),
        "action": "file_downloaded",
        "actor": {"type": "user", "user": {"id": format!("W{:09}", i % 5_000), "name": email, "email": email, "team": "T0ACMEENG1"}},
        "entity": {"type": "file", "file": {"id": format!("F{i:010}"), "name": "Quarterly forecast.xlsx", "filetype": "xlsx", "title": "Quarterly forecast"}},
        "context": {
            "location": {"type": "enterprise", "id": "E0ACME0001", "name": "Acme Corp", "domain": "acme-corp"},
            "ua": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko)",
            "session_id": "847288190092",
            "ip_address": "81.2.69.142"
        },
        "details": {}
    })
}

/// Counts what it is sent and keeps nothing.
#[derive(Default)]
struct CountingQueue {
    activities: AtomicUsize,
}

impl ActivityQueue for CountingQueue {
    async fn send(&self, batches: Vec<ActivityBatch>) -> Result<(), StoreError> {
        let sent: usize = batches.iter().map(|b| b.activities.len()).sum();
        self.activities.fetch_add(sent, Ordering::Relaxed);
        Ok(())
    }
}

/// The process's peak resident set so far, in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(f64::NAN);
    kb / 1024.0
}

fn main() {
    let total: usize = std::env::var("SAASWARDEN_BENCH_ENTRIES").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => panic!("cannot start a Tokio runtime: {e}"),
    };
    let before = peak_mb();
    let (sent, report) = runtime.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = saaswarden_store::SqliteStore::open(&dir.path().join("c.db")).expect("store");
        let http = HttpClient::new(RetryPolicy::default()).expect("HTTP client");
        let source = Generated { http, total };
        let queue = CountingQueue::default();
        // One six-hour window, as the collector's default `window` reads.
        let settings = CollectSettings {
            tenant: "acme".into(),
            windows: WindowPolicy {
                backfill: Duration::hours(6),
                overlap: Duration::minutes(2),
                delay: Duration::zero(),
                max_window: Duration::hours(6),
            },
            time_budget: std::time::Duration::from_secs(3_600),
        };
        let report = collect_once(&settings, &source, &store, &queue, &|_| {}).await.expect("collect");
        (queue.activities.load(Ordering::Relaxed), report)
    });
    let peak = peak_mb();
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(sent, total, "every entry of the window was sent");
    println!(
        "collected one window of {total} entries ({} pages, {} windows): peak resident set {peak:.0} MB \
         (before the run {before:.0} MB)",
        report.pages, report.windows_done
    );
}

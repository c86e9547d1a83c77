//! Collect once: read one audit-log stream from its checkpoint up to now, hand the new activities to the
//! queue, and move the checkpoint — in the cloud (collector Lambda) and locally (`saaswarden collect`).
//!
//! The order of effects is what makes a crash harmless: a window's activities are sent downstream
//! *before* its checkpoint is saved. A crash in between re-sends them on the next run, and detection is
//! idempotent by activity id, so nothing is lost and nothing is counted twice. The checkpoint keeps the
//! ids handed in the last `overlap`, so the next run's re-read of that overlap sends nothing twice.
//!
//! Memory stays bounded whatever a window holds: its pages wait in a spool (in memory, then a temporary
//! file) and are normalized and sent a chunk of 5,000 entries at a time (`crate::spool`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use saaswarden_connectors::http::{HttpError, HttpStats};
use saaswarden_connectors::input::{RawEntry, Rejected};
use saaswarden_connectors::{AuditSource, Order, SourceError};
use saaswarden_core::Activity;
use saaswarden_core::checkpoint::{
    Checkpoint, MAX_RECENT_IDS, Seen, StreamFailure, Window, WindowPolicy, plan_windows,
};
use saaswarden_core::config::SourceSettings;
use saaswarden_store::{ActivityQueue, Checkpoints, StoreError};

use crate::ingest::{Ingested, into_batches, normalize_entries};
use crate::spool::Spool;

/// Extra time, past the budget, to hand downstream what an oldest-first window read before the budget ran
/// out (its actors' user lookups): without it that work would be read again next run. The collector Lambda
/// keeps twice this out of its budget (`saaswarden_lambda::collector::RESERVE`).
pub const HAND_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// How often one run re-reads a window whose cursor the API rejected, before giving up until next run.
const CURSOR_RESTARTS: u32 = 3;

/// What one run of one stream does.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectSettings {
    pub tenant: String,
    pub windows: WindowPolicy,
    /// Wall-clock time one run may take; windows not finished by then are read next run.
    pub time_budget: std::time::Duration,
}

impl CollectSettings {
    /// The settings of a `[[sources]]` entry; `default_tenant` is the configuration's `tenant`.
    pub fn from_source(source: &SourceSettings, default_tenant: &str) -> CollectSettings {
        let duration = |d: std::time::Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        CollectSettings {
            tenant: source.tenant_or(default_tenant).to_string(),
            windows: WindowPolicy {
                backfill: duration(source.backfill),
                overlap: duration(source.overlap),
                delay: duration(source.delay),
                max_window: duration(source.window),
            },
            time_budget: source.time_budget,
        }
    }
}

/// The time budget of the next stream of a source whose streams share `total`: what is left after
/// `elapsed`, split evenly among the `streams_left` streams still to run (the next one included). A stream
/// that finishes early leaves its unused share to the ones after it, and a long back-fill of one stream
/// cannot starve another (Zendesk's access log is kept only 90 days).
pub fn stream_budget(
    total: std::time::Duration,
    elapsed: std::time::Duration,
    streams_left: usize,
) -> std::time::Duration {
    let divisor = u32::try_from(streams_left.max(1)).unwrap_or(u32::MAX);
    total.saturating_sub(elapsed) / divisor
}

/// What one run did. `error` set means the stream stopped early; everything before it was kept.
#[derive(Debug, Clone, Default)]
pub struct CollectReport {
    pub tenant: String,
    pub stream: String,
    /// Windows planned this run, and how many were finished and checkpointed.
    pub windows_planned: usize,
    pub windows_done: usize,
    pub pages: usize,
    /// Entries the API returned (duplicates included).
    pub entries: usize,
    /// Entries already handed downstream (overlap with the last run, repeated across pages): skipped.
    pub duplicates: usize,
    /// Activities sent downstream, and in how many per-user batches.
    pub activities_sent: usize,
    pub batches_sent: usize,
    /// Entries that did not normalize, each with its page, position and id.
    pub rejected: Vec<Rejected>,
    /// Activities too large for the queue, sent with their raw entry replaced by a marker (by id).
    pub trimmed: Vec<String>,
    /// Activities too large for the queue even without their raw entry: not sent, logged by id. The
    /// checkpoint still moves past them, so they never stop the stream.
    pub set_aside: Vec<String>,
    /// Windows re-read from their start because the API rejected the cursor.
    pub cursor_restarts: u32,
    /// The run stopped at its time budget; the rest is read next run.
    pub out_of_time: bool,
    /// Why the stream stopped early, if it did. The checkpoint stays at the last finished window.
    pub error: Option<SourceError>,
    /// The checkpoint at the end of the run.
    pub checkpoint: Option<DateTime<Utc>>,
    /// The HTTP client's counters (requests, retries, rate-limit waits).
    pub http: HttpStats,
}

/// Why a run failed in a way the stream's own errors do not cover: the checkpoint store or the queue.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("collecting {tenant}/{stream}: {source}")]
    Store { tenant: String, stream: String, source: StoreError },
    #[error("collecting {tenant}/{stream}: the window's temporary file: {source}")]
    Spool { tenant: String, stream: String, source: std::io::Error },
}

/// Reads `source` from its checkpoint to now, window by window (oldest first), sending each finished
/// window's new activities to `queue` and then saving the checkpoint. `progress` is called after every
/// page (the CLI prints it for long back-fills).
pub async fn collect_once<S, C, Q>(
    settings: &CollectSettings,
    source: &S,
    checkpoints: &C,
    queue: &Q,
    progress: &(dyn Fn(&CollectReport) + Send + Sync),
) -> Result<CollectReport, CollectError>
where
    S: AuditSource,
    C: Checkpoints + Sync,
    Q: ActivityQueue + Sync,
{
    let tenant = settings.tenant.as_str();
    let stream = source.stream().to_string();
    let store_error = |source| CollectError::Store { tenant: tenant.to_string(), stream: stream.clone(), source };
    let spool_error = |source| CollectError::Spool { tenant: tenant.to_string(), stream: stream.clone(), source };
    let mut report = CollectReport { tenant: tenant.to_string(), stream: stream.clone(), ..CollectReport::default() };

    let started = source.http().now();
    let after = |at: DateTime<Utc>, wait: std::time::Duration| {
        chrono::Duration::from_std(wait)
            .ok()
            .and_then(|wait| at.checked_add_signed(wait))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    };
    let deadline = after(started, settings.time_budget);
    source.http().set_deadline(Some(deadline));
    let hand_deadline = after(deadline, HAND_GRACE);

    let loaded = checkpoints.load(tenant, &stream).await.map_err(store_error)?;
    let mut version = loaded.version;
    let mut checkpoint = loaded.value;
    report.checkpoint = checkpoint.as_ref().map(|c| c.through);
    let windows = plan_windows(checkpoint.as_ref(), started, &settings.windows);
    report.windows_planned = windows.len();
    let first_window_start = windows.first().map(|w| w.start);
    // Ids handed this run: windows share their boundary second, and pages may repeat entries.
    let mut sent_this_run = HashSet::new();

    for window in windows {
        let (spool, stop) = read_window(source, window, deadline, &mut report, progress).await.map_err(spool_error)?;
        let through = match &stop {
            None => Some(window.end),
            // Oldest first, what was read is a complete prefix: keep it rather than read it again.
            Some(Stop::OutOfTime) if source.order() == Order::OldestFirst => None,
            Some(_) => {
                record_stop(&mut report, stop);
                break;
            }
        };
        // Handing a window over may need a user lookup or two (Zendesk), also when its last page came in
        // just before the deadline or the budget cut it short: allow them, then restore the deadline.
        source.http().set_deadline(Some(hand_deadline));
        let mut handed = Handed::new(settings.windows.overlap);
        let mut failed = None;
        for chunk in spool.into_chunks().map_err(spool_error)? {
            let chunk = chunk.map_err(spool_error)?;
            let mut hand = Hand { source, tenant, queue, checkpoint: checkpoint.as_ref(), sent: &mut sent_this_run };
            match hand.hand(chunk, &mut report).await {
                Ok(seen) => handed.extend(seen),
                Err(error) => {
                    failed = Some(error);
                    break;
                }
            }
        }
        source.http().set_deadline(Some(deadline));
        match failed {
            None => {}
            Some(HandError::Source(SourceError::Http(HttpError::OutOfTime { .. }))) => {
                record_stop(&mut report, Some(Stop::OutOfTime));
                break;
            }
            Some(HandError::Source(error)) => {
                record_stop(&mut report, Some(Stop::Error(error)));
                break;
            }
            Some(HandError::Store(error)) => return Err(store_error(error)),
        }
        let through = through.or(handed.newest);
        if let Some(through) = through {
            let next = Checkpoint::advance(checkpoint.as_ref(), through, &handed.seen, settings.windows.overlap);
            checkpoints.save(tenant, &stream, &next, version).await.map_err(store_error)?;
            version += 1;
            report.checkpoint = Some(next.through);
            checkpoint = Some(next);
        }
        if stop.is_some() {
            record_stop(&mut report, stop);
            break;
        }
        report.windows_done += 1;
    }
    source.http().set_deadline(None);
    report.http = source.http().stats();
    // The error stays on the checkpoint until a run succeeds, for the sources page; where the run got to
    // is unchanged. Not being able to record it does not hide the run's own error.
    if let (Some(error), Some(start)) = (&report.error, first_window_start) {
        let failure = StreamFailure { at: started, error: error.to_string() };
        let failed = Checkpoint::failed(checkpoint.as_ref(), start, failure);
        if let Err(e) = checkpoints.save(tenant, &stream, &failed, version).await {
            tracing::warn!(tenant, stream = %stream, error = %e, "recording the run's error on the checkpoint");
        }
    }
    Ok(report)
}

enum Stop {
    OutOfTime,
    Error(SourceError),
}

fn record_stop(report: &mut CollectReport, stop: Option<Stop>) {
    match stop {
        Some(Stop::OutOfTime) => report.out_of_time = true,
        Some(Stop::Error(error)) => report.error = Some(error),
        None => {}
    }
}

/// Reads every page of one window into a spool; on an error, what was read so far and why it stopped.
async fn read_window<S: AuditSource>(
    source: &S,
    window: Window,
    deadline: DateTime<Utc>,
    report: &mut CollectReport,
    progress: &(dyn Fn(&CollectReport) + Send + Sync),
) -> std::io::Result<(Spool, Option<Stop>)> {
    let mut entries = Spool::default();
    let mut cursor: Option<String> = None;
    let mut restarts = 0;
    loop {
        if source.http().now() >= deadline {
            return Ok((entries, Some(Stop::OutOfTime)));
        }
        match source.page(window, cursor.as_deref()).await {
            Ok(page) => {
                report.pages += 1;
                report.entries += page.entries.len();
                entries.push(page.entries)?;
                report.http = source.http().stats();
                progress(report);
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => return Ok((entries, None)),
                }
            }
            Err(SourceError::InvalidCursor { .. }) if restarts < CURSOR_RESTARTS => {
                // The whole window again: a cursor cannot be repaired, and a partial window is never saved.
                tracing::warn!(stream = source.stream(), start = %window.start, "paging cursor rejected; re-reading the window");
                restarts += 1;
                report.cursor_restarts += 1;
                report.entries -= entries.len();
                entries.clear()?;
                cursor = None;
            }
            Err(SourceError::Http(HttpError::OutOfTime { .. })) => return Ok((entries, Some(Stop::OutOfTime))),
            Err(error) => return Ok((entries, Some(Stop::Error(error)))),
        }
    }
}

/// The activities a window handed downstream, as far as its checkpoint needs them: the newest time, and
/// the ids near it (the next run re-reads the overlap before the checkpoint). Older ones are dropped as
/// the window goes, so a large window does not hold every id.
struct Handed {
    seen: Vec<Seen>,
    newest: Option<DateTime<Utc>>,
    overlap: chrono::Duration,
}

impl Handed {
    fn new(overlap: chrono::Duration) -> Handed {
        Handed { seen: Vec::new(), newest: None, overlap }
    }

    fn extend(&mut self, seen: Vec<Seen>) {
        self.newest = seen.iter().map(|s| s.at).max().max(self.newest);
        self.seen.extend(seen);
        if self.seen.len() > 2 * MAX_RECENT_IDS
            && let Some(newest) = self.newest
        {
            // The checkpoint keeps ids from a whole second before `through - overlap`, and `through` is at
            // least the newest: anything older than that, less a second, is never kept.
            let keep_from = newest - self.overlap - chrono::Duration::seconds(1);
            self.seen.retain(|s| s.at >= keep_from);
        }
    }
}

enum HandError {
    Source(SourceError),
    Store(StoreError),
}

/// Hands one window's entries downstream.
struct Hand<'a, S, Q> {
    source: &'a S,
    tenant: &'a str,
    queue: &'a Q,
    checkpoint: Option<&'a Checkpoint>,
    sent: &'a mut HashSet<String>,
}

impl<S: AuditSource, Q: ActivityQueue + Sync> Hand<'_, S, Q> {
    /// Normalizes, drops what earlier runs or pages already sent, and sends the rest in per-user batches.
    /// Returns the activities sent (id and time), for the checkpoint.
    async fn hand(&mut self, entries: Vec<RawEntry>, report: &mut CollectReport) -> Result<Vec<Seen>, HandError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let users = self.source.prepare(&entries).await.map_err(HandError::Source)?;
        let mut ingested = Ingested::default();
        normalize_entries(self.source.feed(), entries, self.tenant, &users, &mut ingested, self.sent);
        let before = ingested.activities.len();
        if let Some(checkpoint) = self.checkpoint {
            let recent: HashSet<&str> = checkpoint.recent.iter().map(|seen| seen.id.as_str()).collect();
            ingested.activities.retain(|activity| !recent.contains(activity.id.as_str()));
        }
        report.duplicates += ingested.duplicates + (before - ingested.activities.len());
        for rejected in &ingested.rejected {
            tracing::warn!(stream = self.source.stream(), %rejected, "entry rejected");
        }
        report.rejected.extend(ingested.rejected);
        let handed: Vec<Seen> =
            ingested.activities.iter().map(|a| Seen { id: a.id.clone(), at: a.occurred_at }).collect();
        let activities = fit_queue(ingested.activities, self.queue.max_activity_bytes(), self.source.stream(), report);
        let activities_sent = activities.len();
        let batches = into_batches(activities);
        report.activities_sent += activities_sent;
        report.batches_sent += batches.len();
        if !batches.is_empty() {
            self.queue.send(batches).await.map_err(HandError::Store)?;
        }
        Ok(handed)
    }
}

/// The activities with every one the queue cannot carry trimmed to its normalized fields (its raw entry
/// replaced by a marker) or, when even that is too large, set aside; both are counted in the report and
/// logged by id. An entry that cannot go on the queue as it is must not stop its stream for good.
fn fit_queue(activities: Vec<Activity>, max_bytes: usize, stream: &str, report: &mut CollectReport) -> Vec<Activity> {
    let mut fitting = Vec::with_capacity(activities.len());
    for activity in activities {
        let bytes = activity.json_bytes();
        if bytes <= max_bytes {
            fitting.push(activity);
            continue;
        }
        let trimmed = activity.without_raw("raw entry too large for the activities queue");
        if trimmed.json_bytes() <= max_bytes {
            tracing::warn!(stream, activity = %activity.id, bytes, "raw entry too large for the queue; sent without it");
            report.trimmed.push(activity.id);
            fitting.push(trimmed);
        } else {
            tracing::error!(stream, activity = %activity.id, bytes, "activity too large for the queue; set aside");
            report.set_aside.push(activity.id);
        }
    }
    fitting
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::stream_budget;

    #[test]
    fn streams_of_a_source_split_what_is_left_of_its_budget() {
        let total = Duration::from_secs(600);
        assert_eq!(stream_budget(total, Duration::ZERO, 2), Duration::from_secs(300));
        // The first stream finished in 100 s: the second gets everything left.
        assert_eq!(stream_budget(total, Duration::from_secs(100), 1), Duration::from_secs(500));
        assert_eq!(stream_budget(total, Duration::from_secs(700), 1), Duration::ZERO);
        assert_eq!(stream_budget(total, Duration::ZERO, 0), total);
    }
}

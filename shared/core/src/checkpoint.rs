//! How far a collector has read one audit-log stream, and which windows it reads next. Pure: the clock and
//! the HTTP calls live with the caller.
//!
//! Both apps timestamp entries in whole seconds and many entries share one second, so a timestamp alone
//! is never a safe checkpoint. A [`Checkpoint`] therefore holds the time up to which everything was handed
//! downstream *and* the ids of the entries handed in the last `overlap` before it: the next run re-reads
//! from `through − overlap` (catching entries that arrived late) and skips the ids it already handed on.
//! Downstream detection is idempotent by activity id too, so an id that falls out of the bounded list costs
//! a little work, never a duplicate alert.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// At most this many recent ids are kept: a checkpoint stays a small record (≈ 60 bytes per id, about
/// 60 KB: far from DynamoDB's 400 KB item limit and cheap to rewrite every window), and beyond it the
/// detector's exact recognition of activities already in the audit trail takes over.
pub const MAX_RECENT_IDS: usize = 1_000;

/// How far one stream (a tenant's Slack audit log, Zendesk audit log or Zendesk access log) was collected.
/// Stored as JSON; fields are added with defaults so older records keep loading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Every entry up to and including this time (as the app reported it when read) was handed downstream.
    pub through: DateTime<Utc>,
    /// Entries handed downstream whose time is within the overlap before `through`, for dedup at the edge.
    #[serde(default)]
    pub recent: Vec<Seen>,
    /// The id of the newest entry handed downstream, when the stream orders by (time, id) (Zendesk):
    /// informational, and the tie-break an operator reads when investigating a gap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_id: Option<String>,
    /// Why the latest run stopped early, kept until a run reads a window to its end: what the sources page
    /// and `GET /api/v1/sources` show an operator. The message names the API and the status, never a token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<StreamFailure>,
}

/// A run of the stream that stopped on an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamFailure {
    /// When the run started.
    pub at: DateTime<Utc>,
    pub error: String,
}

/// One entry already handed downstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub id: String,
    pub at: DateTime<Utc>,
}

impl Checkpoint {
    /// Whether the entry `id` was already handed downstream by an earlier run.
    pub fn has_seen(&self, id: &str) -> bool {
        self.recent.iter().any(|seen| seen.id == id)
    }

    /// The checkpoint after `handed` (every entry handed downstream since this checkpoint) when the stream
    /// is complete up to `through`. Keeps the ids within `overlap` before `through`, newest first, bounded.
    pub fn advance(previous: Option<&Checkpoint>, through: DateTime<Utc>, handed: &[Seen], overlap: Duration) -> Self {
        let through = previous.map_or(through, |p| p.through.max(through));
        // The next run re-reads from this edge, and the APIs filter by whole seconds: an entry in the
        // edge's second is read again, so its id must still be here.
        let edge = whole_second(through - overlap);
        let mut recent: Vec<Seen> = previous
            .map(|p| p.recent.as_slice())
            .unwrap_or_default()
            .iter()
            .chain(handed)
            .filter(|seen| seen.at >= edge)
            .cloned()
            .collect();
        recent.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id)));
        recent.dedup_by(|a, b| a.id == b.id);
        recent.truncate(MAX_RECENT_IDS);
        let last_id = handed
            .iter()
            .max_by(|a, b| a.at.cmp(&b.at))
            .map(|seen| seen.id.clone())
            .or_else(|| previous.and_then(|p| p.last_id.clone()));
        Checkpoint { through, recent, last_id, last_error: None }
    }

    /// The checkpoint a run that stopped on `error` leaves: `previous` unchanged but for the error. A stream
    /// never collected gets one at `first_window_start` (where this run started reading, so the next run
    /// reads from there, as it would have anyway).
    pub fn failed(previous: Option<&Checkpoint>, first_window_start: DateTime<Utc>, failure: StreamFailure) -> Self {
        let mut checkpoint = previous.cloned().unwrap_or(Checkpoint {
            through: first_window_start,
            recent: Vec::new(),
            last_id: None,
            last_error: None,
        });
        checkpoint.last_error = Some(failure);
        checkpoint
    }
}

/// `at` without its fraction of a second.
fn whole_second(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at)
}

/// A half-open span of audit-log time `[start, end]` (both inclusive, as both APIs filter), read as one
/// unit: the checkpoint moves to `end` only once the whole window was handed downstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// How a source turns a checkpoint and the current time into windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowPolicy {
    /// How far back the first run reads.
    pub backfill: Duration,
    /// How far before the checkpoint each run re-reads, for entries the app published late.
    pub overlap: Duration,
    /// How far behind now a run stops, so entries still being published are read next time.
    pub delay: Duration,
    /// The longest window; a long back-fill is read as several, oldest first, each saving progress.
    pub max_window: Duration,
}

/// The windows to read now, oldest first: from `checkpoint.through − overlap` (or `now − backfill` on a
/// first run) to `now − delay`, cut into pieces of at most `max_window`. Empty when there is nothing new.
pub fn plan_windows(checkpoint: Option<&Checkpoint>, now: DateTime<Utc>, policy: &WindowPolicy) -> Vec<Window> {
    let end = now - policy.delay;
    let start = match checkpoint {
        // Whole seconds, as both APIs filter: the same start [`Checkpoint::advance`] keeps ids from.
        Some(checkpoint) => whole_second(checkpoint.through - policy.overlap),
        None => now - policy.backfill,
    };
    // A checkpoint at or past the end means nothing new yet (the overlap alone is not worth a call).
    if checkpoint.is_some_and(|c| c.through >= end) || start >= end {
        return Vec::new();
    }
    let step = if policy.max_window > Duration::zero() { policy.max_window } else { end - start };
    let mut windows = Vec::new();
    let mut from = start;
    while from < end {
        let to = (from + step).min(end);
        windows.push(Window { start: from, end: to });
        from = to;
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap_or_default()
    }

    fn policy() -> WindowPolicy {
        WindowPolicy {
            backfill: Duration::seconds(1000),
            overlap: Duration::seconds(60),
            delay: Duration::seconds(30),
            max_window: Duration::seconds(400),
        }
    }

    #[test]
    fn a_first_run_backfills_in_oldest_first_windows_up_to_now_minus_delay() {
        let windows = plan_windows(None, at(1000), &policy());
        let spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = windows.iter().map(|w| (w.start, w.end)).collect();
        assert_eq!(spans, [(at(0), at(400)), (at(400), at(800)), (at(800), at(970))]);
    }

    #[test]
    fn a_later_run_rereads_the_overlap_before_the_checkpoint() {
        let checkpoint = Checkpoint { through: at(900), recent: vec![], last_id: None, last_error: None };
        let windows = plan_windows(Some(&checkpoint), at(1000), &policy());
        assert_eq!(windows, [Window { start: at(840), end: at(970) }]);
    }

    #[test]
    fn nothing_is_planned_when_the_checkpoint_is_already_at_now_minus_delay() {
        let checkpoint = Checkpoint { through: at(970), recent: vec![], last_id: None, last_error: None };
        assert!(plan_windows(Some(&checkpoint), at(1000), &policy()).is_empty());
    }

    #[test]
    fn advancing_keeps_only_the_ids_within_the_overlap_and_never_moves_backwards() {
        let seen = |id: &str, t: i64| Seen { id: id.into(), at: at(t) };
        let first = Checkpoint::advance(None, at(100), &[seen("old", 10), seen("edge", 50), seen("new", 100)], {
            Duration::seconds(50)
        });
        assert_eq!(first.recent.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["new", "edge"]);
        assert_eq!(first.last_id.as_deref(), Some("new"));
        assert!(first.has_seen("edge") && !first.has_seen("old"));

        let second = Checkpoint::advance(Some(&first), at(120), &[seen("new", 100), seen("later", 120)], {
            Duration::seconds(50)
        });
        assert_eq!(second.recent.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["later", "new"]);
        let not_back = Checkpoint::advance(Some(&second), at(60), &[], Duration::seconds(50));
        assert_eq!(not_back.through, at(120));
    }

    #[test]
    fn the_overlap_starts_on_a_whole_second_and_keeps_the_ids_of_that_second() {
        // `now` has a fraction of a second; the APIs filter by whole seconds, so the next run re-reads the
        // whole second the overlap starts in, and an entry of that second must count as seen.
        let through = at(100) + Duration::milliseconds(700);
        let edge_entry = Seen { id: "edge".into(), at: at(50) };
        let checkpoint = Checkpoint::advance(None, through, &[edge_entry], Duration::seconds(50));
        assert!(checkpoint.has_seen("edge"), "{checkpoint:?}");
        let windows = plan_windows(Some(&checkpoint), at(1000), &policy());
        assert_eq!(windows[0].start, at(40), "through − overlap (60 s), rounded down to its second");
    }

    #[test]
    fn the_recent_ids_are_bounded() {
        let handed: Vec<Seen> = (0..(MAX_RECENT_IDS + 10)).map(|i| Seen { id: format!("e{i}"), at: at(5) }).collect();
        let checkpoint = Checkpoint::advance(None, at(5), &handed, Duration::seconds(60));
        assert_eq!(checkpoint.recent.len(), MAX_RECENT_IDS);
    }

    #[test]
    fn a_checkpoint_round_trips_through_json_and_older_records_without_new_fields_load() {
        let checkpoint = Checkpoint {
            through: at(7),
            recent: vec![Seen { id: "a".into(), at: at(7) }],
            last_id: Some("a".into()),
            last_error: Some(StreamFailure { at: at(8), error: "Slack: HTTP 401 invalid_auth".into() }),
        };
        let json = serde_json::to_string(&checkpoint).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Checkpoint>(&json).ok(), Some(checkpoint));
        let minimal: Checkpoint = serde_json::from_str(r#"{"through":"2026-01-01T00:00:00Z"}"#).unwrap_or(Checkpoint {
            through: at(0),
            recent: vec![Seen { id: "x".into(), at: at(0) }],
            last_id: None,
            last_error: None,
        });
        assert!(minimal.recent.is_empty() && minimal.last_error.is_none());
    }

    #[test]
    fn a_failed_run_keeps_the_checkpoint_and_records_the_error_until_a_run_succeeds() {
        let failure = |at_s| StreamFailure { at: at(at_s), error: "HTTP 503".into() };
        let fresh = Checkpoint::failed(None, at(100), failure(500));
        assert_eq!((fresh.through, fresh.recent.len(), fresh.last_error.clone()), (at(100), 0, Some(failure(500))));
        let previous =
            Checkpoint::advance(None, at(300), &[Seen { id: "a".into(), at: at(299) }], Duration::minutes(5));
        let failed = Checkpoint::failed(Some(&previous), at(100), failure(600));
        assert_eq!(Checkpoint { last_error: None, ..failed.clone() }, previous);
        assert_eq!(failed.last_error, Some(failure(600)));
        let next = Checkpoint::advance(Some(&failed), at(900), &[], Duration::minutes(5));
        assert_eq!((next.through, next.last_error), (at(900), None));
    }
}

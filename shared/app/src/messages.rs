//! Queue messages of activity batches → detection, with per-message failures: what the detector function
//! does with one delivery of its queue.
//!
//! Each message is one user's [`ActivityBatch`] as JSON. A message that cannot be read (a poison message)
//! or whose detection fails is reported back as failed, so the queue delivers it again (and, after its
//! receive limit, moves it to the dead-letter queue) while the rest of the delivery goes on. One rule keeps
//! a user's activities in order: once a message of a message group (a user) fails, the later messages of
//! that group in the same delivery are not processed and are reported failed too, so they come back after
//! it. Other groups are not held up.

use std::collections::HashSet;

use saaswarden_store::{ActivityBatch, ActivityLog, AlertStore, Directory, StateStore};
use tracing::{error, warn};

use crate::detect::{BatchReport, Detectors, detect_batch};

/// One message of a delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The queue's id for it, reported back when it fails.
    pub id: String,
    /// The FIFO message group (`tenant#user`); `None` on a standard queue.
    pub group: Option<String>,
    pub body: String,
}

/// Why a message was reported failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The body is not an activity batch: it will fail again and end in the dead-letter queue.
    Unreadable(String),
    /// Detection or storage failed (for instance, lost a race for the user's state): worth a retry.
    Detection(String),
    /// An earlier message of the same group failed in this delivery: not processed, to keep order.
    HeldBack,
    /// The invocation's time ran short before the message's turn: not processed, delivered again.
    OutOfTime,
}

#[derive(Debug, Default)]
pub struct DeliveryReport {
    pub detected: BatchReport,
    /// The failed messages' ids with why, in delivery order.
    pub failed: Vec<(String, Failure)>,
}

impl DeliveryReport {
    pub fn failed_ids(&self) -> Vec<String> {
        self.failed.iter().map(|(id, _)| id.clone()).collect()
    }
}

/// Detects every message of a delivery, in order; see the module's rules for failures.
pub async fn detect_messages<S>(detectors: &Detectors<'_>, store: &S, messages: Vec<Message>) -> DeliveryReport
where
    S: ActivityLog + StateStore + AlertStore + Directory + Sync,
{
    detect_messages_while(detectors, store, messages, &|| true).await
}

/// [`detect_messages`], starting each message only while `time_remains()`: the rest are reported failed
/// ([`Failure::OutOfTime`]) so the queue delivers them again, rather than the whole delivery timing out
/// and coming back — the detected messages included.
pub async fn detect_messages_while<S>(
    detectors: &Detectors<'_>,
    store: &S,
    messages: Vec<Message>,
    time_remains: &(dyn Fn() -> bool + Sync),
) -> DeliveryReport
where
    S: ActivityLog + StateStore + AlertStore + Directory + Sync,
{
    let mut report = DeliveryReport::default();
    let mut failed_groups: HashSet<String> = HashSet::new();
    let mut out_of_time = false;
    for message in messages {
        out_of_time = out_of_time || !time_remains();
        if out_of_time {
            report.failed.push((message.id, Failure::OutOfTime));
            continue;
        }
        if let Some(group) = &message.group
            && failed_groups.contains(group)
        {
            report.failed.push((message.id, Failure::HeldBack));
            continue;
        }
        let failure = match serde_json::from_str::<ActivityBatch>(&message.body) {
            Err(e) => {
                let why = format!("message {} is not an activity batch: {e}", message.id);
                error!(message_id = %message.id, error = %e, "unreadable message");
                Some(Failure::Unreadable(why))
            }
            Ok(batch) => match detect_batch(detectors, store, batch).await {
                Ok(batch_report) => {
                    report.detected += batch_report;
                    None
                }
                Err(e) => {
                    warn!(message_id = %message.id, error = %e, "detection failed; the message will be retried");
                    Some(Failure::Detection(format!("message {}: {e}", message.id)))
                }
            },
        };
        if let Some(failure) = failure {
            if let Some(group) = message.group {
                failed_groups.insert(group);
            }
            report.failed.push((message.id, failure));
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use saaswarden_core::detect::Engine;
    use saaswarden_core::enrich::NoEnrichment;
    use saaswarden_core::testing::{activity, at_minute};
    use saaswarden_store::{ActivityQuery, SqliteStore, StateStore};

    use super::*;

    fn message(id: &str, group: &str, batch: &ActivityBatch) -> Message {
        let body = serde_json::to_string(batch).unwrap_or_default();
        Message { id: id.into(), group: Some(group.into()), body }
    }

    fn batch(user: &str, source_ids: &[&str]) -> ActivityBatch {
        let activities = source_ids
            .iter()
            .enumerate()
            .map(|(i, id)| activity(id, user, at_minute(i64::try_from(i).unwrap_or(0))))
            .collect();
        ActivityBatch { tenant: "acme".into(), user: user.into(), activities }
    }

    #[tokio::test]
    async fn a_poison_message_fails_alone_and_holds_back_only_its_own_group() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("s.db")).expect("store");
        let engine = Engine::from_config(&saaswarden_core::config::Config::default());
        let detectors = Detectors { engine: &engine, policies: None, enricher: &NoEnrichment };
        let alice = "alice@acme.example";
        let bob = "bob@acme.example";
        let messages = vec![
            message("m1", "acme#alice", &batch(alice, &["a1"])),
            Message { id: "m2".into(), group: Some("acme#bob".into()), body: "{\"tenant\":\"acme\",".into() },
            message("m3", "acme#alice", &batch(alice, &["a2", "a3"])),
            message("m4", "acme#bob", &batch(bob, &["b1"])),
        ];

        let report = detect_messages(&detectors, &store, messages).await;

        assert_eq!(report.failed_ids(), ["m2", "m4"]);
        assert!(matches!(&report.failed[0].1, Failure::Unreadable(why) if why.contains("m2")));
        assert_eq!(report.failed[1].1, Failure::HeldBack);
        assert_eq!(report.detected.new_activities, 3, "alice's two messages went through");
        let query = ActivityQuery { tenant: Some("acme".into()), limit: 100, ..ActivityQuery::default() };
        let stored: Vec<String> = store.search(&query).await.expect("search").into_iter().map(|a| a.id).collect();
        assert_eq!(stored, ["slack:a1", "slack:a2", "slack:a3"], "bob's held-back batch was not processed");
    }

    #[tokio::test]
    async fn redelivering_a_whole_delivery_changes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("s.db")).expect("store");
        let engine = Engine::from_config(&saaswarden_core::config::Config::default());
        let detectors = Detectors { engine: &engine, policies: None, enricher: &NoEnrichment };
        let delivery = vec![message("m1", "acme#alice", &batch("alice@acme.example", &["a1", "a2"]))];

        let first = detect_messages(&detectors, &store, delivery.clone()).await;
        let version = store.load_user("acme", "alice@acme.example").await.expect("state").version;
        let second = detect_messages(&detectors, &store, delivery).await;
        let after = store.load_user("acme", "alice@acme.example").await.expect("state").version;
        assert!(version >= 1, "the first delivery saved the state");
        assert_eq!(after, version, "a redelivery does not rewrite the user's state");

        assert_eq!((first.detected.new_activities, first.failed.len()), (2, 0));
        assert_eq!((second.detected.new_activities, second.detected.redelivered, second.failed.len()), (0, 2, 0));
    }

    #[tokio::test]
    async fn messages_left_when_time_runs_short_are_returned_unprocessed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("s.db")).expect("store");
        let engine = Engine::from_config(&saaswarden_core::config::Config::default());
        let detectors = Detectors { engine: &engine, policies: None, enricher: &NoEnrichment };
        let alice = "alice@acme.example";
        let messages = vec![
            message("m1", "acme#alice", &batch(alice, &["a1"])),
            message("m2", "acme#alice", &batch(alice, &["a2"])),
            message("m3", "acme#bob", &batch("bob@acme.example", &["b1"])),
        ];
        // Time for one message: the clock is a count of the checks made, not the wall clock.
        let checks = std::sync::atomic::AtomicUsize::new(0);
        let time_remains = || checks.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 1;

        let report = detect_messages_while(&detectors, &store, messages, &time_remains).await;

        assert_eq!(report.failed_ids(), ["m2", "m3"]);
        assert!(report.failed.iter().all(|(_, why)| *why == Failure::OutOfTime), "{:?}", report.failed);
        let query = ActivityQuery { tenant: Some("acme".into()), limit: 100, ..ActivityQuery::default() };
        let stored: Vec<String> = store.search(&query).await.expect("search").into_iter().map(|a| a.id).collect();
        assert_eq!(stored, ["slack:a1"], "only the message started in time was detected");
    }
}

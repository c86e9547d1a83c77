//! The local pipeline: read exported logs (or generated ones), normalize, queue per user, detect.

use std::collections::HashSet;
use std::path::PathBuf;

use saaswarden_connectors::Feed;
use saaswarden_connectors::input::{RawEntry, Rejected, read_path};
use saaswarden_connectors::zendesk::ZendeskUsers;
use saaswarden_core::App;
use saaswarden_store::{ActivityLog, ActivityQueue, AlertStore, Directory, InProcessQueue, StateStore};

use crate::detect::{BatchReport, Detectors, detect_batch};
use crate::error::AppError;
use crate::ingest::{Ingested, into_batches, normalize_entries};

/// What to replay: files and directories per app, or entries already in memory.
#[derive(Debug, Default)]
pub struct ReplayInput {
    pub slack_paths: Vec<PathBuf>,
    pub zendesk_paths: Vec<PathBuf>,
    /// Entries read elsewhere (the demo's generated tenant), with their app.
    pub entries: Vec<(App, Vec<RawEntry>)>,
    pub zendesk_users: ZendeskUsers,
}

#[derive(Debug, Default)]
pub struct RunReport {
    pub entries_read: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejected>,
    pub batches: usize,
    pub detection: BatchReport,
}

/// Runs the whole pipeline once. Files that cannot be opened are errors; broken entries and broken files
/// inside a directory are reported in `rejected` and the rest is processed.
pub async fn replay<S>(
    input: ReplayInput,
    tenant: &str,
    detectors: &Detectors<'_>,
    store: &S,
) -> Result<RunReport, AppError>
where
    S: ActivityLog + StateStore + AlertStore + Directory + Sync,
{
    let mut report = RunReport::default();
    let mut ingested = Ingested::default();
    let mut seen = HashSet::new();
    let mut sources = input.entries;
    for (app, paths) in [(App::Slack, &input.slack_paths), (App::Zendesk, &input.zendesk_paths)] {
        for path in paths {
            let read = read_path(path, app)?;
            ingested.rejected.extend(read.rejected);
            sources.push((app, read.entries));
        }
    }
    for (app, entries) in sources {
        report.entries_read += entries.len();
        normalize_entries(Feed::audit_log(app), entries, tenant, &input.zendesk_users, &mut ingested, &mut seen);
    }
    report.duplicates = ingested.duplicates;
    report.rejected = ingested.rejected;

    let queue = InProcessQueue::new();
    let batches = into_batches(ingested.activities);
    report.batches = batches.len();
    queue.send(batches).await?;
    while let Some(batch) = queue.pop() {
        report.detection += detect_batch(detectors, store, batch).await?;
    }
    Ok(report)
}

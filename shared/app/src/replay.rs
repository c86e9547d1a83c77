//! The local pipeline: read exported logs (or generated ones), normalize, queue per user, detect.
//!
//! Memory is bounded by one input file and one day of activity, not by the input: files are read one at a
//! time, and their normalized activities wait on disk in a [`DaySpool`] — one temporary file of binary
//! records per UTC day — until everything is read. Then the days go to detection oldest first, each day grouped by
//! user in time order exactly as [`into_batches`] groups a whole input, so a replay raises the same alerts
//! whether its input fits in memory or not.

use std::io;
use std::path::PathBuf;

use saaswarden_connectors::Feed;
use saaswarden_connectors::input::{RawEntry, Rejected, log_files, read_path};
use saaswarden_connectors::zendesk::ZendeskUsers;
use saaswarden_core::App;
use saaswarden_store::{ActivityLog, ActivityQueue, AlertStore, Directory, InProcessQueue, StateStore};

use crate::day_spool::DaySpool;
use crate::detect::{BatchReport, Detectors, detect_batch};
use crate::error::AppError;
use crate::ingest::into_batches;

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
    let mut spool = DaySpool::new().map_err(spool_error)?;
    let mut normalize = |app: App, entries: Vec<RawEntry>, report: &mut RunReport| -> Result<(), AppError> {
        report.entries_read += entries.len();
        let feed = Feed::audit_log(app);
        for entry in entries {
            match feed.normalize(&entry.value, tenant, &input.zendesk_users) {
                Ok(activity) => spool.push(activity).map_err(spool_error)?,
                Err(error) => report.rejected.push(entry.reject(&error)),
            }
        }
        Ok(())
    };
    for (app, entries) in input.entries {
        normalize(app, entries, &mut report)?;
    }
    for (app, paths) in [(App::Slack, &input.slack_paths), (App::Zendesk, &input.zendesk_paths)] {
        for path in paths {
            for file in log_files(path)? {
                let read = read_path(&file, app)?;
                report.rejected.extend(read.rejected);
                normalize(app, read.entries, &mut report)?;
            }
        }
    }

    let queue = InProcessQueue::new();
    for day in spool.days().map_err(spool_error)? {
        let day = day.map_err(spool_error)?;
        report.duplicates += day.duplicates;
        // One user at a time, in key order: what `into_batches` does with the day's activities.
        for records in day.users.values() {
            let activities = day.activities(records).map_err(spool_error)?;
            let batches = into_batches(activities);
            report.batches += batches.len();
            queue.send(batches).await?;
            while let Some(batch) = queue.pop() {
                report.detection += detect_batch(detectors, store, batch).await?;
            }
        }
    }
    Ok(report)
}

fn spool_error(error: io::Error) -> AppError {
    AppError::Invalid(format!("replay: cannot use the temporary spool of normalized activities: {error}"))
}

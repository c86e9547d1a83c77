//! The local pipeline: read exported logs (or generated ones), normalize, queue per user, detect.
//!
//! Memory is bounded by one input file and one day of activity, not by the input: files are read one at a
//! time, and their normalized activities wait on disk in a [`DaySpool`] — one temporary file of JSON lines
//! per UTC day — until everything is read. Then the days go to detection oldest first, each day grouped by
//! user in time order exactly as [`into_batches`] groups a whole input, so a replay raises the same alerts
//! whether its input fits in memory or not.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use chrono::NaiveDate;
use saaswarden_connectors::Feed;
use saaswarden_connectors::input::{RawEntry, Rejected, log_files, read_path};
use saaswarden_connectors::zendesk::ZendeskUsers;
use saaswarden_core::{Activity, App};
use saaswarden_store::{ActivityLog, ActivityQueue, AlertStore, Directory, InProcessQueue, StateStore};

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
                Ok(activity) => spool.push(&activity).map_err(spool_error)?,
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
        for lines in day.users.into_values() {
            let mut activities = Vec::with_capacity(lines.len());
            for line in lines {
                activities.push(serde_json::from_str(&line).map_err(|e| spool_error(e.into()))?);
            }
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

/// Writers kept open at once; past that they are flushed, closed and reopened for appending when needed
/// (a replay of years has more days than a process may keep files open).
const OPEN_DAYS: usize = 64;

/// Normalized activities waiting for detection: one temporary file per UTC day of `occurred_at`, one
/// activity per line in the order read — `["tenant","user key","id"]`, a tab, the activity as JSON (the
/// key's JSON escapes any tab in it). Removed with the spool.
struct DaySpool {
    dir: tempfile::TempDir,
    open: HashMap<NaiveDate, BufWriter<File>>,
    days: BTreeSet<NaiveDate>,
}

/// One day of the spool: each (tenant, user)'s activities as JSON, in key order, in the order read.
#[derive(Debug, Default)]
struct SpooledDay {
    users: BTreeMap<(String, String), Vec<String>>,
    /// Entries whose id was already seen that day, dropped.
    duplicates: usize,
}

impl DaySpool {
    fn new() -> io::Result<DaySpool> {
        // The spool holds every activity with its raw entry (emails, addresses): for this user only.
        let mut builder = tempfile::Builder::new();
        builder.prefix("saaswarden-spool-");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        Ok(DaySpool { dir: builder.tempdir()?, open: HashMap::new(), days: BTreeSet::new() })
    }

    fn path(&self, day: NaiveDate) -> PathBuf {
        self.dir.path().join(format!("{day}.jsonl"))
    }

    fn push(&mut self, activity: &Activity) -> io::Result<()> {
        let day = activity.occurred_at.date_naive();
        if !self.open.contains_key(&day) {
            if self.open.len() >= OPEN_DAYS {
                for (_, mut writer) in self.open.drain() {
                    writer.flush()?;
                }
            }
            let mut options = OpenOptions::new();
            options.create(true).append(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let file = options.open(self.path(day))?;
            self.open.insert(day, BufWriter::new(file));
            self.days.insert(day);
        }
        let writer = self.open.get_mut(&day).ok_or_else(|| io::Error::other("day writer vanished"))?;
        serde_json::to_writer(&mut *writer, &(&activity.tenant, activity.user_key(), &activity.id))?;
        writer.write_all(b"\t")?;
        serde_json::to_writer(&mut *writer, activity)?;
        writer.write_all(b"\n")
    }

    /// Each day, oldest first, its activities kept as JSON until their user's turn (a day's parsed
    /// activities would take several times the memory); an id seen earlier that day is counted as a
    /// duplicate and dropped (a repeated entry — overlapping pages, a file given twice — has its day).
    fn days(mut self) -> io::Result<impl Iterator<Item = io::Result<SpooledDay>>> {
        for (_, mut writer) in self.open.drain() {
            writer.flush()?;
        }
        let paths: BTreeMap<NaiveDate, PathBuf> = self.days.iter().map(|&day| (day, self.path(day))).collect();
        let dir = self.dir;
        Ok(paths.into_values().map(move |path| {
            let _keep = &dir;
            let mut day = SpooledDay::default();
            let mut seen = HashSet::new();
            for line in BufReader::new(File::open(&path)?).lines() {
                let line = line?;
                let (key, activity) =
                    line.split_once('\t').ok_or_else(|| io::Error::other("a spool line without its key"))?;
                let (tenant, user, id): (String, String, String) = serde_json::from_str(key)?;
                if seen.insert(id) {
                    day.users.entry((tenant, user)).or_default().push(activity.to_string());
                } else {
                    day.duplicates += 1;
                }
            }
            Ok(day)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use saaswarden_core::testing::{activity, at_minute};

    #[test]
    fn the_spool_hands_back_days_in_order_with_duplicates_counted_and_more_days_than_open_files() {
        let mut spool = DaySpool::new().expect("spool");
        // 100 days written in reverse, twice over for the last ten (duplicates), past the open-file cap.
        let days = 100;
        for d in (0..days).rev() {
            spool.push(&activity(&format!("a{d}"), "a@x.io", at_minute(d * 24 * 60 + 5))).expect("push");
        }
        for d in 0..10 {
            spool.push(&activity(&format!("a{d}"), "a@x.io", at_minute(d * 24 * 60 + 5))).expect("push");
            spool.push(&activity(&format!("b{d}"), "b@x.io", at_minute(d * 24 * 60 + 1))).expect("push");
        }
        assert!(spool.open.len() <= OPEN_DAYS);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &std::path::Path| std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
            assert_eq!(mode(spool.dir.path()), 0o700, "the spool is private");
            assert_eq!(mode(&spool.path(spool.days.first().copied().expect("a day"))), 0o600);
        }
        let handed: Vec<SpooledDay> = spool.days().expect("days").collect::<io::Result<_>>().expect("read");
        assert_eq!(handed.len(), days as usize);
        for (d, day) in handed.iter().enumerate() {
            let ids: Vec<String> = day
                .users
                .iter()
                .flat_map(|((tenant, user), lines)| {
                    assert_eq!(tenant, "acme");
                    lines.iter().map(move |line| {
                        let activity: Activity = serde_json::from_str(line).expect("activity");
                        assert_eq!(&activity.user_key(), user);
                        activity.id
                    })
                })
                .collect();
            let expected: Vec<String> =
                if d < 10 { vec![format!("slack:a{d}"), format!("slack:b{d}")] } else { vec![format!("slack:a{d}")] };
            assert_eq!(ids, expected, "day {d}: users in key order");
            assert_eq!(day.duplicates, usize::from(d < 10), "day {d}");
        }
    }
}

//! Normalized activities waiting for detection during a local replay: one temporary file per UTC day of
//! `occurred_at`, read back a day at a time (see [`crate::replay`]).
//!
//! A record is binary: its length (4 bytes, little-endian), then in [postcard](https://docs.rs/postcard)
//! the key `(tenant, user key, id)` and the activity — every field as itself but the raw entry, which is
//! kept as its JSON text. The spool used to hold each activity as JSON: writing it and parsing it back was
//! a fifth of a replay's time (docs/benchmarks.md, "Local replay").

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::net::IpAddr;
use std::ops::Range;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use saaswarden_core::{Activity, App, Category, Geo, Outcome, Principal, PrincipalKind, Target};
use serde::{Deserialize, Serialize};

/// Writers kept open at once; past that they are flushed, closed and reopened for appending when needed
/// (a replay of years has more days than a process may keep files open).
const OPEN_DAYS: usize = 64;

/// The temporary files, removed with the spool.
pub(crate) struct DaySpool {
    dir: tempfile::TempDir,
    open: HashMap<NaiveDate, BufWriter<File>>,
    days: BTreeSet<NaiveDate>,
    record: Vec<u8>,
}

/// One day of the spool: its records, and where each (tenant, user)'s are, in key order and in the order
/// read.
#[derive(Debug, Default)]
pub(crate) struct SpooledDay {
    records: Vec<u8>,
    pub(crate) users: BTreeMap<(String, String), Vec<Range<usize>>>,
    /// Entries whose id was already seen that day, dropped.
    pub(crate) duplicates: usize,
}

impl SpooledDay {
    /// The activities of `records` (one user's ranges), decoded.
    pub(crate) fn activities(&self, records: &[Range<usize>]) -> io::Result<Vec<Activity>> {
        records
            .iter()
            .map(|range| {
                let bytes = self.records.get(range.clone()).ok_or_else(|| corrupt("a record past the day's end"))?;
                let (_key, rest) = postcard::take_from_bytes::<(&str, &str, &str)>(bytes).map_err(corrupt)?;
                postcard::from_bytes::<Spooled>(rest).map_err(corrupt)?.into_activity()
            })
            .collect()
    }
}

fn corrupt(error: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("a spooled activity is unreadable: {error}"))
}

impl DaySpool {
    pub(crate) fn new() -> io::Result<DaySpool> {
        // The spool holds every activity with its raw entry (emails, addresses): for this user only.
        let mut builder = tempfile::Builder::new();
        builder.prefix("saaswarden-spool-");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        Ok(DaySpool { dir: builder.tempdir()?, open: HashMap::new(), days: BTreeSet::new(), record: Vec::new() })
    }

    fn path(&self, day: NaiveDate) -> PathBuf {
        self.dir.path().join(format!("{day}.spool"))
    }

    pub(crate) fn push(&mut self, activity: Activity) -> io::Result<()> {
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
        let user = activity.user_key();
        let key = (activity.tenant.as_str(), user.as_str(), activity.id.as_str());
        self.record.clear();
        self.record.extend_from_slice(&[0; 4]);
        let record = postcard::to_extend(&key, std::mem::take(&mut self.record)).map_err(corrupt)?;
        let mut record = postcard::to_extend(&Spooled::from(activity)?, record).map_err(corrupt)?;
        let length = u32::try_from(record.len() - 4).map_err(|_| corrupt("an activity of over 4 GB"))?;
        record[..4].copy_from_slice(&length.to_le_bytes());
        let writer = self.open.get_mut(&day).ok_or_else(|| io::Error::other("day writer vanished"))?;
        writer.write_all(&record)?;
        self.record = record;
        Ok(())
    }

    /// Each day, oldest first, its records kept encoded until their user's turn (a day's decoded
    /// activities would take several times the memory); an id seen earlier that day is counted as a
    /// duplicate and dropped (a repeated entry — overlapping pages, a file given twice — has its day).
    pub(crate) fn days(mut self) -> io::Result<impl Iterator<Item = io::Result<SpooledDay>>> {
        for (_, mut writer) in self.open.drain() {
            writer.flush()?;
        }
        let paths: BTreeMap<NaiveDate, PathBuf> = self.days.iter().map(|&day| (day, self.path(day))).collect();
        let dir = self.dir;
        Ok(paths.into_values().map(move |path| {
            let _keep = &dir;
            let mut day = SpooledDay::default();
            File::open(&path)?.read_to_end(&mut day.records)?;
            let mut seen = HashSet::new();
            let mut at = 0;
            while at < day.records.len() {
                let header = day.records.get(at..at + 4).ok_or_else(|| corrupt("a cut record length"))?;
                let length = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
                let range = at + 4..at + 4 + length;
                let bytes = day.records.get(range.clone()).ok_or_else(|| corrupt("a cut record"))?;
                let ((tenant, user, id), _) =
                    postcard::take_from_bytes::<(&str, &str, &str)>(bytes).map_err(corrupt)?;
                if seen.insert(id.to_string()) {
                    day.users.entry((tenant.to_string(), user.to_string())).or_default().push(range.clone());
                } else {
                    day.duplicates += 1;
                }
                at = range.end;
            }
            Ok(day)
        }))
    }
}

/// An activity as spooled: its fields in postcard (which, unlike JSON, needs every field written, so
/// these mirror types skip nothing), its raw entry as JSON text. Built by destructuring, so a field added
/// to [`Activity`] does not compile until it is spooled too.
#[derive(Serialize, Deserialize)]
struct Spooled {
    id: String,
    app: App,
    tenant: String,
    occurred_at: (i64, u32),
    action: String,
    category: Category,
    administrative: bool,
    actor: SpooledPrincipal,
    target: Option<(String, Option<String>, Option<String>)>,
    impersonator: Option<SpooledPrincipal>,
    ip: Option<IpAddr>,
    user_agent: Option<String>,
    session_id: Option<String>,
    outcome: Outcome,
    geo: Option<(String, Option<String>, f64, f64, f64)>,
    ip_tags: Vec<String>,
    asn_org: Option<String>,
    raw: String,
}

#[derive(Serialize, Deserialize)]
struct SpooledPrincipal(PrincipalKind, Option<String>, Option<String>, Option<String>);

impl From<Principal> for SpooledPrincipal {
    fn from(Principal { kind, id, email, name }: Principal) -> Self {
        SpooledPrincipal(kind, id, email, name)
    }
}

impl From<SpooledPrincipal> for Principal {
    fn from(SpooledPrincipal(kind, id, email, name): SpooledPrincipal) -> Self {
        Principal { kind, id, email, name }
    }
}

impl Spooled {
    fn from(activity: Activity) -> io::Result<Spooled> {
        let Activity {
            id,
            app,
            tenant,
            occurred_at,
            action,
            category,
            administrative,
            actor,
            target,
            impersonator,
            ip,
            user_agent,
            session_id,
            outcome,
            geo,
            ip_tags,
            asn_org,
            raw,
        } = activity;
        Ok(Spooled {
            raw: serde_json::to_string(&raw).map_err(corrupt)?,
            id,
            app,
            tenant,
            occurred_at: (occurred_at.timestamp(), occurred_at.timestamp_subsec_nanos()),
            action,
            category,
            administrative,
            actor: actor.into(),
            target: target.map(|Target { kind, id, name }| (kind, id, name)),
            impersonator: impersonator.map(Into::into),
            ip,
            user_agent,
            session_id,
            outcome,
            geo: geo.map(|Geo { country, city, latitude, longitude, accuracy_km }| {
                (country, city, latitude, longitude, accuracy_km)
            }),
            ip_tags,
            asn_org,
        })
    }

    fn into_activity(self) -> io::Result<Activity> {
        let (seconds, nanos) = self.occurred_at;
        Ok(Activity {
            occurred_at: DateTime::<Utc>::from_timestamp(seconds, nanos)
                .ok_or_else(|| corrupt("a time out of range"))?,
            raw: serde_json::from_str(&self.raw).map_err(corrupt)?,
            id: self.id,
            app: self.app,
            tenant: self.tenant,
            action: self.action,
            category: self.category,
            administrative: self.administrative,
            actor: self.actor.into(),
            target: self.target.map(|(kind, id, name)| Target { kind, id, name }),
            impersonator: self.impersonator.map(Into::into),
            ip: self.ip,
            user_agent: self.user_agent,
            session_id: self.session_id,
            outcome: self.outcome,
            geo: self.geo.map(|(country, city, latitude, longitude, accuracy_km)| Geo {
                country,
                city,
                latitude,
                longitude,
                accuracy_km,
            }),
            ip_tags: self.ip_tags,
            asn_org: self.asn_org,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use saaswarden_core::testing::{activity, at_minute};

    fn ids(day: &SpooledDay) -> Vec<String> {
        day.users
            .iter()
            .flat_map(|((tenant, user), records)| {
                assert_eq!(tenant, "acme");
                let activities = day.activities(records).expect("decode");
                activities.into_iter().map(move |activity| {
                    assert_eq!(&activity.user_key(), user);
                    activity.id
                })
            })
            .collect()
    }

    #[test]
    fn the_spool_hands_back_days_in_order_with_duplicates_counted_and_more_days_than_open_files() {
        let mut spool = DaySpool::new().expect("spool");
        // 100 days written in reverse, twice over for the last ten (duplicates), past the open-file cap.
        let days = 100;
        for d in (0..days).rev() {
            spool.push(activity(&format!("a{d}"), "a@x.io", at_minute(d * 24 * 60 + 5))).expect("push");
        }
        for d in 0..10 {
            spool.push(activity(&format!("a{d}"), "a@x.io", at_minute(d * 24 * 60 + 5))).expect("push");
            spool.push(activity(&format!("b{d}"), "b@x.io", at_minute(d * 24 * 60 + 1))).expect("push");
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
            let expected: Vec<String> =
                if d < 10 { vec![format!("slack:a{d}"), format!("slack:b{d}")] } else { vec![format!("slack:a{d}")] };
            assert_eq!(ids(day), expected, "day {d}: users in key order");
            assert_eq!(day.duplicates, usize::from(d < 10), "day {d}");
        }
    }

    /// Every field of an activity comes back as it went in: the optional ones set and unset, nanosecond
    /// times, both address families, a raw entry with nesting, escapes and numbers.
    #[test]
    fn every_field_of_an_activity_survives_the_spool() {
        let mut full = activity("full", "a@x.io", at_minute(7) + chrono::Duration::nanoseconds(123_456_789));
        full.app = App::Zendesk;
        full.category = Category::Administrative;
        full.administrative = true;
        full.actor.name = Some("Ann \"A\" Admin\t".to_string());
        full.target = Some(Target { kind: "user".into(), id: Some("42".into()), name: None });
        full.impersonator =
            Some(Principal { kind: PrincipalKind::App, id: None, email: None, name: Some("bot".into()) });
        full.ip = Some("2001:db8::7".parse().expect("v6"));
        full.user_agent = Some("Mozilla/5.0".into());
        full.session_id = Some("s-1".into());
        full.outcome = Outcome::Failure;
        full.geo = Some(Geo {
            country: "NZ".into(),
            city: Some("Wellington".into()),
            latitude: -41.2866,
            longitude: 174.7756,
            accuracy_km: 20.0,
        });
        full.ip_tags = vec!["tor".into(), "anonymous".into()];
        full.asn_org = Some("Example AS".into());
        full.raw =
            serde_json::json!({"id": 1, "nested": {"list": [1, 2.5, null, "é\n"]}, "big": 12345678901234567_u64});
        let mut v4 = activity("v4", "b@x.io", at_minute(8));
        v4.ip = Some("203.0.113.9".parse().expect("v4"));

        let mut spool = DaySpool::new().expect("spool");
        spool.push(full.clone()).expect("push");
        spool.push(v4.clone()).expect("push");
        let day = spool.days().expect("days").next().expect("a day").expect("read");
        let back: Vec<Activity> =
            day.users.values().flat_map(|records| day.activities(records).expect("decode")).collect();
        assert_eq!(back, [full, v4]);
    }
}

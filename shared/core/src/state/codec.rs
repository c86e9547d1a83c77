//! How a [`UserState`] is stored: a compact binary encoding (a version byte, then postcard), read and
//! written around every detector batch. States written as JSON by earlier releases are still read.
//!
//! Times are what made JSON slow and large: every `DateTime` was an RFC 3339 string to format and parse.
//! The serde helpers below keep them strings in human-readable formats (JSON: what the API and older
//! states show) and make them integers in binary ones (seconds and nanoseconds since the epoch — exact:
//! a state's last activity is compared with activities' own times — and days since the common era).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::UserState;

/// The first byte of a binary state, version 1. A JSON state starts with `{`.
const BINARY_V1: u8 = 0x01;

/// Why a stored state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateCodecError {
    #[error("empty state")]
    Empty,
    #[error("unknown state format (first byte {0:#04x})")]
    UnknownFormat(u8),
    #[error("binary state: {0}")]
    Binary(#[from] postcard::Error),
    #[error("JSON state: {0}")]
    Json(#[from] serde_json::Error),
}

impl UserState {
    /// The stored form: [`BINARY_V1`] and the postcard encoding.
    pub fn to_bytes(&self) -> Result<Vec<u8>, StateCodecError> {
        let mut out = Vec::with_capacity(1024);
        out.push(BINARY_V1);
        Ok(postcard::to_extend(self, out)?)
    }

    /// Reads a stored state: binary, or JSON as earlier releases wrote it.
    pub fn from_bytes(bytes: &[u8]) -> Result<UserState, StateCodecError> {
        match bytes.first() {
            None => Err(StateCodecError::Empty),
            Some(&BINARY_V1) => Ok(postcard::from_bytes(&bytes[1..])?),
            Some(b'{') => Ok(serde_json::from_slice(bytes)?),
            Some(&other) => Err(StateCodecError::UnknownFormat(other)),
        }
    }
}

/// `DateTime<Utc>`: RFC 3339 in JSON, seconds and nanoseconds since the epoch in binary.
#[derive(Clone, Copy)]
struct Exact(DateTime<Utc>);

impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            self.0.serialize(serializer)
        } else {
            (self.0.timestamp(), self.0.timestamp_subsec_nanos()).serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            DateTime::<Utc>::deserialize(deserializer).map(Exact)
        } else {
            let (seconds, nanos) = <(i64, u32)>::deserialize(deserializer)?;
            DateTime::from_timestamp(seconds, nanos)
                .map(Exact)
                .ok_or_else(|| serde::de::Error::custom(format!("time out of range: {seconds} s {nanos} ns")))
        }
    }
}

/// `NaiveDate`: `YYYY-MM-DD` in JSON, days since the common era in binary.
#[derive(Clone, Copy)]
struct Day(NaiveDate);

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            self.0.serialize(serializer)
        } else {
            use chrono::Datelike;
            serializer.serialize_i32(self.0.num_days_from_ce())
        }
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            NaiveDate::deserialize(deserializer).map(Day)
        } else {
            let days = i32::deserialize(deserializer)?;
            NaiveDate::from_num_days_from_ce_opt(days)
                .map(Day)
                .ok_or_else(|| serde::de::Error::custom(format!("day out of range: {days}")))
        }
    }
}

/// `#[serde(with = "time")]` on a `DateTime<Utc>`.
pub(crate) mod time {
    use super::*;

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        Exact(*at).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        Exact::deserialize(deserializer).map(|m| m.0)
    }
}

/// `#[serde(with = "time_opt")]` on an `Option<DateTime<Utc>>`.
pub(crate) mod time_opt {
    use super::*;

    pub fn serialize<S: Serializer>(at: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
        at.map(Exact).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Ok(Option::<Exact>::deserialize(deserializer)?.map(|m| m.0))
    }
}

/// `#[serde(with = "span_opt")]` on an `Option<(DateTime<Utc>, DateTime<Utc>)>`.
pub(crate) mod span_opt {
    use super::*;

    type Span = Option<(DateTime<Utc>, DateTime<Utc>)>;

    pub fn serialize<S: Serializer>(span: &Span, serializer: S) -> Result<S::Ok, S::Error> {
        span.map(|(a, b)| (Exact(a), Exact(b))).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Span, D::Error> {
        Ok(Option::<(Exact, Exact)>::deserialize(deserializer)?.map(|(a, b)| (a.0, b.0)))
    }
}

/// `#[serde(with = "time_map")]` on a `BTreeMap<String, DateTime<Utc>>`.
pub(crate) mod time_map {
    use std::collections::BTreeMap;

    use super::*;

    pub fn serialize<S: Serializer>(map: &BTreeMap<String, DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(map.iter().map(|(k, v)| (k, Exact(*v))))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<String, DateTime<Utc>>, D::Error> {
        let map = BTreeMap::<String, Exact>::deserialize(deserializer)?;
        Ok(map.into_iter().map(|(k, v)| (k, v.0)).collect())
    }
}

/// `#[serde(with = "day_counts")]` on a `VecDeque<(NaiveDate, u32)>`.
pub(crate) mod day_counts {
    use std::collections::VecDeque;

    use super::*;

    pub fn serialize<S: Serializer>(days: &VecDeque<(NaiveDate, u32)>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(days.iter().map(|(d, c)| (Day(*d), *c)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<VecDeque<(NaiveDate, u32)>, D::Error> {
        let days = Vec::<(Day, u32)>::deserialize(deserializer)?;
        Ok(days.into_iter().map(|(d, c)| (d.0, c)).collect())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::App;
    use crate::detect::failed_logins::{Burst, Failure};
    use crate::detect::impossible_travel::Point;
    use crate::detect::incident::Incident;
    use crate::state::PlaceHistory;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().expect("valid")
            + chrono::Duration::minutes(minute)
            + chrono::Duration::nanoseconds(99_999_905)
    }

    /// A state with every part filled in, as a busy user's is.
    fn busy_state() -> UserState {
        let mut state = UserState::default();
        for i in 0..20 {
            state.mark_processed(&format!("slack:{i:036}"), at(i));
        }
        state.countries.insert("US".into(), PlaceHistory { first_seen: at(-9000), last_seen: at(20), days: 7 });
        state.countries.insert("DE".into(), PlaceHistory { first_seen: at(-3000), last_seen: at(-2000), days: 1 });
        let failure = |m, ip: Option<&str>, organisation| Failure {
            at: at(m),
            id: format!("zendesk:{m}"),
            ip: ip.map(str::to_string),
            organisation,
        };
        state.failed_logins.window.push_back(failure(1, Some("203.0.113.9"), false));
        state.failed_logins.window.push_back(failure(2, None, true));
        state.failed_logins.burst = Some(Burst {
            started: at(1),
            last: at(2),
            failures: vec![failure(1, Some("2001:db8::1"), false)],
            count: 12,
            apps: vec![App::Slack, App::Zendesk],
            alerted: true,
        });
        state.travel.recent.push_back(Point {
            at: at(3),
            id: "slack:t".into(),
            app: App::Slack,
            latitude: 47.61,
            longitude: -122.33,
            accuracy_km: 20.0,
            country: "US".into(),
            place: "Milton, US".into(),
            ip: Some([216, 160, 83, 57].into()),
            trusted: false,
        });
        let mut elsewhere = state.travel.recent[0].clone();
        elsewhere.at = at(4);
        elsewhere.id = "zendesk:t2".into();
        elsewhere.ip = Some("2001:db8::7".parse().expect("an address"));
        state.travel.recent.push_back(elsewhere);
        let mut abroad = state.travel.recent[0].clone();
        abroad.at = at(5);
        abroad.id = "slack:t3".into();
        abroad.country = "SE".into();
        abroad.place = "Linköping, SE".into();
        state.travel.recent.push_back(abroad);
        state.admin.hour = Some(at(0));
        state.admin.hour_first = Some(at(4));
        state.admin.count = 31;
        state.admin.ids = vec!["slack:a".into()];
        state.admin.new_kinds.insert("role_change".into());
        state.admin.kinds.insert("user_deactivated".into(), at(-60));
        state.admin.peaks.record(at(-1440).date_naive(), 4);
        state.admin.peaks.record(at(0).date_naive(), 31);
        state.admin.burst = Some((at(0), at(60)));
        state.impersonated.burst_first = Some(at(5));
        state.incidents.insert(
            "impossible_travel".into(),
            Incident { key: "2026-03-02".into(), first_at: at(3), last_at: at(9), count: 2 },
        );
        state.raised.insert("anonymous_ip:2026-03-02".into(), at(7));
        state
    }

    #[test]
    fn a_state_survives_the_binary_round_trip_to_the_nanosecond() {
        let state = busy_state();
        let bytes = state.to_bytes().expect("encodes");
        assert_eq!(bytes[0], BINARY_V1);
        assert_eq!(UserState::from_bytes(&bytes).expect("decodes"), state);
        let json = serde_json::to_vec(&state).expect("JSON");
        assert!(bytes.len() * 2 < json.len(), "binary {} bytes, JSON {}", bytes.len(), json.len());
    }

    #[test]
    fn states_written_as_json_by_earlier_releases_are_still_read() {
        let state = busy_state();
        let json = serde_json::to_vec(&state).expect("JSON");
        assert_eq!(UserState::from_bytes(&json).expect("decodes"), state);
        // JSON keeps its readable times, as before.
        let text = String::from_utf8(json).expect("UTF-8");
        assert!(text.contains("\"first_seen\":\"2026-03-02T09:00:00.099999905Z\""), "{text}");
        // An older release's state without the later fields.
        let old = r#"{"first_seen":"2026-03-02T09:00:00Z","recent_ids":["slack:1"],"failed_logins":{"window":[{"at":"2026-03-02T09:01:00Z","id":"z:1"}]}}"#;
        let read = UserState::from_bytes(old.as_bytes()).expect("decodes");
        assert!(read.has_processed("slack:1"));
        assert_eq!(read.failed_logins.window[0].ip, None);
    }

    #[test]
    fn an_unreadable_state_is_an_error_not_a_default() {
        let bytes = busy_state().to_bytes().expect("encodes");
        assert!(matches!(UserState::from_bytes(&bytes[..bytes.len() / 2]), Err(StateCodecError::Binary(_))));
        assert!(matches!(UserState::from_bytes(b""), Err(StateCodecError::Empty)));
        assert!(matches!(UserState::from_bytes(b"\x07abc"), Err(StateCodecError::UnknownFormat(7))));
        assert!(matches!(UserState::from_bytes(b"{\"first_seen\":12"), Err(StateCodecError::Json(_))));
    }
}

//! Retry settings, jittered exponential backoff, and reading the servers' "come back later" headers.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;

/// How a client retries and how long it may wait.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included, for 5xx, timeouts and connection errors.
    pub max_attempts: u32,
    /// The first backoff; it doubles with each retry, up to `max_backoff`, with jitter.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Consecutive 429s answered per request before giving up (each waits what the server asks).
    pub max_rate_limited: u32,
    /// The longest single wait a 429 may impose; a longer one ends the run (resumable) instead of idling.
    pub max_rate_limit_wait: Duration,
    /// A 429 without any wait header waits this long.
    pub default_rate_limit_wait: Duration,
    /// Requests per rolling minute this client sends at most (the app's published limit, or less); 0: no cap.
    pub requests_per_minute: u32,
    /// How long one request may take, connection included.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_rate_limited: 10,
            max_rate_limit_wait: Duration::from_secs(300),
            default_rate_limit_wait: Duration::from_secs(60),
            requests_per_minute: 0,
            timeout: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The policy of a configured `[[sources]]` entry: its attempts and request budget, defaults otherwise.
    pub fn for_source(source: &saaswarden_core::config::SourceSettings) -> RetryPolicy {
        RetryPolicy {
            max_attempts: source.max_attempts,
            requests_per_minute: source.requests_per_minute(),
            ..RetryPolicy::default()
        }
    }

    /// The backoff before retry number `retry` (1 for the first retry): "equal jitter" — half of the
    /// exponential step fixed, half random — so many clients failing together do not retry together,
    /// yet each still waits a meaningful time. `random` is in [0, 1).
    pub fn backoff(&self, retry: u32, random: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let step = self.base_backoff.saturating_mul(1_u32 << exponent).min(self.max_backoff);
        let half = step / 2;
        half + half.mul_f64(random.clamp(0.0, 1.0))
    }
}

/// How long the server asks us to wait: `Retry-After` (seconds or an HTTP date), else `ratelimit-reset`
/// (Zendesk's Access Logs API: a date-time, or seconds). `None` when neither header is usable.
pub fn requested_wait(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    for name in ["retry-after", "ratelimit-reset", "x-rate-limit-reset"] {
        let Some(value) = headers.get(name).and_then(|v| v.to_str().ok()) else { continue };
        if let Some(wait) = parse_wait(value.trim(), now) {
            return Some(wait);
        }
    }
    None
}

fn parse_wait(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
    {
        // A wait too long to represent is still a (very) long wait, never a panic.
        return Some(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX));
    }
    let at =
        DateTime::parse_from_rfc2822(value).or_else(|_| DateTime::parse_from_rfc3339(value)).ok()?.with_timezone(&Utc);
    // A date in the past means "now"; round up so we never come back a fraction early.
    let millis = (at - now).num_milliseconds().max(0);
    Some(Duration::from_millis(u64::try_from(millis).unwrap_or(0)))
}

/// A small, fast pseudo-random source for jitter (SplitMix64): jitter needs spread, not secrecy.
#[derive(Debug, Clone)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn seeded(seed: u64) -> Jitter {
        Jitter(seed)
    }

    /// A number in [0, 1).
    pub(crate) fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1_u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").map(|d| d.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn waits_are_read_from_retry_after_seconds_and_dates_and_ratelimit_reset() {
        let cases: [(&str, &str, Option<Duration>); 8] = [
            ("retry-after", "30", Some(Duration::from_secs(30))),
            ("retry-after", "1.5", Some(Duration::from_millis(1500))),
            // Too long to represent: the longest wait, which the client refuses as too long to wait.
            ("retry-after", "1e300", Some(Duration::MAX)),
            ("retry-after", "Fri, 20 Nov 2026 10:00:45 GMT", Some(Duration::from_secs(45))),
            ("retry-after", "Fri, 20 Nov 2026 09:00:00 GMT", Some(Duration::ZERO)),
            ("ratelimit-reset", "2026-11-20T10:01:00Z", Some(Duration::from_secs(60))),
            ("ratelimit-reset", "12", Some(Duration::from_secs(12))),
            ("retry-after", "soon", None),
        ];
        for (name, value, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_static(value));
            assert_eq!(requested_wait(&headers, now()), expected, "{name}: {value}");
        }
        assert_eq!(requested_wait(&HeaderMap::new(), now()), None);
    }

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_is_capped() {
        let policy = RetryPolicy {
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(20),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.backoff(1, 0.0), Duration::from_secs(1));
        assert_eq!(policy.backoff(1, 1.0), Duration::from_secs(2));
        assert_eq!(policy.backoff(3, 0.5), Duration::from_secs(6));
        assert_eq!(policy.backoff(10, 1.0), Duration::from_secs(20));
        let mut jitter = Jitter::seeded(7);
        let draws: Vec<f64> = (0..1000).map(|_| jitter.next()).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
        assert!(draws.iter().any(|d| *d < 0.1) && draws.iter().any(|d| *d > 0.9));
    }
}

//! The simulated period: day numbers, weekends, and local working time turned into Unix seconds.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};

use crate::network::Country;

pub(crate) const MINUTE: i64 = 60;
pub(crate) const HOUR: i64 = 3_600;
pub(crate) const DAY: i64 = 86_400;

/// The planted attacks are laid out for this length of run; shorter runs squeeze them into fewer days.
pub(crate) const REFERENCE_DAYS: u32 = 35;
/// No attack before this day: beyond any 7-day learning period, with two weeks of baseline.
pub(crate) const FIRST_ATTACK_DAY: u32 = 15;

#[derive(Debug, Clone)]
pub(crate) struct Calendar {
    /// The requested start; nothing happens before it.
    start: i64,
    /// Midnight UTC of the start's date: day `d` begins `d` days after it.
    base: i64,
    days: u32,
    weekend: Vec<bool>,
    monday: Vec<bool>,
}

impl Calendar {
    pub(crate) fn new(start: DateTime<Utc>, days: u32) -> Calendar {
        let start_ts = start.timestamp();
        let base = start_ts - start_ts.rem_euclid(DAY);
        let weekend = (0..days)
            .map(|d| {
                let date = start.date_naive() + Duration::days(i64::from(d));
                matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            })
            .collect();
        let monday =
            (0..days).map(|d| (start.date_naive() + Duration::days(i64::from(d))).weekday() == Weekday::Mon).collect();
        Calendar { start: start_ts, base, days, weekend, monday }
    }

    pub(crate) fn days(&self) -> u32 {
        self.days
    }

    pub(crate) fn start(&self) -> i64 {
        self.start
    }

    /// The first second after the period.
    pub(crate) fn end(&self) -> i64 {
        self.start + i64::from(self.days) * DAY
    }

    pub(crate) fn contains(&self, at: i64) -> bool {
        self.start <= at && at < self.end()
    }

    pub(crate) fn is_monday(&self, day: u32) -> bool {
        self.monday.get(day as usize).copied().unwrap_or(false)
    }

    pub(crate) fn is_weekend(&self, day: u32) -> bool {
        self.weekend.get(day as usize).copied().unwrap_or(false)
    }

    /// Midnight UTC of day `day`.
    pub(crate) fn midnight_utc(&self, day: u32) -> i64 {
        self.base + i64::from(day) * DAY
    }

    /// `minute` minutes after local midnight of day `day` in `country`, as Unix seconds.
    pub(crate) fn local(&self, day: u32, country: Country, minute: i64) -> i64 {
        self.midnight_utc(day) + minute * MINUTE - country.utc_offset_hours() * HOUR
    }

    /// The day an attack laid out for a 35-day run happens on in this run: unchanged at 35 days or more,
    /// squeezed into `FIRST_ATTACK_DAY..days - 2` for shorter runs.
    pub(crate) fn attack_day(&self, reference_day: u32) -> u32 {
        if self.days >= REFERENCE_DAYS {
            return reference_day;
        }
        let span = self.days.saturating_sub(FIRST_ATTACK_DAY + 2);
        let reference_span = REFERENCE_DAYS - FIRST_ATTACK_DAY - 2;
        FIRST_ATTACK_DAY + (reference_day.saturating_sub(FIRST_ATTACK_DAY)) * span / reference_span
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_working_time_follows_the_country_offset() {
        let start = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).single().expect("valid date");
        let calendar = Calendar::new(start, 35);
        // 09:00 in San Diego (UTC-7) is 16:00 UTC; in Linköping (UTC+2) 07:00 UTC.
        assert_eq!(calendar.local(0, Country::Us, 9 * 60) - calendar.start(), 16 * HOUR);
        assert_eq!(calendar.local(0, Country::Se, 9 * 60) - calendar.start(), 7 * HOUR);
        // 2026-10-01 is a Thursday: days 2 and 3 are the weekend.
        let weekends: Vec<u32> = (0..7).filter(|&d| calendar.is_weekend(d)).collect();
        assert_eq!(weekends, [2, 3]);
    }

    #[test]
    fn attack_days_stay_after_the_learning_period_and_inside_short_runs() {
        let start = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).single().expect("valid date");
        assert_eq!(Calendar::new(start, 35).attack_day(22), 22);
        let short = Calendar::new(start, 24);
        for reference in FIRST_ATTACK_DAY..=33 {
            let day = short.attack_day(reference);
            assert!((FIRST_ATTACK_DAY..=22).contains(&day), "{reference} -> {day}");
        }
    }
}

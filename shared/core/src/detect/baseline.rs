//! "Far above the user's own normal": per-day peaks of a count and their mean and spread.

use std::collections::VecDeque;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The highest hourly count of each day with any activity, newest last. Days without activity are not
/// stored; they count as zero in the statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DailyPeaks {
    #[serde(with = "crate::state::codec::day_counts")]
    days: VecDeque<(NaiveDate, u32)>,
}

impl DailyPeaks {
    /// Raises `day`'s peak to at least `count`.
    pub fn record(&mut self, day: NaiveDate, count: u32) {
        match self.days.iter_mut().find(|(d, _)| *d == day) {
            Some((_, peak)) => *peak = (*peak).max(count),
            None => {
                let position = self.days.partition_point(|(d, _)| *d < day);
                self.days.insert(position, (day, count));
            }
        }
    }

    /// Drops days before `first`.
    pub fn forget_before(&mut self, first: NaiveDate) {
        while self.days.front().is_some_and(|(d, _)| *d < first) {
            self.days.pop_front();
        }
    }

    /// Mean and standard deviation of the daily peaks over the days from `first` up to, not including,
    /// `today`; days without activity count as zero. `None` when that span is empty.
    pub fn stats(&self, first: NaiveDate, today: NaiveDate) -> Option<(f64, f64)> {
        let span = (today - first).num_days();
        if span <= 0 {
            return None;
        }
        let values: Vec<f64> =
            self.days.iter().filter(|(d, _)| *d >= first && *d < today).map(|(_, c)| f64::from(*c)).collect();
        Some(mean_and_deviation(&values, span))
    }

    /// The weekly habit of `today`'s weekday: mean and standard deviation of the peaks on the same weekday
    /// in the days from `first` up to, not including, `today` (quiet ones count as zero), and on how many of
    /// those weekdays the peak reached `busy`. `None` when the span holds no earlier same weekday.
    pub fn weekday_stats(&self, first: NaiveDate, today: NaiveDate, busy: u32) -> Option<WeekdayHabit> {
        let weeks = (today - first).num_days() / 7;
        if weeks <= 0 {
            return None;
        }
        let values: Vec<f64> = self
            .days
            .iter()
            .filter(|(d, _)| *d >= first && *d < today && (today - *d).num_days() % 7 == 0)
            .map(|(_, c)| f64::from(*c))
            .collect();
        let (mean, deviation) = mean_and_deviation(&values, weeks);
        let busy_days = values.iter().filter(|v| **v >= f64::from(busy)).count() as u32;
        Some(WeekdayHabit { mean, deviation, busy_days })
    }
}

/// Mean and standard deviation of `count` values of which `recorded` are given, the rest being zero.
fn mean_and_deviation(recorded: &[f64], count: i64) -> (f64, f64) {
    let n = count as f64;
    // A fold from +0.0: an empty `sum` of f64 is -0.0, which would print as "-0.0".
    let mean = recorded.iter().fold(0.0, |total, v| total + v) / n;
    let squares =
        recorded.iter().fold(0.0, |total, v| total + (v - mean).powi(2)) + (n - recorded.len() as f64) * mean * mean;
    (mean, (squares / n).sqrt())
}

/// What a user usually does on one weekday (see [`DailyPeaks::weekday_stats`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeekdayHabit {
    pub mean: f64,
    pub deviation: f64,
    /// Earlier same weekdays whose peak reached the `busy` asked for.
    pub busy_days: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, d).expect("valid date")
    }

    #[test]
    fn stats_count_quiet_days_as_zero_and_ignore_today() {
        let mut peaks = DailyPeaks::default();
        peaks.record(day(2), 4);
        peaks.record(day(2), 2);
        peaks.record(day(4), 4);
        peaks.record(day(10), 50);
        // Days 1..=4: peaks 0, 4, 0, 4 → mean 2, deviation 2.
        assert_eq!(peaks.stats(day(1), day(5)), Some((2.0, 2.0)));
        assert_eq!(peaks.stats(day(5), day(5)), None);
        peaks.forget_before(day(3));
        assert_eq!(peaks.stats(day(1), day(5)), Some((1.0, 1.7320508075688772)));
    }

    #[test]
    fn weekday_stats_look_at_the_same_weekday_only() {
        let mut peaks = DailyPeaks::default();
        // 2026-10-05 is a Monday; Mondays 5, 12 and 19 hold 30, 0 (quiet) and 60; other days 3.
        for d in (1..26).filter(|d| *d != 12) {
            peaks.record(day(d), 3);
        }
        peaks.record(day(5), 30);
        peaks.record(day(19), 60);
        let monday = peaks.weekday_stats(day(1), day(26), 10).expect("three earlier Mondays");
        assert_eq!((monday.mean, monday.deviation, monday.busy_days), (30.0, 24.49489742783178, 2));
        let tuesday = peaks.weekday_stats(day(1), day(27), 10).expect("three earlier Tuesdays");
        assert_eq!((tuesday.mean, tuesday.busy_days), (3.0, 0));
        assert_eq!(peaks.weekday_stats(day(1), day(27), 3).map(|t| t.busy_days), Some(3));
        assert_eq!(peaks.weekday_stats(day(1), day(7), 10), None, "no earlier same weekday");
    }
}

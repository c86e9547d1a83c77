//! The client-side request budget: at most N requests in any rolling minute, so a long back-fill stays
//! under the app's published limit instead of learning it from 429s.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

#[derive(Debug)]
pub(super) struct RequestBudget {
    per_minute: u32,
    sent: VecDeque<DateTime<Utc>>,
}

impl RequestBudget {
    pub(super) fn new(per_minute: u32) -> RequestBudget {
        RequestBudget { per_minute, sent: VecDeque::new() }
    }

    /// Counts a request sent `now` and returns `None`, or returns how long to wait before asking again.
    pub(super) fn take(&mut self, now: DateTime<Utc>) -> Option<Duration> {
        if self.per_minute == 0 {
            return None;
        }
        let minute = chrono::Duration::minutes(1);
        while self.sent.front().is_some_and(|sent| *sent + minute <= now) {
            self.sent.pop_front();
        }
        if self.sent.len() < self.per_minute as usize {
            self.sent.push_back(now);
            return None;
        }
        let oldest = self.sent.front().copied().unwrap_or(now);
        let wait = (oldest + minute - now).to_std().unwrap_or(Duration::ZERO);
        Some(wait.max(Duration::from_millis(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_allows_n_requests_per_rolling_minute_then_asks_to_wait_for_the_oldest() {
        let start = DateTime::from_timestamp(1_000_000, 0).unwrap_or_default();
        let mut budget = RequestBudget::new(3);
        assert_eq!(budget.take(start), None);
        assert_eq!(budget.take(start + chrono::Duration::seconds(10)), None);
        assert_eq!(budget.take(start + chrono::Duration::seconds(20)), None);
        assert_eq!(budget.take(start + chrono::Duration::seconds(30)), Some(Duration::from_secs(30)));
        assert_eq!(budget.take(start + chrono::Duration::seconds(60)), None);
        assert_eq!(RequestBudget::new(0).take(start), None);
    }
}

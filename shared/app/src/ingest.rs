//! From raw entries to per-user batches: normalize, drop duplicates, group by user in time order.

use std::collections::{BTreeMap, HashSet};

use saaswarden_connectors::Feed;
use saaswarden_connectors::input::{RawEntry, Rejected};
use saaswarden_connectors::zendesk::ZendeskUsers;
use saaswarden_core::Activity;
use saaswarden_store::ActivityBatch;

/// Activities per queue message: keeps a message well under SQS's 256 KB with raw entries included.
pub const MAX_BATCH: usize = 100;

#[derive(Debug, Default)]
pub struct Ingested {
    pub activities: Vec<Activity>,
    /// Entries that could not be normalized, each with where it came from and why.
    pub rejected: Vec<Rejected>,
    /// Entries whose id appeared earlier in the same input (overlapping pages): kept once.
    pub duplicates: usize,
}

/// Normalizes entries of one log. Bad entries are reported in `rejected`; the rest go on.
pub fn normalize_entries(
    feed: Feed,
    entries: Vec<RawEntry>,
    tenant: &str,
    zendesk_users: &ZendeskUsers,
    into: &mut Ingested,
    seen: &mut HashSet<String>,
) {
    for entry in entries {
        match feed.normalize(&entry.value, tenant, zendesk_users) {
            Ok(activity) => {
                if seen.insert(activity.id.clone()) {
                    into.activities.push(activity);
                } else {
                    into.duplicates += 1;
                }
            }
            Err(error) => into.rejected.push(entry.reject(&error)),
        }
    }
}

/// Groups activities by UTC day, tenant and user, oldest first, at most [`MAX_BATCH`] per batch.
///
/// Days come first so that a replay of weeks of logs reaches detection in the order a live collector
/// would deliver it: tenant-wide facts (an IP many users share, the tenant's countries) build up over
/// time for every user alike. Within a day, users come in key order, so the same input always makes
/// the same batches.
pub fn into_batches(activities: Vec<Activity>) -> Vec<ActivityBatch> {
    let mut by_user: BTreeMap<(chrono::NaiveDate, String, String), Vec<Activity>> = BTreeMap::new();
    for activity in activities {
        let day = activity.occurred_at.date_naive();
        by_user.entry((day, activity.tenant.clone(), activity.user_key())).or_default().push(activity);
    }
    let mut batches = Vec::new();
    for ((_, tenant, user), mut activities) in by_user {
        activities.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then_with(|| a.id.cmp(&b.id)));
        let mut rest = activities.into_iter().peekable();
        while rest.peek().is_some() {
            let chunk: Vec<Activity> = rest.by_ref().take(MAX_BATCH).collect();
            batches.push(ActivityBatch { tenant: tenant.clone(), user: user.clone(), activities: chunk });
        }
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;
    use saaswarden_core::testing::{activity, at_minute};

    #[test]
    fn batches_go_day_by_day_grouped_by_user_in_time_order_and_split_large_groups() {
        let mut activities: Vec<Activity> =
            (0..(MAX_BATCH + 5)).rev().map(|i| activity(&format!("a{i}"), "a@x.io", at_minute(i as i64))).collect();
        activities.push(activity("b1", "b@x.io", at_minute(3)));
        activities.push(activity("b2", "b@x.io", at_minute(24 * 60 + 1)));
        activities.push(activity("a-next-day", "a@x.io", at_minute(24 * 60 + 5)));
        let batches = into_batches(activities);
        let shape: Vec<(&str, usize)> = batches.iter().map(|b| (b.user.as_str(), b.activities.len())).collect();
        assert_eq!(shape, [("a@x.io", MAX_BATCH), ("a@x.io", 5), ("b@x.io", 1), ("a@x.io", 1), ("b@x.io", 1)]);
        assert!(batches[0].activities.windows(2).all(|w| w[0].occurred_at <= w[1].occurred_at));
        assert_eq!(batches[0].group_id(), "acme#a@x.io");
    }
}

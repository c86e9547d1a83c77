//! `unusual_admin_activity` and `unusual_impersonated_activity`: one user's activity of a kind —
//! administrative, or performed in their name by someone or something else — far above their own
//! baseline, or of kinds they never performed.
//!
//! The statistic: activities of the kind are counted per clock hour. The baseline is each day's busiest
//! hour over the last `baseline` days (quiet days count as zero). An hour alerts when its count reaches
//! `max(min_activities, ceil(mean + deviations × standard deviation))`, or when it holds `new_kinds`
//! kinds (actions) the user never performed before. Consecutive alerting hours are one alert.
//!
//! Weekly habits (`weekly`): on a weekday whose busiest hour reached `min_activities` on at least
//! [`HABIT_WEEKS`] earlier same weekdays of the baseline, the count must also reach `ceil(mean + deviations × spread)` of that
//! weekday's peaks, the spread taken as at least √mean (a count varies at least as a Poisson count does,
//! so a steady habit of 40 is not unusual at 41).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, DurationRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::baseline::DailyPeaks;
use super::{Context, Detection, Raise, in_learning_period};
use crate::activity::Activity;
use crate::alert::Alert;
use crate::config::{Common, UnusualActivitySettings};
use crate::state::UserState;

pub const ADMIN_POLICY_ID: &str = "unusual_admin_activity";
pub const IMPERSONATED_POLICY_ID: &str = "unusual_impersonated_activity";

/// Earlier busy same weekdays that make a weekly habit.
pub const HABIT_WEEKS: u32 = 2;

/// Evidence ids kept for one hour; the count goes on beyond it.
const MAX_EVIDENCE: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnusualState {
    /// The clock hour being counted, and its first activity.
    #[serde(with = "crate::state::codec::time_opt")]
    pub hour: Option<DateTime<Utc>>,
    #[serde(with = "crate::state::codec::time_opt")]
    pub hour_first: Option<DateTime<Utc>>,
    pub count: u32,
    pub ids: Vec<String>,
    /// Kinds first performed in this hour.
    pub new_kinds: BTreeSet<String>,
    /// Every kind the user performed, with when they last did.
    #[serde(with = "crate::state::codec::time_map")]
    pub kinds: BTreeMap<String, DateTime<Utc>>,
    pub peaks: DailyPeaks,
    /// The first hour of the alert in progress and the last hour that alerted.
    #[serde(with = "crate::state::codec::span_opt")]
    pub burst: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Activities and time span of the alert in progress, for its title.
    pub burst_count: u32,
    #[serde(with = "crate::state::codec::time_opt")]
    pub burst_first: Option<DateTime<Utc>>,
    pub burst_ids: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Administrative,
    Impersonated,
}

pub struct UnusualActivity {
    kind: Kind,
    settings: UnusualActivitySettings,
    common: Common,
}

impl UnusualActivity {
    pub fn administrative(settings: UnusualActivitySettings) -> Self {
        let common = settings.common();
        UnusualActivity { kind: Kind::Administrative, settings, common }
    }

    pub fn impersonated(settings: UnusualActivitySettings) -> Self {
        let common = settings.common();
        UnusualActivity { kind: Kind::Impersonated, settings, common }
    }

    /// The kind an activity counts as, if it counts at all.
    fn kind_of(&self, activity: &Activity) -> Option<String> {
        match self.kind {
            Kind::Administrative => activity.administrative.then(|| activity.action.clone()),
            // A new app or person acting for the user is as telling as a new action.
            Kind::Impersonated => {
                activity.impersonator.as_ref().map(|by| format!("{} via {}", activity.action, by.display()))
            }
        }
    }

    fn state<'a>(&self, state: &'a mut UserState) -> &'a mut UnusualState {
        match self.kind {
            Kind::Administrative => &mut state.admin,
            Kind::Impersonated => &mut state.impersonated,
        }
    }
}

impl Detection for UnusualActivity {
    fn policy_id(&self) -> &'static str {
        match self.kind {
            Kind::Administrative => ADMIN_POLICY_ID,
            Kind::Impersonated => IMPERSONATED_POLICY_ID,
        }
    }

    fn observe(&self, activity: &Activity, user: &str, state: &mut UserState, ctx: &Context, alerts: &mut Vec<Alert>) {
        let Some(kind) = self.kind_of(activity) else { return };
        if activity.outcome == crate::activity::Outcome::Failure {
            return;
        }
        let at = activity.occurred_at;
        let learning = in_learning_period(&self.common, state, ctx, at);
        let first_day = state.first_seen.unwrap_or(at).date_naive();
        let baseline = chrono::Duration::from_std(self.settings.baseline).unwrap_or(chrono::Duration::days(30));
        let hour = at.duration_trunc(chrono::Duration::hours(1)).unwrap_or(at);
        let s = self.state(state);

        // A new hour closes the previous one into the day's peak. A late activity counts in the open hour.
        if s.hour.is_none_or(|open| hour > open) {
            if let Some(open) = s.hour {
                s.peaks.record(open.date_naive(), s.count);
            }
            s.hour = Some(hour);
            s.hour_first = Some(at);
            s.count = 0;
            s.ids.clear();
            s.new_kinds.clear();
        }
        s.count += 1;
        s.hour_first = Some(s.hour_first.map_or(at, |first| first.min(at)));
        if s.ids.len() < MAX_EVIDENCE {
            s.ids.push(activity.id.clone());
        }
        match s.kinds.get_mut(&kind) {
            // A late activity must not move a kind's last time backwards (and get it forgotten early).
            Some(last) => *last = (*last).max(at),
            None => {
                s.kinds.insert(kind.clone(), at);
                if !learning {
                    s.new_kinds.insert(kind);
                }
            }
        }
        let today = at.date_naive();
        let window_start = (today - baseline).max(first_day);
        s.peaks.forget_before(today - baseline);
        s.kinds.retain(|_, last| at - *last <= baseline * 3);
        if learning || !self.common.in_scope(user) {
            return;
        }
        let (mean, deviation) = s.peaks.stats(window_start, today).unwrap_or((0.0, 0.0));
        let daily = (mean + self.settings.deviations * deviation).ceil();
        let habit = if self.settings.weekly {
            s.peaks.weekday_stats(window_start, today, self.settings.min_activities)
        } else {
            None
        }
        .filter(|habit| habit.busy_days >= HABIT_WEEKS);
        let weekly = habit.map_or(0.0, |h| (h.mean + self.settings.deviations * h.deviation.max(h.mean.sqrt())).ceil());
        let threshold = (self.settings.min_activities as f64).max(daily).max(weekly);
        let busy = f64::from(s.count) >= threshold;
        let novel = self.settings.new_kinds > 0 && s.new_kinds.len() as u32 >= self.settings.new_kinds;
        if !(busy || novel) {
            return;
        }
        let open_hour = s.hour.unwrap_or(hour);
        let continues = s.burst.is_some_and(|(_, last)| open_hour - last <= chrono::Duration::hours(1));
        if continues {
            s.burst_count += 1;
            if s.burst_ids.len() < MAX_EVIDENCE {
                s.burst_ids.push(activity.id.clone());
            }
        } else {
            // A new alert: every activity of the hour so far is its evidence.
            s.burst = Some((open_hour, open_hour));
            s.burst_count = s.count;
            s.burst_first = s.hour_first;
            s.burst_ids = s.ids.clone();
        }
        let burst_start = s.burst.map_or(open_hour, |(start, _)| start);
        s.burst = Some((burst_start, open_hour));
        let span_minutes = (at - s.burst_first.unwrap_or(at)).num_minutes();
        let facts = json!({
            "hour_start": open_hour,
            "activities_in_hour": s.count,
            "activities_in_alert": s.burst_count,
            "first_activity_at": s.burst_first,
            "threshold": threshold,
            "baseline_mean_busiest_hour": (mean * 100.0).round() / 100.0,
            "baseline_deviation": (deviation * 100.0).round() / 100.0,
            "baseline_days": (today - window_start).num_days(),
            "weekday_habit_mean": habit.map(|h| (h.mean * 100.0).round() / 100.0),
            "new_kinds": s.new_kinds,
            "reason": if busy { "count above baseline" } else { "kinds never performed before" },
        });
        let what = match self.kind {
            Kind::Administrative => "administrative activities",
            Kind::Impersonated => "activities performed on their behalf",
        };
        // A mean of zero is a user who never did this kind of thing in the baseline: say so in words.
        let usual = match mean {
            m if m <= 0.0 => "never before".to_string(),
            m if m < 0.05 => "usual busiest hour: under 0.1".to_string(),
            m => format!("usual busiest hour: {m:.1}"),
        };
        let title = if busy {
            format!(
                "Unusual {}: {user} performed {} {what} in {} min ({usual})",
                if self.kind == Kind::Administrative { "administrative activity" } else { "impersonated activity" },
                s.burst_count,
                span_minutes.max(1)
            )
        } else {
            format!(
                "Unusual {}: {user} performed {} kinds of {what} never seen before",
                if self.kind == Kind::Administrative { "administrative activity" } else { "impersonated activity" },
                s.new_kinds.len()
            )
        };
        let evidence_ids = s.burst_ids.clone();
        let raise = Raise { ctx, policy_id: self.policy_id(), severity: self.settings.severity, user };
        let mut alert = raise.alert(
            &burst_start.to_rfc3339(),
            title,
            format!(
                "{} {what} between {} and the end of the hour; threshold {threshold}.",
                s.count,
                open_hour.to_rfc3339()
            ),
            &[activity],
            facts,
        );
        alert.activity_ids = evidence_ids;
        alerts.push(alert);
    }
}

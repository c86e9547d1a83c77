//! `multiple_failed_logins`: many failed sign-ins by one user in a short window; one alert per burst.
//!
//! A burst is a run of failures in which no two consecutive failures are further apart than
//! `incident_gap` (an hour; never less than the window): a brute force that pauses and resumes is one
//! burst. The alert fires when the sliding window holds `threshold` failures and grows (same id, more
//! evidence) while the burst goes on. Only apps that log failed sign-ins feed it: Slack's `user_login_failed`.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Context, Detection, in_learning_period};
use crate::activity::{Activity, App, Category};
use crate::alert::{Alert, AlertStatus, alert_id};
use crate::config::FailedLoginSettings;
use crate::state::UserState;

pub const POLICY_ID: &str = "multiple_failed_logins";

/// Evidence kept for one burst; a longer burst still counts, its alert lists the first ones.
const MAX_EVIDENCE: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FailedLoginState {
    /// Failures inside the current window, oldest first.
    pub window: VecDeque<Failure>,
    pub burst: Option<Burst>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    #[serde(with = "crate::state::codec::time")]
    pub at: DateTime<Utc>,
    pub id: String,
    #[serde(default)]
    pub ip: Option<String>,
    /// From one of the organisation's own ranges ([`ORGANISATION_TAGS`]): an office NAT many people share
    /// is no attacker's campaign.
    #[serde(default)]
    pub organisation: bool,
}

/// Tags of the organisation's own ranges, whose bursts are never a campaign.
pub const ORGANISATION_TAGS: [&str; 2] = ["corporate", "corporate_vpn"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Burst {
    #[serde(with = "crate::state::codec::time")]
    pub started: DateTime<Utc>,
    #[serde(with = "crate::state::codec::time")]
    pub last: DateTime<Utc>,
    pub failures: Vec<Failure>,
    pub count: u64,
    pub apps: Vec<App>,
    /// Set once the burst has raised its alert.
    pub alerted: bool,
}

pub struct MultipleFailedLogins {
    settings: FailedLoginSettings,
    common: crate::config::Common,
    window: chrono::Duration,
    /// The longest pause within one burst: `incident_gap`, at least the window.
    gap: chrono::Duration,
}

impl MultipleFailedLogins {
    pub fn new(settings: FailedLoginSettings) -> Self {
        let window = super::incident::gap(settings.window);
        let gap = super::incident::gap(settings.incident_gap).max(window);
        let common = settings.common();
        MultipleFailedLogins { settings, common, window, gap }
    }
}

impl Detection for MultipleFailedLogins {
    fn policy_id(&self) -> &'static str {
        POLICY_ID
    }

    fn observe(&self, activity: &Activity, user: &str, state: &mut UserState, ctx: &Context, alerts: &mut Vec<Alert>) {
        if activity.category != Category::SignInFailure {
            return;
        }
        let at = activity.occurred_at;
        let failure = Failure {
            at,
            id: activity.id.clone(),
            ip: activity.ip.map(|ip| ip.to_string()),
            organisation: activity.ip_tags.iter().any(|tag| ORGANISATION_TAGS.contains(&tag.as_str())),
        };
        let learning = in_learning_period(&self.common, state, ctx, at);
        let s = &mut state.failed_logins;

        // The sliding window ends at the newest failure seen; a late (out-of-order) one slots into place.
        // One older than the window is too late to belong to it, or to the burst in progress: it is not
        // counted (it was outside any window when its own neighbours arrived).
        let newest = s.window.back().map_or(at, |f| f.at.max(at));
        if newest - at > self.window {
            return;
        }
        while s.window.front().is_some_and(|f| newest - f.at > self.window) {
            s.window.pop_front();
        }
        let position = s.window.partition_point(|f| f.at <= at);
        s.window.insert(position, failure.clone());
        // Only whether the threshold is reached depends on the window's length: the oldest failures past
        // what that needs are dropped, so a flood of failures cannot grow the user's state without end.
        let cap = (self.settings.threshold as usize).max(MAX_EVIDENCE);
        while s.window.len() > cap {
            s.window.pop_front();
        }

        // A failure within the burst's span, give or take the pause a burst may take, belongs to it (a late
        // one too); the burst keeps its start, which is part of the alert id.
        let burst_goes_on = s.burst.as_ref().is_some_and(|b| at - b.last <= self.gap && b.started - self.gap <= at);
        if !burst_goes_on {
            s.burst = Some(Burst {
                started: s.window.front().map_or(at, |f| f.at),
                last: at,
                failures: s.window.iter().cloned().collect(),
                count: s.window.len() as u64,
                apps: vec![activity.app],
                alerted: false,
            });
        } else if let Some(burst) = s.burst.as_mut() {
            burst.last = burst.last.max(at);
            burst.count += 1;
            if burst.failures.len() < MAX_EVIDENCE {
                burst.failures.push(failure);
            }
            if !burst.apps.contains(&activity.app) {
                burst.apps.push(activity.app);
                burst.apps.sort();
            }
        }
        let Some(burst) = s.burst.as_mut() else { return };
        let reached = s.window.len() >= self.settings.threshold as usize;
        if !(burst.alerted || reached) || learning || !self.common.in_scope(user) {
            return;
        }
        burst.alerted = true;
        alerts.push(burst_alert(&ctx.tenant, user, burst, &self.settings));
    }
}

fn burst_alert(tenant: &str, user: &str, burst: &Burst, settings: &FailedLoginSettings) -> Alert {
    let minutes = (burst.last - burst.started).num_seconds() as f64 / 60.0;
    let apps: Vec<&str> = burst.apps.iter().map(|a| a.as_str()).collect();
    let mut ips: Vec<&str> = burst.failures.iter().filter_map(|f| f.ip.as_deref()).collect();
    ips.sort_unstable();
    ips.dedup();
    // A burst from one source (an IP, an IPv6 /64) may be part of a spray against many users: its campaign.
    let sources: std::collections::BTreeSet<String> =
        ips.iter().filter_map(|ip| ip.parse().ok()).map(crate::alert::campaign_source).collect();
    let organisation = burst.failures.iter().any(|f| f.organisation);
    let campaign = match (sources.len(), sources.first()) {
        (1, Some(source)) if !organisation => Some(crate::alert::source_campaign_id(tenant, source)),
        _ => None,
    };
    Alert {
        id: alert_id(tenant, POLICY_ID, user, &burst.started.to_rfc3339()),
        tenant: tenant.to_string(),
        policy_id: POLICY_ID.to_string(),
        title: format!(
            "Multiple failed sign-ins: {user} failed {} times in {minutes:.0} min ({})",
            burst.count,
            apps.join(", ")
        ),
        description: format!(
            "{} failed sign-in attempts with no pause longer than {} between them; the threshold is {} within {}.",
            burst.count,
            humantime::format_duration(settings.incident_gap.max(settings.window)),
            settings.threshold,
            humantime::format_duration(settings.window),
        ),
        severity: settings.severity,
        status: AlertStatus::Open,
        user: user.to_string(),
        apps: burst.apps.clone(),
        created_at: burst.last,
        activity_ids: burst.failures.iter().map(|f| f.id.clone()).collect(),
        evidence_span: None,
        campaign,
        evidence: json!({
            "failures": burst.count,
            "threshold": settings.threshold,
            "window_seconds": settings.window.as_secs(),
            "incident_gap_seconds": settings.incident_gap.max(settings.window).as_secs(),
            "first_failure_at": burst.started,
            "last_failure_at": burst.last,
            "ip_addresses": ips,
        }),
        resolution: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::detect::Engine;
    use crate::testing::{activity, at_minute};
    use std::time::Duration as StdDuration;

    const DAY: i64 = 24 * 60;

    fn failure(n: usize, user: &str, minute: i64) -> Activity {
        activity(&format!("f{n}"), user, at_minute(minute)).with_action("user_login_failed", Category::SignInFailure)
    }

    /// A user seen on day 0 (so day 10 is past the 7-day learning period) plus the given failures.
    fn history(user: &str, failure_minutes: &[i64]) -> Vec<Activity> {
        let mut all = vec![activity("first", user, at_minute(0))];
        all.extend(failure_minutes.iter().enumerate().map(|(n, &m)| failure(n, user, m)));
        all
    }

    fn run(config: &Config, batches: &[Vec<Activity>]) -> Vec<Alert> {
        let engine = Engine::from_config(config);
        let ctx = Context { tenant: "acme".into(), tenant_first_seen: Some(at_minute(0)), ..Default::default() };
        let mut state = UserState::default();
        let mut alerts: Vec<Alert> = Vec::new();
        for batch in batches {
            let user = batch[0].user_key();
            for alert in engine.process_user(&user, &mut state, batch, &ctx).alerts {
                match alerts.iter_mut().find(|a| a.id == alert.id) {
                    Some(existing) => crate::alert::merge_alert(existing, alert),
                    None => alerts.push(alert),
                }
            }
        }
        alerts
    }

    fn minutes(start: i64, count: usize, step: i64) -> Vec<i64> {
        (0..count as i64).map(|i| start + i * step).collect()
    }

    #[test]
    fn scenarios() {
        let default = Config::default();
        let excluded = {
            let mut c = Config::default();
            c.detections.multiple_failed_logins.exclude_users = vec!["eve@acme.example".into()];
            c
        };
        let no_learning = {
            let mut c = Config::default();
            c.detections.multiple_failed_logins.learning_period = StdDuration::ZERO;
            c
        };
        let u = "eve@acme.example";
        // (name, config, batches, expected alerts, evidence count of the first)
        type Case<'a> = (&'a str, &'a Config, Vec<Vec<Activity>>, usize, usize);
        let cases: Vec<Case> = vec![
            ("five failures in a minute fire once", &default, vec![history(u, &minutes(10 * DAY, 5, 0))], 1, 5),
            ("four failures stay below the threshold", &default, vec![history(u, &minutes(10 * DAY, 4, 1))], 0, 0),
            (
                "failures spread wider than the window do not",
                &default,
                vec![history(u, &minutes(10 * DAY, 8, 11))],
                0,
                0,
            ),
            (
                "a long burst is one alert with every failure",
                &default,
                vec![history(u, &minutes(10 * DAY, 30, 2))],
                1,
                30,
            ),
            (
                "a brute force that pauses 40 minutes and resumes is one alert",
                &default,
                vec![history(u, &[&minutes(10 * DAY, 6, 1)[..], &minutes(10 * DAY + 45, 6, 1)[..]].concat())],
                1,
                12,
            ),
            (
                "a pause longer than the incident gap starts a second alert",
                &default,
                vec![history(u, &[&minutes(10 * DAY, 6, 1)[..], &minutes(10 * DAY + 70, 6, 1)[..]].concat())],
                2,
                6,
            ),
            (
                "two bursts a day apart are two alerts",
                &default,
                vec![history(u, &[&minutes(10 * DAY, 6, 1)[..], &minutes(11 * DAY, 6, 1)[..]].concat())],
                2,
                6,
            ),
            ("nothing during the learning period", &default, vec![history(u, &minutes(DAY, 10, 0))], 0, 0),
            ("learning period can be turned off", &no_learning, vec![history(u, &minutes(DAY, 10, 0))], 1, 10),
            ("excluded users are not alerted on", &excluded, vec![history(u, &minutes(10 * DAY, 10, 0))], 0, 0),
            (
                "a burst split over two batches is still one alert",
                &default,
                vec![
                    history(u, &minutes(10 * DAY, 3, 1)),
                    (3..8).map(|n| failure(n, u, 10 * DAY + n as i64)).collect(),
                ],
                1,
                8,
            ),
            (
                "a failure arriving hours late does not complete a burst",
                &default,
                vec![history(u, &[10 * DAY + 240, 10 * DAY + 241, 10 * DAY + 242, 10 * DAY + 243, 10 * DAY])],
                0,
                0,
            ),
            (
                "out-of-order failures count in their place",
                &default,
                vec![history(u, &[10 * DAY + 5, 10 * DAY + 1, 10 * DAY + 4, 10 * DAY + 2, 10 * DAY + 3])],
                1,
                5,
            ),
        ];
        for (name, config, batches, expected, evidence) in cases {
            let alerts = run(config, &batches);
            assert_eq!(alerts.len(), expected, "{name}: {alerts:#?}");
            if let Some(first) = alerts.first() {
                assert_eq!(first.activity_ids.len(), evidence, "{name}");
                assert_eq!(first.policy_id, POLICY_ID);
                assert_eq!(first.user, u);
            }
        }
    }

    #[test]
    fn a_redelivered_batch_changes_nothing() {
        let engine = Engine::from_config(&Config::default());
        let ctx = Context { tenant: "acme".into(), tenant_first_seen: Some(at_minute(0)), ..Default::default() };
        let batch = history("eve@acme.example", &minutes(10 * DAY, 6, 0));
        let mut state = UserState::default();
        let first = engine.process_user("eve@acme.example", &mut state, &batch, &ctx);
        let after_first = state.clone();
        let again = engine.process_user("eve@acme.example", &mut state, &batch, &ctx);
        assert_eq!((first.alerts.len(), first.processed), (1, 7));
        assert_eq!((again.alerts.len(), again.processed, again.redelivered), (0, 0, 7));
        assert_eq!(state, after_first);
    }

    #[test]
    fn the_title_says_who_how_often_and_where() {
        let alerts = run(&Config::default(), &[history("eve@acme.example", &minutes(10 * DAY, 7, 1))]);
        assert_eq!(alerts[0].title, "Multiple failed sign-ins: eve@acme.example failed 7 times in 6 min (slack)");
        assert_eq!(alerts[0].evidence["threshold"], 5);
    }

    #[test]
    fn a_flood_of_failures_keeps_the_window_bounded_and_counts_them_all() {
        let engine = Engine::from_config(&Config::default());
        let ctx = Context { tenant: "acme".into(), tenant_first_seen: Some(at_minute(0)), ..Default::default() };
        let user = "eve@acme.example";
        let mut state = UserState::default();
        let mut alert: Option<Alert> = None;
        // 5,000 failures in one minute, in batches of 100 as the queue hands them.
        let flood: Vec<Activity> = history(user, &[10 * DAY; 5_000]);
        for batch in flood.chunks(100) {
            for raised in engine.process_user(user, &mut state, batch, &ctx).alerts {
                match alert.as_mut() {
                    Some(stored) => crate::alert::merge_alert(stored, raised),
                    None => alert = Some(raised),
                }
            }
            assert!(state.failed_logins.window.len() <= MAX_EVIDENCE, "{}", state.failed_logins.window.len());
        }
        let alert = alert.expect("the flood is a burst");
        assert_eq!(alert.evidence["failures"], 5_000, "every failure counted");
        assert!(alert.activity_ids.len() <= MAX_EVIDENCE);
    }
}

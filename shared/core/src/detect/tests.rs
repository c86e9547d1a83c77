//! Scenario tables for the built-in detections: for each, the cases that must fire and the
//! suppressions that must hold. Each scenario is a user's history plus a context; the assertion is the
//! number of alerts of the detection under test and, where it matters, their evidence.

use chrono::{TimeZone, Utc};
use std::collections::HashMap;

use super::{Context, Engine, country_key, ip_key, usage_keys};

mod confounders;
use crate::activity::{Activity, Category};
use crate::alert::{Alert, merge_alert};
use crate::config::{Config, Sensitivity};
use crate::directory::{Termination, TerminationStatus};
use crate::state::UserState;
use crate::testing::{activity, at_minute};

const DAY: i64 = 24 * 60;
const ALICE: &str = "alice@acme.example";

/// Milton, US (MaxMind test data).
fn us(id: &str, minute: i64) -> Activity {
    activity(id, ALICE, at_minute(minute))
        .with_ip("216.160.83.58")
        .with_geo("US", 47.2513, -122.3149)
        .with_city("Milton")
}

/// Changchun, CN: ≈ 8,900 km from Milton.
fn cn(id: &str, minute: i64) -> Activity {
    activity(id, ALICE, at_minute(minute))
        .with_ip("175.16.199.5")
        .with_geo("CN", 43.88, 125.3228)
        .with_city("Changchun")
}

/// Toronto, CA: ≈ 3,300 km from Milton, across a border.
fn ca(id: &str, minute: i64) -> Activity {
    activity(id, ALICE, at_minute(minute)).with_ip("24.114.0.1").with_geo("CA", 43.65, -79.38)
}

/// Linköping, SE.
fn se(id: &str, minute: i64) -> Activity {
    activity(id, ALICE, at_minute(minute)).with_ip("89.160.20.130").with_geo("SE", 58.4167, 15.6167)
}

/// A user at home every day from day 0 to `days` (exclusive), at 09:00.
fn routine(days: i64) -> Vec<Activity> {
    (0..days).map(|d| us(&format!("home{d}"), d * DAY + 9 * 60)).collect()
}

struct Scenario {
    name: &'static str,
    config: Config,
    ctx: Context,
    batches: Vec<Vec<Activity>>,
    /// Alerts expected of the policy under test.
    alerts: usize,
    /// Evidence ids of the first alert, when checked.
    evidence: Option<Vec<&'static str>>,
}

fn scenario(name: &'static str, activities: Vec<Activity>, alerts: usize) -> Scenario {
    Scenario { name, config: Config::default(), ctx: ctx(), batches: vec![activities], alerts, evidence: None }
}

impl Scenario {
    fn config(mut self, change: impl FnOnce(&mut Config)) -> Self {
        change(&mut self.config);
        self
    }
    fn ctx(mut self, change: impl FnOnce(&mut Context)) -> Self {
        change(&mut self.ctx);
        self
    }
    fn evidence(mut self, ids: &[&'static str]) -> Self {
        self.evidence = Some(ids.to_vec());
        self
    }
    fn split(mut self, at: usize) -> Self {
        let all = self.batches.remove(0);
        let (a, b) = all.split_at(at);
        self.batches = vec![a.to_vec(), b.to_vec()];
        self
    }
}

fn ctx() -> Context {
    Context { tenant: "acme".into(), tenant_first_seen: Some(at_minute(0)), usage: HashMap::new(), termination: None }
}

fn run(scenario: &Scenario) -> Vec<Alert> {
    let engine = Engine::from_config(&scenario.config);
    let mut state = UserState::default();
    let mut alerts: Vec<Alert> = Vec::new();
    for batch in &scenario.batches {
        for alert in engine.process_user(ALICE, &mut state, batch, &scenario.ctx).alerts {
            match alerts.iter_mut().find(|a| a.id == alert.id) {
                Some(existing) => merge_alert(existing, alert),
                None => alerts.push(alert),
            }
        }
    }
    alerts
}

fn check(policy: &str, scenarios: Vec<Scenario>) {
    for s in scenarios {
        let alerts: Vec<Alert> = run(&s).into_iter().filter(|a| a.policy_id == policy).collect();
        assert_eq!(alerts.len(), s.alerts, "{policy} / {}: {alerts:#?}", s.name);
        if let Some(expected) = &s.evidence {
            let ids: Vec<String> = expected.iter().map(|e| format!("slack:{e}")).collect();
            assert_eq!(alerts[0].activity_ids, ids, "{policy} / {}", s.name);
        }
        for alert in &alerts {
            assert_eq!((alert.user.as_str(), alert.tenant.as_str()), (ALICE, "acme"), "{}", s.name);
            assert!(!alert.title.is_empty() && alert.evidence.is_object(), "{}", s.name);
        }
    }
}

fn with(mut base: Vec<Activity>, more: Vec<Activity>) -> Vec<Activity> {
    base.extend(more);
    base
}

#[test]
fn impossible_travel() {
    let day10 = 10 * DAY + 9 * 60;
    check(
        "impossible_travel",
        vec![
            scenario("US then CN 47 minutes later", with(routine(10), vec![us("a", day10), cn("b", day10 + 47)]), 1)
                .evidence(&["a", "b"]),
            scenario(
                "CN arriving before US in the batch (out of order)",
                with(routine(10), vec![cn("b", day10 + 47), us("a", day10)]),
                1,
            )
            .evidence(&["a", "b"]),
            scenario("out of order across batches", with(routine(10), vec![us("a", day10 + 60), cn("b", day10)]), 1)
                .split(11),
            scenario(
                "US then CN a day later is possible",
                with(routine(10), vec![us("a", day10), cn("b", day10 + DAY)]),
                0,
            ),
            scenario(
                "bordering country (US → CA in 30 min)",
                with(routine(10), vec![us("a", day10), ca("b", day10 + 30)]),
                0,
            ),
            scenario("same country", with(routine(10), vec![us("a", day10), us("b", day10 + 1)]), 0),
            scenario("during the learning period", vec![us("a", 9 * 60), cn("b", 9 * 60 + 47)], 0),
            scenario(
                "accuracy radius swallows the distance",
                with(
                    routine(10),
                    vec![us("a", day10).with_accuracy(3000.0), cn("b", day10 + 300).with_accuracy(3000.0)],
                ),
                0,
            ),
            scenario(
                "the same pair with precise locations alerts",
                with(routine(10), vec![us("a", day10).with_accuracy(20.0), cn("b", day10 + 300).with_accuracy(20.0)]),
                1,
            ),
            scenario(
                "both ends trusted",
                with(
                    routine(10),
                    vec![us("a", day10).with_tags(&["corporate"]), cn("b", day10 + 47).with_tags(&["corporate_vpn"])],
                ),
                0,
            ),
            scenario(
                "both ends trusted at high sensitivity",
                with(
                    routine(10),
                    vec![us("a", day10).with_tags(&["corporate"]), cn("b", day10 + 47).with_tags(&["corporate_vpn"])],
                ),
                1,
            )
            .config(|c| c.detections.impossible_travel.sensitivity = Sensitivity::High),
            scenario(
                "one trusted end still alerts",
                with(routine(10), vec![us("a", day10).with_tags(&["corporate"]), cn("b", day10 + 47)]),
                1,
            ),
            scenario(
                "hosting-provider IPs are ignored",
                with(routine(10), vec![us("a", day10), cn("b", day10 + 47).with_tags(&["hosting"])]),
                0,
            ),
            scenario(
                "places the user uses regularly (medium)",
                with(
                    with(routine(10), (0..4).map(|d| cn(&format!("c{d}"), d * DAY + 20 * 60)).collect()),
                    vec![us("a", day10), cn("b", day10 + 47)],
                ),
                0,
            ),
            scenario(
                "places the user uses regularly still alert at high sensitivity",
                with(
                    with(routine(10), (0..4).map(|d| cn(&format!("c{d}"), d * DAY + 20 * 60)).collect()),
                    vec![us("a", day10), cn("b", day10 + 47)],
                ),
                1,
            )
            .config(|c| c.detections.impossible_travel.sensitivity = Sensitivity::High),
            scenario(
                "places the tenant uses regularly (low)",
                with(routine(10), vec![us("a", day10), cn("b", day10 + 47)]),
                0,
            )
            .config(|c| c.detections.impossible_travel.sensitivity = Sensitivity::Low)
            .ctx(|ctx| {
                ctx.usage.insert(country_key("US"), 50);
                ctx.usage.insert(country_key("CN"), 9);
            }),
            scenario(
                "tenant places do not suppress at medium",
                with(routine(10), vec![us("a", day10), cn("b", day10 + 47)]),
                1,
            )
            .ctx(|ctx| {
                ctx.usage.insert(country_key("US"), 50);
                ctx.usage.insert(country_key("CN"), 9);
            }),
            scenario("excluded user", with(routine(10), vec![us("a", day10), cn("b", day10 + 47)]), 0)
                .config(|c| c.detections.impossible_travel.exclude_users = vec![ALICE.into()]),
            scenario(
                "failed sign-ins do not count as presence",
                with(
                    routine(10),
                    vec![us("a", day10), cn("b", day10 + 47).with_action("user_login_failed", Category::SignInFailure)],
                ),
                0,
            ),
        ],
    );
}

#[test]
fn impossible_travel_title_reads_at_a_glance() {
    let s = scenario("title", with(routine(10), vec![us("a", 10 * DAY), cn("b", 10 * DAY + 47)]), 1);
    let alert = run(&s).into_iter().find(|a| a.policy_id == "impossible_travel").expect("alert");
    assert_eq!(
        alert.title,
        "Impossible travel: alice@acme.example from Milton, US to Changchun, CN in 47 min (≈ 10,102 km/h)"
    );
    assert_eq!(alert.evidence["distance_km"], 7_913.0);
}

#[test]
fn impossible_travel_under_a_minute_says_so_and_gives_its_speed_as_a_floor() {
    let mut quick = cn("b", 10 * DAY);
    quick.occurred_at += chrono::Duration::seconds(30);
    let s = scenario("30 s apart", with(routine(10), vec![us("a", 10 * DAY), quick]), 1);
    let alert = run(&s).into_iter().find(|a| a.policy_id == "impossible_travel").expect("alert");
    assert!(
        alert.title.starts_with(
            "Impossible travel: alice@acme.example from Milton, US to Changchun, CN in under a minute (over "
        ) && alert.title.ends_with(" km/h)"),
        "{}",
        alert.title
    );
    assert!(alert.description.contains("in under a minute, counted as one;"), "{}", alert.description);
    assert_eq!(alert.evidence["minutes"], 0);
}

#[test]
fn unusual_activity_titles_say_never_before_for_a_first_time_and_the_usual_peak_otherwise() {
    let day14 = 14 * DAY + 15 * 60;
    let cases = [
        (with(routine(14), admin_burst("x", day14, 25, "role_change_to_admin")), "(never before)"),
        (
            with(admin_routine(14, 8, "role_change_to_admin"), admin_burst("x", day14, 40, "role_change_to_admin")),
            "(usual busiest hour: 8.0)",
        ),
    ];
    for (activities, says) in cases {
        let alerts = run(&scenario("title", activities, 1));
        let alert = alerts.iter().rfind(|a| a.policy_id == "unusual_admin_activity").expect("alert");
        assert!(alert.title.ends_with(says), "{} should end with {says}", alert.title);
    }
}

#[test]
fn infrequent_country() {
    let day10 = 10 * DAY + 9 * 60;
    check(
        "infrequent_country",
        vec![
            scenario("a new country after learning", with(routine(10), vec![se("a", day10)]), 1).evidence(&["a"]),
            scenario(
                "the trip is one alert, not one per activity",
                with(routine(10), vec![se("a", day10), se("b", day10 + 60), se("c", day10 + DAY)]),
                1,
            ),
            scenario("during the learning period", with(routine(3), vec![se("a", 3 * DAY)]), 0),
            scenario(
                "a country seen within the baseline",
                with(with(vec![se("early", 60)], routine(10)), vec![se("a", day10)]),
                0,
            ),
            scenario(
                "a country last seen before the baseline",
                with(with(vec![se("early", 60)], routine(40)), vec![se("a", 40 * DAY)]),
                1,
            ),
            scenario("excluded traveller", with(routine(10), vec![se("a", day10)]), 0)
                .config(|c| c.detections.infrequent_country.exclude_users = vec![ALICE.into()]),
            scenario(
                "a country many tenant users use, with tenant suppression on",
                with(routine(10), vec![se("a", day10)]),
                0,
            )
            .config(|c| c.detections.infrequent_country.tenant_users = 5)
            .ctx(|ctx| {
                ctx.usage.insert(country_key("SE"), 12);
            }),
            scenario(
                "a failed sign-in from a new country",
                with(routine(10), vec![se("a", day10).with_action("user_login_failed", Category::SignInFailure)]),
                0,
            ),
        ],
    );
}

#[test]
fn anonymous_ip() {
    let day10 = 10 * DAY;
    let tor = |id: &str, m: i64| us(id, m).with_ip("1.124.213.1").with_tags(&["anonymous", "anonymous_vpn", "tor"]);
    check(
        "anonymous_ip",
        vec![
            scenario("a sign-in through Tor", with(routine(10), vec![tor("a", day10)]), 1).evidence(&["a"]),
            scenario(
                "the same IP all day is one alert",
                with(routine(10), vec![tor("a", day10), tor("b", day10 + 5), tor("c", day10 + 90)]),
                1,
            )
            .evidence(&["a", "b", "c"]),
            scenario("an IP many of the tenant's users share", with(routine(10), vec![tor("a", day10)]), 0).ctx(
                |ctx| {
                    ctx.usage.insert(ip_key("1.124.213.1".parse().expect("ip")), 7);
                },
            ),
            scenario(
                "the organisation's corporate range",
                with(routine(10), vec![tor("a", day10).with_tags(&["corporate"])]),
                0,
            ),
            scenario(
                "a failed attempt",
                with(routine(10), vec![tor("a", day10).with_action("user_login_failed", Category::SignInFailure)]),
                0,
            ),
            scenario("no anonymous tag", with(routine(10), vec![us("a", day10).with_tags(&["hosting"])]), 0),
            scenario("excluded user", with(routine(10), vec![tor("a", day10)]), 0)
                .config(|c| c.detections.anonymous_ip.exclude_users = vec![ALICE.into()]),
            scenario("no learning period by default", vec![tor("a", 5)], 1),
        ],
    );
}

#[test]
fn suspicious_ip() {
    let bad = |id: &str, m: i64| us(id, m).with_ip("67.43.156.7").with_tags(&["suspicious"]);
    check(
        "suspicious_ip",
        vec![
            scenario("activity from a listed IP", vec![bad("a", 5)], 1),
            scenario(
                "failed sign-ins from it count (password spray)",
                vec![bad("a", 5).with_action("user_login_failed", Category::SignInFailure)],
                1,
            ),
            scenario("unlisted IP", vec![us("a", 5)], 0),
            scenario("a tag the settings do not name", vec![us("a", 5).with_tags(&["botnet-x"])], 0),
            scenario("configured tags", vec![us("a", 5).with_tags(&["botnet-x"])], 1)
                .config(|c| c.detections.suspicious_ip.tags = vec!["botnet-x".into()]),
            scenario("the organisation's range wins", vec![bad("a", 5).with_tags(&["suspicious", "corporate"])], 0),
            scenario("excluded user", vec![bad("a", 5)], 0)
                .config(|c| c.detections.suspicious_ip.exclude_users = vec![ALICE.into()]),
        ],
    );
}

#[test]
fn terminated_user() {
    let since = Utc.with_ymd_and_hms(2026, 10, 5, 12, 0, 0).single().expect("time");
    let terminated = |ctx: &mut Context| {
        ctx.termination =
            Some(Termination { user: ALICE.into(), status: TerminationStatus::Disabled, since, source: "test".into() })
    };
    let minute_of = |t: chrono::DateTime<Utc>| (t - at_minute(0)).num_minutes();
    let after = minute_of(since) + 2 * DAY;
    check(
        "terminated_user",
        vec![
            scenario("activity two days after the account was disabled", vec![us("a", after)], 1).ctx(terminated),
            scenario("every later activity joins the same alert", vec![us("a", after), us("b", after + 60)], 1)
                .ctx(terminated)
                .evidence(&["a", "b"]),
            scenario("activity before the termination", vec![us("a", minute_of(since) - 60)], 0).ctx(terminated),
            scenario("within the grace period", vec![us("a", minute_of(since) + 10)], 0).ctx(terminated),
            scenario(
                "a failed sign-in (the identity provider did its job)",
                vec![us("a", after).with_action("user_login_failed", Category::SignInFailure)],
                0,
            )
            .ctx(terminated),
            scenario("no termination on record", vec![us("a", after)], 0),
            scenario("excluded user", vec![us("a", after)], 0)
                .ctx(terminated)
                .config(|c| c.detections.terminated_user.exclude_users = vec![ALICE.into()]),
        ],
    );
}

/// `per_day` administrative actions on each of days 0..days, at 10:00.
fn admin_routine(days: i64, per_day: i64, action: &str) -> Vec<Activity> {
    (0..days)
        .flat_map(|d| (0..per_day).map(move |i| (d, i)))
        .map(|(d, i)| us(&format!("r{d}-{i}"), d * DAY + 10 * 60 + i).admin(action))
        .collect()
}

fn admin_burst(prefix: &str, start: i64, count: i64, action: &str) -> Vec<Activity> {
    (0..count).map(|i| us(&format!("{prefix}{i}"), start + i).admin(action)).collect()
}

#[test]
fn unusual_admin_activity() {
    let day14 = 14 * DAY + 15 * 60;
    check(
        "unusual_admin_activity",
        vec![
            scenario(
                "a member's first admin burst",
                with(routine(14), admin_burst("x", day14, 25, "role_change_to_admin")),
                1,
            ),
            scenario(
                "nine in an hour stays below the floor",
                with(routine(14), admin_burst("x", day14, 9, "role_change_to_admin")),
                0,
            ),
            scenario(
                "an admin's usual day",
                with(admin_routine(14, 8, "role_change_to_admin"), admin_burst("x", day14, 8, "role_change_to_admin")),
                0,
            ),
            scenario(
                "an admin far above their busiest hours",
                with(admin_routine(14, 8, "role_change_to_admin"), admin_burst("x", day14, 40, "role_change_to_admin")),
                1,
            ),
            scenario(
                "three kinds never performed before, even at a low count",
                with(
                    admin_routine(14, 2, "role_change_to_admin"),
                    vec![
                        us("n1", day14).admin("pref.sso_setting_changed"),
                        us("n2", day14 + 1).admin("idp_configuration_deleted"),
                        us("n3", day14 + 2).admin("legal_hold_policy_deleted"),
                    ],
                ),
                1,
            ),
            scenario(
                "a burst over two hours is one alert",
                with(routine(14), admin_burst("x", day14 + 40, 60, "role_change_to_admin")),
                1,
            ),
            scenario("during the learning period", admin_burst("x", 60, 30, "role_change_to_admin"), 0),
            scenario("excluded user", with(routine(14), admin_burst("x", day14, 25, "role_change_to_admin")), 0)
                .config(|c| c.detections.unusual_admin_activity.exclude_users = vec![ALICE.into()]),
            scenario(
                "impersonated activity is not administrative",
                with(
                    routine(14),
                    (0..30).map(|i| us(&format!("i{i}"), day14 + i).impersonated_by("Calendar")).collect(),
                ),
                0,
            ),
        ],
    );
}

#[test]
fn unusual_impersonated_activity() {
    let day14 = 14 * DAY + 15 * 60;
    let on_behalf = |prefix: &str, start: i64, count: i64, app: &str| -> Vec<Activity> {
        (0..count).map(|i| us(&format!("{prefix}{i}"), start + i).impersonated_by(app)).collect()
    };
    let steady: Vec<Activity> =
        (0..14).flat_map(|d| on_behalf(&format!("s{d}-"), d * DAY + 11 * 60, 6, "Calendar")).collect();
    check(
        "unusual_impersonated_activity",
        vec![
            scenario(
                "an app suddenly acting 60 times in an hour",
                with(routine(14), on_behalf("x", day14, 60, "Exfil Bot")),
                1,
            ),
            scenario("a steady integration's usual day", with(steady.clone(), on_behalf("x", day14, 6, "Calendar")), 0),
            scenario(
                "a steady integration far above its usual",
                with(steady, on_behalf("x", day14, 45, "Calendar")),
                1,
            ),
            scenario("during the learning period", on_behalf("x", 60, 60, "Exfil Bot"), 0),
        ],
    );
}

#[test]
fn learning_period_covers_new_tenants_too() {
    // The user is old, but the tenant only started being watched today: nothing may fire yet.
    let mut s = scenario("new tenant", with(routine(10), vec![us("a", 10 * DAY), cn("b", 10 * DAY + 47)]), 0);
    s.ctx.tenant_first_seen = Some(at_minute(10 * DAY));
    let alerts = run(&s);
    assert!(alerts.is_empty(), "{alerts:#?}");
}

#[test]
fn a_batch_remembers_its_own_ids_so_its_redelivery_is_recognised_and_nothing_older() {
    let engine = Engine::from_config(&Config::default());
    let mut state = UserState::default();
    let first = routine(3);
    let outcome = engine.process_user(ALICE, &mut state, first.iter(), &ctx());
    assert_eq!((outcome.processed, outcome.redelivered), (3, 0));

    // The same batch again (a redelivery): nothing is processed and the state is unchanged.
    let before = state.clone();
    let outcome = engine.process_user(ALICE, &mut state, first.iter(), &ctx());
    assert_eq!((outcome.processed, outcome.redelivered), (0, 3));
    assert_eq!(state, before);

    // A later batch that repeats one of the earlier activities (a re-sent overlap) and a duplicate of
    // its own: the repeats are not processed again, and the state now remembers only this batch.
    let second = [first[2].clone(), us("home3", 3 * DAY + 9 * 60), us("home3", 3 * DAY + 9 * 60)];
    let outcome = engine.process_user(ALICE, &mut state, second.iter(), &ctx());
    assert_eq!((outcome.processed, outcome.redelivered), (1, 2));
    assert!(state.has_processed("slack:home3"));
    assert!(!state.has_processed("slack:home0"), "older batches are the audit trail's to recognise");
    assert_eq!(state.recent_ids.len(), 1);
}

//! Scenarios of a real tenant's confounders (issue: detection quality on messy traffic): apps acting for
//! travelling users, a session that keeps flipping between places, Tor exits that change, a corporate VPN
//! that exits abroad. Each says how many alerts one incident may give.

use super::*;

/// Slack's "Zapier" app acting for Alice from its vendor's cloud, geolocated far from her.
fn app_in_cn(id: &str, minute: i64) -> Activity {
    cn(id, minute).impersonated_by("Zapier")
}

#[test]
fn apps_acting_for_a_user_are_not_where_the_user_is() {
    let day10 = 10 * DAY + 9 * 60;
    for policy in ["impossible_travel", "infrequent_country"] {
        check(
            policy,
            vec![
                scenario(
                    "an app acts for her from CN while she works in the US",
                    with(routine(10), vec![us("a", day10), app_in_cn("b", day10 + 20), us("c", day10 + 40)]),
                    0,
                ),
                scenario(
                    "she herself in CN still alerts",
                    with(routine(10), vec![us("a", day10), cn("b", day10 + 47)]),
                    1,
                ),
            ],
        );
    }
    // Nor does the app's egress become one of her places, or a place of the tenant.
    let engine = Engine::from_config(&Config::default());
    let mut state = UserState::default();
    let batch = with(routine(10), vec![app_in_cn("b", 10 * DAY)]);
    engine.process_user(ALICE, &mut state, &batch, &ctx());
    assert!(!state.countries.contains_key("CN"), "{:?}", state.countries.keys());
    assert!(usage_keys(&app_in_cn("b", 0)).is_empty());
    assert_eq!(usage_keys(&cn("b", 0)).len(), 2);
}

#[test]
fn a_session_flipping_between_places_is_one_impossible_travel_alert_until_a_pause() {
    let day10 = 10 * DAY + 9 * 60;
    // Three hours of a hijacked session in CN interleaved with the victim's own work in the US.
    let flips: Vec<Activity> = (0..12)
        .map(|i| if i % 2 == 0 { us(&format!("f{i}"), day10 + i * 15) } else { cn(&format!("f{i}"), day10 + i * 15) })
        .collect();
    let alerts = run(&scenario("flips", with(routine(10), flips.clone()), 1));
    let travel: Vec<&Alert> = alerts.iter().filter(|a| a.policy_id == "impossible_travel").collect();
    assert_eq!(travel.len(), 1, "{travel:#?}");
    assert_eq!(travel[0].evidence_total(), 12, "every flip is evidence");
    assert!(travel[0].title.contains("; 11 impossible trips since"), "{}", travel[0].title);
    assert_eq!(travel[0].evidence["incident"]["trips"], 11);

    check(
        "impossible_travel",
        vec![
            scenario("the same session delivered in two batches", with(routine(10), flips.clone()), 1).split(14),
            scenario(
                "a second attack two days after the first is a second alert",
                with(with(routine(10), flips), vec![us("x", day10 + 2 * DAY), cn("y", day10 + 2 * DAY + 30)]),
                2,
            ),
            scenario(
                "a shorter gap splits the session into incidents",
                with(
                    routine(10),
                    vec![us("a", day10), cn("b", day10 + 30), us("c", day10 + 300), cn("d", day10 + 330)],
                ),
                2,
            )
            .config(|c| c.detections.impossible_travel.incident_gap = std::time::Duration::from_secs(3600)),
        ],
    );
}

#[test]
fn tor_exits_that_change_and_the_next_day_are_one_anonymous_ip_alert_until_a_pause() {
    let day10 = 10 * DAY;
    let tor = |id: &str, m: i64, ip: &str| us(id, m).with_ip(ip).with_tags(&["tor"]);
    check(
        "anonymous_ip",
        vec![
            scenario(
                "three exits in an hour, then the next morning",
                with(
                    routine(10),
                    vec![
                        tor("a", day10 + 600, "1.124.213.1"),
                        tor("b", day10 + 620, "1.124.213.2"),
                        tor("c", day10 + 660, "1.124.213.3"),
                        tor("d", day10 + DAY + 480, "1.124.213.4"),
                    ],
                ),
                1,
            )
            .evidence(&["a", "b", "c", "d"]),
            scenario(
                "after three quiet days, a new alert",
                with(routine(10), vec![tor("a", day10, "1.124.213.1"), tor("b", day10 + 4 * DAY, "1.124.213.1")]),
                2,
            ),
        ],
    );
}

#[test]
fn a_corporate_vpn_exiting_abroad_is_exempt_only_when_the_settings_say_so() {
    let day10 = 10 * DAY + 9 * 60;
    let vpn_in_se = |id: &str, m: i64| se(id, m).with_tags(&["corporate_vpn"]);
    check(
        "infrequent_country",
        vec![
            scenario("by default the VPN's country alerts", with(routine(10), vec![vpn_in_se("a", day10)]), 1),
            scenario("exempted by ignored_tags", with(routine(10), vec![vpn_in_se("a", day10)]), 0)
                .config(|c| c.detections.infrequent_country.ignored_tags = vec!["corporate_vpn".into()]),
            scenario(
                "the exemption is the range's, not the country's",
                with(routine(10), vec![vpn_in_se("a", day10), se("b", day10 + 2 * DAY)]),
                1,
            )
            .config(|c| c.detections.infrequent_country.ignored_tags = vec!["corporate_vpn".into()]),
        ],
    );
    check(
        "impossible_travel",
        vec![
            scenario(
                "by default a VPN end is travel",
                with(routine(10), vec![us("a", day10), vpn_in_se("b", day10 + 30)]),
                1,
            ),
            scenario(
                "a VPN end ignored by ignored_tags",
                with(routine(10), vec![us("a", day10), vpn_in_se("b", day10 + 30)]),
                0,
            )
            .config(|c| c.detections.impossible_travel.ignored_tags.push("corporate_vpn".into())),
        ],
    );
}

/// An admin's light daily routine (3 a day at 10:00) for 36 days, with a bigger burst every seventh day at
/// 15:00 (days 7, 14, 21: 25, 45, 30 actions) — a weekly onboarding habit — and `last` on `last_day`.
fn weekly_admin_habit(last_day: i64, last: i64) -> Vec<Activity> {
    let mut all = admin_routine(36, 3, "role_change_to_admin");
    for (day, count) in [(7, 25), (14, 45), (21, 30), (last_day, last)] {
        all.extend(admin_burst(&format!("w{day}-"), day * DAY + 15 * 60, count, "role_change_to_admin"));
    }
    all.sort_by_key(|a| a.occurred_at);
    all
}

/// How many unusual-admin alerts start on `day`.
fn admin_alerts_on(day: i64, weekly: bool, activities: Vec<Activity>) -> usize {
    let s = scenario("weekly habit", activities, 0).config(|c| c.detections.unusual_admin_activity.weekly = weekly);
    let from = at_minute(day * DAY);
    let to = at_minute((day + 1) * DAY);
    run(&s)
        .iter()
        .filter(|a| a.policy_id == "unusual_admin_activity" && a.created_at >= from && a.created_at < to)
        .count()
}

#[test]
fn a_weekly_admin_habit_is_learned_and_attacks_still_alert() {
    // The fifth onboarding burst (60) is above the daily baseline (about 36) but within the habit of its
    // weekday (25, 45, 30: about 71 after two busy weeks).
    assert_eq!(admin_alerts_on(28, false, weekly_admin_habit(28, 60)), 1, "daily baseline alone");
    assert_eq!(admin_alerts_on(28, true, weekly_admin_habit(28, 60)), 0, "with the weekly habit");
    // One earlier busy weekday is not yet a habit: the second burst alerts either way.
    assert_eq!(admin_alerts_on(14, true, weekly_admin_habit(28, 60)), 1, "one busy week is no habit");
    // The habit covers its weekday only, and only up to its own spread.
    assert_eq!(admin_alerts_on(29, true, weekly_admin_habit(29, 60)), 1, "the same burst the next day");
    let mut far_above = weekly_admin_habit(28, 60);
    far_above.extend(admin_burst("again", 28 * DAY + 15 * 60, 60, "role_change_to_admin"));
    far_above.sort_by_key(|a| a.occurred_at);
    assert_eq!(admin_alerts_on(28, true, far_above), 1, "120 in the hour: far above the habit");
}

/// Every user's alerts from a run of the default engine over `activities` (each user's in one batch).
fn alerts_of_users(activities: Vec<Activity>) -> Vec<Alert> {
    let engine = Engine::from_config(&Config::default());
    let mut by_user: std::collections::BTreeMap<String, Vec<Activity>> = Default::default();
    for a in activities {
        by_user.entry(a.user_key()).or_default().push(a);
    }
    let mut alerts = Vec::new();
    for (user, batch) in by_user {
        let mut state = UserState::default();
        alerts.extend(engine.process_user(&user, &mut state, &batch, &ctx()).alerts);
    }
    alerts
}

#[test]
fn a_spray_from_one_source_links_every_users_alert_under_one_campaign() {
    let victims = ["a@acme.example", "b@acme.example", "c@acme.example"];
    let failures = |ip: &str, victim: usize, n: i64| {
        let user = victims[victim];
        let seen = activity(&format!("seen-{user}"), user, at_minute(0));
        let tries = (0..n).map(move |i| {
            activity(&format!("{ip}-{user}-{i}"), user, at_minute(10 * DAY + victim as i64 * 3 + i))
                .with_ip(ip)
                .with_action("user_login_failed", Category::SignInFailure)
        });
        std::iter::once(seen).chain(tries).collect::<Vec<_>>()
    };
    // A listed IP sprays three users (suspicious_ip), five tries each (multiple_failed_logins too).
    let listed: Vec<Activity> = (0..3)
        .flat_map(|v| failures("67.43.156.7", v, 5))
        .map(|a| if a.ip.is_some() { a.with_tags(&["suspicious"]) } else { a })
        .collect();
    let alerts = alerts_of_users(listed);
    let spray = crate::alert::campaign_id("acme", "67.43.156.7".parse().expect("ip"));
    assert_eq!(alerts.len(), 6, "each user keeps their own alerts: {alerts:#?}");
    assert!(alerts.iter().all(|a| a.campaign.as_deref() == Some(spray.as_str())), "{alerts:#?}");
    let campaigns = crate::campaign::campaigns(&alerts, 2);
    assert_eq!(campaigns.len(), 1);
    assert_eq!(campaigns[0].users, victims);
    assert_eq!(campaigns[0].policies, ["multiple_failed_logins", "suspicious_ip"]);

    // An IPv6 host rotating within its /64 is one source; a burst from two sources is no campaign.
    let mut v6 = failures("2001:db8:7:7::1", 0, 3);
    v6.extend(failures("2001:db8:7:7::2", 0, 3).into_iter().skip(1));
    v6.extend(failures("2001:db8:7:7::3", 1, 5));
    let mut mixed = failures("198.51.100.1", 2, 3);
    mixed.extend(failures("198.51.100.2", 2, 3).into_iter().skip(1));
    v6.extend(mixed);
    let alerts = alerts_of_users(v6);
    let by_user = |u: &str| alerts.iter().find(|a| a.user == u).and_then(|a| a.campaign.clone());
    let v6_campaign = crate::alert::campaign_id("acme", "2001:db8:7:7::9".parse().expect("ip"));
    assert_eq!(by_user(victims[0]), Some(v6_campaign.clone()));
    assert_eq!(by_user(victims[1]), Some(v6_campaign));
    assert_eq!(by_user(victims[2]), None, "two sources: not one campaign");
    assert_eq!(alerts.len(), 3, "{alerts:#?}");

    // Tries from the organisation's own NAT are no campaign.
    let office: Vec<Activity> = failures("198.51.100.9", 0, 6)
        .into_iter()
        .map(|a| if a.ip.is_some() { a.with_tags(&["corporate"]) } else { a })
        .collect();
    let alerts = alerts_of_users(office);
    assert!(alerts.len() == 1 && alerts[0].campaign.is_none(), "{alerts:#?}");
    // A burst that a second source joins after it alerted is no longer one source's: the grown alert, as
    // the store merges it, loses its campaign.
    let burst = failures("198.51.100.20", 1, 6);
    let late: Vec<Activity> = (0..3)
        .map(|i| {
            activity(&format!("late{i}"), victims[1], at_minute(10 * DAY + 30 + i))
                .with_ip("198.51.100.21")
                .with_action("user_login_failed", Category::SignInFailure)
        })
        .collect();
    let mut stored = alerts_of_users(burst.clone());
    assert!(stored.len() == 1 && stored[0].campaign.is_some(), "one source so far: {stored:#?}");
    let engine = Engine::from_config(&Config::default());
    let mut state = UserState::default();
    engine.process_user(victims[1], &mut state, &burst, &ctx());
    for newer in engine.process_user(victims[1], &mut state, &late, &ctx()).alerts {
        crate::alert::merge_alert(&mut stored[0], newer);
    }
    assert_eq!(stored[0].evidence_total(), 9);
    assert_eq!(stored[0].campaign, None, "two sources now");
}

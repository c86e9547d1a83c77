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

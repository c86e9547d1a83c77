//! The simulated tenant, checked from the outside: only the public API and the raw API JSON, against
//! facts stated independently here (the MaxMind test databases' ranges, the vendors' paging rules).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Duration, Weekday};
use saaswarden_demo::{CORPORATE_VPN_RANGE, DEMO_THREAT_LIST, DemoOptions, DemoTenant, SimRole, generate};
use serde_json::Value;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// GeoIP2-City-Test.mmdb's located IPv4 networks (London's are inside 81.2.69.0/24, listed by it), and
/// three of its IPv6 networks.
const LOCATED: [(&str, &str); 16] = [
    ("2001:480:10::/48", "US"),
    ("2a02:d040::/29", "SE"),
    ("2a02:d3c0::/29", "GB"),
    ("2.125.160.216/29", "GB"),
    ("81.2.69.0/24", "GB"),
    ("89.160.20.112/28", "SE"),
    ("89.160.20.128/25", "SE"),
    ("216.160.83.56/29", "US"),
    ("216.160.83.64/29", "US"),
    ("214.78.120.0/22", "US"),
    ("149.101.100.0/28", "US"),
    ("175.16.199.0/24", "CN"),
    ("214.0.0.0/24", "SG"),
    ("214.0.1.0/24", "AU"),
    ("67.43.156.0/24", "BT"),
    ("202.196.224.0/20", "PH"),
];

/// Every network GeoIP2-Anonymous-IP-Test.mmdb tags.
const ANONYMOUS: [&str; 7] =
    ["1.2.0.0/16", "1.124.213.1/32", "6.1.0.0/29", "65.0.0.0/13", "71.160.223.0/24", "81.2.69.0/24", "186.30.236.0/24"];

/// The ranges benign traffic may use: offices, homes (IPv4 and IPv6), the VPN, and the apps' cloud egress
/// in Milton, US (whose .61 is threat-listed, checked apart).
const BENIGN: [&str; 8] = [
    "214.78.120.0/22",
    "149.101.100.0/28",
    "89.160.20.128/25",
    "2.125.160.216/29",
    "2001:480:10::/48",
    "2a02:d040::/29",
    "2a02:d3c0::/29",
    "216.160.83.56/29",
];

/// Whether `ip` is in `cidr` (an address alone is a /32 or /128), IPv4 or IPv6.
fn within(ip: IpAddr, cidr: &str) -> bool {
    let (net, bits) = cidr.split_once('/').map_or((cidr, None), |(n, b)| (n, Some(b)));
    let net: IpAddr = net.parse().expect("network address");
    let as_bits = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    };
    let ((a, width), (n, net_width)) = (as_bits(ip), as_bits(net));
    let bits: u32 = bits.map_or(net_width, |b| b.parse().expect("prefix length"));
    let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
    width == net_width && a & mask == n & mask
}

fn country(ip: IpAddr) -> Option<&'static str> {
    LOCATED.iter().find(|(cidr, _)| within(ip, cidr)).map(|(_, c)| *c)
}

fn threat_listed(ip: IpAddr) -> bool {
    DEMO_THREAT_LIST.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).any(|l| within(ip, l))
}

/// One entry of either app, reduced to what the checks need.
#[derive(Debug)]
struct Act {
    id: String,
    app: &'static str,
    /// Lower-case email; `None` for the Zendesk system actor.
    user: Option<String>,
    at: i64,
    action: String,
    /// What a baseline of kinds would key on: the Slack action, or Zendesk's action and source type.
    kind: String,
    ip: Option<IpAddr>,
    admin: bool,
    via_app: bool,
    planted: bool,
}

impl Act {
    fn successful_sign_in(&self) -> bool {
        self.action == "user_login" || (self.app == "zendesk" && self.action == "login")
    }

    fn country(&self) -> Option<&'static str> {
        self.ip.and_then(country)
    }
}

fn slack_admin(action: &str) -> bool {
    action.starts_with("pref.")
        || action.starts_with("role_change_to_")
        || action == "app_approved"
        || action == "app_restricted"
}

fn activities(tenant: &DemoTenant) -> Vec<Act> {
    let planted: BTreeSet<&str> =
        tenant.planted.iter().flat_map(|p| p.activity_ids.iter().map(String::as_str)).collect();
    let zendesk_emails: BTreeMap<i64, String> = tenant.zendesk_users["users"]
        .as_array()
        .expect("users array")
        .iter()
        .map(|u| (u["id"].as_i64().expect("user id"), u["email"].as_str().expect("email").to_lowercase()))
        .collect();
    let ip = |v: &Value| v.as_str().map(|s| s.parse::<IpAddr>().expect("an IP address"));
    let mut acts = Vec::new();
    for e in tenant.slack_entries() {
        let id = format!("slack:{}", e["id"].as_str().expect("slack id"));
        let action = e["action"].as_str().expect("action").to_string();
        acts.push(Act {
            planted: planted.contains(id.as_str()),
            id,
            app: "slack",
            user: e["actor"]["user"]["email"].as_str().map(str::to_lowercase),
            at: e["date_create"].as_i64().expect("date_create"),
            admin: slack_admin(&action),
            kind: action.clone(),
            action,
            ip: ip(&e["context"]["ip_address"]),
            via_app: e["context"].get("app").is_some(),
        });
    }
    for e in tenant.zendesk_entries() {
        let id = format!("zendesk:{}", e["id"].as_i64().expect("zendesk id"));
        let action = e["action"].as_str().expect("action").to_string();
        let source_type = e["source_type"].as_str().expect("source_type");
        let created = e["created_at"].as_str().expect("created_at");
        acts.push(Act {
            planted: planted.contains(id.as_str()),
            id,
            app: "zendesk",
            user: zendesk_emails.get(&e["actor_id"].as_i64().expect("actor_id")).cloned(),
            at: DateTime::parse_from_rfc3339(created).expect("ISO-8601 created_at").timestamp(),
            admin: action != "login" && source_type != "ticket",
            kind: format!("{action} {source_type}"),
            action,
            ip: ip(&e["ip_address"]),
            via_app: false,
        });
    }
    acts.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    acts
}

/// The default tenant; `DEMO_SEED`, `DEMO_USERS` and `DEMO_DAYS` check the same properties on others.
fn tenant() -> &'static DemoTenant {
    static TENANT: OnceLock<DemoTenant> = OnceLock::new();
    TENANT.get_or_init(|| {
        let mut options = DemoOptions::default();
        let var = |name: &str| std::env::var(name).ok().and_then(|s| s.parse::<u64>().ok());
        if let Some(seed) = var("DEMO_SEED") {
            options.seed = seed;
        }
        // Sizes other than the default fail the size checks, but every behavioural check must hold.
        if let Some(users) = var("DEMO_USERS") {
            options.users = users as usize;
        }
        if let Some(days) = var("DEMO_DAYS") {
            options.days = days as u32;
        }
        generate(&options)
    })
}

fn acts() -> &'static [Act] {
    static ACTS: OnceLock<Vec<Act>> = OnceLock::new();
    ACTS.get_or_init(|| activities(tenant()))
}

/// Each user's activities, oldest first.
fn by_user(planted: bool) -> BTreeMap<&'static str, Vec<&'static Act>> {
    let mut map: BTreeMap<&str, Vec<&Act>> = BTreeMap::new();
    for act in acts().iter().filter(|a| a.planted == planted) {
        if let Some(user) = act.user.as_deref() {
            map.entry(user).or_default().push(act);
        }
    }
    map
}

fn role(email: &str) -> SimRole {
    tenant().users.iter().find(|u| u.email == email).map(|u| u.role).expect("a simulated user")
}

const POLICIES: [&str; 8] = [
    "anonymous_ip",
    "infrequent_country",
    "suspicious_ip",
    "impossible_travel",
    "terminated_user",
    "multiple_failed_logins",
    "unusual_admin_activity",
    "unusual_impersonated_activity",
];

#[test]
fn the_same_seed_gives_identical_output_and_another_seed_differs() {
    let options = DemoOptions { seed: 7, users: 40, days: 24, ..DemoOptions::default() };
    let first = serde_json::to_string(&generate(&options)).expect("serializable");
    let again = serde_json::to_string(&generate(&options)).expect("serializable");
    assert!(first == again, "two runs with seed 7 differ");
    let other = serde_json::to_string(&generate(&DemoOptions { seed: 8, ..options })).expect("serializable");
    assert!(first != other, "seeds 7 and 8 gave the same tenant");
}

#[test]
fn a_minimum_size_tenant_still_plants_every_kind_on_distinct_users() {
    let tenant = generate(&DemoOptions { seed: 3, users: 10, days: 10, ..DemoOptions::default() });
    assert_eq!(tenant.users.len(), saaswarden_demo::MIN_USERS);
    assert_eq!((tenant.end - tenant.start).num_days(), i64::from(saaswarden_demo::MIN_DAYS));
    let kinds: BTreeSet<&str> = tenant.planted.iter().map(|p| p.policy_id).collect();
    assert_eq!(kinds, POLICIES.into_iter().collect());
    let victims: BTreeSet<&str> = tenant.planted.iter().map(|p| p.user.as_str()).collect();
    assert_eq!(victims.len(), tenant.planted.len(), "two attacks share a victim");
    for attack in &tenant.planted {
        assert!(attack.at >= tenant.start + Duration::days(15), "{} is inside the baseline weeks", attack.policy_id);
        assert!(attack.at < tenant.end);
    }
}

#[test]
fn the_default_tenant_has_hundreds_of_users_over_weeks_on_both_apps() {
    let tenant = tenant();
    assert!(tenant.users.len() >= 200);
    assert!((tenant.end - tenant.start).num_days() >= 28);
    assert_eq!((tenant.tenant.as_str(), tenant.domain.as_str()), ("acme", "acme.example"));
    let slack = tenant.slack_entries().count();
    let zendesk = tenant.zendesk_entries().count();
    assert!((60_000..=150_000).contains(&(slack + zendesk)), "{slack} + {zendesk} entries");
    assert!(zendesk > 10_000, "{zendesk} Zendesk entries");
    let seats = tenant.users.iter().filter(|u| u.zendesk_id.is_some()).count();
    assert!((40..=75).contains(&seats), "{seats} Zendesk seats of {}", tenant.users.len());
    let admins = tenant.users.iter().filter(|u| u.role == SimRole::Admin).count();
    assert_eq!(admins, 8);
    let travellers = tenant.users.iter().filter(|u| u.traveller).count();
    assert!((15..=35).contains(&travellers), "{travellers} travellers");
    for user in &tenant.users {
        assert_eq!(user.email, user.email.to_lowercase());
        assert!(user.slack_id.starts_with('W') && user.slack_id.len() == 9, "{}", user.slack_id);
    }
    let emails: BTreeSet<&str> = tenant.users.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails.len(), tenant.users.len());
}

#[test]
fn every_policy_is_planted_after_day_14_on_distinct_users() {
    let tenant = tenant();
    let kinds: BTreeSet<&str> = tenant.planted.iter().map(|p| p.policy_id).collect();
    assert_eq!(kinds, POLICIES.into_iter().collect());
    let victims: BTreeSet<&str> = tenant.planted.iter().map(|p| p.user.as_str()).collect();
    assert_eq!(victims.len(), tenant.planted.len());
    for attack in &tenant.planted {
        assert!(attack.at >= tenant.start + Duration::days(15), "{} at {}", attack.policy_id, attack.at);
        assert!(!attack.description.is_empty() && !attack.activity_ids.is_empty());
        let times: Vec<i64> = acts().iter().filter(|a| attack.activity_ids.contains(&a.id)).map(|a| a.at).collect();
        assert!(times.contains(&attack.at.timestamp()), "{}: `at` is not one of its activities", attack.policy_id);
    }
}

#[test]
fn planted_activity_ids_exist_and_every_id_is_unique() {
    let all: Vec<&str> = acts().iter().map(|a| a.id.as_str()).collect();
    let distinct: BTreeSet<&str> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "duplicate entry ids");
    let mut planted = BTreeSet::new();
    for attack in &tenant().planted {
        for id in &attack.activity_ids {
            assert!(distinct.contains(id.as_str()), "{id} of {} was not generated", attack.policy_id);
            assert!(planted.insert(id.as_str()), "{id} is planted twice");
        }
    }
    // Planted entries are exactly those named by the attacks, and they belong to the victims.
    for act in acts().iter().filter(|a| a.planted) {
        let attack = tenant().planted.iter().find(|p| p.activity_ids.contains(&act.id)).expect("owner");
        let user = act.user.as_deref().unwrap_or_default();
        assert!(user == attack.user || attack.also.iter().any(|u| u == user), "{}", act.id);
    }
}

#[test]
fn every_entry_falls_inside_the_run() {
    let (start, end) = (tenant().start.timestamp(), tenant().end.timestamp());
    for act in acts() {
        assert!((start..end).contains(&act.at), "{} at {}", act.id, act.at);
    }
}

#[test]
fn benign_traffic_uses_only_clean_geolocating_addresses() {
    for act in acts().iter().filter(|a| !a.planted) {
        let Some(ip) = act.ip else {
            assert!(act.app == "zendesk" && act.user.is_none(), "{} has no IP but is no system action", act.id);
            continue;
        };
        assert!(!ANONYMOUS.iter().any(|r| within(ip, r)), "{} uses anonymous {ip}", act.id);
        assert!(!threat_listed(ip), "{} uses threat-listed {ip}", act.id);
        assert!(BENIGN.iter().any(|r| within(ip, r)), "{} uses {ip}, outside the benign ranges", act.id);
    }
}

#[test]
fn benign_failed_sign_ins_never_exceed_two_in_a_row() {
    for (user, acts) in by_user(false) {
        let mut run = 0;
        for act in acts.iter().filter(|a| a.app == "slack") {
            match act.action.as_str() {
                "user_login_failed" => run += 1,
                "user_login" => run = 0,
                _ => {}
            }
            assert!(run <= 2, "{user}: {run} failed sign-ins in a row at {}", act.at);
        }
        assert_eq!(run, 0, "{user}: failed sign-ins never followed by a success");
    }
}

#[test]
fn benign_changes_of_country_are_at_least_ten_hours_apart() {
    for (user, acts) in by_user(false) {
        // What an app does for the user happens where the app runs (its vendor's cloud), not where they are.
        let own: Vec<&&Act> = acts.iter().filter(|a| !a.via_app).collect();
        for pair in own.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if a.country() != b.country() {
                assert!(
                    b.at - a.at >= 10 * HOUR,
                    "{user}: {:?} -> {:?} in {} s",
                    a.country(),
                    b.country(),
                    b.at - a.at
                );
            }
        }
    }
}

#[test]
fn only_travellers_leave_home_and_only_for_countries_seen_in_their_first_week() {
    let first_week = tenant().start.timestamp() + 7 * DAY;
    let mut visited_later = 0;
    for (user, acts) in by_user(false) {
        let profile = tenant().users.iter().find(|u| u.email == user).expect("simulated user");
        let early: BTreeSet<&str> = acts.iter().filter(|a| a.at < first_week).filter_map(|a| a.country()).collect();
        for act in acts.iter().filter(|a| !a.via_app && a.country().is_some_and(|c| c != profile.home_country)) {
            assert!(profile.traveller, "{user} (not a traveller) active from {:?}", act.country());
            let country = act.country().unwrap_or_default();
            assert!(early.contains(country), "{user} first visits {country} after the learning week");
            visited_later += usize::from(act.at >= first_week + 3 * DAY);
        }
    }
    assert!(visited_later > 0, "no traveller made a later trip");
}

#[test]
fn zendesk_actors_resolve_except_the_system_actor() {
    let known: BTreeSet<i64> = tenant().zendesk_users["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["id"].as_i64().expect("id"))
        .collect();
    for entry in tenant().zendesk_entries() {
        let id = entry["actor_id"].as_i64().expect("actor_id");
        assert!(known.contains(&id) || id == -1, "actor {id} does not resolve");
        assert!(entry.get("actor_email").is_none() && entry["actor_name"].is_string());
    }
    for user in tenant().zendesk_users["users"].as_array().expect("users") {
        let role = user["role"].as_str().expect("role");
        assert!(["agent", "admin"].contains(&role) && user["suspended"] == Value::Bool(false));
    }
}

#[test]
fn benign_administration_is_by_admins_only_steady_and_learned_in_the_first_week() {
    let first_week = tenant().start.timestamp() + 7 * DAY;
    for (user, acts) in by_user(false) {
        let admin: Vec<&&Act> = acts.iter().filter(|a| a.admin).collect();
        if admin.is_empty() {
            continue;
        }
        assert_eq!(role(user), SimRole::Admin, "{user} administers but is no admin");
        let early: BTreeSet<(&str, &str)> =
            admin.iter().filter(|a| a.at < first_week).map(|a| (a.app, a.kind.as_str())).collect();
        for act in &admin {
            assert!(early.contains(&(act.app, act.kind.as_str())), "{user} first does {} after week one", act.kind);
        }
        // Steady, except the weekly onboarding habit: its bursts fall on Mondays only.
        let profile = tenant().users.iter().find(|u| u.email == user).expect("simulated user");
        for pair in admin.windows(2) {
            let monday = DateTime::from_timestamp(pair[1].at, 0).is_some_and(|t| t.weekday() == Weekday::Mon);
            let habit = profile.weekly_onboarding && monday;
            assert!(habit || pair[1].at - pair[0].at >= HOUR, "{user}: two admin actions within an hour");
        }
    }
}

#[test]
fn integrations_act_steadily_for_a_few_people() {
    let first_week = tenant().start.timestamp() + 7 * DAY;
    let mut people = 0;
    for (user, acts) in by_user(false) {
        let impersonated: Vec<&&Act> = acts.iter().filter(|a| a.via_app).collect();
        let Some(first) = impersonated.first() else {
            continue;
        };
        people += 1;
        assert!(first.at < first_week, "{user}'s integration starts after week one");
        for pair in impersonated.windows(2) {
            assert!(pair[1].at - pair[0].at >= HOUR, "{user}: integration burst");
        }
    }
    let declared = tenant().users.iter().filter(|u| u.integration.is_some()).count();
    assert_eq!(people, declared, "people with app activity vs SimUser::integration");
    let few = 2..=tenant().users.len() / 10;
    assert!(few.contains(&people), "{people} people with integrations");
}

#[test]
fn the_corporate_vpn_is_shared_by_many_us_users_only() {
    let on_vpn: BTreeSet<&str> = acts()
        .iter()
        .filter(|a| !a.planted && a.ip.is_some_and(|ip| within(ip, CORPORATE_VPN_RANGE)))
        .filter_map(|a| a.user.as_deref())
        .collect();
    assert!(on_vpn.len() >= tenant().users.len() / 20, "only {} VPN users", on_vpn.len());
    for user in on_vpn {
        let profile = tenant().users.iter().find(|u| u.email == user).expect("simulated user");
        assert!(profile.corporate_vpn && profile.home_country == "US", "{user} on the VPN");
    }
}

#[test]
fn terminated_identities_have_no_benign_activity_after_they_left() {
    let users = by_user(false);
    for entry in &tenant().directory {
        let last = users.get(entry.email.as_str()).and_then(|a| a.last()).map(|a| a.at);
        assert!(last.is_none_or(|at| at < entry.since.timestamp()), "{} active after {}", entry.email, entry.since);
    }
}

/// Each planted attack, checked for what makes it that attack.
#[test]
fn planted_activity_has_the_shape_of_its_attack() {
    let benign = by_user(false);
    for attack in &tenant().planted {
        let name = format!("{} on {}", attack.policy_id, attack.user);
        let own: Vec<&Act> = acts().iter().filter(|a| attack.activity_ids.contains(&a.id)).collect();
        let home: &[&Act] = benign.get(attack.user.as_str()).map_or(&[], Vec::as_slice);
        let span = |acts: &[&Act]| acts.last().map_or(0, |l| l.at) - acts.first().map_or(0, |f| f.at);
        match attack.policy_id {
            "anonymous_ip" => {
                assert!(own.iter().all(|a| a.ip.is_some_and(|ip| ANONYMOUS.iter().any(|r| within(ip, r)))), "{name}");
                assert!(own.iter().any(|a| a.successful_sign_in()), "{name}: no successful sign-in");
            }
            "infrequent_country" => {
                let countries: BTreeSet<&str> = home.iter().filter_map(|a| a.country()).collect();
                assert_eq!(countries, BTreeSet::from(["US"]), "{name}: history is not all US");
                assert!(own.iter().all(|a| a.country() == Some("PH")), "{name}");
                assert!(own.iter().any(|a| a.successful_sign_in()), "{name}");
            }
            "suspicious_ip" => {
                assert!(own.iter().all(|a| a.ip.is_some_and(threat_listed)), "{name}");
                assert!(own.iter().any(|a| a.successful_sign_in()), "{name}");
            }
            "impossible_travel" => {
                let foreign = own.iter().position(|a| a.country() == Some("CN")).expect("a sign-in from CN");
                assert!(foreign > 0 && own[foreign].successful_sign_in(), "{name}");
                let before = own[foreign - 1];
                assert_eq!(before.country(), Some("US"), "{name}: the home end");
                assert!(own[foreign].at - before.at <= 45 * 60, "{name}: more than 45 minutes apart");
            }
            "terminated_user" => {
                let left = tenant().directory.iter().find(|d| d.email == attack.user).expect("directory entry");
                assert!(own.iter().all(|a| a.at >= left.since.timestamp() + DAY), "{name}");
                assert!(home.iter().all(|a| a.at < left.since.timestamp()), "{name}");
            }
            "multiple_failed_logins" => {
                let failures: Vec<&Act> = own.iter().copied().filter(|a| a.action == "user_login_failed").collect();
                assert!(failures.len() >= 15 && span(&failures) <= 240, "{name}");
                let ip = failures[0].ip;
                assert!(failures.iter().all(|a| a.ip == ip), "{name}: more than one IP");
                let last = failures.last().map_or(0, |a| a.at);
                assert!(own.iter().any(|a| a.successful_sign_in() && a.at > last), "{name}: no success after");
            }
            "unusual_admin_activity" => {
                let admin: Vec<&Act> = own.iter().copied().filter(|a| a.admin).collect();
                assert!(admin.len() >= 25 && span(&admin) <= HOUR, "{name}");
                assert_eq!(role(&attack.user), SimRole::Member, "{name}");
                assert!(home.iter().all(|a| !a.admin), "{name}: administered before");
            }
            "unusual_impersonated_activity" => {
                assert!(own.len() >= 60 && own.iter().all(|a| a.via_app) && span(&own) <= HOUR, "{name}");
                assert!(home.iter().all(|a| !a.via_app), "{name}: an app acted for them before");
            }
            other => panic!("unknown policy {other}"),
        }
        // Far-away activity stays well away from the victim's own benign activity, so only planted
        // entries can make an impossible-travel pair.
        for act in own.iter().filter(|a| a.country().is_some_and(|c| !["US", "SE", "GB"].contains(&c))) {
            let nearest = home.iter().map(|h| (h.at - act.at).abs()).min().unwrap_or(i64::MAX);
            assert!(nearest >= 14 * HOUR, "{name}: benign activity {nearest} s from {:?}", act.country());
        }
    }
}

#[test]
fn pages_follow_the_apis_paging_rules() {
    let tenant = tenant();
    let slack = &tenant.slack_pages;
    for (i, page) in slack.iter().enumerate() {
        let entries = page["entries"].as_array().expect("entries");
        assert!(!entries.is_empty() && entries.len() <= 1_000);
        let cursor = page["response_metadata"]["next_cursor"].as_str().expect("next_cursor");
        assert_eq!(cursor.is_empty(), i + 1 == slack.len(), "page {i}");
    }
    let times: Vec<i64> = tenant.slack_entries().map(|e| e["date_create"].as_i64().expect("date")).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "Slack entries are not newest first");

    let zendesk = &tenant.zendesk_pages;
    for (i, page) in zendesk.iter().enumerate() {
        let logs = page["audit_logs"].as_array().expect("audit_logs");
        assert!(!logs.is_empty() && logs.len() <= 100);
        assert_eq!(page["meta"]["has_more"].as_bool(), Some(i + 1 < zendesk.len()), "page {i}");
        assert!(page["meta"]["after_cursor"].is_string() && page["links"]["next"].is_string());
    }
    let mut previous = (i64::MIN, String::new());
    for entry in tenant.zendesk_entries() {
        let id = entry["id"].as_i64().expect("id");
        let created = entry["created_at"].as_str().expect("created_at").to_string();
        assert!(created.ends_with('Z') && created.len() == 20, "{created}");
        assert!(id > previous.0 && created >= previous.1, "Zendesk entries are not oldest first");
        assert_eq!(entry["url"].as_str(), Some(format!("https://acme.zendesk.com/api/v2/audit_logs/{id}").as_str()));
        previous = (id, created);
    }
}

#[test]
fn slack_entries_have_the_audit_logs_api_shape() {
    for entry in tenant().slack_entries().step_by(97) {
        let id = entry["id"].as_str().expect("id");
        assert_eq!(id.split('-').map(str::len).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{id}");
        assert!(entry["date_create"].is_i64() && entry["action"].is_string());
        assert_eq!(entry["actor"]["type"], "user");
        for field in ["id", "name", "email", "team"] {
            assert!(entry["actor"]["user"][field].is_string(), "actor.user.{field} in {entry}");
        }
        let kind = entry["entity"]["type"].as_str().expect("entity.type");
        assert!(entry["entity"][kind].is_object(), "entity.{kind} in {entry}");
        let location = &entry["context"]["location"];
        assert!(["enterprise", "workspace"].contains(&location["type"].as_str().expect("location.type")));
        for field in ["id", "name", "domain"] {
            assert!(location[field].is_string(), "location.{field}");
        }
        assert!(entry["context"]["ua"].is_string() && entry["context"]["ip_address"].is_string());
        assert!(entry["context"]["session_id"].is_string() || entry["context"]["session_id"].is_null());
        assert!(entry["details"].is_object());
    }
}

#[test]
fn scoring_finds_attacks_by_their_evidence_and_counts_alerts_on_benign_traffic() {
    let tenant = tenant();
    let perfect: Vec<(&str, &str, &[String], Option<&str>)> =
        tenant.planted.iter().map(|p| (p.policy_id, p.user.as_str(), &p.activity_ids[..1], None)).collect();
    let scored = tenant.score(perfect.iter().copied());
    assert!(scored.perfect(), "{} found, {} benign", scored.found(), scored.benign_alerts);
    assert_eq!(scored.alerts_per_incident(), 1.0);
    // The first attack raised twice (an incident split in two alerts): counted against it.
    let split = perfect.iter().copied().chain(std::iter::once(perfect[0]));
    let scored = tenant.score(split);
    assert_eq!(scored.alerts_per_attack[0], 2);
    assert_eq!(scored.alerts_per_incident(), (tenant.planted.len() + 1) as f64 / tenant.planted.len() as f64);
    // The same two alerts under one campaign id (two users' alerts from one source) are one incident.
    let campaign = perfect.iter().map(|&(p, u, ids, _)| (p, u, ids, Some("cp-1"))).take(1);
    let scored = tenant.score(perfect.iter().copied().skip(1).chain(campaign.clone()).chain(campaign));
    assert_eq!((scored.alerts_per_attack[0], scored.user_alerts_per_attack[0]), (1, 2));

    let benign_id = [acts().iter().find(|a| !a.planted).expect("benign entry").id.clone()];
    let first = &tenant.planted[0];
    let other_policy = POLICIES.iter().find(|p| **p != first.policy_id).copied().unwrap_or_default();
    let alerts: Vec<(&str, &str, &[String], Option<&str>)> = vec![
        (first.policy_id, first.user.as_str(), &benign_id[..], None), // right policy, benign evidence
        (other_policy, first.user.as_str(), &first.activity_ids[..], None), // side alert on planted entries
        (first.policy_id, first.user.as_str(), &[], None),            // no evidence ids: matched by user
    ];
    let scored = tenant.score(alerts.iter().copied());
    assert_eq!(scored.found(), 1, "only the evidence-less alert of the right policy finds it");
    assert!(scored.planted[0].1);
    assert_eq!(scored.benign_alerts, 1, "only the alert on benign evidence is benign");
}

#[test]
fn the_tenant_holds_a_real_tenants_confounders() {
    let benign: Vec<&Act> = acts().iter().filter(|a| !a.planted).collect();
    // Dual-stack homes: a share of the traffic is IPv6, and it is located.
    let v6 = benign.iter().filter(|a| a.ip.is_some_and(|ip| ip.is_ipv6())).count();
    let share = v6 as f64 / benign.len() as f64;
    assert!((0.10..=0.30).contains(&share), "IPv6 share {share:.3}");
    assert!(benign.iter().filter(|a| a.ip.is_some_and(|ip| ip.is_ipv6())).all(|a| a.country().is_some()));

    // Apps act for travellers from their vendors' cloud while the traveller is abroad.
    let mut app_elsewhere = 0;
    for (user, acts) in by_user(false) {
        let profile = tenant().users.iter().find(|u| u.email == user).expect("simulated user");
        if !(profile.traveller && profile.integration_from_cloud) {
            continue;
        }
        for act in acts.iter().filter(|a| a.via_app) {
            let day = act.at.div_euclid(DAY);
            let away = acts.iter().any(|own| {
                !own.via_app
                    && own.at.div_euclid(DAY) == day
                    && own.country().is_some_and(|c| c != profile.home_country)
            });
            app_elsewhere += usize::from(away && act.country() == Some("US"));
        }
    }
    assert!(app_elsewhere > 0, "no app acted from its cloud for a traveller abroad");

    // An admin's weekly onboarding: a burst on every Monday at home, its size varying.
    let admin = tenant().users.iter().find(|u| u.weekly_onboarding).expect("an onboarding admin");
    let mut bursts: BTreeMap<i64, usize> = BTreeMap::new();
    for act in &by_user(false)[admin.email.as_str()] {
        let monday = DateTime::from_timestamp(act.at, 0).is_some_and(|t| t.weekday() == Weekday::Mon);
        if act.admin && monday {
            *bursts.entry(act.at.div_euclid(DAY)).or_default() += 1;
        }
    }
    let sizes: BTreeSet<usize> = bursts.values().copied().collect();
    assert!(bursts.len() >= 4 && sizes.len() >= 4, "{bursts:?}");
    assert!(bursts.values().all(|n| *n >= 20), "{bursts:?}");

    // A campaign: the password spray's source tries several other users too.
    let spray = tenant().planted.iter().find(|p| !p.also.is_empty()).expect("a campaign");
    assert_eq!(spray.policy_id, "suspicious_ip");
    let sources: BTreeSet<IpAddr> =
        acts().iter().filter(|a| spray.activity_ids.contains(&a.id)).filter_map(|a| a.ip).collect();
    assert_eq!(sources.len(), 1, "one source");
    for user in &spray.also {
        let tried = acts()
            .iter()
            .filter(|a| a.planted && a.user.as_deref() == Some(user.as_str()) && a.action == "user_login_failed")
            .count();
        assert_eq!(tried, 2, "{user}");
    }
}

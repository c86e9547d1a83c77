//! Who works at acme: names, ids, home countries and addresses, roles, habits, and who travels, uses the
//! corporate VPN or lets an integration act for them.

use std::net::{IpAddr, Ipv4Addr};

use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_chacha::ChaCha8Rng;

use crate::calendar::Calendar;
use crate::catalog::{self, BROWSER_UAS, DESKTOP_UAS, INTEGRATIONS, Integration};
use crate::network::{APP_EGRESS, Country};
use crate::{SimRole, SimUser, stream};

/// What an admin does in their routine on Slack; each kind is one Slack action name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlackAdminKind {
    RoleChangeToUser,
    AppApproved,
    AppRestricted,
    /// One of the routine `pref.*` settings, by index of its pair in `ROUTINE_PREFS`.
    Pref(usize),
}

const SLACK_ADMIN_KINDS: [SlackAdminKind; 6] = [
    SlackAdminKind::RoleChangeToUser,
    SlackAdminKind::AppApproved,
    SlackAdminKind::AppRestricted,
    SlackAdminKind::Pref(0),
    SlackAdminKind::Pref(1),
    SlackAdminKind::Pref(2),
];

/// What an admin does in their routine on Zendesk; each kind is one (action, source_type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZendeskAdminKind {
    ContractorRole,
    AccountSetting,
    Rule,
}

const ZENDESK_ADMIN_KINDS: [ZendeskAdminKind; 3] =
    [ZendeskAdminKind::ContractorRole, ZendeskAdminKind::AccountSetting, ZendeskAdminKind::Rule];

/// A business trip: travel day `depart`, `abroad` days at the destination's office, travel day again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trip {
    pub depart: u32,
    pub abroad: u32,
    pub destination: Country,
}

/// Where a person is on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Home,
    Abroad(Country),
    /// On a plane or in airports: no activity at all.
    Travelling,
}

#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub email: String,
    pub name: String,
    pub slack_id: String,
    pub zendesk_id: Option<i64>,
    pub role: SimRole,
    pub country: Country,
    pub workspace: usize,
    /// One or two stable addresses: office and/or home broadband.
    pub ips: Vec<IpAddr>,
    /// Sometimes works through the corporate VPN.
    pub vpn: bool,
    pub trips: Vec<Trip>,
    pub integration: Option<Integration>,
    /// Where the integration acts from: the vendor's cloud ([`APP_EGRESS`]) rather than the person's
    /// address of the day.
    pub integration_egress: Option<Ipv4Addr>,
    /// Onboards new staff every Monday morning: a burst of routine administration whose size varies
    /// from week to week ([`ONBOARDING`]).
    pub weekly_onboarding: bool,
    pub slack_admin_kinds: Vec<SlackAdminKind>,
    pub zendesk_admin_kinds: Vec<ZendeskAdminKind>,
    pub desktop_ua: &'static str,
    pub browser_ua: &'static str,
    /// The usual start of the working day, in local minutes after midnight.
    pub day_start: i64,
    /// How busy the person is: scales the number of actions a day.
    pub activity: f64,
}

impl Person {
    pub(crate) fn place(&self, day: u32) -> Place {
        for trip in &self.trips {
            let back = trip.depart + trip.abroad + 1;
            if day == trip.depart || day == back {
                return Place::Travelling;
            }
            if day > trip.depart && day < back {
                return Place::Abroad(trip.destination);
            }
        }
        Place::Home
    }

    pub(crate) fn is_admin(&self) -> bool {
        self.role == SimRole::Admin
    }

    pub(crate) fn sim_user(&self) -> SimUser {
        SimUser {
            email: self.email.clone(),
            name: self.name.clone(),
            slack_id: self.slack_id.clone(),
            zendesk_id: self.zendesk_id,
            home_country: self.country.code().to_string(),
            role: self.role,
            traveller: !self.trips.is_empty(),
            corporate_vpn: self.vpn,
            integration: self.integration.map(|i| catalog::APPS[i.app].name.to_string()),
            integration_from_cloud: self.integration_egress.is_some(),
            weekly_onboarding: self.weekly_onboarding,
            ipv6_home: self.ips.iter().any(IpAddr::is_ipv6),
        }
    }
}

/// Admins scale with the organisation: 8 in the default 240.
fn admin_count(users: usize) -> usize {
    (users / 30).clamp(2, 8)
}

/// Admins who also administer Zendesk.
const ZENDESK_ADMINS: usize = 3;

pub(crate) fn build(seed: u64, users: usize, calendar: &Calendar) -> Vec<Person> {
    let mut rng = stream(seed, crate::STREAM_POPULATION);
    let names = Names::shuffled(&mut rng);
    let id_offset: u64 = rng.random();

    let mut people: Vec<Person> = (0..users)
        .map(|i| {
            let (first, last) = names.pair(i);
            let suffix = if i >= names.unique() { format!("{}", i / names.unique()) } else { String::new() };
            Person {
                email: format!("{}.{}{suffix}@{}", first.to_lowercase(), last.to_lowercase(), catalog::DOMAIN),
                name: format!("{first} {last}"),
                slack_id: slack_code("W0", i as u64, id_offset, 7),
                zendesk_id: None,
                role: SimRole::Member,
                country: Country::Us,
                workspace: catalog::WORKSPACE_ENGINEERING,
                ips: Vec::new(),
                vpn: false,
                trips: Vec::new(),
                integration: None,
                integration_egress: None,
                weekly_onboarding: false,
                slack_admin_kinds: Vec::new(),
                zendesk_admin_kinds: Vec::new(),
                desktop_ua: DESKTOP_UAS[0],
                browser_ua: BROWSER_UAS[0],
                day_start: 8 * 60,
                activity: 1.0,
            }
        })
        .collect();

    // Countries: 60% US, 25% SE, 15% GB, spread over a shuffled order.
    let mut order: Vec<usize> = (0..users).collect();
    order.shuffle(&mut rng);
    let us = (users * 60).div_ceil(100);
    let se = users * 25 / 100;
    for (rank, &i) in order.iter().enumerate() {
        people[i].country = if rank < us {
            Country::Us
        } else if rank < us + se {
            Country::Se
        } else {
            Country::Gb
        };
    }

    // Roles: admins first, then ~25% of everyone holds a Zendesk seat (the Zendesk admins included).
    order.shuffle(&mut rng);
    let admins = admin_count(users);
    let zendesk_seats = users / 4;
    for (rank, &i) in order.iter().enumerate() {
        let person = &mut people[i];
        if rank < admins {
            person.role = SimRole::Admin;
            let mut kinds = SLACK_ADMIN_KINDS.to_vec();
            kinds.shuffle(&mut rng);
            kinds.truncate(3);
            person.slack_admin_kinds = kinds;
            if rank < ZENDESK_ADMINS {
                let mut kinds = ZENDESK_ADMIN_KINDS.to_vec();
                kinds.shuffle(&mut rng);
                kinds.truncate(2);
                person.zendesk_admin_kinds = kinds;
                person.zendesk_id = Some(0);
            }
        } else if rank < admins + zendesk_seats - ZENDESK_ADMINS.min(admins) {
            person.role = SimRole::Agent;
            person.zendesk_id = Some(0);
            person.workspace = catalog::WORKSPACE_SUPPORT;
        } else if rng.random_bool(0.4) {
            person.workspace = catalog::WORKSPACE_SALES;
        }
    }
    // Zendesk ids grow with hiring order, like the real ones.
    for (rank, person) in people.iter_mut().filter(|p| p.zendesk_id.is_some()).enumerate() {
        person.zendesk_id = Some(372_915_000_000 + rank as i64 * 104_729 + rng.random_range(0..1_000));
    }

    // Addresses and habits.
    let mut home_rank = [0usize; 3];
    for person in people.iter_mut() {
        let country = person.country;
        let slot = &mut home_rank[country as usize];
        let home = country.home().nth(*slot);
        *slot += 1;
        let office = country.office().nth(rng.random_range(0..country.office().len()));
        person.ips = match rng.random_range(0..100) {
            0..60 => vec![office.into(), home.into()],
            60..85 => vec![home.into()],
            _ => vec![office.into()],
        };
        person.desktop_ua = *DESKTOP_UAS.choose(&mut rng).unwrap_or(&DESKTOP_UAS[0]);
        person.browser_ua = *BROWSER_UAS.choose(&mut rng).unwrap_or(&BROWSER_UAS[0]);
        person.day_start = rng.random_range(7 * 60 + 30..=9 * 60 + 30);
        person.activity = rng.random_range(0.6..1.5);
    }

    // Travellers (~10%, never admins): one short trip in the learning week and one later trip to the same
    // destination, so the later visit is to a country they already used.
    let mut pool: Vec<usize> = (0..users).filter(|&i| !people[i].is_admin()).collect();
    pool.shuffle(&mut rng);
    let travellers = users / 10;
    let last_depart = calendar.days().saturating_sub(9).max(11);
    for &i in pool.iter().take(travellers) {
        let person = &mut people[i];
        let destinations: [Country; 2] = match person.country {
            Country::Us => [Country::Gb, Country::Se],
            Country::Se => [Country::Us, Country::Gb],
            Country::Gb => [Country::Us, Country::Se],
        };
        let destination = destinations[rng.random_range(0..2)];
        person.trips = vec![
            Trip { depart: 1, abroad: 3, destination },
            Trip { depart: rng.random_range(11..=last_depart), abroad: rng.random_range(3..=5), destination },
        ];
    }

    // Integrations acting for a handful of people who stay put.
    let steady: Vec<usize> = pool.iter().skip(travellers).copied().collect();
    let integrations = (users / 30).max(2);
    for (k, &i) in steady.iter().take(integrations).enumerate() {
        people[i].integration = Some(INTEGRATIONS[k % INTEGRATIONS.len()]);
    }
    add_confounders(seed, &mut people);
    people
}

/// Administrative actions in each Monday's onboarding burst, by week; the burst varies, as real ones do.
pub(crate) const ONBOARDING: [u32; 6] = [30, 26, 40, 45, 50, 42];

/// What makes a real tenant messy, on its own random stream so the rest of the tenant stays as it was:
/// dual-stack homes (about a third of home broadband is IPv6), integrations acting for travellers from
/// their vendors' clouds, and an admin's weekly onboarding habit.
fn add_confounders(seed: u64, people: &mut [Person]) {
    let mut rng = stream(seed, crate::STREAM_CONFOUNDERS);
    for (i, person) in people.iter_mut().enumerate() {
        let country = person.country;
        // The home address is the last of a person's addresses when they have one (see `build`).
        let dual_stack = rng.random_bool(0.35);
        if let Some(home) =
            person.ips.last_mut().filter(|ip| matches!(ip, IpAddr::V4(v4) if country.home().contains(*v4)))
            && dual_stack
        {
            *home = IpAddr::V6(country.home6(i));
        }
    }
    let travellers: Vec<usize> = (0..people.len()).filter(|&i| !people[i].trips.is_empty()).collect();
    for (k, &i) in travellers.iter().take((people.len() / 60).max(1)).enumerate() {
        let integration = INTEGRATIONS[k % INTEGRATIONS.len()];
        people[i].integration = Some(integration);
        people[i].integration_egress = Some(APP_EGRESS[integration.app % APP_EGRESS.len()]);
    }
    if let Some(admin) = people.iter_mut().find(|p| p.is_admin()) {
        admin.weekly_onboarding = true;
    }
}

/// People eligible to be the victim of a planted attack: members with no trips, integrations or admin
/// rights, so their baseline is plain. Agents qualify only when asked for.
pub(crate) fn plain(people: &[Person], i: usize) -> bool {
    let p = &people[i];
    !p.is_admin() && p.trips.is_empty() && p.integration.is_none()
}

/// About a third of the US staff who are not victims of a planted attack sometimes work through the
/// corporate VPN. Only US staff do: the VPN geolocates to the US, and a European user's day on it would
/// look like a trip.
pub(crate) fn assign_vpn(seed: u64, people: &mut [Person], excluded: &[usize]) {
    let mut rng = stream(seed, crate::STREAM_VPN);
    for (i, person) in people.iter_mut().enumerate() {
        let eligible = person.country == Country::Us && person.trips.is_empty() && !excluded.contains(&i);
        person.vpn = eligible && rng.random_bool(0.35);
    }
}

/// A Slack session id: 13 digits, one per person per day.
pub(crate) fn session_id(seed: u64, person: usize, day: u32) -> u64 {
    1_000_000_000_000 + crate::mix(seed ^ ((person as u64) << 20) ^ u64::from(day)) % 9_000_000_000_000
}

/// A Slack-style id body: `len` characters of Crockford base 32. Distinct `n` give distinct codes (an
/// odd multiplier is a bijection modulo a power of two).
pub(crate) fn slack_code(prefix: &str, n: u64, offset: u64, len: u32) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let modulus = 1u64 << (5 * len);
    let x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(offset) % modulus;
    let mut out = String::with_capacity(prefix.len() + len as usize);
    out.push_str(prefix);
    for digit in (0..len).rev() {
        out.push(char::from(ALPHABET[((x >> (5 * digit)) % 32) as usize]));
    }
    out
}

struct Names {
    first: Vec<&'static str>,
    last: Vec<&'static str>,
}

impl Names {
    fn shuffled(rng: &mut ChaCha8Rng) -> Names {
        let mut first = FIRST_NAMES.to_vec();
        let mut last = LAST_NAMES.to_vec();
        first.shuffle(rng);
        last.shuffle(rng);
        Names { first, last }
    }

    /// How many people get distinct name pairs before emails need a number.
    fn unique(&self) -> usize {
        self.first.len() * self.last.len()
    }

    /// Distinct for `i < unique()`: the first name fixes `i mod n`, the last then fixes `i div n`.
    fn pair(&self, i: usize) -> (&'static str, &'static str) {
        let n = self.first.len();
        let i = i % self.unique();
        (self.first[i % n], self.last[(i / n + i) % n])
    }
}

const FIRST_NAMES: [&str; 64] = [
    "Alice", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Ingrid", "Jamal", "Karin", "Leo", "Maya",
    "Nils", "Olivia", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "William", "Xenia", "Yusuf", "Zoe",
    "Anders", "Bianca", "Conor", "Daphne", "Erik", "Fiona", "Gustav", "Hannah", "Isaac", "Julia", "Kofi", "Linnea",
    "Marcus", "Nadia", "Oscar", "Priya", "Rahul", "Sofia", "Tobias", "Ulla", "Victor", "Wendy", "Astrid", "Bruno",
    "Chloe", "Dmitri", "Emma", "Felix", "Greta", "Henrik", "Isla", "Jonas", "Kenji", "Lars", "Mei", "Noah", "Pernilla",
    "Ruben",
];

const LAST_NAMES: [&str; 64] = [
    "Andersson",
    "Baker",
    "Chen",
    "Dalton",
    "Eriksson",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Johansson",
    "Khan",
    "Larsson",
    "Miller",
    "Nilsson",
    "Okafor",
    "Patel",
    "Quigley",
    "Reyes",
    "Svensson",
    "Taylor",
    "Usman",
    "Vance",
    "Walsh",
    "Xu",
    "Young",
    "Zimmer",
    "Abbott",
    "Bergstrom",
    "Clarke",
    "Dubois",
    "Ekstrom",
    "Flores",
    "Gustafsson",
    "Hall",
    "Iqbal",
    "Jensen",
    "Kowalski",
    "Lindberg",
    "Morgan",
    "Novak",
    "Olsen",
    "Price",
    "Rossi",
    "Sato",
    "Thompson",
    "Varga",
    "Wright",
    "Yilmaz",
    "Adams",
    "Brooks",
    "Carter",
    "Diaz",
    "Evans",
    "Foster",
    "Gray",
    "Holm",
    "Ivanova",
    "Jones",
    "Kim",
    "Lopez",
    "Murphy",
    "Nguyen",
    "Owens",
    "Persson",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn slack_codes_are_distinct() {
        let codes: BTreeSet<String> = (0..5_000).map(|i| slack_code("W0", i, 12345, 7)).collect();
        assert_eq!(codes.len(), 5_000);
    }

    #[test]
    fn name_pairs_are_distinct_until_the_lists_run_out() {
        let mut rng = stream(1, 0);
        let names = Names::shuffled(&mut rng);
        let pairs: BTreeSet<(&str, &str)> = (0..names.unique()).map(|i| names.pair(i)).collect();
        assert_eq!(pairs.len(), names.unique());
    }

    #[test]
    fn a_trip_blocks_its_travel_days_and_places_the_days_between_abroad() {
        let person = Person {
            trips: vec![Trip { depart: 10, abroad: 3, destination: Country::Gb }],
            ..build(1, 40, &Calendar::new(crate::DemoOptions::default().start, 30)).remove(0)
        };
        let places: Vec<Place> = (9..=15).map(|d| person.place(d)).collect();
        assert_eq!(
            places,
            [
                Place::Home,
                Place::Travelling,
                Place::Abroad(Country::Gb),
                Place::Abroad(Country::Gb),
                Place::Abroad(Country::Gb),
                Place::Travelling,
                Place::Home
            ]
        );
    }
}

//! A deterministic simulated tenant, "acme": weeks of Slack Enterprise Grid and Zendesk audit-log entries of
//! a few hundred people, exactly as the vendors' APIs return them, with planted attacks of every built-in
//! detection kind. `saaswarden demo`, the end-to-end tests and the benchmarks feed it through the product's
//! real normalizers and pipeline; [`DemoTenant::planted`] says what must be found, and everything else is
//! benign traffic that must raise nothing.
//!
//! The same seed always gives byte-identical output: one seeded ChaCha stream per concern, no clock, no
//! hash-map order. Addresses come from MaxMind's test databases; README.md beside this crate says which range
//! serves which purpose, who administers and what each planted attack looks like.
//!
//! This crate depends on no other saaswarden crate, so it can never be shaped by the code it is meant to test.

mod attacks;
mod calendar;
mod catalog;
mod entry;
mod network;
mod population;
mod routine;
mod score;
mod wire;

use chrono::{DateTime, TimeZone, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::Value;

pub use network::{CORPORATE_VPN_RANGE, DEMO_THREAT_LIST, HOME_IPV6_RANGES};
pub use score::Scored;

use calendar::Calendar;

/// Fewer people cannot give every planted attack a distinct victim with a plain baseline.
pub const MIN_USERS: usize = 40;
/// Fewer days cannot fit a learning week, a two-week baseline and the attacks after it.
pub const MIN_DAYS: u32 = 24;

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoOptions {
    pub seed: u64,
    /// People in the organisation; raised to [`MIN_USERS`] if lower.
    pub users: usize,
    /// Length of the run in days; raised to [`MIN_DAYS`] if lower.
    pub days: u32,
    /// The first instant of the run. Days are counted from midnight UTC of its date; nothing is
    /// generated before it.
    pub start: DateTime<Utc>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 42,
            users: 240,
            days: 35,
            start: Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).single().unwrap_or(DateTime::UNIX_EPOCH),
        }
    }
}

/// The simulated tenant: raw API pages plus the ground truth about them.
#[derive(Debug, Clone, Serialize)]
pub struct DemoTenant {
    /// "acme".
    pub tenant: String,
    /// "acme.example": every email's domain.
    pub domain: String,
    /// Slack Audit Logs API `/logs` responses: `{"entries", "response_metadata": {"next_cursor"}}`,
    /// at most 1000 entries each, newest first; the last page's `next_cursor` is empty.
    pub slack_pages: Vec<Value>,
    /// Zendesk Audit Logs API responses with `sort=created_at`: `{"audit_logs", "meta", "links"}`, at most
    /// 100 entries each, oldest first; the last page has `meta.has_more == false`.
    pub zendesk_pages: Vec<Value>,
    /// Zendesk Users API `show_many` answer for every Zendesk actor except the system actor (id -1).
    pub zendesk_users: Value,
    /// Terminated identities, as the identity provider (Entra ID) reports them.
    pub directory: Vec<DirectoryEntry>,
    pub planted: Vec<PlantedAttack>,
    pub users: Vec<SimUser>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl DemoTenant {
    /// Every Slack entry, newest first.
    pub fn slack_entries(&self) -> impl Iterator<Item = &Value> {
        self.slack_pages.iter().flat_map(|p| p["entries"].as_array().into_iter().flatten())
    }

    /// Every Zendesk entry, oldest first.
    pub fn zendesk_entries(&self) -> impl Iterator<Item = &Value> {
        self.zendesk_pages.iter().flat_map(|p| p["audit_logs"].as_array().into_iter().flatten())
    }
}

/// A terminated identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryEntry {
    /// Lower-case email.
    pub email: String,
    pub status: DirectoryStatus,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DirectoryStatus {
    Deleted,
    Disabled,
}

/// One planted attack: what the product must find.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlantedAttack {
    /// The built-in policy that must fire: `anonymous_ip`, `infrequent_country`, `suspicious_ip`,
    /// `impossible_travel`, `terminated_user`, `multiple_failed_logins`, `unusual_admin_activity` or
    /// `unusual_impersonated_activity`.
    pub policy_id: &'static str,
    /// Lower-case email of the victim (or, for insider activity, the actor).
    pub user: String,
    /// When the decisive activity happens (the first failed sign-in of a burst, the first of a run of
    /// administrative or impersonated actions, the foreign sign-in otherwise).
    pub at: DateTime<Utc>,
    pub description: String,
    /// `slack:<entry id>` / `zendesk:<entry id>` of every planted entry, oldest first.
    pub activity_ids: Vec<String>,
    /// Lower-case emails of the other users the attack's source acted against: a campaign, whose alerts
    /// (one per user) count as one incident.
    pub also: Vec<String>,
}

/// Who is who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimUser {
    pub email: String,
    pub name: String,
    pub slack_id: String,
    pub zendesk_id: Option<i64>,
    /// ISO 3166-1 alpha-2: US, SE or GB.
    pub home_country: String,
    pub role: SimRole,
    /// Makes business trips (one in the learning week, one later, to the same country).
    pub traveller: bool,
    /// Sometimes works through [`CORPORATE_VPN_RANGE`].
    pub corporate_vpn: bool,
    /// The Slack app acting in this person's name every working day (`context.app`), if any.
    pub integration: Option<String>,
    /// The integration acts from its vendor's cloud (Milton, US), not from where the person is.
    pub integration_from_cloud: bool,
    /// Onboards new staff every Monday: a burst of administration within an hour, of a size that varies.
    pub weekly_onboarding: bool,
    /// Home broadband is IPv6 (dual stack).
    pub ipv6_home: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SimRole {
    /// Slack member without a Zendesk seat.
    Member,
    /// Slack org admin (and Zendesk admin for the first three).
    Admin,
    /// Zendesk agent (and Slack member).
    Agent,
}

/// Simulates the tenant `options` describe. Deterministic: the same options give identical output.
pub fn generate(options: &DemoOptions) -> DemoTenant {
    let seed = options.seed;
    let users = options.users.max(MIN_USERS);
    let calendar = Calendar::new(options.start, options.days.max(MIN_DAYS));

    let mut people = population::build(seed, users, &calendar);
    let plan = attacks::plan(seed, &people, &calendar);
    population::assign_vpn(seed, &mut people, &plan.victims);

    let mut entries = Vec::with_capacity(users * calendar.days() as usize * 14);
    routine::generate(seed, &people, &calendar, &plan, &mut entries);
    for attack in &plan.attacks {
        entries.extend_from_slice(&attack.entries);
    }
    // Stable sort: ties keep generation order, which is itself deterministic.
    entries.sort_by_key(|e| e.at);

    let mut planted: Vec<PlantedAttack> = plan
        .attacks
        .iter()
        .map(|a| PlantedAttack {
            policy_id: a.policy_id,
            user: people[a.victim].email.clone(),
            at: utc(a.at),
            description: a.description.clone(),
            activity_ids: Vec::with_capacity(a.entries.len()),
            also: a.also.iter().map(|&i| people[i].email.clone()).collect(),
        })
        .collect();

    // Ids follow time, as the APIs' do; Zendesk's grow by small random gaps.
    let mut zendesk_id: i64 = 19_000_000_000 + (mix(seed) % 1_000_000) as i64 * 1_000;
    let mut id_gaps = stream(seed, STREAM_IDS);
    let ids: Vec<wire::EntryId> = entries
        .iter()
        .enumerate()
        .map(|(n, entry)| {
            if entry.is_slack() {
                wire::EntryId::Slack(n as u64)
            } else {
                zendesk_id += rand::Rng::random_range(&mut id_gaps, 1..=9);
                wire::EntryId::Zendesk(zendesk_id)
            }
        })
        .collect();
    for (entry, id) in entries.iter().zip(&ids) {
        if let Some(attack) = entry.attack {
            planted[attack].activity_ids.push(id.activity_id(seed));
        }
    }

    let slack_count = entries.iter().filter(|e| e.is_slack()).count();
    let mut slack = Vec::with_capacity(slack_count);
    let mut zendesk = Vec::with_capacity(entries.len() - slack_count);
    for (entry, value) in entries.iter().zip(wire::entries_json(seed, &entries, &ids, &people)) {
        if entry.is_slack() { slack.push(value) } else { zendesk.push(value) }
    }
    slack.reverse();

    DemoTenant {
        tenant: catalog::TENANT.to_string(),
        domain: catalog::DOMAIN.to_string(),
        slack_pages: wire::slack_pages(seed, slack),
        zendesk_pages: wire::zendesk_pages(seed, zendesk),
        zendesk_users: wire::zendesk_users(&people),
        directory: plan.directory,
        planted,
        users: people.iter().map(population::Person::sim_user).collect(),
        start: options.start,
        end: utc(calendar.end()),
    }
}

// Independent random streams, one per concern, so that changing how one part draws numbers leaves the
// others' output unchanged.
const STREAM_POPULATION: u64 = 1;
const STREAM_ATTACKS: u64 = 2;
const STREAM_VPN: u64 = 3;
const STREAM_IDS: u64 = 4;
const STREAM_AUTOMATIONS: u64 = 5;
const STREAM_CONFOUNDERS: u64 = 6;
const STREAM_PEOPLE: u64 = 1_000;

fn stream(seed: u64, id: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(id);
    rng
}

/// SplitMix64's finaliser: a cheap, well-spread bijection on u64.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn utc(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

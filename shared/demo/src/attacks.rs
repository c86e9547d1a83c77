//! The planted attacks: who is hit, when, from where, and the quiet windows that keep each victim's own
//! benign traffic from turning an attack into a second, benign-looking alert.
//!
//! Every attack happens after day 14 (past any 7-day learning period, on a two-week baseline), each on a
//! distinct victim with a plain baseline (no trips, no integrations, no admin rights, no VPN). Attacks that
//! move the victim to another country silence the victim's routine for 40 hours either side, so the only
//! impossible travel in the tenant is the planted one, whose home end is itself planted.

use std::net::IpAddr;

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::calendar::{Calendar, DAY, HOUR, MINUTE};
use crate::catalog::{self, ATTACK_PREFS, ROGUE_APP, SHADY_APPS};
use crate::entry::{Entry, SlackAction, ZendeskAction};
use crate::network::{BOTNET_CC, CHANGCHUN, Country, MELBOURNE, PASSWORD_SPRAY, PHILIPPINES, PUBLIC_PROXY, TOR_EXIT};
use crate::population::{Person, plain, session_id};
use crate::{DirectoryEntry, DirectoryStatus, SimRole, stream};

/// One planted attack before its entries have ids.
#[derive(Debug, Clone)]
pub(crate) struct Attack {
    pub policy_id: &'static str,
    pub victim: usize,
    pub at: i64,
    pub description: String,
    pub entries: Vec<Entry>,
    /// Other people the same source acted against (a campaign).
    pub also: Vec<usize>,
}

/// The planted attacks and what they impose on the benign routine.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub attacks: Vec<Attack>,
    pub directory: Vec<DirectoryEntry>,
    /// Everyone whose baseline an attack relies on (kept off the VPN).
    pub victims: Vec<usize>,
    /// Per person: half-open windows `[from, to)` with no benign activity.
    quiet: Vec<Vec<(i64, i64)>>,
    /// Per person: no benign activity from this second on (they left the company).
    active_until: Vec<Option<i64>>,
}

impl Plan {
    /// Whether person `person`'s routine may act at `at`.
    pub(crate) fn allows(&self, person: usize, at: i64) -> bool {
        self.active_until[person].is_none_or(|until| at < until)
            && !self.quiet[person].iter().any(|&(from, to)| from <= at && at < to)
    }
}

/// How many people besides its victim the password spray tries.
const SPRAYED: usize = 3;

/// Quiet time around an attack from a far-away country: 12,000 km in 40 hours is 300 km/h.
const FAR_QUIET: i64 = 40 * HOUR;

pub(crate) fn plan(seed: u64, people: &[Person], calendar: &Calendar) -> Plan {
    let mut rng = stream(seed, crate::STREAM_ATTACKS);
    let mut pool: Vec<usize> = (0..people.len()).filter(|&i| plain(people, i)).collect();
    pool.shuffle(&mut rng);
    let mut planter = Planter {
        seed,
        people,
        calendar,
        rng,
        pool,
        plan: Plan {
            attacks: Vec::new(),
            directory: Vec::new(),
            victims: Vec::new(),
            quiet: vec![Vec::new(); people.len()],
            active_until: vec![None; people.len()],
        },
    };

    // The scarcest victims first: a Zendesk agent, then US staff, then anyone without a Zendesk seat.
    let agent = planter.pick(|p| p.role == SimRole::Agent);
    let us = |p: &Person| p.role == SimRole::Member && p.country == Country::Us;
    let member = |p: &Person| p.role == SimRole::Member;
    let tor = planter.pick(us);
    let philippines = planter.pick(us);
    let botnet = planter.pick(us);
    let traveller = planter.pick(us);
    let stuffing = planter.pick(us);
    let spray = planter.pick(us);
    let leaver = planter.pick(member);
    let insider = planter.pick(member);
    let impersonated = planter.pick(member);
    // The password spray's other targets: the same listed source tries them too (one campaign).
    let sprayed: Vec<usize> = (0..SPRAYED).map(|_| planter.pick(us)).collect();

    planter.anonymous_ip_tor(tor);
    planter.infrequent_country(philippines);
    planter.suspicious_ip_botnet(botnet);
    planter.impossible_travel(traveller);
    planter.terminated_user(leaver);
    planter.multiple_failed_logins(stuffing);
    planter.unusual_admin_activity(insider);
    planter.unusual_impersonated_activity(impersonated);
    planter.anonymous_ip_zendesk(agent);
    planter.suspicious_ip_password_spray(spray, &sprayed);
    planter.benign_leavers();
    planter.plan
}

struct Planter<'a> {
    seed: u64,
    people: &'a [Person],
    calendar: &'a Calendar,
    rng: ChaCha8Rng,
    /// Plain people not yet chosen, in a seeded order.
    pool: Vec<usize>,
    plan: Plan,
}

impl Planter<'_> {
    /// The next plain person `want` accepts; failing that any plain person left (only possible in a
    /// population far below the minimum size).
    fn pick(&mut self, want: impl Fn(&Person) -> bool) -> usize {
        let people = self.people;
        let k = self.pool.iter().position(|&i| want(&people[i])).unwrap_or(0);
        if k < self.pool.len() { self.pool.remove(k) } else { 0 }
    }

    fn add(&mut self, policy_id: &'static str, victim: usize, at: i64, description: String, mut entries: Vec<Entry>) {
        let index = self.plan.attacks.len();
        for entry in &mut entries {
            entry.attack = Some(index);
        }
        entries.sort_by_key(|e| e.at);
        self.plan.victims.push(victim);
        self.plan.attacks.push(Attack { policy_id, victim, at, description, entries, also: Vec::new() });
    }

    fn quiet(&mut self, person: usize, from: i64, to: i64) {
        self.plan.quiet[person].push((from, to));
    }

    /// A session id for an attacker's own sign-in.
    fn fresh_session(&mut self) -> u64 {
        1_000_000_000_000 + self.rng.random_range(0..9_000_000_000_000u64)
    }

    fn jitter(&mut self, seconds: i64) -> i64 {
        self.rng.random_range(0..seconds)
    }

    /// A sign-in from `ip`, then `downloads` file downloads a couple of minutes apart.
    fn sign_in_and_download(
        &mut self,
        victim: usize,
        at: i64,
        ip: impl Into<IpAddr> + Copy,
        ua: &'static str,
        downloads: i64,
    ) -> Vec<Entry> {
        let session = self.fresh_session();
        let mut entries = vec![Entry::slack(at, victim, SlackAction::Login, ip, ua).in_session(session)];
        for k in 1..=downloads {
            let file = self.rng.random_range(0..catalog::FILES);
            let when = at + k * 2 * MINUTE + self.jitter(50);
            entries.push(Entry::slack(when, victim, SlackAction::FileDownloaded { file }, ip, ua).in_session(session));
        }
        entries
    }

    fn anonymous_ip_tor(&mut self, victim: usize) {
        let day = self.calendar.attack_day(16);
        let at = self.calendar.local(day, self.people[victim].country, 2 * 60 + 10) + self.jitter(1_800);
        let mut entries = self.sign_in_and_download(victim, at, TOR_EXIT, catalog::TOR_BROWSER_UA, 4);
        let session = entries[0].session.unwrap_or_default();
        let share = SlackAction::FileShared { file: self.rng.random_range(0..catalog::FILES), channel: 1 };
        entries
            .push(Entry::slack(at + 11 * MINUTE, victim, share, TOR_EXIT, catalog::TOR_BROWSER_UA).in_session(session));
        self.quiet(victim, at - 4 * HOUR, at + 4 * HOUR);
        let description = format!("Sign-in from Tor exit node {TOR_EXIT}, then 4 file downloads and a file share");
        self.add("anonymous_ip", victim, at, description, entries);
    }

    fn infrequent_country(&mut self, victim: usize) {
        let day = self.calendar.attack_day(19);
        // Mid-morning in Manila, the middle of the night at home.
        let at = self.calendar.midnight_utc(day) + 2 * HOUR + self.jitter(3_600);
        let mut entries = self.sign_in_and_download(victim, at, PHILIPPINES, catalog::ATTACKER_BROWSER_UA, 3);
        let session = entries[0].session.unwrap_or_default();
        let join = SlackAction::ChannelJoin { channel: 16 }; // finance-ops, private
        entries.push(
            Entry::slack(at + 9 * MINUTE, victim, join, PHILIPPINES, catalog::ATTACKER_BROWSER_UA).in_session(session),
        );
        self.quiet(victim, at - FAR_QUIET, at + FAR_QUIET);
        let description = format!(
            "Sign-in from the Philippines ({PHILIPPINES}) by a user whose history is all US, then 3 file downloads and a private channel join"
        );
        self.add("infrequent_country", victim, at, description, entries);
    }

    fn suspicious_ip_botnet(&mut self, victim: usize) {
        let day = self.calendar.attack_day(25);
        let at = self.calendar.midnight_utc(day) + 5 * HOUR + self.jitter(3_600);
        let entries = self.sign_in_and_download(victim, at, BOTNET_CC, catalog::ATTACKER_BROWSER_UA, 2);
        self.quiet(victim, at - FAR_QUIET, at + FAR_QUIET);
        let description =
            format!("Sign-in from {BOTNET_CC} (Bhutan), inside the threat list's botnet C&C range 67.43.156.0/24");
        self.add("suspicious_ip", victim, at, description, entries);
    }

    fn suspicious_ip_password_spray(&mut self, victim: usize, others: &[usize]) {
        let day = self.calendar.attack_day(30);
        let at = self.calendar.local(day, self.people[victim].country, 5 * 60 + 40) + self.jitter(600);
        // The spray first: two wrong passwords for each of the others, a minute apart, then the victim's
        // password works.
        let mut entries = Vec::new();
        for (k, &other) in others.iter().enumerate() {
            let first = at - 20 * MINUTE + k as i64 * 3 * MINUTE;
            for attempt in 0..2 {
                let when = first + attempt * MINUTE + self.jitter(30);
                entries.push(Entry::slack(
                    when,
                    other,
                    SlackAction::LoginFailed,
                    PASSWORD_SPRAY,
                    catalog::ATTACKER_BROWSER_UA,
                ));
            }
            self.quiet(other, at - 5 * HOUR, at + 5 * HOUR);
        }
        entries.extend(self.sign_in_and_download(victim, at, PASSWORD_SPRAY, catalog::ATTACKER_BROWSER_UA, 2));
        // Milton (WA) is 1,700 km from San Diego and in the same country: five hours keep even a
        // distance-only travel check quiet.
        self.quiet(victim, at - 5 * HOUR, at + 5 * HOUR);
        let description = format!(
            "Password spray from {PASSWORD_SPRAY} (Milton, US), a source on the threat list: 2 failed sign-ins for each of {} other users, then a sign-in as this one and 2 file downloads (one campaign)",
            others.len()
        );
        self.add("suspicious_ip", victim, at, description, entries);
        self.plan.victims.extend_from_slice(others);
        let index = self.plan.attacks.len() - 1;
        self.plan.attacks[index].also = others.to_vec();
    }

    fn impossible_travel(&mut self, victim: usize) {
        let day = self.calendar.attack_day(21);
        let person = &self.people[victim];
        let home_ip = person.ips[0];
        let desktop = person.desktop_ua;
        let home_at = self.calendar.local(day, person.country, 11 * 60) + self.jitter(2_400);
        let file = self.rng.random_range(0..catalog::FILES);
        let session = session_id(self.seed, victim, day);
        // The home end is planted too, so the alert's evidence is all planted; the routine stops here.
        let mut entries = vec![
            Entry::slack(home_at, victim, SlackAction::FileDownloaded { file }, home_ip, desktop).in_session(session),
        ];
        let at = home_at + 40 * MINUTE;
        entries.extend(self.sign_in_and_download(victim, at, CHANGCHUN, catalog::ATTACKER_BROWSER_UA, 3));
        // Nothing else that morning either: the previous benign activity is the evening before, 15 hours
        // or more away, so only the planted pair is fast enough to be impossible.
        self.quiet(victim, home_at - 8 * HOUR, at + FAR_QUIET);
        let description = format!(
            "Sign-in from Changchun, CN ({CHANGCHUN}) 40 minutes after activity from {home_ip} in San Diego, US: about 9,400 km apart"
        );
        self.add("impossible_travel", victim, at, description, entries);
    }

    fn terminated_user(&mut self, victim: usize) {
        let day = self.calendar.attack_day(22);
        let since = self.calendar.midnight_utc(day - 2);
        let person = &self.people[victim];
        let (ip, ua, country) = (person.ips[0], person.desktop_ua, person.country);
        let at = self.calendar.local(day, country, 9 * 60 + 10) + self.jitter(600);
        let mut entries = self.sign_in_and_download(victim, at, ip, ua, 5);
        let session = entries[0].session.unwrap_or_default();
        for k in 0..2 {
            let share = SlackAction::FileShared { file: self.rng.random_range(0..catalog::FILES), channel: 13 };
            entries.push(Entry::slack(at + (17 + 3 * k) * MINUTE, victim, share, ip, ua).in_session(session));
        }
        self.plan.active_until[victim] = Some(since);
        self.plan.directory.push(DirectoryEntry {
            email: person.email.clone(),
            status: DirectoryStatus::Disabled,
            since: crate::utc(since),
        });
        let description =
            "Slack sign-in, 5 file downloads and 2 shares two days after the account was disabled in the identity provider"
                .to_string();
        self.add("terminated_user", victim, at, description, entries);
    }

    fn multiple_failed_logins(&mut self, victim: usize) {
        let day = self.calendar.attack_day(26);
        let at = self.calendar.midnight_utc(day) + 10 * HOUR + self.jitter(3_600);
        let ua = catalog::STUFFING_TOOL_UA;
        let mut entries: Vec<Entry> =
            (0..15).map(|k| Entry::slack(at + k * 16, victim, SlackAction::LoginFailed, MELBOURNE, ua)).collect();
        let mut rest = self.sign_in_and_download(victim, at + 260, MELBOURNE, ua, 2);
        entries.append(&mut rest);
        self.quiet(victim, at - FAR_QUIET, at + FAR_QUIET);
        let description = format!(
            "15 failed sign-ins within 4 minutes from {MELBOURNE} (Melbourne, AU), then a successful sign-in and 2 file downloads"
        );
        self.add("multiple_failed_logins", victim, at, description, entries);
    }

    fn unusual_admin_activity(&mut self, victim: usize) {
        let day = self.calendar.attack_day(23);
        let person = &self.people[victim];
        let (ip, ua, country) = (person.ips[0], person.desktop_ua, person.country);
        let session = session_id(self.seed, victim, day);
        let mut actions: Vec<SlackAction> = Vec::with_capacity(25);
        let mut targets: Vec<u32> = (0..self.people.len()).filter(|&i| i != victim).map(|i| i as u32).collect();
        targets.shuffle(&mut self.rng);
        for &target in targets.iter().take(8) {
            actions.push(SlackAction::RoleChange { action: "role_change_to_admin", target });
        }
        for change in ATTACK_PREFS {
            actions.push(SlackAction::Pref { change });
        }
        for app in SHADY_APPS {
            actions.push(SlackAction::AppDecision { action: "app_approved", app });
        }
        actions.shuffle(&mut self.rng);
        let at = self.calendar.local(day, country, 14 * 60 + 5) + self.jitter(600);
        let entries: Vec<Entry> = actions
            .iter()
            .enumerate()
            .map(|(k, &action)| {
                let when = if k == 0 { at } else { at + k as i64 * 2 * MINUTE + self.rng.random_range(0..60) };
                Entry::slack(when, victim, action, ip, ua).in_session(session)
            })
            .collect();
        let description = format!(
            "{} administrative actions in 50 minutes by a member who never administered: 8 role_change_to_admin, 10 pref.* changes weakening sign-in security, 7 app approvals",
            entries.len()
        );
        self.add("unusual_admin_activity", victim, at, description, entries);
    }

    fn unusual_impersonated_activity(&mut self, victim: usize) {
        let day = self.calendar.attack_day(17);
        let person = &self.people[victim];
        let (ip, country) = (person.ips[0], person.country);
        let at = self.calendar.local(day, country, 15 * 60 + 10) + self.jitter(600);
        let entries: Vec<Entry> = (0..60)
            .map(|k| {
                let file = self.rng.random_range(0..catalog::FILES);
                let mut entry =
                    Entry::slack(at + k * 55, victim, SlackAction::FileDownloaded { file }, ip, catalog::ROGUE_APP_UA);
                entry.via_app = Some(ROGUE_APP);
                entry
            })
            .collect();
        let description = format!(
            "App {} downloaded 60 files in 55 minutes in the user's name; no app had acted for them before",
            catalog::APPS[ROGUE_APP].name
        );
        self.add("unusual_impersonated_activity", victim, at, description, entries);
    }

    fn anonymous_ip_zendesk(&mut self, victim: usize) {
        let day = self.calendar.attack_day(28);
        let at = self.calendar.local(day, self.people[victim].country, 23 * 60 + 20) + self.jitter(600);
        let entries = vec![
            Entry::zendesk(at, victim, ZendeskAction::Login, PUBLIC_PROXY),
            Entry::zendesk(
                at + 3 * MINUTE,
                victim,
                ZendeskAction::ApiTokenCreated { label: "API token: backup-sync" },
                PUBLIC_PROXY,
            ),
            Entry::zendesk(at + 7 * MINUTE, victim, ZendeskAction::TicketsExported, PUBLIC_PROXY),
        ];
        self.quiet(victim, at - 4 * HOUR, at + 4 * HOUR);
        let description = format!(
            "Zendesk sign-in from public proxy {PUBLIC_PROXY}, then an API token created and a full ticket export"
        );
        self.add("anonymous_ip", victim, at, description, entries);
    }

    /// People who left with no activity afterwards, and one who left before the run: the
    /// terminated-user detection must stay silent for all of them.
    fn benign_leavers(&mut self) {
        let member = |p: &Person| p.role == SimRole::Member;
        let days = self.calendar.days();
        for (day, status) in [(12, DirectoryStatus::Deleted), (days - 4, DirectoryStatus::Disabled)] {
            let leaver = self.pick(member);
            let since = self.calendar.midnight_utc(day);
            self.plan.active_until[leaver] = Some(since);
            self.plan.directory.push(DirectoryEntry {
                email: self.people[leaver].email.clone(),
                status,
                since: crate::utc(since),
            });
        }
        self.plan.directory.push(DirectoryEntry {
            email: format!("former.contractor@{}", catalog::DOMAIN),
            status: DirectoryStatus::Deleted,
            since: crate::utc(self.calendar.start() - 40 * DAY),
        });
    }
}

//! Benign behaviour: each person's working days in Slack and Zendesk, admins' steady administration,
//! integrations acting for their users, and Zendesk's own automations.
//!
//! Guarantees the detections rely on (the crate's tests check them):
//! - people act only in local working hours (07:00–21:00), from their home country's addresses, the
//!   corporate VPN (US staff only) or, on a trip, the destination's office addresses;
//! - a trip's travel days carry no activity at all, so a change of country is always a day or more apart;
//! - at most two failed sign-ins in a row, always followed by a successful one;
//! - only admins act administratively, one to three times a working day, at least 90 minutes apart, and
//!   every kind of administration they ever do appears in their first working days;
//! - integrations act for the same few people every working day, two to four times, never in a burst.

use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_chacha::ChaCha8Rng;

use crate::attacks::Plan;
use crate::calendar::Calendar;
use crate::catalog::{self, CHANNELS, FILES, FIRST_PROJECT_CHANNEL, FIRST_TICKET, INTEGRATION_UA, TICKETS};
use crate::entry::{Action, Actor, Entry, SlackAction, ZendeskAction};
use crate::network::{Country, VPN_EGRESS};
use crate::population::{ONBOARDING, Person, Place, SlackAdminKind, ZendeskAdminKind, session_id};
use crate::stream;

/// Appends every benign entry of the run to `out`.
pub(crate) fn generate(seed: u64, people: &[Person], calendar: &Calendar, plan: &Plan, out: &mut Vec<Entry>) {
    for i in 0..people.len() {
        let mut routine = Routine::new(seed, people, i);
        for d in 0..calendar.days() {
            routine.live_day(calendar, d, plan, out);
        }
    }
    zendesk_automations(seed, calendar, out);
}

/// One person's state across days, and the scratch space of the day being simulated.
struct Routine<'a> {
    seed: u64,
    people: &'a [Person],
    index: usize,
    person: &'a Person,
    rng: ChaCha8Rng,
    slack_admin_done: usize,
    zendesk_admin_done: usize,
    channels_created: u32,
    entries: Vec<Entry>,
    keep: Vec<bool>,
}

impl<'a> Routine<'a> {
    fn new(seed: u64, people: &'a [Person], index: usize) -> Routine<'a> {
        Routine {
            seed,
            people,
            index,
            person: &people[index],
            rng: stream(seed, crate::STREAM_PEOPLE + index as u64),
            slack_admin_done: 0,
            zendesk_admin_done: 0,
            channels_created: 0,
            entries: Vec::with_capacity(64),
            keep: Vec::with_capacity(64),
        }
    }

    fn live_day(&mut self, calendar: &Calendar, day: u32, plan: &Plan, out: &mut Vec<Entry>) {
        let person = self.person;
        let (country, abroad) = match person.place(day) {
            Place::Home => (person.country, false),
            Place::Abroad(country) => (country, true),
            Place::Travelling => return,
        };
        let weekend = calendar.is_weekend(day);
        // A trip's days are full working days wherever they fall: that is what the trip is for.
        let working = abroad || !weekend;
        // Admins and integration users work every weekday of the first week, so their baselines hold
        // every kind of administration and impersonation before any learning period ends.
        let establishing = day < 7 && (person.is_admin() || person.integration.is_some());
        let onboarding = person.weekly_onboarding && calendar.is_monday(day) && !abroad;
        let active = if abroad || onboarding || (establishing && !weekend) {
            true
        } else if weekend {
            self.rng.random_bool(if person.zendesk_id.is_some() { 0.25 } else { 0.12 })
        } else {
            !self.rng.random_bool(0.06)
        };
        if !active {
            return;
        }
        let rng = &mut self.rng;
        let ip: std::net::IpAddr = if abroad {
            country.office().nth(rng.random_range(0..country.office().len())).into()
        } else if person.vpn && rng.random_bool(0.3) {
            VPN_EGRESS.nth(rng.random_range(0..VPN_EGRESS.len())).into()
        } else {
            person.ips[rng.random_range(0..person.ips.len())]
        };
        let session = session_id(self.seed, self.index, day);
        let (begin, end) = if working {
            let begin = person.day_start + rng.random_range(-20..=40);
            (begin, begin + rng.random_range(450..=570))
        } else {
            let begin = rng.random_range(9 * 60..=15 * 60);
            (begin, begin + rng.random_range(20..=150))
        };
        let at = |rng: &mut ChaCha8Rng, minute: i64| calendar.local(day, country, minute) + rng.random_range(0..60);
        self.entries.clear();
        let me = self.index;

        // Sign-in, now and then after a mistyped password or two.
        let login_at = at(rng, begin);
        let failures = match rng.random_range(0..100) {
            0 => 2,
            1..5 => 1,
            _ => 0,
        };
        for k in (1..=failures).rev() {
            let when = login_at - k * rng.random_range(15..45);
            self.entries
                .push(Entry::slack(when, me, SlackAction::LoginFailed, ip, person.browser_ua).in_session(session));
        }
        let login_ua = if rng.random_bool(0.8) { person.desktop_ua } else { person.browser_ua };
        self.entries.push(Entry::slack(login_at, me, SlackAction::Login, ip, login_ua).in_session(session));

        // The day's work in Slack.
        let actions = if working {
            (f64::from(rng.random_range(6..=16u32)) * person.activity).round() as u32
        } else {
            rng.random_range(1..=4)
        };
        for _ in 0..actions {
            let minute = rng.random_range(begin + 2..end);
            let when = at(rng, minute);
            let channel = rng.random_range(0..CHANNELS.len() as u32);
            let file = rng.random_range(0..FILES);
            let action = match rng.random_range(0..100) {
                0..40 => SlackAction::FileDownloaded { file },
                40..58 => SlackAction::FileShared { file, channel },
                58..80 => SlackAction::ChannelJoin { channel },
                80..86 => SlackAction::ChannelLeave { channel },
                86..90 => {
                    self.channels_created += 1;
                    let channel = FIRST_PROJECT_CHANNEL + me as u32 * 256 + self.channels_created % 256;
                    SlackAction::ChannelCreated { channel }
                }
                // A second device signs in during the day.
                _ => SlackAction::Login,
            };
            let ua = if rng.random_bool(0.75) { person.desktop_ua } else { person.browser_ua };
            self.entries.push(Entry::slack(when, me, action, ip, ua).in_session(session));
        }
        if rng.random_bool(0.3) {
            let when = at(rng, end);
            self.entries.push(Entry::slack(when, me, SlackAction::Logout, ip, person.desktop_ua).in_session(session));
        }

        // Support work in Zendesk.
        if person.zendesk_id.is_some() {
            let minute = begin + rng.random_range(1..=8);
            let when = at(rng, minute);
            self.entries.push(Entry::zendesk(when, me, ZendeskAction::Login, ip));
            let tickets = if working {
                (f64::from(rng.random_range(8..=20u32)) * person.activity).round() as u32
            } else {
                rng.random_range(2..=6)
            };
            for _ in 0..tickets {
                let minute = rng.random_range(begin + 10..end);
                let when = at(rng, minute);
                let ticket = FIRST_TICKET + rng.random_range(0..TICKETS);
                let change = *catalog::TICKET_CHANGES.choose(rng).unwrap_or(&catalog::TICKET_CHANGES[0]);
                self.entries.push(Entry::zendesk(when, me, ZendeskAction::TicketUpdate { ticket, change }, ip));
            }
        }

        if working {
            self.administer(calendar, day, country, begin, end, ip, session);
            self.integrate(calendar, day, country, begin, end, ip);
        }
        if onboarding {
            self.onboard(calendar, day, country, begin, ip, session);
        }

        // Nothing outside the run, inside an attack's quiet window or after the person left; and no failed
        // sign-in left without the success that followed it.
        self.entries.retain(|e| calendar.contains(e.at) && plan.allows(me, e.at));
        self.entries.sort_by_key(|e| e.at);
        self.drop_unanswered_failures();
        out.extend_from_slice(&self.entries);
    }

    /// An admin's routine administration: one or two Slack actions a working day, and for Zendesk admins
    /// none or one Zendesk action, each in its own slot at least 90 minutes from the others. The first
    /// actions go through every kind the admin ever does, so their baseline holds all of them early.
    #[allow(clippy::too_many_arguments)]
    fn administer(
        &mut self,
        calendar: &Calendar,
        day: u32,
        country: Country,
        begin: i64,
        end: i64,
        ip: std::net::IpAddr,
        session: u64,
    ) {
        let person = self.person;
        if !person.is_admin() {
            return;
        }
        let rng = &mut self.rng;
        let mut slots = slots(rng, begin + 30, end - 15);
        let zendesk_kinds = &person.zendesk_admin_kinds;
        let zendesk = if zendesk_kinds.is_empty() {
            0
        } else if self.zendesk_admin_done < zendesk_kinds.len() {
            1
        } else {
            rng.random_range(0..=1)
        };
        let slack = rng.random_range(1..=2);
        let me = self.index;
        for n in 0..slack + zendesk {
            let Some(minute) = slots.pop() else { break };
            let when = calendar.local(day, country, minute) + rng.random_range(0..60);
            if n < slack {
                let kinds = &person.slack_admin_kinds;
                let Some(&kind) = kinds.get(self.slack_admin_done).or_else(|| kinds.choose(rng)) else {
                    continue;
                };
                self.slack_admin_done += 1;
                let action = match kind {
                    SlackAdminKind::RoleChangeToUser => {
                        let target = someone_else(self.index, self.people.len(), rng);
                        SlackAction::RoleChange { action: "role_change_to_user", target }
                    }
                    SlackAdminKind::AppApproved => SlackAction::AppDecision {
                        action: "app_approved",
                        app: rng.random_range(catalog::ROUTINE_APPS),
                    },
                    SlackAdminKind::AppRestricted => SlackAction::AppDecision {
                        action: "app_restricted",
                        app: rng.random_range(catalog::ROUTINE_APPS),
                    },
                    SlackAdminKind::Pref(pair) => {
                        SlackAction::Pref { change: catalog::ROUTINE_PREFS[pair * 2 + rng.random_range(0..2)] }
                    }
                };
                self.entries.push(Entry::slack(when, me, action, ip, person.desktop_ua).in_session(session));
            } else {
                let Some(&kind) = zendesk_kinds.get(self.zendesk_admin_done).or_else(|| zendesk_kinds.choose(rng))
                else {
                    continue;
                };
                self.zendesk_admin_done += 1;
                let action = match kind {
                    ZendeskAdminKind::ContractorRole => ZendeskAction::ContractorRole {
                        contractor: rng.random_range(0..catalog::ZENDESK_CONTRACTORS.len()),
                        change: catalog::CONTRACTOR_ROLE_CHANGES[rng.random_range(0..2)],
                    },
                    ZendeskAdminKind::AccountSetting => {
                        ZendeskAction::AccountSetting { setting: rng.random_range(0..catalog::ACCOUNT_SETTINGS.len()) }
                    }
                    ZendeskAdminKind::Rule => {
                        ZendeskAction::RuleCreated { rule: rng.random_range(0..catalog::RULES.len()) }
                    }
                };
                self.entries.push(Entry::zendesk(when, me, action, ip));
            }
        }
    }

    /// Monday's onboarding: a burst of the admin's own kinds of administration within one clock hour
    /// (the first full hour after they start), its size set by the week ([`ONBOARDING`]).
    fn onboard(
        &mut self,
        calendar: &Calendar,
        day: u32,
        country: Country,
        begin: i64,
        ip: std::net::IpAddr,
        session: u64,
    ) {
        let person = self.person;
        let count = ONBOARDING[(day / 7) as usize % ONBOARDING.len()];
        let hour = (begin / 60 + 1) * 60;
        for k in 0..count {
            let when = calendar.local(day, country, hour) + i64::from(k) * 3_500 / i64::from(count.max(1));
            let target = someone_else(self.index, self.people.len(), &mut self.rng);
            let Some(&kind) = person.slack_admin_kinds.get(k as usize % person.slack_admin_kinds.len().max(1)) else {
                return;
            };
            let action = match kind {
                SlackAdminKind::RoleChangeToUser => SlackAction::RoleChange { action: "role_change_to_user", target },
                SlackAdminKind::AppApproved => {
                    SlackAction::AppDecision { action: "app_approved", app: catalog::ROUTINE_APPS.start }
                }
                SlackAdminKind::AppRestricted => {
                    SlackAction::AppDecision { action: "app_restricted", app: catalog::ROUTINE_APPS.start }
                }
                SlackAdminKind::Pref(pair) => SlackAction::Pref { change: catalog::ROUTINE_PREFS[pair * 2] },
            };
            self.entries.push(Entry::slack(when, self.index, action, ip, person.desktop_ua).in_session(session));
        }
    }

    /// An integration acting for its user two to four times a working day, each in its own slot.
    fn integrate(
        &mut self,
        calendar: &Calendar,
        day: u32,
        country: Country,
        begin: i64,
        end: i64,
        ip: std::net::IpAddr,
    ) {
        let Some(integration) = self.person.integration else {
            return;
        };
        let rng = &mut self.rng;
        let mut slots = slots(rng, begin + 20, end - 10);
        for _ in 0..rng.random_range(2..=4) {
            let Some(minute) = slots.pop() else { break };
            let when = calendar.local(day, country, minute) + rng.random_range(0..60);
            let file = rng.random_range(0..FILES);
            let action = if integration.shares {
                SlackAction::FileShared { file, channel: rng.random_range(0..CHANNELS.len() as u32) }
            } else {
                SlackAction::FileDownloaded { file }
            };
            let from = self.person.integration_egress.map_or(ip, std::net::IpAddr::V4);
            let mut entry = Entry::slack(when, self.index, action, from, INTEGRATION_UA);
            entry.via_app = Some(integration.app);
            self.entries.push(entry);
        }
    }

    /// Removes failed sign-ins that no successful sign-in follows (its success fell outside the run or
    /// into a quiet window), so benign failures never pile up.
    fn drop_unanswered_failures(&mut self) {
        self.keep.clear();
        self.keep.resize(self.entries.len(), true);
        let mut success_ahead = false;
        for (k, entry) in self.entries.iter().enumerate().rev() {
            match entry.action {
                Action::Slack(SlackAction::Login) => success_ahead = true,
                Action::Slack(SlackAction::LoginFailed) => self.keep[k] = success_ahead,
                Action::Slack(_) => success_ahead = false,
                Action::Zendesk(_) => {}
            }
        }
        let mut k = 0;
        let keep = &self.keep;
        self.entries.retain(|_| {
            k += 1;
            keep[k - 1]
        });
    }
}

/// Anyone but `me`, at random.
fn someone_else(me: usize, people: usize, rng: &mut ChaCha8Rng) -> u32 {
    let offset = rng.random_range(1..people.max(2));
    ((me + offset) % people.max(1)) as u32
}

/// Start minutes of activity slots between `from` and `to`, at least 90 minutes apart, shuffled.
fn slots(rng: &mut ChaCha8Rng, from: i64, to: i64) -> Vec<i64> {
    let mut slots: Vec<i64> = (from..to - 30).step_by(120).map(|m| m + rng.random_range(0..30)).collect();
    slots.shuffle(rng);
    slots
}

/// Zendesk's automations closing solved tickets every night: the system actor, with no IP address.
fn zendesk_automations(seed: u64, calendar: &Calendar, out: &mut Vec<Entry>) {
    let mut rng = stream(seed, crate::STREAM_AUTOMATIONS);
    for day in 0..calendar.days() {
        for _ in 0..rng.random_range(4..=12) {
            let at = calendar.midnight_utc(day) + 3 * 3_600 + rng.random_range(0..40 * 60);
            if !calendar.contains(at) {
                continue;
            }
            let ticket = FIRST_TICKET + rng.random_range(0..TICKETS);
            out.push(Entry {
                at,
                actor: Actor::ZendeskSystem,
                action: Action::Zendesk(ZendeskAction::TicketUpdate {
                    ticket,
                    change: "Status changed from Solved to Closed",
                }),
                ip: None,
                ua: "",
                session: None,
                via_app: None,
                attack: None,
            });
        }
    }
}

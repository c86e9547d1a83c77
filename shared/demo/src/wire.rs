//! The simulated entries as the vendors' APIs return them: Slack Audit Logs API entries and pages
//! (newest first, `response_metadata.next_cursor`), Zendesk Audit Logs API entries and cursor pages
//! (`sort=created_at`, oldest first), and the Zendesk Users API `show_many` answer.

use chrono::SecondsFormat;
use serde_json::{Value, json};

use crate::catalog::{self, APPS, ENTERPRISE, WORKSPACES, ZENDESK_SUBDOMAIN};
use crate::entry::{Action, Actor, Entry, SlackAction, ZendeskAction};
use crate::population::{Person, slack_code};

pub(crate) const SLACK_PAGE_SIZE: usize = 1_000;
pub(crate) const ZENDESK_PAGE_SIZE: usize = 100;

/// A UUID-shaped Slack entry id. The last 48 bits are a bijection of `counter`, so ids never collide;
/// the rest is seeded noise.
pub(crate) fn slack_entry_id(seed: u64, counter: u64) -> String {
    let noise = crate::mix(seed ^ counter.wrapping_mul(0xA076_1D64_78BD_642F));
    let unique = (counter.wrapping_mul(0x5851_F42D_4C95_7F2D) ^ crate::mix(seed)) & 0xFFFF_FFFF_FFFF;
    format!(
        "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
        noise >> 32,
        (noise >> 16) & 0xFFFF,
        noise & 0xFFF,
        8 + ((noise >> 12) & 0x3),
        (noise >> 40) & 0xFFF,
        unique
    )
}

/// An entry's id, given once all entries are in time order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum EntryId {
    /// The entry's position in the run; the UUID is derived from it.
    Slack(u64),
    Zendesk(i64),
}

impl EntryId {
    /// The product's activity id: `slack:<id>` / `zendesk:<id>`.
    pub(crate) fn activity_id(self, seed: u64) -> String {
        match self {
            EntryId::Slack(n) => format!("slack:{}", slack_entry_id(seed, n)),
            EntryId::Zendesk(id) => format!("zendesk:{id}"),
        }
    }
}

/// Every entry as API JSON, in order. Building the JSON trees is most of the run's cost, so it is shared
/// out over the machine's cores; each entry's JSON depends only on the entry and its id, so the output
/// is the same whatever the number of threads.
pub(crate) fn entries_json(seed: u64, entries: &[Entry], ids: &[EntryId], people: &[Person]) -> Vec<Value> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let chunk = entries.len().div_ceil(threads).max(1);
    let build = |entries: &[Entry], ids: &[EntryId]| -> Vec<Value> {
        entries
            .iter()
            .zip(ids)
            .map(|(entry, &id)| match id {
                EntryId::Slack(n) => slack_entry(entry, slack_entry_id(seed, n), people),
                EntryId::Zendesk(id) => zendesk_entry(entry, id, people),
            })
            .collect()
    };
    if threads == 1 {
        return build(entries, ids);
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = entries
            .chunks(chunk)
            .zip(ids.chunks(chunk))
            .map(|(entries, ids)| scope.spawn(move || build(entries, ids)))
            .collect();
        let mut all = Vec::with_capacity(entries.len());
        for worker in workers {
            all.extend(worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        all
    })
}

/// A JSON object from its fields. Built by hand rather than with `json!`, which would serialize every
/// nested `Value` a second time: generation time is dominated by building these trees.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn text(s: &str) -> Value {
    Value::String(s.to_string())
}

fn slack_user(person: &Person) -> Value {
    object([
        ("id", text(&person.slack_id)),
        ("name", text(&person.name)),
        ("email", text(&person.email)),
        ("team", text(WORKSPACES[person.workspace].id)),
    ])
}

fn location(place: &catalog::Place, kind: &str) -> Value {
    object([("type", text(kind)), ("id", text(place.id)), ("name", text(place.name)), ("domain", text(place.domain))])
}

fn entity(kind: &str, body: Value) -> Value {
    object([("type", text(kind)), (kind, body)])
}

fn channel_entity(index: u32) -> Value {
    let (name, private) = catalog::channel(index);
    let channel = object([
        ("id", Value::String(channel_id(index))),
        ("name", Value::String(name)),
        ("privacy", text(if private { "private" } else { "public" })),
        ("is_shared", Value::Bool(false)),
        ("is_org_shared", Value::Bool(false)),
    ]);
    entity("channel", channel)
}

fn channel_id(index: u32) -> String {
    slack_code("C0", u64::from(index), 0x5EED, 9)
}

fn file_entity(index: u32) -> Value {
    let (name, filetype, title) = catalog::file(index);
    let file = object([
        ("id", Value::String(slack_code("F0", u64::from(index), 0xF11E, 9))),
        ("name", Value::String(name)),
        ("filetype", text(filetype)),
        ("title", Value::String(title)),
    ]);
    entity("file", file)
}

fn app_json(app: &catalog::SlackApp) -> Value {
    object([
        ("id", text(app.id)),
        ("name", text(app.name)),
        ("is_distributed", Value::Bool(true)),
        ("is_directory_approved", Value::Bool(app.directory_approved)),
        ("is_workflow_app", Value::Bool(false)),
        ("scopes", Value::Array(app.scopes.iter().map(|s| text(s)).collect())),
    ])
}

fn no_details() -> Value {
    Value::Object(serde_json::Map::new())
}

/// One Slack Audit Logs API entry.
pub(crate) fn slack_entry(entry: &Entry, id: String, people: &[Person]) -> Value {
    let Actor::Person(actor) = entry.actor else {
        return Value::Null;
    };
    let Action::Slack(action) = entry.action else {
        return Value::Null;
    };
    let person = &people[actor as usize];
    let workspace = || location(&WORKSPACES[person.workspace], "workspace");
    let enterprise = || location(&ENTERPRISE, "enterprise");
    let me = || entity("user", slack_user(person));
    let (name, entity, context_location, details) = match action {
        SlackAction::Login => ("user_login", me(), enterprise(), no_details()),
        SlackAction::LoginFailed => ("user_login_failed", me(), enterprise(), no_details()),
        SlackAction::Logout => ("user_logout", me(), enterprise(), no_details()),
        SlackAction::FileDownloaded { file } => ("file_downloaded", file_entity(file), workspace(), no_details()),
        SlackAction::FileShared { file, channel } => (
            "file_shared",
            file_entity(file),
            workspace(),
            object([("shared_with", object([("channel_id", Value::String(channel_id(channel)))]))]),
        ),
        SlackAction::ChannelJoin { channel } => {
            ("user_channel_join", channel_entity(channel), workspace(), no_details())
        }
        SlackAction::ChannelLeave { channel } => {
            ("user_channel_leave", channel_entity(channel), workspace(), no_details())
        }
        SlackAction::ChannelCreated { channel } => {
            let action = if catalog::channel(channel).1 { "private_channel_created" } else { "public_channel_created" };
            (action, channel_entity(channel), workspace(), no_details())
        }
        SlackAction::RoleChange { action, target } => {
            (action, entity("user", slack_user(&people[target as usize])), enterprise(), no_details())
        }
        SlackAction::Pref { change: (action, previous, new) } => (
            action,
            entity(
                "enterprise",
                object([
                    ("id", text(ENTERPRISE.id)),
                    ("name", text(ENTERPRISE.name)),
                    ("domain", text(ENTERPRISE.domain)),
                ]),
            ),
            enterprise(),
            object([("previous_value", text(previous)), ("new_value", text(new))]),
        ),
        SlackAction::AppDecision { action, app } => (
            action,
            entity("app", app_json(&APPS[app])),
            enterprise(),
            object([("is_internal_integration", Value::Bool(false)), ("app_previously_approved", Value::Bool(false))]),
        ),
    };
    let ip = entry.ip.map_or(Value::Null, |ip| Value::String(ip.to_string()));
    let session = entry.session.map_or(Value::Null, |s| Value::String(s.to_string()));
    let mut context =
        object([("location", context_location), ("ua", text(entry.ua)), ("ip_address", ip), ("session_id", session)]);
    if let (Some(app), Value::Object(map)) = (entry.via_app, &mut context) {
        map.insert("app".to_string(), app_json(&APPS[app]));
    }
    object([
        ("id", Value::String(id)),
        ("date_create", Value::from(entry.at)),
        ("action", text(name)),
        ("actor", object([("type", text("user")), ("user", slack_user(person))])),
        ("entity", entity),
        ("context", context),
        ("details", details),
    ])
}

fn zendesk_label(action: &str) -> &'static str {
    match action {
        "create" => "Created",
        "destroy" => "Deleted",
        "exported" => "Exported",
        "login" => "Signed in",
        _ => "Updated",
    }
}

/// One Zendesk Audit Logs API entry.
pub(crate) fn zendesk_entry(entry: &Entry, id: i64, people: &[Person]) -> Value {
    let Action::Zendesk(action) = entry.action else {
        return Value::Null;
    };
    let (actor_id, actor_name) = match entry.actor {
        Actor::Person(i) => {
            let person = &people[i as usize];
            (person.zendesk_id.unwrap_or(catalog::ZENDESK_SYSTEM_ID), person.name.as_str())
        }
        Actor::ZendeskSystem => (catalog::ZENDESK_SYSTEM_ID, catalog::ZENDESK_SYSTEM_NAME),
    };
    let (verb, source_type, source_id, source_label, change): (&str, &str, Option<i64>, String, String) = match action {
        ZendeskAction::Login => (
            "login",
            "user",
            Some(actor_id),
            actor_name.to_string(),
            // Detections key on the "Successful sign-in" prefix; the address itself is in ip_address.
            "Successful sign-in using Zendesk password from https://acme.zendesk.com/access/login".to_string(),
        ),
        ZendeskAction::TicketUpdate { ticket, change } => {
            let subject = catalog::TICKET_SUBJECTS[ticket as usize % catalog::TICKET_SUBJECTS.len()];
            ("update", "ticket", Some(i64::from(ticket)), format!("#{ticket} {subject}"), change.to_string())
        }
        ZendeskAction::ContractorRole { contractor, change } => (
            "update",
            "user",
            Some(catalog::contractor_id(contractor)),
            catalog::ZENDESK_CONTRACTORS[contractor].to_string(),
            change.to_string(),
        ),
        ZendeskAction::AccountSetting { setting } => {
            let (label, change) = catalog::ACCOUNT_SETTINGS[setting];
            ("update", "account_setting", None, label.to_string(), change.to_string())
        }
        ZendeskAction::RuleCreated { rule } => {
            let (label, change) = catalog::RULES[rule];
            ("create", "rule", Some(360_000_100_000 + rule as i64 * 131), label.to_string(), change.to_string())
        }
        ZendeskAction::ApiTokenCreated { label } => {
            ("create", "api_token", Some(9_001_777), label.to_string(), "Created".to_string())
        }
        ZendeskAction::TicketsExported => {
            ("exported", "account", None, "Ticket export".to_string(), "Exported all tickets as JSON".to_string())
        }
    };
    let created_at = crate::utc(entry.at).to_rfc3339_opts(SecondsFormat::Secs, true);
    object([
        ("id", Value::from(id)),
        ("action", text(verb)),
        ("action_label", text(zendesk_label(verb))),
        ("actor_id", Value::from(actor_id)),
        ("actor_name", text(actor_name)),
        ("source_id", source_id.map_or(Value::Null, Value::from)),
        ("source_type", text(source_type)),
        ("source_label", Value::String(source_label)),
        ("change_description", Value::String(change)),
        ("ip_address", entry.ip.map_or(Value::Null, |ip| Value::String(ip.to_string()))),
        ("created_at", Value::String(created_at)),
        ("url", Value::String(format!("https://{ZENDESK_SUBDOMAIN}.zendesk.com/api/v2/audit_logs/{id}"))),
    ])
}

/// Slack pages of at most [`SLACK_PAGE_SIZE`] entries; `entries` must already be newest first.
pub(crate) fn slack_pages(seed: u64, entries: Vec<Value>) -> Vec<Value> {
    let pages = entries.len().div_ceil(SLACK_PAGE_SIZE).max(1);
    let mut out = Vec::with_capacity(pages);
    let mut iter = entries.into_iter();
    for page in 0..pages {
        let chunk: Vec<Value> = iter.by_ref().take(SLACK_PAGE_SIZE).collect();
        let next_cursor = if page + 1 < pages { cursor(seed, page as u64 + 1) } else { String::new() };
        out.push(object([
            ("entries", Value::Array(chunk)),
            ("response_metadata", object([("next_cursor", Value::String(next_cursor))])),
        ]));
    }
    out
}

/// Zendesk cursor pages of at most [`ZENDESK_PAGE_SIZE`] entries; `entries` must already be oldest first.
pub(crate) fn zendesk_pages(seed: u64, entries: Vec<Value>) -> Vec<Value> {
    let pages = entries.len().div_ceil(ZENDESK_PAGE_SIZE).max(1);
    let base = format!(
        "https://{ZENDESK_SUBDOMAIN}.zendesk.com/api/v2/audit_logs?page%5Bsize%5D={ZENDESK_PAGE_SIZE}&sort=created_at"
    );
    let mut out = Vec::with_capacity(pages);
    let mut iter = entries.into_iter();
    for page in 0..pages {
        let chunk: Vec<Value> = iter.by_ref().take(ZENDESK_PAGE_SIZE).collect();
        let after = cursor(seed ^ 0x2E4D, page as u64 * 2 + 1);
        let before = cursor(seed ^ 0x2E4D, page as u64 * 2);
        let links = object([
            ("next", Value::String(format!("{base}&page%5Bafter%5D={after}"))),
            ("prev", Value::String(format!("{base}&page%5Bbefore%5D={before}"))),
        ]);
        let meta = object([
            ("has_more", Value::Bool(page + 1 < pages)),
            ("after_cursor", Value::String(after)),
            ("before_cursor", Value::String(before)),
        ]);
        out.push(object([("audit_logs", Value::Array(chunk)), ("meta", meta), ("links", links)]));
    }
    out
}

/// An opaque, deterministic paging cursor.
fn cursor(seed: u64, n: u64) -> String {
    format!("{:016x}{:08x}", crate::mix(seed ^ n.wrapping_mul(0x9E37_79B9)), n)
}

/// The Zendesk Users API `show_many` answer for everyone with a Zendesk seat.
pub(crate) fn zendesk_users(people: &[Person]) -> Value {
    let users: Vec<Value> = people
        .iter()
        .filter_map(|p| {
            let id = p.zendesk_id?;
            let role = if p.is_admin() { "admin" } else { "agent" };
            Some(json!({
                "id": id,
                "url": format!("https://{ZENDESK_SUBDOMAIN}.zendesk.com/api/v2/users/{id}.json"),
                "name": p.name,
                "email": p.email,
                "role": role,
                "suspended": false,
            }))
        })
        .collect();
    json!({ "users": users })
}

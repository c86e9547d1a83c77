//! Slack's and Zendesk's audit-log APIs (and Zendesk's Access Logs API) as wiremock responders: they
//! filter, order and page a set of entries the way the real APIs do (newest first with `cursor`; oldest
//! first with `page[after]`), check credentials, and inject the faults a test scripts (429 with
//! `Retry-After` or `ratelimit-reset`, 5xx, truncated JSON, a rejected cursor, a missing add-on, a page
//! that repeats the previous one's last entry).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

pub const SLACK_TOKEN: &str = "xoxp-test-token-never-printed";
pub const ZENDESK_EMAIL: &str = "admin@acme.example";
pub const ZENDESK_TOKEN: &str = "zd-test-token-never-printed";

/// A fault injected into the next request that matches.
#[derive(Debug, Clone)]
pub enum Fault {
    RateLimited {
        retry_after: &'static str,
    },
    /// Zendesk Access Logs' 429: no `Retry-After`, a `ratelimit-reset` date-time instead.
    RateLimitedUntil(String),
    /// 403: the account lacks the plan or add-on.
    Forbidden,
    ServerError,
    Truncated,
    InvalidCursor,
    /// The page starts one entry early, repeating the previous page's last entry: what an offset-based
    /// cursor does when an entry is published inside the window while it is being paged.
    RepeatPrevious,
}

/// Which request a fault hits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    Any,
    /// Only a request that carries a cursor (a page after the first).
    WithCursor,
}

#[derive(Clone, Default)]
pub struct Api {
    entries: Arc<Mutex<Vec<Value>>>,
    faults: Arc<Mutex<VecDeque<(When, Fault)>>>,
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl Api {
    pub fn add(&self, entries: impl IntoIterator<Item = Value>) {
        self.entries.lock().expect("entries").extend(entries);
    }

    pub fn fail(&self, when: When, fault: Fault) {
        self.faults.lock().expect("faults").push_back((when, fault));
    }

    fn fault(&self, has_cursor: bool) -> Option<Fault> {
        let mut faults = self.faults.lock().expect("faults");
        let matches = faults.front().is_some_and(|(when, _)| *when == When::Any || has_cursor);
        if matches { faults.pop_front().map(|(_, fault)| fault) } else { None }
    }

    fn record(&self, request: &Request) {
        self.requests.lock().expect("requests").push(request.url.to_string());
    }
}

fn query(request: &Request, name: &str) -> Vec<String> {
    request.url.query_pairs().filter(|(k, _)| k == name).map(|(_, v)| v.into_owned()).collect()
}

fn cursor_offset(cursor: Option<&String>) -> usize {
    cursor.and_then(|c| c.strip_prefix("offset-")).and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn injected(fault: Fault, body_ok: &Value, invalid_cursor: Value) -> ResponseTemplate {
    match fault {
        Fault::RateLimited { retry_after } => ResponseTemplate::new(429)
            .insert_header("Retry-After", retry_after)
            .set_body_json(json!({"ok": false, "error": "rate_limited"})),
        Fault::RateLimitedUntil(at) => ResponseTemplate::new(429)
            .insert_header("ratelimit-reset", at.as_str())
            .set_body_json(json!({"error": "TooManyRequests"})),
        Fault::Forbidden => ResponseTemplate::new(403)
            .set_body_json(json!({"error": "Forbidden", "description": "You do not have access to this page"})),
        Fault::ServerError => ResponseTemplate::new(503).set_body_string("upstream unavailable"),
        Fault::Truncated => {
            let text = body_ok.to_string();
            ResponseTemplate::new(200).set_body_raw(text[..text.len() / 2].to_string(), "application/json")
        }
        Fault::InvalidCursor => ResponseTemplate::new(200).set_body_json(invalid_cursor),
        // The responder already moved the page's start.
        Fault::RepeatPrevious => ResponseTemplate::new(200).set_body_json(body_ok.clone()),
    }
}

/// `GET /logs` of Slack's Audit Logs API.
#[derive(Clone, Default)]
pub struct SlackApi(pub Api);

impl Respond for SlackApi {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.record(request);
        let authorized = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {SLACK_TOKEN}"));
        if !authorized {
            return ResponseTemplate::new(200).set_body_json(json!({"ok": false, "error": "invalid_authentication"}));
        }
        let number = |name| query(request, name).first().and_then(|v| v.parse::<i64>().ok());
        let (Some(oldest), Some(latest), Some(limit)) = (number("oldest"), number("latest"), number("limit")) else {
            return ResponseTemplate::new(200).set_body_json(json!({"ok": false, "error": "invalid_arguments"}));
        };
        let cursor = query(request, "cursor").into_iter().next();
        let mut matching: Vec<Value> = self
            .0
            .entries
            .lock()
            .expect("entries")
            .iter()
            .filter(|e| (oldest..=latest).contains(&e["date_create"].as_i64().unwrap_or(-1)))
            .cloned()
            .collect();
        matching.sort_by(|a, b| {
            b["date_create"]
                .as_i64()
                .cmp(&a["date_create"].as_i64())
                .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
        });
        let fault = self.0.fault(cursor.is_some());
        let mut start = cursor_offset(cursor.as_ref()).min(matching.len());
        if matches!(fault, Some(Fault::RepeatPrevious)) {
            start = start.saturating_sub(1);
        }
        // Like Slack, a page never splits one second: it grows past `limit` instead.
        let mut end = (start + usize::try_from(limit).unwrap_or(1)).min(matching.len());
        while end < matching.len() && end > start && matching[end]["date_create"] == matching[end - 1]["date_create"] {
            end += 1;
        }
        let next = if end < matching.len() { format!("offset-{end}") } else { String::new() };
        let body = json!({"entries": matching[start..end], "response_metadata": {"next_cursor": next}});
        match fault {
            Some(fault) => injected(fault, &body, json!({"ok": false, "error": "invalid_cursor"})),
            None => ResponseTemplate::new(200).set_body_json(body),
        }
    }
}

/// `GET /api/v2/audit_logs` of Zendesk, `GET /api/v2/access_logs`, and `GET /api/v2/users/show_many.json`.
#[derive(Clone, Default)]
pub struct ZendeskApi {
    pub api: Api,
    /// The access log's entries, faults and requests.
    pub access: Api,
    pub users: Arc<Mutex<Vec<Value>>>,
    pub user_lookups: Arc<Mutex<Vec<String>>>,
}

impl ZendeskApi {
    fn authorized(request: &Request) -> bool {
        // base64("admin@acme.example/token:zd-test-token-never-printed"), computed once by hand is fragile:
        // compare against the header reqwest would build from the same parts.
        let expected = format!("{ZENDESK_EMAIL}/token:{ZENDESK_TOKEN}");
        request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .is_some_and(|encoded| decode_base64(encoded).as_deref() == Some(expected.as_str()))
    }
}

impl Respond for ZendeskApi {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if !ZendeskApi::authorized(request) {
            return ResponseTemplate::new(401).set_body_json(json!({"error": "Couldn't authenticate you"}));
        }
        if request.url.path() == "/api/v2/users/show_many.json" {
            let ids = query(request, "ids").join(",");
            self.user_lookups.lock().expect("lookups").push(ids.clone());
            let wanted: Vec<i64> = ids.split(',').filter_map(|id| id.parse().ok()).collect();
            let users: Vec<Value> = self
                .users
                .lock()
                .expect("users")
                .iter()
                .filter(|u| u["id"].as_i64().is_some_and(|id| wanted.contains(&id)))
                .cloned()
                .collect();
            return ResponseTemplate::new(200).set_body_json(json!({"users": users}));
        }
        if request.url.path() == "/api/v2/access_logs" {
            return self.access_logs(request);
        }
        self.api.record(request);
        let range = query(request, "filter[created_at][]");
        let parse = |s: &String| DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc));
        let (Some(start), Some(end)) = (range.first().and_then(parse), range.get(1).and_then(parse)) else {
            return ResponseTemplate::new(400).set_body_json(json!({"error": "InvalidFilter"}));
        };
        if query(request, "sort").first().map(String::as_str) != Some("created_at") {
            return ResponseTemplate::new(400).set_body_json(json!({"error": "expected sort=created_at"}));
        }
        let size: usize = query(request, "page[size]").first().and_then(|v| v.parse().ok()).unwrap_or(100);
        let cursor = query(request, "page[after]").into_iter().next();
        let mut matching: Vec<Value> = self
            .api
            .entries
            .lock()
            .expect("entries")
            .iter()
            .filter(|e| {
                let at = e["created_at"].as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok());
                at.is_some_and(|at| at >= start && at <= end)
            })
            .cloned()
            .collect();
        matching.sort_by(|a, b| {
            a["created_at"]
                .as_str()
                .cmp(&b["created_at"].as_str())
                .then_with(|| a["id"].as_i64().cmp(&b["id"].as_i64()))
        });
        zendesk_page(&self.api, "audit_logs", &matching, size, cursor.as_ref())
    }
}

impl ZendeskApi {
    /// Access logs: `filter[start]`/`filter[end]` (both inclusive), ascending by (timestamp, id), cursor
    /// paging with `page[size]` ≤ 2500.
    fn access_logs(&self, request: &Request) -> ResponseTemplate {
        self.access.record(request);
        let parse = |name| {
            query(request, name)
                .first()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.with_timezone(&Utc))
        };
        let (Some(start), Some(end)) = (parse("filter[start]"), parse("filter[end]")) else {
            return ResponseTemplate::new(400).set_body_json(json!({"error": "InvalidFilter"}));
        };
        let size: usize = query(request, "page[size]").first().and_then(|v| v.parse().ok()).unwrap_or(100);
        if size > 2500 {
            return ResponseTemplate::new(400).set_body_json(json!({"error": "page[size] must be at most 2500"}));
        }
        let cursor = query(request, "page[after]").into_iter().next();
        let time = |e: &Value| {
            e["timestamp"].as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|d| d.with_timezone(&Utc))
        };
        let mut matching: Vec<Value> = self
            .access
            .entries
            .lock()
            .expect("entries")
            .iter()
            .filter(|e| time(e).is_some_and(|at| at >= start && at <= end))
            .cloned()
            .collect();
        matching.sort_by(|a, b| time(a).cmp(&time(b)).then_with(|| a["id"].as_str().cmp(&b["id"].as_str())));
        zendesk_page(&self.access, "access_logs", &matching, size, cursor.as_ref())
    }
}

/// One cursor page of Zendesk's sorted `matching` entries under `key`, or the fault `api` has queued.
fn zendesk_page(api: &Api, key: &str, matching: &[Value], size: usize, cursor: Option<&String>) -> ResponseTemplate {
    let fault = api.fault(cursor.is_some());
    let offset = cursor_offset(cursor).min(matching.len());
    let to = (offset + size).min(matching.len());
    let from = if matches!(fault, Some(Fault::RepeatPrevious)) { offset.saturating_sub(1) } else { offset };
    let has_more = to < matching.len();
    let body = json!({
        key: matching[from..to],
        "meta": {"has_more": has_more, "after_cursor": if has_more { Some(format!("offset-{to}")) } else { None }},
        "links": {},
    });
    match fault {
        Some(Fault::InvalidCursor) => ResponseTemplate::new(400)
            .set_body_json(json!({"errors": [{"code": "InvalidPaginationParameter", "title": "Invalid cursor"}]})),
        Some(fault) => injected(fault, &body, Value::Null),
        None => ResponseTemplate::new(200).set_body_json(body),
    }
}

fn decode_base64(text: &str) -> Option<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0_u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = ALPHABET.iter().position(|c| *c == byte)? as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A Slack `user_login` entry shaped like REFERENCE.md §1.
pub fn slack_entry(id: &str, at: DateTime<Utc>, email: &str) -> Value {
    json!({
        "id": id,
        "date_create": at.timestamp(),
        "action": "user_login",
        "actor": {"type": "user", "user": {"id": format!("W{}", email.len()), "name": email, "email": email, "team": "T0ACMEENG1"}},
        "entity": {"type": "user", "user": {"id": format!("W{}", email.len()), "name": email, "email": email}},
        "context": {
            "location": {"type": "enterprise", "id": "E0ACME0001", "name": "Acme Corp", "domain": "acme-corp"},
            "ua": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)",
            "session_id": "847288190092",
            "ip_address": "81.2.69.142"
        },
        "details": {}
    })
}

/// A Zendesk sign-in entry shaped like REFERENCE.md §2.
pub fn zendesk_entry(id: i64, at: DateTime<Utc>, actor_id: i64) -> Value {
    json!({
        "url": format!("https://acme.zendesk.com/api/v2/audit_logs/{id}.json"),
        "id": id,
        "action_label": "Signed in",
        "actor_id": actor_id,
        "actor_name": "Agent",
        "source_id": actor_id,
        "source_type": "user",
        "source_label": "Agent",
        "action": "login",
        "change_description": "Successful sign-in using Zendesk password",
        "ip_address": "81.2.69.142",
        "created_at": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// A Zendesk access-log entry shaped like REFERENCE.md §2: an agent reading a ticket.
pub fn zendesk_access_entry(id: &str, at: DateTime<Utc>, user_id: i64, ip: &str) -> Value {
    json!({
        "id": id,
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "user_id": user_id.to_string(),
        "ip_address": ip,
        "method": "GET",
        "url": "/api/v2/tickets/12.json?include=users",
        "status": 200,
        "authorization_type": "session",
        "client": "Mozilla/5.0 (X11; Linux x86_64)",
    })
}

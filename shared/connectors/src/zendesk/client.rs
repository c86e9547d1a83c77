//! The Zendesk Audit Logs and Access Logs APIs over HTTP.
//!
//! - Audit logs: `GET {base}/api/v2/audit_logs`, oldest first (`sort=created_at`), cursor-paged
//!   (`page[size]` ≤ 100, `page[after]`), filtered to the window with `filter[created_at][]` given twice.
//! - Access logs (the Advanced Data Privacy and Protection add-on): `GET {base}/api/v2/access_logs`,
//!   ascending by default, cursor-paged (`page[size]` ≤ 2500), filtered with `filter[start]` and
//!   `filter[end]`. 50 requests a minute; its 429 says when to come back in `ratelimit-reset`.
//!
//! Actor ids (`actor_id`, `user_id`) are resolved to emails through the Users API ([`UserResolver`])
//! before entries are normalized; both logs of an account share one resolver and its cache.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::{RequestBuilder, StatusCode};
use saaswarden_core::checkpoint::Window;
use saaswarden_core::config::SourceSettings;
use serde_json::Value;

use super::resolver::UserResolver;
use super::users::ZendeskUsers;
use crate::feed::Feed;
use crate::http::{HttpClient, HttpError, HttpResponse, Secret, Verdict, default_verdict};
use crate::input::RawEntry;
use crate::source::{AuditSource, Order, Page, SourceError};

/// How requests authenticate. `Debug` shows the email, never the token.
#[derive(Debug, Clone)]
pub enum ZendeskAuth {
    /// An API token: `Basic base64("{email}/token:{token}")`.
    ApiToken { email: String, token: Secret },
    /// An OAuth access token: `Bearer …`.
    OAuth(Secret),
}

impl ZendeskAuth {
    pub(super) fn apply(&self, request: RequestBuilder) -> RequestBuilder {
        match self {
            ZendeskAuth::ApiToken { email, token } => {
                request.basic_auth(format!("{email}/token"), Some(token.expose()))
            }
            ZendeskAuth::OAuth(token) => request.bearer_auth(token.expose()),
        }
    }
}

/// Which of an account's logs a client reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZendeskLog {
    Audit,
    Access,
}

impl ZendeskLog {
    /// The largest `page[size]` the API takes.
    pub const fn max_page_size(self) -> u32 {
        match self {
            ZendeskLog::Audit => 100,
            ZendeskLog::Access => 2_500,
        }
    }

    fn label(self) -> &'static str {
        match self {
            ZendeskLog::Audit => "audit logs",
            ZendeskLog::Access => "access logs",
        }
    }

    /// The response key holding the entries, which is also the path under `/api/v2/`.
    fn key(self) -> &'static str {
        match self {
            ZendeskLog::Audit => "audit_logs",
            ZendeskLog::Access => "access_logs",
        }
    }

    /// The entry field naming the user who acted.
    fn user_field(self) -> &'static str {
        match self {
            ZendeskLog::Audit => "actor_id",
            ZendeskLog::Access => "user_id",
        }
    }

    /// What a 403 means for this log.
    fn forbidden(self) -> &'static str {
        match self {
            ZendeskLog::Audit => "audit logs need an Enterprise plan and an admin's token",
            ZendeskLog::Access => {
                "access logs need the Advanced Data Privacy and Protection add-on and an admin's token \
                 (or set access_logs = false)"
            }
        }
    }
}

/// Reads one Zendesk account's audit log or access log.
pub struct ZendeskClient {
    log: ZendeskLog,
    http: HttpClient,
    base_url: String,
    auth: ZendeskAuth,
    page_size: u32,
    pages: AtomicU64,
    users: Arc<UserResolver>,
}

impl ZendeskClient {
    /// The audit-log client. `base_url` is the account's address (`https://acme.zendesk.com`, a proxy, or
    /// a test server); `page_size` ≤ 100; `users_refresh` how long a resolved actor is trusted before it is
    /// looked up again.
    pub fn new(
        http: HttpClient,
        base_url: &str,
        auth: ZendeskAuth,
        page_size: u32,
        users_refresh: Duration,
    ) -> ZendeskClient {
        let base_url = base_url.trim_end_matches('/').to_string();
        ZendeskClient {
            log: ZendeskLog::Audit,
            users: Arc::new(UserResolver::new(&base_url, users_refresh)),
            http,
            base_url,
            auth,
            page_size: page_size.clamp(1, ZendeskLog::Audit.max_page_size()),
            pages: AtomicU64::new(0),
        }
    }

    /// The access-log client of the same account, sharing credentials and the users cache. It takes its
    /// own `http` client, so the access log's request budget (the API allows 50 a minute) is its own.
    pub fn access_logs(&self, http: HttpClient, page_size: u32) -> ZendeskClient {
        ZendeskClient {
            log: ZendeskLog::Access,
            http,
            base_url: self.base_url.clone(),
            auth: self.auth.clone(),
            page_size: page_size.clamp(1, ZendeskLog::Access.max_page_size()),
            pages: AtomicU64::new(0),
            users: Arc::clone(&self.users),
        }
    }

    /// The audit-log client for a configured `[[sources]]` entry: API-token authentication when it names
    /// an `email`, OAuth otherwise. `None` when the entry has no `base_url` (configuration validation
    /// rejects that, so it only happens with hand-built settings).
    pub fn from_settings(source: &SourceSettings, token: Secret, http: HttpClient) -> Option<ZendeskClient> {
        let auth = match &source.email {
            Some(email) => ZendeskAuth::ApiToken { email: email.clone(), token },
            None => ZendeskAuth::OAuth(token),
        };
        Some(ZendeskClient::new(http, &source.base_url()?, auth, source.page_size(), source.users_refresh))
    }
}

impl AuditSource for ZendeskClient {
    fn feed(&self) -> Feed {
        match self.log {
            ZendeskLog::Audit => Feed::ZendeskAudit,
            ZendeskLog::Access => Feed::ZendeskAccess,
        }
    }

    fn order(&self) -> Order {
        Order::OldestFirst
    }

    fn http(&self) -> &HttpClient {
        &self.http
    }

    async fn page(&self, window: Window, cursor: Option<&str>) -> Result<Page, SourceError> {
        let page = self.pages.fetch_add(1, Ordering::Relaxed) + 1;
        let log = self.log;
        let what = format!("Zendesk {} {}..{} page {page}", log.label(), iso(window.start), iso(window.end));
        let url = format!("{}/api/v2/{}", self.base_url, log.key());
        let mut query: Vec<(&str, String)> = match log {
            ZendeskLog::Audit => vec![
                ("filter[created_at][]", iso(window.start)),
                ("filter[created_at][]", iso(window.end)),
                ("sort", "created_at".into()),
            ],
            ZendeskLog::Access => vec![("filter[start]", iso(window.start)), ("filter[end]", iso(window.end))],
        };
        query.push(("page[size]", self.page_size.to_string()));
        if let Some(cursor) = cursor {
            query.push(("page[after]", cursor.to_string()));
        }
        let build = |http: &reqwest::Client| self.auth.apply(http.get(&url).query(&query));
        let with_cursor = cursor.is_some();
        self.http.execute(&what, build, |response, now| classify(response, now, &what, log, with_cursor)).await?
    }

    async fn prepare(&self, entries: &[RawEntry]) -> Result<ZendeskUsers, SourceError> {
        self.users.resolve(&self.http, &self.auth, entries, self.log.user_field()).await
    }
}

/// Zendesk's filter format: RFC 3339 in UTC, whole seconds.
pub(super) fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Judges one response of a cursor-paged Zendesk log (`log.key()` holds the entries).
fn classify(
    response: HttpResponse,
    now: DateTime<Utc>,
    what: &str,
    log: ZendeskLog,
    with_cursor: bool,
) -> Verdict<Result<Page, SourceError>> {
    let key = log.key();
    let response = match default_verdict(response, now).into_done() {
        Ok(response) => response,
        Err(verdict) => return verdict,
    };
    let status = response.status;
    if !status.is_success() {
        let excerpt = response.excerpt();
        if with_cursor && matches!(status, StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY) {
            return Verdict::Done(Err(SourceError::InvalidCursor { what: what.into(), message: excerpt }));
        }
        let message = match status {
            StatusCode::UNAUTHORIZED => {
                format!(
                    "the credentials were refused: check the email, the API token and that token access is on ({excerpt})"
                )
            }
            StatusCode::FORBIDDEN => format!("not authorized: {} ({excerpt})", log.forbidden()),
            StatusCode::NOT_FOUND => {
                format!("not found: check base_url (https://<subdomain>.zendesk.com) and the plan ({excerpt})")
            }
            _ => format!("unexpected HTTP {status}: {excerpt}"),
        };
        return Verdict::Fail(HttpError::Permanent { what: what.into(), status: Some(status.as_u16()), message });
    }
    let Ok(mut body) = serde_json::from_slice::<Value>(&response.body) else {
        return Verdict::Fail(HttpError::Malformed {
            what: what.into(),
            message: format!("not JSON (truncated?): {}", response.excerpt()),
        });
    };
    let Some(Value::Array(entries)) = body.get_mut(key).map(Value::take) else {
        return Verdict::Fail(HttpError::Malformed {
            what: what.into(),
            message: format!("no `{key}` array in the response"),
        });
    };
    let has_more = body.pointer("/meta/has_more").and_then(Value::as_bool).unwrap_or(false);
    let next_cursor = if has_more {
        match body.pointer("/meta/after_cursor").and_then(Value::as_str).filter(|c| !c.is_empty()) {
            Some(cursor) => Some(cursor.to_owned()),
            None => {
                return Verdict::Fail(HttpError::Malformed {
                    what: what.into(),
                    message: "`meta.has_more` is true but there is no `meta.after_cursor`".into(),
                });
            }
        }
    } else {
        None
    };
    let entries = entries
        .into_iter()
        .enumerate()
        .map(|(i, value)| RawEntry { location: format!("{what}: {key}[{i}]"), value })
        .collect();
    Verdict::Done(Ok(Page { entries, next_cursor }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(status: u16, body: &str, with_cursor: bool) -> Verdict<Result<Page, SourceError>> {
        let response = HttpResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            headers: reqwest::header::HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        };
        classify(response, Utc::now(), "Zendesk audit logs page 2", ZendeskLog::Audit, with_cursor)
    }

    fn malformed(verdict: Verdict<Result<Page, SourceError>>) -> String {
        match verdict {
            Verdict::Fail(HttpError::Malformed { what, message }) => format!("{what}: {message}"),
            _ => "not a malformed-response failure".into(),
        }
    }

    #[test]
    fn json_of_the_wrong_shape_is_malformed_and_names_the_page() {
        let no_array = malformed(judge(200, r#"{"meta": {"has_more": false}}"#, false));
        assert_eq!(no_array, "Zendesk audit logs page 2: no `audit_logs` array in the response");
        let no_cursor = malformed(judge(200, r#"{"audit_logs": [], "meta": {"has_more": true}}"#, false));
        assert!(no_cursor.contains("no `meta.after_cursor`"), "{no_cursor}");
        let truncated = malformed(judge(200, r#"{"audit_logs": [{"id": 1"#, false));
        assert!(truncated.contains("not JSON (truncated?)"), "{truncated}");
    }

    #[test]
    fn the_last_page_has_no_cursor_and_a_rejected_cursor_rereads() {
        let last = judge(200, r#"{"audit_logs": [{"id": 1}], "meta": {"has_more": false}}"#, false);
        assert!(matches!(last, Verdict::Done(Ok(Page { ref entries, next_cursor: None })) if entries.len() == 1));
        assert!(matches!(judge(400, "{}", true), Verdict::Done(Err(SourceError::InvalidCursor { .. }))));
        // Without a cursor, a 400 is the request's fault: permanent.
        assert!(matches!(judge(400, "{}", false), Verdict::Fail(HttpError::Permanent { status: Some(400), .. })));
    }

    #[test]
    fn timeouts_and_server_errors_are_retried_refusals_are_permanent() {
        assert!(matches!(judge(408, "", false), Verdict::Retry(_)));
        assert!(matches!(judge(503, "", false), Verdict::Retry(_)));
        assert!(matches!(judge(429, "", false), Verdict::RateLimited(None)));
        for (status, says) in [(401, "credentials were refused"), (403, "not authorized"), (404, "check base_url")] {
            match judge(status, "{}", false) {
                Verdict::Fail(HttpError::Permanent { message, .. }) => assert!(message.contains(says), "{message}"),
                _ => panic!("HTTP {status} is permanent"),
            }
        }
    }
}

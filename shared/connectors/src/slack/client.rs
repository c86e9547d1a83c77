//! The Slack Audit Logs API over HTTP: `GET {base}/logs?oldest&latest&limit&cursor`, newest first.
//!
//! Slack reports errors in the body (`{"ok":false,"error":"…"}`) with 200 or a 4xx status, so every
//! response is classified here: rate limits wait, `invalid_cursor` restarts the window, server trouble is
//! retried, and anything about the token, plan or installation stops with a message saying what to fix.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use saaswarden_core::checkpoint::Window;
use saaswarden_core::config::SourceSettings;
use serde_json::Value;

use crate::feed::Feed;
use crate::http::{HttpClient, HttpError, HttpResponse, Secret, Verdict, default_verdict, requested_wait};
use crate::input::RawEntry;
use crate::source::{AuditSource, Order, Page, SourceError};
use crate::zendesk::ZendeskUsers;

/// Reads one Enterprise org's audit logs.
pub struct SlackClient {
    http: HttpClient,
    logs_url: String,
    token: Secret,
    limit: u32,
    pages: AtomicU64,
}

impl SlackClient {
    /// `base_url` is the API root (`https://api.slack.com/audit/v1`, or a proxy / test server; a bare
    /// host means its `/audit/v1`); `token` an org owner's user token with `auditlogs:read`; `limit` the
    /// entries asked per page (≤ 9999).
    pub fn new(http: HttpClient, base_url: &str, token: Secret, limit: u32) -> SlackClient {
        SlackClient {
            http,
            logs_url: logs_url(base_url),
            token,
            limit: limit.clamp(1, 9_999),
            pages: AtomicU64::new(0),
        }
    }

    /// The client for a configured `[[sources]]` entry (its base URL and page size), with its token.
    pub fn from_settings(source: &SourceSettings, token: Secret, http: HttpClient) -> SlackClient {
        let base_url = source.base_url().unwrap_or_else(|| saaswarden_core::config::SLACK_BASE_URL.to_string());
        SlackClient::new(http, &base_url, token, source.page_size())
    }
}

/// `{base_url}/logs`; a bare host (`https://api.slack.com`, `http://127.0.0.1:8080`) gets Slack's
/// `/audit/v1` first, since nothing else is served at a host's root.
fn logs_url(base_url: &str) -> String {
    let base = base_url.trim().trim_end_matches('/');
    let bare = reqwest::Url::parse(base).is_ok_and(|url| matches!(url.path(), "" | "/"));
    if bare { format!("{base}/audit/v1/logs") } else { format!("{base}/logs") }
}

impl AuditSource for SlackClient {
    fn feed(&self) -> Feed {
        Feed::SlackAudit
    }

    fn order(&self) -> Order {
        Order::NewestFirst
    }

    fn http(&self) -> &HttpClient {
        &self.http
    }

    async fn page(&self, window: Window, cursor: Option<&str>) -> Result<Page, SourceError> {
        let page = self.pages.fetch_add(1, Ordering::Relaxed) + 1;
        let what = format!("Slack audit logs {}..{} page {page}", window.start.to_rfc3339(), window.end.to_rfc3339());
        let mut query: Vec<(&str, String)> = vec![
            ("oldest", window.start.timestamp().to_string()),
            ("latest", window.end.timestamp().to_string()),
            ("limit", self.limit.to_string()),
        ];
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_string()));
        }
        let build = |http: &reqwest::Client| http.get(&self.logs_url).query(&query).bearer_auth(self.token.expose());
        self.http.execute(&what, build, |response, now| classify(response, now, &what, &self.logs_url)).await?
    }

    async fn prepare(&self, _entries: &[RawEntry]) -> Result<ZendeskUsers, SourceError> {
        Ok(ZendeskUsers::default())
    }
}

/// Judges one `/logs` response (from `url`, named in the errors that may come of a wrong `base_url`).
fn classify(response: HttpResponse, now: DateTime<Utc>, what: &str, url: &str) -> Verdict<Result<Page, SourceError>> {
    // 429, 5xx and 408 as for every API; then what Slack says in the body, often with HTTP 200.
    let response = match default_verdict(response, now).into_done() {
        Ok(response) => response,
        Err(verdict) => return verdict,
    };
    let status = response.status;
    let body: Option<Value> = serde_json::from_slice(&response.body).ok();
    let error = body.as_ref().and_then(|b| b.get("error")).and_then(Value::as_str).map(str::to_owned);
    if matches!(error.as_deref(), Some("rate_limited" | "ratelimited")) {
        return Verdict::RateLimited(requested_wait(&response.headers, now));
    }
    if matches!(error.as_deref(), Some("fatal_error" | "internal_error" | "service_unavailable" | "request_timeout")) {
        return Verdict::Retry(format!("HTTP {status}: {}", response.excerpt()));
    }
    if let Some(error) = error {
        if error == "invalid_cursor" {
            return Verdict::Done(Err(SourceError::InvalidCursor { what: what.into(), message: error }));
        }
        return Verdict::Fail(HttpError::Permanent {
            what: what.into(),
            status: Some(status.as_u16()),
            message: match hint(&error) {
                Some(hint) => format!("Slack says `{error}`: {hint}"),
                // What a server says when nothing is served at the address: the setting is the suspect.
                None if matches!(error.as_str(), "not_found" | "not found" | "unknown_method" | "method_not_found") => {
                    format!("Slack says `{error}` at {url}: {}", wrong_url(url))
                }
                None => format!("Slack says `{error}` at {url}: see docs/connectors.md"),
            },
        });
    }
    if !status.is_success() {
        let message = match status.as_u16() {
            401 | 403 => "the token was refused: check it is an org owner's user token with auditlogs:read".to_string(),
            404 => format!("not found at {url}: {}", wrong_url(url)),
            _ => format!("unexpected HTTP {status}: {}", response.excerpt()),
        };
        return Verdict::Fail(HttpError::Permanent { what: what.into(), status: Some(status.as_u16()), message });
    }
    match body {
        Some(body) => Verdict::Done(page(body, what)),
        None => Verdict::Fail(HttpError::Malformed {
            what: what.into(),
            message: format!("not JSON (truncated?): {}", response.excerpt()),
        }),
    }
}

fn page(mut body: Value, what: &str) -> Result<Page, SourceError> {
    let Some(Value::Array(entries)) = body.get_mut("entries").map(Value::take) else {
        return Err(SourceError::Http(HttpError::Malformed {
            what: what.into(),
            message: "no `entries` array in the response".into(),
        }));
    };
    let next_cursor = body
        .pointer("/response_metadata/next_cursor")
        .and_then(Value::as_str)
        .filter(|cursor| !cursor.is_empty())
        .map(str::to_owned);
    let entries = entries
        .into_iter()
        .enumerate()
        .map(|(i, value)| RawEntry { location: format!("{what}: entries[{i}]"), value })
        .collect();
    Ok(Page { entries, next_cursor })
}

/// What an unknown address needs: the setting and what it should look like.
fn wrong_url(url: &str) -> String {
    format!(
        "check the source's base_url: it is the Audit Logs API root, `{}` (or a bare host, which gets `/audit/v1`), \
         and `/logs` is appended — this request went to {url}",
        saaswarden_core::config::SLACK_BASE_URL
    )
}

/// What to do about a Slack error code that retrying cannot fix; `None` for codes this client has no
/// advice for.
fn hint(error: &str) -> Option<&'static str> {
    Some(match error {
        "invalid_authentication"
        | "invalid_auth"
        | "not_authed"
        | "token_revoked"
        | "token_expired"
        | "account_inactive" => "the token is not valid; create a new org-owner user token with auditlogs:read",
        "missing_scope" | "not_allowed_token_type" => {
            "the token lacks auditlogs:read, or is not a user token (xoxp-) of the org owner"
        }
        "feature_not_enabled" => "the Audit Logs API needs Slack Enterprise Grid",
        "team_not_authorized" => "install the app on the Enterprise org itself, not on a workspace",
        "user_not_authorized" => "the token's user must be the Enterprise org's owner",
        "invalid_range" => "the time range was refused; check the clock and the source's backfill",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;

    use super::*;

    fn judge(status: u16, body: &str) -> Verdict<Result<Page, SourceError>> {
        let response = HttpResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        };
        classify(response, Utc::now(), "Slack audit logs page 3", "https://proxy.example/slack/logs")
    }

    #[test]
    fn timeouts_and_server_trouble_are_retried() {
        assert!(matches!(judge(408, ""), Verdict::Retry(_)));
        assert!(matches!(judge(502, "bad gateway"), Verdict::Retry(_)));
        assert!(matches!(judge(200, r#"{"ok": false, "error": "service_unavailable"}"#), Verdict::Retry(_)));
        assert!(matches!(judge(200, r#"{"ok": false, "error": "ratelimited"}"#), Verdict::RateLimited(None)));
    }

    #[test]
    fn token_plan_and_installation_errors_are_permanent_and_say_what_slack_said() {
        for error in ["invalid_authentication", "feature_not_enabled", "team_not_authorized", "user_not_authorized"] {
            match judge(200, &format!(r#"{{"ok": false, "error": "{error}"}}"#)) {
                Verdict::Fail(HttpError::Permanent { message, .. }) => assert!(message.contains(error), "{message}"),
                _ => panic!("`{error}` is permanent"),
            }
        }
    }

    #[test]
    fn a_bare_host_gets_the_audit_api_root_and_any_other_root_is_kept() {
        let cases = [
            ("https://api.slack.com", "https://api.slack.com/audit/v1/logs"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/audit/v1/logs"),
            ("https://api.slack.com/audit/v1/", "https://api.slack.com/audit/v1/logs"),
            ("https://proxy.example/slack", "https://proxy.example/slack/logs"),
        ];
        for (base_url, url) in cases {
            assert_eq!(logs_url(base_url), url, "{base_url}");
        }
    }

    #[test]
    fn a_wrong_address_is_named_with_what_base_url_should_look_like() {
        for (status, body) in [(404, "<html>Not Found</html>"), (200, r#"{"ok": false, "error": "not_found"}"#)] {
            match judge(status, body) {
                Verdict::Fail(HttpError::Permanent { message, .. }) => {
                    for named in ["https://proxy.example/slack/logs", "base_url", "https://api.slack.com/audit/v1"] {
                        assert!(message.contains(named), "{status}: {named} in {message}");
                    }
                }
                _ => panic!("{status} {body}: a wrong address is permanent"),
            }
        }
    }

    #[test]
    fn json_of_the_wrong_shape_is_malformed_and_names_the_page() {
        match judge(200, r#"{"ok": true}"#) {
            Verdict::Done(Err(error)) => {
                assert_eq!(
                    error.to_string(),
                    "Slack audit logs page 3: unreadable response: no `entries` array in the response"
                )
            }
            _ => panic!("a body without entries is malformed"),
        }
        assert!(matches!(judge(200, r#"{"entries": [{"id"#), Verdict::Fail(HttpError::Malformed { .. })));
        let last = judge(200, r#"{"entries": [], "response_metadata": {"next_cursor": ""}}"#);
        assert!(matches!(last, Verdict::Done(Ok(Page { next_cursor: None, .. }))));
    }
}

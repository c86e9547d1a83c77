//! The page frame, navigation, error pages and small shared pieces.

use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};
use saaswarden_core::Severity;

use crate::auth::Caller;
use crate::error::ApiError;

pub(crate) fn page(title: &str, caller: &Caller, body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · saaswarden" }
                    link rel="stylesheet" href="/assets/console.css";
                }
                body {
                    header.top {
                        a.brand href="/alerts" { "saaswarden" }
                        nav {
                            a href="/alerts" { "Alerts" }
                            a href="/activities" { "Activity log" }
                            a href="/governance" { "Governance" }
                            a href="/policies" { "Policies" }
                            a href="/sources" { "Sources" }
                        }
                        span.who { (caller.name) " · " (caller.role.as_str()) }
                        @if caller.by_cookie { a.sign-out href="/auth/sign-out" { "Sign out" } }
                    }
                    main { (body) }
                }
            }
        }
        .into_string(),
    )
}

/// The page a request without credentials gets.
pub fn signed_out(message: &str) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { "Sign in · saaswarden" } link rel="stylesheet" href="/assets/console.css"; }
                body { main { h1 { "Sign in" } p { (message) } } }
            }
        }
        .into_string(),
    )
}

/// An error as a page, with the API's status.
pub(crate) struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError(error)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if status.is_server_error() {
            tracing::error!(error = %self.0, "page failed");
        }
        let body = html! {
            (DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { "Error · saaswarden" } link rel="stylesheet" href="/assets/console.css"; }
                body { main {
                    h1 { (status.canonical_reason().unwrap_or("Error")) }
                    p.error { (self.0.to_string()) }
                    p { a href="/alerts" { "Back to the alerts" } }
                } }
            }
        };
        (status, Html(body.into_string())).into_response()
    }
}

pub(crate) fn when(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

pub(crate) fn severity(severity: Severity) -> Markup {
    html! { span class={ "sev sev-" (severity.as_str()) } { (severity.as_str()) } }
}

/// The hidden CSRF field every form carries.
pub(crate) fn csrf(token: Option<&str>) -> Markup {
    html! { @if let Some(token) = token { input type="hidden" name="csrf" value=(token); } }
}

/// A link to a user's page.
pub(crate) fn user_link(user: &str) -> Markup {
    html! { a href={ "/users/" (encode(user)) } { (user) } }
}

/// Percent-encodes a path segment or query value.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'@') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

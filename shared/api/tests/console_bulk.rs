//! The queue's bulk form (`POST /alerts/bulk`) through the router as `saaswarden serve` runs it, on the
//! SQLite store: ticked alerts resolved or dismissed together under the caller's name, the CSRF token
//! required, the fields named when they are wrong, and the alerts that could not change listed.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use saaswarden_api::{Api, Auth, builtin_policies, router};
use saaswarden_connectors::graph::Provider;
use saaswarden_core::testing::{alert, at_minute};
use saaswarden_core::{Config, Resolution, ResolutionKind, Severity};
use saaswarden_store::{AlertStore, SqliteStore};
use tower::ServiceExt as _;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const ORIGIN: &str = "http://127.0.0.1:8787";

struct Served {
    _dir: tempfile::TempDir,
    router: Router,
}

/// Two open alerts (`al-1`, `al-2`) and a resolved one (`al-3`).
async fn served() -> Served {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("api.db")).expect("store");
    let alerts: Vec<_> = ["al-1", "al-2", "al-3"]
        .iter()
        .zip(0..)
        .map(|(id, minute)| alert(id, "anonymous_ip", Severity::Medium, "alice@acme.example", at_minute(minute)))
        .collect();
    store.upsert(&alerts).await.expect("upsert");
    let resolution =
        Resolution { kind: ResolutionKind::Benign, by: "earlier".into(), at: at_minute(10), comment: None };
    store.resolve("al-3", resolution).await.expect("resolve al-3");
    let config = Config::default();
    let auth = Auth::local(TOKEN, "tester");
    let api =
        Api { store, idp: Provider::Unconfigured, policies: builtin_policies(&config), tenant: None, config, auth };
    Served { _dir: dir, router: router(Arc::new(api)) }
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = router.clone().oneshot(request).await.expect("an answer");
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("a body");
    (parts.status, parts.headers, String::from_utf8_lossy(&bytes).into_owned())
}

/// The queue as the browser holding the cookie sees it.
async fn queue(router: &Router) -> String {
    let request = Request::builder()
        .method(Method::GET)
        .uri("/alerts")
        .header(header::HOST, "127.0.0.1:8787")
        .header(header::COOKIE, format!("saaswarden_token={TOKEN}"))
        .body(Body::empty())
        .expect("request");
    let (status, _, page) = send(router, request).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

/// The CSRF token the queue's bulk form carries.
fn csrf_in(page: &str) -> String {
    let form = page.split("action=\"/alerts/bulk\"").nth(1).expect("the bulk form");
    let field = form.split("name=\"csrf\" value=\"").nth(1).expect("the bulk form's CSRF field");
    field.split('"').next().expect("its value").to_string()
}

/// The bulk form posted by the browser holding the cookie.
async fn post_bulk(router: &Router, body: &str) -> (StatusCode, Option<String>, String) {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/alerts/bulk")
        .header(header::HOST, "127.0.0.1:8787")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("saaswarden_token={TOKEN}"))
        .header(header::ORIGIN, ORIGIN)
        .body(Body::from(body.to_string()))
        .expect("request");
    let (status, headers, page) = send(router, request).await;
    let location = headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    (status, location, page)
}

async fn alert_json(router: &Router, id: &str) -> serde_json::Value {
    let request = Request::builder()
        .method(Method::GET)
        .uri(format!("/api/v1/alerts/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = send(router, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let detail: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    detail.get("alert").cloned().unwrap_or(detail)
}

async fn status_of(router: &Router, id: &str) -> String {
    alert_json(router, id).await["status"].as_str().expect("a status").to_string()
}

#[tokio::test]
async fn the_queue_ticks_open_alerts_only_and_carries_the_bulk_buttons() {
    let s = served().await;
    let page = queue(&s.router).await;
    assert!(page.contains("<form class=\"bulk\" method=\"post\" action=\"/alerts/bulk\">"), "{page}");
    for id in ["al-1", "al-2"] {
        assert!(page.contains(&format!("type=\"checkbox\" name=\"id\" value=\"{id}\"")), "{id} can be ticked");
    }
    assert!(!page.contains("value=\"al-3\""), "a resolved alert has no checkbox: {page}");
    assert!(page.contains("aria-label=\"Select anonymous ip\""), "each checkbox is labelled");
    for button in
        ["name=\"step\" value=\"resolve\" id=\"bulk-resolve\"", "name=\"step\" value=\"dismiss\" id=\"bulk-dismiss\""]
    {
        assert!(page.contains(button), "{button}");
    }
    for verdict in ["true-positive", "benign", "false-positive"] {
        assert!(page.contains(&format!("option value=\"{verdict}\"")), "{verdict}");
    }
    assert!(!csrf_in(&page).is_empty());
}

#[tokio::test]
async fn ticked_alerts_are_dismissed_together_under_the_callers_name() {
    let s = served().await;
    let csrf = csrf_in(&queue(&s.router).await);
    let (status, location, page) =
        post_bulk(&s.router, &format!("csrf={csrf}&verdict=&comment=noise&id=al-1&id=al-2&step=dismiss")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(location.as_deref(), Some("/alerts?status=dismissed"));
    for id in ["al-1", "al-2"] {
        let alert = alert_json(&s.router, id).await;
        assert_eq!(alert["status"], "dismissed", "{alert}");
        assert_eq!(alert["resolution"]["by"], "tester", "{alert}");
        assert_eq!(alert["resolution"]["comment"], "noise", "{alert}");
    }
    assert_eq!(status_of(&s.router, "al-3").await, "resolved", "an alert not ticked is left alone");
}

#[tokio::test]
async fn ticked_alerts_are_resolved_with_the_chosen_verdict() {
    let s = served().await;
    let csrf = csrf_in(&queue(&s.router).await);
    let (status, _, page) = post_bulk(&s.router, &format!("csrf={csrf}&id=al-1&id=al-2&step=resolve")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "resolving needs a verdict");
    assert!(page.contains("verdict: required"), "{page}");
    assert_eq!(status_of(&s.router, "al-1").await, "open");
    let (status, location, page) =
        post_bulk(&s.router, &format!("csrf={csrf}&verdict=false-positive&id=al-1&id=al-2&step=resolve")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(location.as_deref(), Some("/alerts?status=resolved"));
    for id in ["al-1", "al-2"] {
        let alert = alert_json(&s.router, id).await;
        assert_eq!(alert["status"], "resolved", "{alert}");
        assert_eq!(alert["resolution"]["kind"], "false-positive", "{alert}");
    }
}

#[tokio::test]
async fn without_the_csrf_token_nothing_changes() {
    let s = served().await;
    for body in ["id=al-1&id=al-2&step=dismiss", "csrf=stale&id=al-1&id=al-2&step=dismiss"] {
        let (status, _, page) = post_bulk(&s.router, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}: {page}");
        assert!(page.contains("CSRF"), "{page}");
    }
    assert_eq!(status_of(&s.router, "al-1").await, "open");
    assert_eq!(status_of(&s.router, "al-2").await, "open");
}

#[tokio::test]
async fn no_ticked_alert_or_an_unknown_step_is_a_400_naming_the_field() {
    let s = served().await;
    let csrf = csrf_in(&queue(&s.router).await);
    let (status, _, page) = post_bulk(&s.router, &format!("csrf={csrf}&verdict=&comment=&step=dismiss")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("id: select at least one alert"), "{page}");
    for step in ["step=reopen&", ""] {
        let (status, _, page) = post_bulk(&s.router, &format!("csrf={csrf}&{step}id=al-1")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
        assert!(page.contains("step: "), "{page}");
    }
    assert_eq!(status_of(&s.router, "al-1").await, "open");
}

#[tokio::test]
async fn alerts_that_could_not_change_are_listed_with_why() {
    let s = served().await;
    let csrf = csrf_in(&queue(&s.router).await);
    let (status, location, page) = post_bulk(&s.router, &format!("csrf={csrf}&id=al-1&id=al-nope&step=dismiss")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(location, None, "no redirect past a failure");
    assert!(page.contains("1 of 2 ticked alerts could not be dismissed; the other 1 were."), "{page}");
    assert!(page.contains("<code>al-nope</code>") && page.contains("no alert with id"), "{page}");
    assert!(page.contains("href=\"/alerts/al-1\""), "the dismissed one is linked: {page}");
    assert_eq!(status_of(&s.router, "al-1").await, "dismissed");
}

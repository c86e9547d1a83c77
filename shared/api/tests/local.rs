//! The router as `saaswarden serve` runs it: the printed token, the console's cookie, CSRF, the security
//! headers, and the OpenAPI document against the routes. (The API's behaviour on both stores is the suite
//! in `tests/it/api_suite.rs`.)

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use saaswarden_api::{Api, Auth, Caller, Role, builtin_policies, router};
use saaswarden_connectors::graph::Provider;
use saaswarden_core::testing::{activity, alert, at_minute};
use saaswarden_core::{Config, Severity};
use saaswarden_store::{ActivityLog, AlertStore, SqliteStore};
use tower::ServiceExt as _;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

struct Served {
    _dir: tempfile::TempDir,
    router: Router,
    csrf: String,
}

async fn served() -> Served {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("api.db")).expect("store");
    store.append(&[activity("1", "alice@acme.example", at_minute(0))]).await.expect("append");
    let mut alert = alert("al-1", "anonymous_ip", Severity::Medium, "alice@acme.example", at_minute(0));
    alert.title = "Anonymous IP".into();
    alert.activity_ids = vec!["slack:1".into()];
    store.upsert(&[alert]).await.expect("upsert");
    let config = Config::default();
    let auth = Auth::local(TOKEN, "tester");
    // What the pages put in their forms for the browser holding the token's cookie.
    let csrf = Caller::with_cookie("tester", Role::Responder, TOKEN).csrf.expect("a cookie caller has a CSRF token");
    let api =
        Api { store, idp: Provider::Unconfigured, policies: builtin_policies(&config), tenant: None, config, auth };
    Served { _dir: dir, router: router(Arc::new(api)), csrf }
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = router.clone().oneshot(request).await.expect("an answer");
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("a body");
    (parts.status, parts.headers, String::from_utf8_lossy(&bytes).into_owned())
}

fn get(uri: &str) -> axum::http::request::Builder {
    Request::builder().method(Method::GET).uri(uri).header(header::HOST, "127.0.0.1:8787")
}

fn form(uri: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::HOST, "127.0.0.1:8787")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
}

#[tokio::test]
async fn without_the_token_the_api_and_the_console_answer_401() {
    let s = served().await;
    let (status, _, body) = send(&s.router, get("/api/v1/alerts").body(Body::empty()).expect("request")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("\"error\""), "{body}");
    let (status, _, body) = send(
        &s.router,
        get("/alerts").header(header::AUTHORIZATION, "Bearer wrong").body(Body::empty()).expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("saaswarden serve"), "{body}");
    let (status, _, _) = send(&s.router, get("/alerts?token=guess").body(Body::empty()).expect("request")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_printed_url_trades_the_token_for_a_strict_cookie_and_drops_it_from_the_address() {
    let s = served().await;
    let (status, headers, _) =
        send(&s.router, get(&format!("/?token={TOKEN}")).body(Body::empty()).expect("request")).await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(headers.get(header::LOCATION).and_then(|v| v.to_str().ok()), Some("/"));
    let cookie = headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).expect("a cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let (status, _, page) = send(
        &s.router,
        get("/alerts")
            .header(header::COOKIE, format!("saaswarden_token={TOKEN}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Anonymous IP"), "{page}");
    let (status, _, me) = send(
        &s.router,
        get("/api/v1/me")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(me.contains("\"role\":\"responder\"") && me.contains("tester"), "{me}");
}

#[tokio::test]
async fn cookie_writes_need_the_forms_csrf_token_and_a_same_origin() {
    let s = served().await;
    let cookie = format!("saaswarden_token={TOKEN}");
    let body = "step=dismiss&comment=noise";
    let (status, _, _) = send(
        &s.router,
        form("/alerts/al-1/step")
            .header(header::COOKIE, &cookie)
            .header(header::ORIGIN, "http://127.0.0.1:8787")
            .body(Body::from(body))
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    let with_token = format!("csrf={}&{body}", s.csrf);
    let (status, _, _) = send(
        &s.router,
        form("/alerts/al-1/step")
            .header(header::COOKIE, &cookie)
            .header(header::ORIGIN, "https://evil.example")
            .body(Body::from(with_token.clone()))
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another site's page");
    let (status, headers, _) = send(
        &s.router,
        form("/alerts/al-1/step")
            .header(header::COOKIE, &cookie)
            .header(header::ORIGIN, "http://127.0.0.1:8787")
            .body(Body::from(with_token))
            .expect("request"),
    )
    .await;
    assert!(status.is_redirection(), "{status}");
    assert_eq!(headers.get(header::LOCATION).and_then(|v| v.to_str().ok()), Some("/alerts/al-1"));
    let (_, _, alert) = send(
        &s.router,
        get("/api/v1/alerts/al-1")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert!(alert.contains("\"status\":\"dismissed\"") && alert.contains("\"by\":\"tester\""), "{alert}");
}

#[tokio::test]
async fn every_answer_carries_a_content_security_policy_without_script() {
    let s = served().await;
    for uri in ["/alerts", "/api/v1/alerts", "/assets/console.css", "/nowhere"] {
        let (_, headers, _) = send(
            &s.router,
            get(uri).header(header::AUTHORIZATION, format!("Bearer {TOKEN}")).body(Body::empty()).expect("request"),
        )
        .await;
        let csp = headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).expect("a CSP");
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("script-src") && !csp.contains("unsafe-inline"),
            "{uri}: {csp}"
        );
        assert_eq!(headers.get(header::X_CONTENT_TYPE_OPTIONS).and_then(|v| v.to_str().ok()), Some("nosniff"));
    }
}

#[tokio::test]
async fn every_path_the_openapi_document_names_is_routed() {
    let s = served().await;
    let document = saaswarden_api::openapi::document();
    let paths = document["paths"].as_object().expect("paths");
    assert!(paths.len() >= 17, "{}", paths.len());
    for (path, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            let uri = path.replace("{id}", "al-1").replace("{user}", "alice@acme.example");
            let method: Method = method.to_uppercase().parse().expect("a method");
            let mut request = Request::builder()
                .method(method.clone())
                .uri(&uri)
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
            if method == Method::POST {
                request = request.header(header::CONTENT_TYPE, "application/json");
            }
            let body = if method == Method::POST { Body::from("{}") } else { Body::empty() };
            let (status, _, text) = send(&s.router, request.body(body).expect("request")).await;
            assert!(!text.contains("no such page or endpoint"), "{method} {uri} is documented but not routed");
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        }
    }
}

//! The API's test suite, written once over the `Store` ports and run on both backends: `tests/it/api.rs`
//! on SQLite, `tests/aws/api.rs` on the DynamoDB adapters on moto server. Requests go through the whole
//! router, authenticated as behind API Gateway: the JWT authorizer's claims on the request, mapped to a
//! role by the function's own check.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use saaswarden_api::{Api, Auth, ClaimRules, JwtClaims, Store, builtin_policies, router};
use saaswarden_connectors::graph::Provider;
use saaswarden_core::checkpoint::{Checkpoint, StreamFailure};
use saaswarden_core::testing::{activity, at_minute};
use saaswarden_core::{Activity, Alert, App, Category, Config, Outcome, Severity, Target};
use serde_json::{Value, json};
use tower::ServiceExt as _;

pub const HOSTILE_SCRIPT: &str = "<script>alert('pwned')</script>";
pub const HOSTILE_ATTRIBUTE: &str = "\"><img src=x onerror=alert(1)>";

/// The configuration the suite runs with: the demo's tenant, dry-run governance, one Slack source.
pub fn suite_config() -> Config {
    let text = "tenant = \"acme\"\n[governance]\nallowed_domains = [\"acme.example\"]\n\
                [[sources]]\napp = \"slack\"\ntoken_env = \"SLACK_TOKEN\"\n";
    Config::from_toml_str(text, "suite.toml").expect("suite configuration")
}

/// Alice signs in from Paris, then from Sydney an hour later; Bob works on a ticket whose subject and
/// user agent are hostile; Carol signs in thirty times for paging.
pub fn activities() -> Vec<Activity> {
    let mut all = vec![
        activity("1", "alice@acme.example", at_minute(0))
            .with_ip("81.2.69.160")
            .with_geo("FR", 48.85, 2.35)
            .with_city("Paris"),
        activity("2", "alice@acme.example", at_minute(60))
            .with_ip("1.128.0.1")
            .with_geo("AU", -33.87, 151.21)
            .with_city("Sydney"),
    ];
    let mut hostile =
        activity("9", "bob@acme.example", at_minute(5)).with_action("ticket_update", Category::DataAccess);
    hostile.id = "zendesk:9".into();
    hostile.app = App::Zendesk;
    hostile.target = Some(Target { kind: "ticket".into(), id: Some("42".into()), name: Some(HOSTILE_SCRIPT.into()) });
    hostile.user_agent = Some(HOSTILE_ATTRIBUTE.into());
    hostile.outcome = Outcome::Failure;
    all.push(hostile);
    for i in 0..30 {
        all.push(activity(&format!("c{i:02}"), "carol@acme.example", at_minute(100 + i)).with_ip("81.2.69.161"));
    }
    all
}

fn alert(id: &str, policy: &str, severity: Severity, user: &str, minute: i64, title: &str) -> Alert {
    let mut alert = saaswarden_core::testing::alert(id, policy, severity, user, at_minute(minute));
    alert.title = title.into();
    alert
}

pub fn alerts() -> Vec<Alert> {
    let mut travel =
        alert("al-travel", "impossible_travel", Severity::High, "alice@acme.example", 60, "Impossible travel");
    travel.activity_ids = vec!["slack:1".into(), "slack:2".into()];
    travel.evidence = json!({
        "from": { "place": "Paris, FR", "country": "FR", "latitude": 48.85, "longitude": 2.35, "activity_id": "slack:1" },
        "to": { "place": "Sydney, AU", "country": "AU", "latitude": -33.87, "longitude": 151.21, "activity_id": "slack:2" },
        "distance_km": 16961.0
    });
    let mut hostile = alert("al-hostile", "custom_ticket", Severity::Low, "bob@acme.example", 5, HOSTILE_SCRIPT);
    hostile.apps = vec![App::Zendesk];
    hostile.description = HOSTILE_ATTRIBUTE.into();
    hostile.activity_ids = vec!["zendesk:9".into()];
    let mut all = vec![travel, hostile];
    for i in 0..5 {
        all.push(alert(
            &format!("al-carol-{i}"),
            "anonymous_ip",
            Severity::Medium,
            "carol@acme.example",
            100 + i,
            "Anonymous IP",
        ));
    }
    all
}

/// The router over `store` holding the suite's data, authenticated as behind API Gateway.
pub async fn seeded<S: Store>(store: S) -> Router {
    store.append(&activities()).await.expect("append activities");
    store.upsert(&alerts()).await.expect("upsert alerts");
    let config = suite_config();
    let api = Api {
        store,
        idp: Provider::Unconfigured,
        policies: builtin_policies(&config),
        tenant: Some(config.tenant.clone()),
        config,
        auth: Auth::Claims(ClaimRules::default()),
    };
    router(Arc::new(api))
}

/// A request as API Gateway hands it over: with the authorizer's claims for `role`, or none at all.
pub async fn call(
    router: &Router,
    method: Method,
    uri: &str,
    role: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, bytes) = call_raw(router, method, uri, role, body).await;
    let value =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, value)
}

pub async fn call_raw(
    router: &Router,
    method: Method,
    uri: &str,
    role: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Vec<u8>) {
    let mut request = Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let mut request =
        request.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).expect("a valid request");
    if let Some(role) = role {
        let claims = [
            ("preferred_username".to_string(), format!("{role}@acme.example")),
            ("roles".to_string(), format!("[saaswarden.{role}]")),
        ];
        request.extensions_mut().insert(JwtClaims(claims.into_iter().collect()));
    }
    let response = router.clone().oneshot(request).await.expect("the router answers");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a body");
    (status, bytes.to_vec())
}

fn ids(page: &Value, key: &str) -> Vec<String> {
    page[key]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v["id"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

pub async fn the_queue_filters_by_severity_and_app_and_pages_with_cursors<S: Store>(store: S) {
    let api = seeded(store).await;
    let (status, high) = call(&api, Method::GET, "/api/v1/alerts?severity=high", Some("reader"), None).await;
    assert_eq!(status, StatusCode::OK, "{high}");
    assert_eq!(ids(&high, "alerts"), ["al-travel"]);
    let (_, zendesk) = call(&api, Method::GET, "/api/v1/alerts?app=zendesk", Some("reader"), None).await;
    assert_eq!(ids(&zendesk, "alerts"), ["al-hostile"]);

    let mut seen = Vec::new();
    let mut uri = "/api/v1/alerts?limit=3".to_string();
    loop {
        let (status, page) = call(&api, Method::GET, &uri, Some("reader"), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let page_ids = ids(&page, "alerts");
        assert!(page_ids.len() <= 3);
        seen.extend(page_ids);
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/api/v1/alerts?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    let mut expected: Vec<String> = alerts().into_iter().map(|a| a.id).collect();
    expected.sort();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "every alert exactly once across pages");
    assert_eq!(seen.first().map(String::as_str), Some("al-carol-4"), "newest first");

    let (status, bad) = call(&api, Method::GET, "/api/v1/alerts?severity=urgent", Some("reader"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["error"].as_str().unwrap_or_default().contains("severity"), "{bad}");
}

pub async fn workflow_steps_record_the_caller_and_keep_the_history<S: Store>(store: S) {
    let api = seeded(store).await;
    let body = json!({ "verdict": "true-positive", "comment": "confirmed with the user" });
    let (status, resolved) =
        call(&api, Method::POST, "/api/v1/alerts/al-travel/resolve", Some("analyst"), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["resolution"]["by"], "analyst@acme.example");
    let (status, _) = call(
        &api,
        Method::POST,
        "/api/v1/alerts/al-travel/comments",
        Some("analyst"),
        Some(json!({ "comment": "ticket 7" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, reopened) = call(&api, Method::POST, "/api/v1/alerts/al-travel/reopen", Some("analyst"), None).await;
    assert_eq!(status, StatusCode::OK, "{reopened}");
    assert_eq!(reopened["status"], "open");
    let (_, detail) = call(&api, Method::GET, "/api/v1/alerts/al-travel", Some("reader"), None).await;
    let kinds: Vec<&str> =
        detail["history"].as_array().expect("history").iter().filter_map(|h| h["kind"].as_str()).collect();
    assert_eq!(kinds, ["true-positive", "comment", "reopened"]);
    assert_eq!(ids(&detail, "activities"), ["slack:1", "slack:2"]);

    let (status, missing) =
        call(&api, Method::POST, "/api/v1/alerts/al-travel/resolve", Some("analyst"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a verdict is required: {missing}");
    let (status, _) = call(&api, Method::POST, "/api/v1/alerts/al-nope/dismiss", Some("analyst"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let bulk = json!({ "ids": ["al-carol-0", "al-carol-1", "al-nope"], "action": "dismiss", "comment": "noise" });
    let (status, outcome) = call(&api, Method::POST, "/api/v1/alerts/bulk", Some("analyst"), Some(bulk)).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["done"], json!(["al-carol-0", "al-carol-1"]));
    assert_eq!(outcome["failed"][0]["id"], "al-nope");
    let (_, dismissed) = call(&api, Method::GET, "/api/v1/alerts?status=dismissed", Some("reader"), None).await;
    assert_eq!(ids(&dismissed, "alerts"), ["al-carol-1", "al-carol-0"]);
}

pub async fn roles_from_the_authorizers_claims_gate_every_write<S: Store>(store: S) {
    let api = seeded(store).await;
    let resolve = json!({ "verdict": "benign" });
    let approve = json!({ "alert_id": "al-travel", "action": "notify-user" });
    let (status, _) = call(&api, Method::GET, "/api/v1/alerts", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token");
    let (status, _) = call(&api, Method::POST, "/api/v1/alerts/al-travel/resolve", None, Some(resolve.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token");
    let (status, _) = call(&api, Method::GET, "/api/v1/alerts", Some("reader"), None).await;
    assert_eq!(status, StatusCode::OK, "a reader reads");
    let (status, _) =
        call(&api, Method::POST, "/api/v1/alerts/al-travel/resolve", Some("reader"), Some(resolve.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a reader cannot resolve");
    let (status, _) =
        call(&api, Method::POST, "/api/v1/governance/approve", Some("reader"), Some(approve.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a reader cannot govern");
    let (status, _) =
        call(&api, Method::POST, "/api/v1/governance/approve", Some("analyst"), Some(approve.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an analyst cannot govern");
    let (status, _) =
        call(&api, Method::POST, "/api/v1/governance/approve", Some("stranger"), Some(approve.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a token without a saaswarden role");
    let (status, entry) =
        call(&api, Method::POST, "/api/v1/governance/approve", Some("responder"), Some(approve)).await;
    assert_eq!(status, StatusCode::OK, "a responder governs: {entry}");
    let (status, alert) =
        call(&api, Method::POST, "/api/v1/alerts/al-travel/resolve", Some("responder"), Some(resolve)).await;
    assert_eq!(status, StatusCode::OK, "a responder resolves: {alert}");
    assert_eq!(alert["resolution"]["by"], "responder@acme.example");
}

pub async fn governance_approval_runs_the_rails_and_is_logged_under_the_caller<S: Store>(store: S) {
    let api = seeded(store).await;
    let approve = json!({ "alert_id": "al-travel", "action": "suspend-user" });
    let (status, entry) =
        call(&api, Method::POST, "/api/v1/governance/approve", Some("responder"), Some(approve.clone())).await;
    assert_eq!(status, StatusCode::OK, "{entry}");
    assert_eq!(entry["status"], "skipped", "dry run records and calls nothing: {entry}");
    assert!(entry["reason"].as_str().unwrap_or_default().contains("dry run"), "{entry}");
    let (_, log) = call(&api, Method::GET, "/api/v1/governance?alert=al-travel", Some("reader"), None).await;
    assert_eq!(log["dry_run"], true);
    let entries = log["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1);
    let by: Vec<&str> =
        entries[0]["events"].as_array().expect("events").iter().filter_map(|e| e["by"].as_str()).collect();
    assert!(by.contains(&"responder@acme.example"), "{by:?}");
    let id = entries[0]["id"].as_str().expect("id");
    let (status, refused) =
        call(&api, Method::POST, &format!("/api/v1/governance/{id}/revert"), Some("responder"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "only a succeeded suspension is reverted: {refused}");
    let (status, refused) =
        call(&api, Method::POST, &format!("/api/v1/governance/{id}/retry"), Some("responder"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "only a failed entry is retried: {refused}");
    let (status, _) = call(
        &api,
        Method::POST,
        "/api/v1/governance/approve",
        Some("responder"),
        Some(json!({ "alert_id": "al-travel", "action": "wipe" })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

pub async fn activity_search_pages_in_order_and_exports_every_match<S: Store>(store: S) {
    let api = seeded(store).await;
    let mut seen = Vec::new();
    let mut uri = "/api/v1/activities?user=carol@acme.example&limit=7".to_string();
    loop {
        let (status, page) = call(&api, Method::GET, &uri, Some("reader"), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(ids(&page, "activities"));
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/api/v1/activities?user=carol@acme.example&limit=7&cursor={cursor}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..30).map(|i| format!("slack:c{i:02}")).collect();
    assert_eq!(seen, expected, "oldest first, each once");

    let (_, failed) = call(&api, Method::GET, "/api/v1/activities?outcome=failure", Some("reader"), None).await;
    assert_eq!(ids(&failed, "activities"), ["zendesk:9"]);
    let (_, sydney) = call(&api, Method::GET, "/api/v1/activities?country=au", Some("reader"), None).await;
    assert_eq!(ids(&sydney, "activities"), ["slack:2"]);
    let (status, _) = call(&api, Method::GET, "/api/v1/activities?ip=not-an-ip", Some("reader"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, csv) = call_raw(
        &api,
        Method::GET,
        "/api/v1/activities/export?format=csv&user=carol@acme.example",
        Some("reader"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).expect("UTF-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 31, "a header and every match");
    assert!(lines[0].starts_with("id,occurred_at,app,user"));
    assert!(lines[1].starts_with("slack:c00,"));
    let (_, jsonl) = call_raw(&api, Method::GET, "/api/v1/activities/export?format=jsonl", Some("reader"), None).await;
    let rows: Vec<Value> = String::from_utf8(jsonl)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(rows.len(), activities().len());
    assert!(rows.iter().any(|r| r["target"]["name"] == HOSTILE_SCRIPT), "exported as written, for forensics");
}

pub async fn a_users_page_shows_places_apps_alerts_and_governance<S: Store>(store: S) {
    let api = seeded(store).await;
    let approve = json!({ "alert_id": "al-travel", "action": "notify-user" });
    call(&api, Method::POST, "/api/v1/governance/approve", Some("responder"), Some(approve)).await;
    let (status, user) = call(&api, Method::GET, "/api/v1/users/Alice@acme.example", Some("reader"), None).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["user"], "alice@acme.example");
    assert_eq!(user["by_country"], json!({ "AU": 1, "FR": 1 }));
    assert_eq!(user["cities"], json!({ "Paris, FR": 1, "Sydney, AU": 1 }));
    assert_eq!(user["ips"], json!({ "1.128.0.1": 1, "81.2.69.160": 1 }));
    assert_eq!(user["apps"], json!({ "slack": 2 }));
    assert_eq!(ids(&user, "alerts"), ["al-travel"]);
    assert_eq!(user["governance"].as_array().map(Vec::len), Some(1));
    assert_eq!(ids(&user, "recent"), ["slack:2", "slack:1"], "newest first");
    let (status, _) = call(&api, Method::GET, "/api/v1/users/nobody@acme.example", Some("reader"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

pub async fn policies_count_alerts_and_sources_show_checkpoint_lag<S: Store>(store: S) {
    let through = at_minute(30);
    // The error text comes from the app's answer: the page shows it as text.
    let failure = StreamFailure { at: at_minute(40), error: "Slack: HTTP 401 <script>alert(1)</script>".into() };
    let checkpoint = Checkpoint { through, recent: vec![], last_id: None, last_error: Some(failure.clone()) };
    store.save("acme", "slack", &checkpoint, 0).await.expect("save a checkpoint");
    let api = seeded(store).await;
    let (status, policies) = call(&api, Method::GET, "/api/v1/policies", Some("reader"), None).await;
    assert_eq!(status, StatusCode::OK, "{policies}");
    let travel = policies.as_array().and_then(|p| p.iter().find(|p| p["id"] == "impossible_travel")).expect("listed");
    assert_eq!(
        (travel["alerts"].as_u64(), travel["open"].as_u64(), travel["enabled"].as_bool()),
        (Some(1), Some(1), Some(true))
    );
    let anonymous = policies.as_array().and_then(|p| p.iter().find(|p| p["id"] == "anonymous_ip")).expect("listed");
    assert_eq!(anonymous["alerts"], 5);
    let (status, sources) = call(&api, Method::GET, "/api/v1/sources", Some("reader"), None).await;
    assert_eq!(status, StatusCode::OK, "{sources}");
    assert_eq!(sources[0]["stream"], "slack");
    assert_eq!(sources[0]["through"], json!(through));
    assert!(sources[0]["lag_seconds"].as_i64().is_some_and(|lag| lag > 0));
    assert_eq!(sources[0]["last_error"], json!(failure));
    let (status, html) = call_raw(&api, Method::GET, "/sources", Some("reader"), None).await;
    let html = String::from_utf8(html).expect("UTF-8");
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(!html.contains("<script") && html.contains("HTTP 401 &lt;script&gt;"), "{html}");
}

pub async fn console_pages_render_hostile_audit_values_as_text<S: Store>(store: S) {
    let api = seeded(store).await;
    for page in
        ["/alerts", "/alerts/al-hostile", "/activities", "/activities?user=bob@acme.example", "/users/bob@acme.example"]
    {
        let (status, html) = call_raw(&api, Method::GET, page, Some("reader"), None).await;
        let html = String::from_utf8(html).expect("UTF-8");
        assert_eq!(status, StatusCode::OK, "{page}: {html}");
        assert!(!html.contains("<script"), "{page} carries a script element");
        assert!(!html.contains("<img"), "{page} carries an injected element");
        assert!(html.contains("&lt;script&gt;"), "{page} shows the hostile value as text");
    }
}

pub async fn campaigns_link_one_sources_alerts_across_users<S: Store>(store: S) {
    let spray = saaswarden_core::alert::campaign_id("acme", "67.43.156.7".parse().expect("ip"));
    let linked: Vec<Alert> = ["dan", "eve", "fay"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut a = alert(
                &format!("al-spray-{name}"),
                "suspicious_ip",
                Severity::High,
                &format!("{name}@acme.example"),
                200 + i as i64,
                "Suspicious IP",
            );
            a.campaign = Some(spray.clone());
            a
        })
        .collect();
    let mut alone = alert("al-alone", "suspicious_ip", Severity::High, "gus@acme.example", 210, "Suspicious IP");
    alone.campaign = Some("cp-0000000000000000".into());
    store.upsert(&linked).await.expect("upsert");
    store.upsert(&[alone]).await.expect("upsert");
    let api = seeded(store).await;

    let (status, list) = call(&api, Method::GET, "/api/v1/campaigns?status=open", Some("reader"), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(ids(&list, "campaigns"), std::slice::from_ref(&spray), "a source against one user is no campaign");
    let campaign = &list["campaigns"][0];
    assert_eq!(campaign["users"], json!(["dan@acme.example", "eve@acme.example", "fay@acme.example"]));
    assert_eq!((campaign["alerts"].as_u64(), campaign["partial"].as_bool()), (Some(3), None));
    assert_eq!(list["partial"], false);

    let (_, page) = call(&api, Method::GET, &format!("/api/v1/alerts?campaign={spray}"), Some("reader"), None).await;
    assert_eq!(ids(&page, "alerts"), ["al-spray-fay", "al-spray-eve", "al-spray-dan"]);
    assert_eq!(page["alerts"][0]["campaign"], json!(spray));

    // The alert page links the campaign; the queue filtered by it lists its alerts.
    let (status, html) = call_raw(&api, Method::GET, "/alerts/al-spray-dan", Some("reader"), None).await;
    let html = String::from_utf8(html).expect("UTF-8");
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("href=\"/alerts?campaign={spray}\"")), "{html}");
    let (_, html) = call_raw(&api, Method::GET, &format!("/alerts?campaign={spray}"), Some("reader"), None).await;
    let html = String::from_utf8(html).expect("UTF-8");
    assert!(html.contains("al-spray-eve") && !html.contains("al-alone"), "{html}");

    let (status, bad) = call(&api, Method::GET, "/api/v1/campaigns?status=closed", Some("reader"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["error"].as_str().unwrap_or_default().contains("status"), "{bad}");
}

/// Every suite test, generated for one backend: `$store` is an async expression giving `(guard, store)`,
/// the guard kept alive for the test.
#[macro_export]
macro_rules! api_suite {
    ($store:expr) => {
        $crate::api_suite!(@each $store;
            the_queue_filters_by_severity_and_app_and_pages_with_cursors,
            workflow_steps_record_the_caller_and_keep_the_history,
            roles_from_the_authorizers_claims_gate_every_write,
            governance_approval_runs_the_rails_and_is_logged_under_the_caller,
            activity_search_pages_in_order_and_exports_every_match,
            a_users_page_shows_places_apps_alerts_and_governance,
            policies_count_alerts_and_sources_show_checkpoint_lag,
            console_pages_render_hostile_audit_values_as_text,
            campaigns_link_one_sources_alerts_across_users);
    };
    (@each $store:expr; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let (_guard, store) = $store;
                $crate::api_suite::$name(store).await;
            }
        )*
    };
}

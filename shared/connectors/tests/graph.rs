//! The Microsoft Graph client against a wiremock Graph: the exact requests (token form, each action's
//! method, path, body and headers), throttling, permanent refusals, the token cache, the delta feed.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use saaswarden_connectors::graph::{GraphClient, GraphConnection};
use saaswarden_connectors::http::{HttpClient, ManualClock, RetryPolicy, Secret};
use saaswarden_core::config::{GovernanceSettings, GraphSettings};
use saaswarden_core::governance::{DirectoryFeed, DirectoryUser, IdentityProvider, IdpErrorKind, Lookup, Notice};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TENANT: &str = "tenant-1";
const USER_ID: &str = "11111111-2222-3333-4444-555555555555";

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").map(|d| d.with_timezone(&Utc)).unwrap_or_default()
}

/// The scope a test server needs: Entra knows Graph by its public address, not the server's.
const SCOPE: &str = "https://graph.microsoft.com/.default";

fn graph(server: &MockServer) -> (GraphClient, ManualClock) {
    graph_with_scope(server, Some(SCOPE))
}

/// The client as `[governance.graph]` configures it, with `scope` set or left to its default.
fn graph_with_scope(server: &MockServer, scope: Option<&str>) -> (GraphClient, ManualClock) {
    let clock = ManualClock::new(start());
    let http = HttpClient::with_time(RetryPolicy::default(), Arc::new(clock.clone()), Arc::new(clock.clone()))
        .expect("http client");
    (GraphClient::new(connection(&server.uri(), scope), http), clock)
}

/// The connection `[governance]` gives for Graph and its authority at `host`.
fn connection(host: &str, scope: Option<&str>) -> GraphConnection {
    let mut settings = GovernanceSettings { sender: Some("soc@acme.example".into()), ..GovernanceSettings::default() };
    settings.graph = GraphSettings {
        tenant_id: TENANT.into(),
        client_id: "client-1".into(),
        authority_host: host.into(),
        graph_host: host.into(),
        scope: scope.map(str::to_string),
        ..GraphSettings::default()
    };
    GraphConnection::from_settings(&settings, Secret::new("s3cr3t value"))
}

async fn token_endpoint(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "tok-1"})),
        )
        .mount(server)
        .await;
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("hex"));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("utf-8")
    };
    let text = String::from_utf8_lossy(body);
    let mut fields: Vec<(String, String)> =
        text.split('&').filter_map(|pair| pair.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect();
    fields.sort();
    fields
}

fn header<'a>(request: &'a Request, name: &str) -> &'a str {
    request.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn json_body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("JSON body")
}

fn user() -> DirectoryUser {
    DirectoryUser {
        id: USER_ID.into(),
        user_principal_name: "ann@acme.example".into(),
        mail: Some("Ann.Lee@acme.example".into()),
        account_enabled: Some(true),
    }
}

#[tokio::test]
async fn each_action_sends_the_documented_request_and_the_token_is_reused_until_expiry() {
    let server = MockServer::start().await;
    token_endpoint(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{
            "id": USER_ID, "userPrincipalName": "ann@acme.example", "mail": "Ann.Lee@acme.example", "accountEnabled": true
        }]})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/users/{USER_ID}/revokeSignInSessions")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"value": true})).insert_header("request-id", "rq-revoke"),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/v1.0/users/{USER_ID}")))
        .respond_with(ResponseTemplate::new(204).insert_header("request-id", "rq-patch"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users/soc@acme.example/sendMail"))
        .respond_with(ResponseTemplate::new(202).insert_header("request-id", "rq-mail"))
        .mount(&server)
        .await;
    let (client, clock) = graph(&server);

    let found = client.find_user(&Lookup::ByEmail("ann@acme.example".into())).await.expect("lookup");
    assert_eq!(found, Some(user()));
    assert_eq!(client.revoke_sessions(USER_ID).await.expect("revoke").request_id.as_deref(), Some("rq-revoke"));
    assert_eq!(
        client.set_account_enabled(USER_ID, false).await.expect("suspend").request_id.as_deref(),
        Some("rq-patch")
    );
    assert_eq!(
        client.set_account_enabled(USER_ID, true).await.expect("enable").request_id.as_deref(),
        Some("rq-patch")
    );
    let notice = Notice { subject: "Security alert".into(), body: "Hello".into() };
    assert_eq!(client.notify(&user(), &notice).await.expect("mail").request_id.as_deref(), Some("rq-mail"));

    let requests = server.received_requests().await.expect("recorded");
    let token_requests: Vec<&Request> = requests.iter().filter(|r| r.url.path().ends_with("/token")).collect();
    assert_eq!(token_requests.len(), 1, "one token for five calls");
    let token = token_requests[0];
    assert_eq!(header(token, "content-type"), "application/x-www-form-urlencoded");
    let expected_form: Vec<(String, String)> = vec![
        ("client_id".into(), "client-1".into()),
        ("client_secret".into(), "s3cr3t value".into()),
        ("grant_type".into(), "client_credentials".into()),
        ("scope".into(), SCOPE.into()),
    ];
    assert_eq!(form(&token.body), expected_form);

    let calls: Vec<&Request> = requests.iter().filter(|r| r.url.path().starts_with("/v1.0/")).collect();
    assert_eq!(calls.len(), 5);
    for call in &calls {
        assert_eq!(header(call, "authorization"), "Bearer tok-1", "{}", call.url);
        assert_eq!(header(call, "client-request-id").len(), 36, "a GUID-shaped client-request-id: {}", call.url);
    }
    let lookup = calls[0];
    let query: Vec<(String, String)> =
        lookup.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    assert_eq!(
        query,
        vec![
            (
                "$filter".to_string(),
                "userPrincipalName eq 'ann@acme.example' or mail eq 'ann@acme.example'".to_string()
            ),
            ("$select".to_string(), "id,userPrincipalName,mail,accountEnabled".to_string()),
        ]
    );
    assert_eq!((calls[1].method.as_str(), calls[1].body.len()), ("POST", 0), "revoke has no body");
    assert_eq!(calls[2].method.as_str(), "PATCH");
    assert_eq!(header(calls[2], "content-type"), "application/json");
    assert_eq!(json_body(calls[2]), json!({"accountEnabled": false}));
    assert_eq!(json_body(calls[3]), json!({"accountEnabled": true}));
    assert_eq!(
        json_body(calls[4]),
        json!({
            "message": {
                "subject": "Security alert",
                "body": {"contentType": "Text", "content": "Hello"},
                "toRecipients": [{"emailAddress": {"address": "Ann.Lee@acme.example"}}]
            },
            "saveToSentItems": false
        })
    );

    // 54 minutes later the token is still good; at 56 minutes it is within the renewal margin.
    clock.advance(Duration::from_secs(54 * 60));
    client.revoke_sessions(USER_ID).await.expect("revoke");
    clock.advance(Duration::from_secs(2 * 60));
    client.revoke_sessions(USER_ID).await.expect("revoke");
    let requests = server.received_requests().await.expect("recorded");
    assert_eq!(requests.iter().filter(|r| r.url.path().ends_with("/token")).count(), 2, "renewed once, near expiry");
}

#[tokio::test]
async fn throttling_waits_what_graph_asks_then_succeeds() {
    for status in [429, 503] {
        let server = MockServer::start().await;
        token_endpoint(&server).await;
        Mock::given(method("PATCH"))
            .and(path(format!("/v1.0/users/{USER_ID}")))
            .respond_with(ResponseTemplate::new(status).insert_header("Retry-After", "30"))
            .up_to_n_times(2)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("PATCH"))
            .and(path(format!("/v1.0/users/{USER_ID}")))
            .respond_with(ResponseTemplate::new(204).insert_header("request-id", "rq-ok"))
            .mount(&server)
            .await;
        let (client, clock) = graph(&server);
        let receipt = client.set_account_enabled(USER_ID, false).await.expect("succeeds after throttling");
        assert_eq!(receipt.request_id.as_deref(), Some("rq-ok"));
        assert_eq!(clock.waits(), vec![Duration::from_secs(30); 2], "HTTP {status}: waited as asked, twice");
    }
}

#[tokio::test]
async fn a_server_error_backs_off_then_succeeds() {
    let server = MockServer::start().await;
    token_endpoint(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/users/{USER_ID}/revokeSignInSessions")))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/users/{USER_ID}/revokeSignInSessions")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let (client, clock) = graph(&server);
    client.revoke_sessions(USER_ID).await.expect("succeeds on the retry");
    let waits = clock.waits();
    assert_eq!(waits.len(), 1);
    assert!(waits[0] >= Duration::from_millis(500) && waits[0] <= Duration::from_secs(1), "{waits:?}");
}

#[tokio::test]
async fn insufficient_privileges_is_a_permanent_error_with_code_and_request_id_and_no_retry() {
    let server = MockServer::start().await;
    token_endpoint(&server).await;
    Mock::given(method("PATCH"))
        .and(path(format!("/v1.0/users/{USER_ID}")))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": "Authorization_RequestDenied",
            "message": "Insufficient privileges to complete the operation.",
            "innerError": {"request-id": "rq-denied", "date": "2026-11-20T10:00:00"}
        }})))
        .mount(&server)
        .await;
    let (client, clock) = graph(&server);
    let error = client.set_account_enabled(USER_ID, false).await.expect_err("refused");
    assert_eq!(error.kind, IdpErrorKind::Permanent);
    assert_eq!(error.status, Some(403));
    assert_eq!(error.code.as_deref(), Some("Authorization_RequestDenied"));
    assert_eq!(error.request_id.as_deref(), Some("rq-denied"));
    assert!(error.message.contains("Insufficient privileges"), "{}", error.message);
    assert!(clock.waits().is_empty(), "a 403 is not retried");
    let patches =
        server.received_requests().await.expect("recorded").iter().filter(|r| r.method.as_str() == "PATCH").count();
    assert_eq!(patches, 1);
}

#[tokio::test]
async fn a_refused_token_request_says_why_without_the_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."
        })))
        .mount(&server)
        .await;
    let (client, _clock) = graph(&server);
    let error = client.revoke_sessions(USER_ID).await.expect_err("no token");
    assert_eq!((error.kind, error.code.as_deref()), (IdpErrorKind::Permanent, Some("invalid_client")));
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("AADSTS7000215") && !shown.contains("s3cr3t"), "{shown}");
    let authority = format!("{}/{TENANT}/oauth2/v2.0/token", server.uri());
    for named in [authority.as_str(), "client id client-1", "scope https://graph.microsoft.com/.default"] {
        assert!(error.message.contains(named), "the error names {named}: {}", error.message);
    }
}

#[tokio::test]
async fn the_token_scope_is_the_configured_one_else_the_graph_hosts_default() {
    let server = MockServer::start().await;
    token_endpoint(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/users/{USER_ID}/revokeSignInSessions")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": true})))
        .mount(&server)
        .await;
    let derived = format!("{}/.default", server.uri());
    for (configured, sent) in [(Some("api://private-graph/.default"), "api://private-graph/.default"), (None, &derived)]
    {
        let (client, _clock) = graph_with_scope(&server, configured);
        client.revoke_sessions(USER_ID).await.expect("signed out");
        let requests = server.received_requests().await.expect("recorded");
        let token = requests.iter().rfind(|r| r.url.path().ends_with("/token")).expect("a token request");
        let scope = form(&token.body).into_iter().find(|(k, _)| k == "scope").map(|(_, v)| v);
        assert_eq!(scope.as_deref(), Some(sent), "configured: {configured:?}");
    }
}

#[tokio::test]
async fn an_unreachable_token_endpoint_names_the_authority_client_and_scope() {
    // Nothing listens on port 9 (discard): the request cannot be sent at all.
    let policy = RetryPolicy { max_attempts: 1, ..RetryPolicy::default() };
    let http = HttpClient::new(policy).expect("http client");
    let client = GraphClient::new(connection("http://127.0.0.1:9", Some(SCOPE)), http);
    let error = client.revoke_sessions(USER_ID).await.expect_err("no token");
    for named in ["http://127.0.0.1:9/tenant-1/oauth2/v2.0/token", "client id client-1", SCOPE] {
        assert!(error.message.contains(named), "the error names {named}: {}", error.message);
    }
    assert!(!format!("{error} {error:?}").contains("s3cr3t"));
}

#[tokio::test]
async fn unknown_and_ambiguous_users_are_never_guessed() {
    let server = MockServer::start().await;
    token_endpoint(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": "a", "userPrincipalName": "x@acme.example"}, {"id": "b", "userPrincipalName": "y@acme.example"}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/ghost@acme.example"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {"code": "Request_ResourceNotFound"}})))
        .mount(&server)
        .await;
    let (client, _clock) = graph(&server);
    let ambiguous = client.find_user(&Lookup::ByEmail("x@acme.example".into())).await.expect_err("two users");
    assert!(ambiguous.message.contains("2 Entra users"), "{}", ambiguous.message);
    assert_eq!(client.find_user(&Lookup::Mapped("ghost@acme.example".into())).await.expect("lookup"), None);
}

#[tokio::test]
async fn the_delta_feed_follows_next_links_to_the_delta_link_and_reports_enabled_disabled_and_removed_users() {
    let server = MockServer::start().await;
    token_endpoint(&server).await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [
                {"id": "u1", "userPrincipalName": "ann@acme.example", "mail": "ann@acme.example", "accountEnabled": true},
                {"id": "u2", "userPrincipalName": "Bob@acme.example", "mail": null, "accountEnabled": false},
                {"id": "u5", "userPrincipalName": "eve@acme.example", "mobilePhone": "+1 555 0100"}
            ],
            "@odata.nextLink": format!("{base}/v1.0/users/delta/page2?$skiptoken=abc")
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta/page2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"id": "4d4e1ab0-7e1b-4d3a-9b1c-2a2f0c8e9a11", "@removed": {"reason": "changed"}}],
            "@odata.deltaLink": format!("{base}/v1.0/users/delta?$deltatoken=next")
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/directory/deletedItems/4d4e1ab0-7e1b-4d3a-9b1c-2a2f0c8e9a11"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "4d4e1ab0-7e1b-4d3a-9b1c-2a2f0c8e9a11",
            "userPrincipalName": "4d4e1ab07e1b4d3a9b1c2a2f0c8e9a11carl@acme.example"
        })))
        .mount(&server)
        .await;
    let (client, _clock) = graph(&server);
    let delta = client.changes(None).await.expect("delta");
    assert_eq!(delta.delta_link, format!("{base}/v1.0/users/delta?$deltatoken=next"));
    let summary: Vec<(Option<&str>, bool, bool)> =
        delta.changes.iter().map(|c| (c.user.as_deref(), c.deleted, c.disabled)).collect();
    // Eve's change does not touch `accountEnabled`, so it says nothing about her sign-in state.
    assert_eq!(
        summary,
        vec![
            (Some("ann@acme.example"), false, false),
            (Some("bob@acme.example"), false, true),
            (Some("carl@acme.example"), true, false)
        ]
    );
    let first = &server.received_requests().await.expect("recorded")[1];
    assert_eq!(first.url.query(), Some("%24select=id%2CuserPrincipalName%2Cmail%2CaccountEnabled"));

    let elsewhere = client.changes(Some("https://evil.example/v1.0/users/delta?$deltatoken=x")).await;
    assert!(elsewhere.expect_err("not followed").message.contains("not on the configured Graph host"));
}

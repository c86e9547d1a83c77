//! The console's browser sign-in as the `api` function runs it in AWS (`Auth::Claims` with a `SignIn`),
//! against a stand-in Entra ID: wiremock serves the issuer's discovery document and keys, and tokens are
//! signed here with test keys (`tests/fixtures/*-test-key.pem`, made for these tests only). The flow: a
//! page load is sent to the authorize endpoint with a nonce cookie, the posted ID token becomes the
//! session, the session's role decides what the pages allow; every way a token can be wrong is refused.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use saaswarden_api::{Api, Auth, ClaimRules, SignIn, builtin_policies, router};
use saaswarden_connectors::graph::Provider;
use saaswarden_core::testing::{alert, at_minute};
use saaswarden_core::{Config, Severity};
use saaswarden_store::{AlertStore, SqliteStore};
use serde_json::{Value, json};
use tower::ServiceExt as _;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const HOST: &str = "console.example";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn jwk(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("{name}-test-key.jwk.json"))).expect("a test JWK");
    serde_json::from_str(&text).expect("JSON")
}

/// A stand-in Entra ID publishing the named test keys.
struct Entra {
    server: MockServer,
    issuer: String,
}

impl Entra {
    async fn publishing(keys: &[&str]) -> Entra {
        let server = MockServer::start().await;
        let issuer = format!("{}/tenant/v2.0", server.uri());
        let entra = Entra { server, issuer };
        entra.publish(keys, None).await;
        entra
    }

    /// Serves the discovery document and `keys`; `fetches` is how often the keys must be fetched.
    async fn publish(&self, keys: &[&str], fetches: Option<u64>) {
        self.server.reset().await;
        let uri = self.server.uri();
        Mock::given(method("GET"))
            .and(path("/tenant/v2.0/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": self.issuer,
                "authorization_endpoint": format!("{uri}/tenant/oauth2/v2.0/authorize"),
                "jwks_uri": format!("{uri}/tenant/discovery/v2.0/keys"),
            })))
            .mount(&self.server)
            .await;
        let set = json!({ "keys": keys.iter().map(|k| jwk(k)).collect::<Vec<_>>() });
        let keys = Mock::given(method("GET"))
            .and(path("/tenant/discovery/v2.0/keys"))
            .respond_with(ResponseTemplate::new(200).set_body_json(set));
        match fetches {
            Some(n) => keys.expect(n).mount(&self.server).await,
            None => keys.mount(&self.server).await,
        }
    }

    /// The claims of an ID token Entra ID would issue to `user` with `roles` after this `nonce`.
    fn claims(&self, user: &str, roles: &[&str], nonce: &str) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "iss": self.issuer, "aud": CLIENT, "iat": now, "nbf": now, "exp": now + 3600,
            "preferred_username": user, "name": "Ana Lyst", "oid": "0f0f", "roles": roles, "nonce": nonce,
        })
    }
}

/// `claims` signed with the test key `key`, its header naming `kid`.
fn signed(claims: &Value, key: &str, kid: &str) -> String {
    let pem = std::fs::read(fixture(&format!("{key}-test-key.pem"))).expect("a test key");
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    encode(&header, claims, &EncodingKey::from_rsa_pem(&pem).expect("an RSA key")).expect("a signed token")
}

struct Console {
    _dir: tempfile::TempDir,
    router: Router,
    store: SqliteStore,
}

async fn console(sign_in: Option<SignIn>) -> Console {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("api.db")).expect("store");
    let mut alert = alert("al-1", "anonymous_ip", Severity::Medium, "alice@acme.example", at_minute(0));
    alert.title = "Anonymous IP".into();
    store.upsert(&[alert]).await.expect("upsert");
    let config = Config::default();
    let auth = Auth::Claims(ClaimRules { sign_in: sign_in.map(Arc::new), ..ClaimRules::default() });
    let api = Api {
        store: SqliteStore::open(&dir.path().join("api.db")).expect("store"),
        idp: Provider::Unconfigured,
        policies: builtin_policies(&config),
        tenant: None,
        config,
        auth,
    };
    Console { _dir: dir, router: router(Arc::new(api)), store }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    fn cookies(&self) -> Vec<String> {
        self.headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().into_iter().find(|c| c.starts_with(&format!("{name}=")))
    }
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.expect("an answer");
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("a body");
    Answer { status: parts.status, headers: parts.headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

fn page(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::builder().method(Method::GET).uri(uri).header(header::HOST, HOST);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).expect("a request")
}

fn post(uri: &str, cookie: &str, body: String) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, format!("https://{HOST}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .expect("a request")
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={}", urlencoding(v))).collect::<Vec<_>>().join("&")
}

fn urlencoding(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The page load that starts a sign-in: where it sends the browser, and the nonce it gave it.
async fn start(console: &Console, entra: &Entra, uri: &str) -> (reqwest::Url, String) {
    let answer = send(&console.router, page(uri, None)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let to = reqwest::Url::parse(answer.location()).expect("an absolute URL");
    assert!(to.as_str().starts_with(&format!("{}/tenant/oauth2/v2.0/authorize?", entra.server.uri())), "{to}");
    let cookie = answer.cookie("saaswarden_nonce").expect("the nonce cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=None", "Path=/auth/callback", "Max-Age=600"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    let nonce = cookie.trim_start_matches("saaswarden_nonce=").split(';').next().expect("a value").to_string();
    (to, nonce)
}

/// Posts `token` to the callback as Entra ID's form would, from the browser holding `nonce`.
async fn callback(console: &Console, token: &str, nonce: &str, state: &str) -> Answer {
    let body = form(&[("id_token", token), ("state", state)]);
    send(&console.router, post("/auth/callback", &format!("saaswarden_nonce={nonce}"), body)).await
}

fn csrf_of(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a form with the CSRF token") + 19;
    page[start..].split('"').next().expect("a value").to_string()
}

#[tokio::test]
async fn a_browser_is_sent_to_entra_id_and_signed_in_by_the_posted_id_token() {
    let entra = Entra::publishing(&["signing"]).await;
    let console = console(Some(SignIn::new(&entra.issuer, CLIENT))).await;

    let (to, nonce) = start(&console, &entra, "/alerts?severity=high").await;
    let query: std::collections::HashMap<String, String> = to.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], CLIENT);
    assert_eq!(query["response_type"], "id_token");
    assert_eq!(query["response_mode"], "form_post");
    assert_eq!(query["redirect_uri"], format!("https://{HOST}/auth/callback"));
    assert_eq!(query["state"], "/alerts?severity=high");
    assert_eq!(query["nonce"], nonce);
    assert!(query["scope"].split(' ').any(|s| s == "openid"), "{}", query["scope"]);

    let token = signed(&entra.claims("ana@acme.example", &["saaswarden.analyst"], &nonce), "signing", "signing");
    let answer = callback(&console, &token, &nonce, "/alerts?severity=high").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), "/alerts?severity=high", "back to the page asked for");
    let session = answer.cookie("saaswarden_session").expect("the session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attribute), "{session} lacks {attribute}");
    }
    let max_age: i64 = session.split("Max-Age=").nth(1).and_then(|v| v.parse().ok()).expect("a lifetime");
    assert!((3500..=3600).contains(&max_age), "the session ends with the token: {max_age}");
    let forgotten = answer.cookie("saaswarden_nonce").expect("the nonce is cleared");
    assert!(forgotten.contains("Max-Age=0"), "{forgotten}");

    // The session opens the pages, as the analyst it names.
    let cookie = format!("saaswarden_session={token}");
    let queue = send(&console.router, page("/alerts", Some(&cookie))).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(queue.body.contains("ana@acme.example · analyst") && queue.body.contains("Sign out"), "{}", queue.body);

    // An analyst resolves, with the form's CSRF token only; governance needs a responder.
    let alert = send(&console.router, page("/alerts/al-1", Some(&cookie))).await;
    let csrf = csrf_of(&alert.body);
    let forged = form(&[("csrf", "guess"), ("step", "resolve"), ("verdict", "benign")]);
    assert_eq!(send(&console.router, post("/alerts/al-1/step", &cookie, forged)).await.status, StatusCode::FORBIDDEN);
    let resolve = form(&[("csrf", &csrf), ("step", "resolve"), ("verdict", "benign")]);
    let resolved = send(&console.router, post("/alerts/al-1/step", &cookie, resolve)).await;
    assert_eq!(resolved.status, StatusCode::SEE_OTHER, "{}", resolved.body);
    let stored = console.store.get("al-1").await.expect("read").expect("the alert");
    let resolution = stored.resolution.expect("resolved");
    assert_eq!(resolution.by, "ana@acme.example", "the write records who signed in");
    let approve = form(&[("csrf", &csrf), ("op", "approve"), ("alert_id", "al-1"), ("action", "notify-user")]);
    let refused = send(&console.router, post("/governance/act", &cookie, approve)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    // The API takes only API Gateway's checked claims, never the console's session.
    let api = send(&console.router, page("/api/v1/alerts", Some(&cookie))).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED, "{}", api.body);

    // Signing out forgets the session.
    let out = send(&console.router, page("/auth/sign-out", Some(&cookie))).await;
    let cleared = out.cookie("saaswarden_session").expect("the session is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
}

#[tokio::test]
async fn every_wrong_token_is_refused_at_the_callback_naming_the_check_never_the_token() {
    let entra = Entra::publishing(&["signing"]).await;
    let console = console(Some(SignIn::new(&entra.issuer, CLIENT))).await;
    let (_, nonce) = start(&console, &entra, "/alerts").await;
    let good = entra.claims("ana@acme.example", &["analyst"], &nonce);
    let with = |field: &str, value: Value| {
        let mut claims = good.clone();
        claims[field] = value;
        claims
    };
    let now = chrono::Utc::now().timestamp();
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"signing"}"#),
        URL_SAFE_NO_PAD.encode(good.to_string())
    );
    let hmac = encode(
        &Header { kid: Some("signing".into()), ..Header::new(Algorithm::HS256) },
        &good,
        &EncodingKey::from_secret(jwk("signing")["n"].as_str().expect("n").as_bytes()),
    )
    .expect("an HS256 token");
    let cases = [
        ("signed by another key", signed(&good, "other", "signing"), "InvalidSignature"),
        (
            "for another application",
            signed(&with("aud", json!("someone-else")), "signing", "signing"),
            "InvalidAudience",
        ),
        (
            "from another issuer",
            signed(&with("iss", json!("https://evil.example/v2.0")), "signing", "signing"),
            "InvalidIssuer",
        ),
        ("expired", signed(&with("exp", json!(now - 600)), "signing", "signing"), "ExpiredSignature"),
        ("not yet valid", signed(&with("nbf", json!(now + 600)), "signing", "signing"), "ImmatureSignature"),
        ("for another browser's sign-in", signed(&with("nonce", json!("f00")), "signing", "signing"), "nonce"),
        ("by an unpublished key", signed(&good, "other", "other"), "does not publish"),
        ("unsigned (alg none)", unsigned, "not a JWT"),
        ("HMAC-signed with the public key", hmac, "only RS256"),
        ("not a token", "garbage".to_string(), "not a JWT"),
    ];
    for (case, token, reason) in cases {
        let answer = callback(&console, &token, &nonce, "/alerts").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{case}: {}", answer.body);
        assert!(answer.cookie("saaswarden_session").is_none(), "{case}: a session was set");
        assert!(answer.body.contains(reason), "{case}: the page names the check ({reason}): {}", answer.body);
        assert!(!answer.body.contains(&token), "{case}: the page shows the token");
    }
    // The right token from a browser that did not start this sign-in: no nonce cookie.
    let token = signed(&good, "signing", "signing");
    let body = form(&[("id_token", &token), ("state", "/alerts")]);
    let answer = send(&console.router, post("/auth/callback", "other=1", body)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("nonce cookie"), "{}", answer.body);
    // Entra ID's own refusal is shown as text.
    let body = form(&[("error", "access_denied"), ("error_description", "<b>AADSTS50105</b> not assigned")]);
    let answer = send(&console.router, post("/auth/callback", &format!("saaswarden_nonce={nonce}"), body)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("access_denied") && answer.body.contains("&lt;b&gt;AADSTS50105"), "{}", answer.body);
}

#[tokio::test]
async fn a_user_without_a_saaswarden_role_is_told_so_and_the_return_path_stays_on_this_site() {
    let entra = Entra::publishing(&["signing"]).await;
    let console = console(Some(SignIn::new(&entra.issuer, CLIENT))).await;
    let (_, nonce) = start(&console, &entra, "/alerts").await;
    let no_role = signed(&entra.claims("eve@acme.example", &["admin"], &nonce), "signing", "signing");
    let answer = callback(&console, &no_role, &nonce, "/alerts").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(answer.body.contains("no saaswarden role") && answer.body.contains("roles"), "{}", answer.body);
    assert!(answer.cookie("saaswarden_session").is_none());

    let token = signed(&entra.claims("ana@acme.example", &["reader"], &nonce), "signing", "signing");
    for state in ["//evil.example/alerts", "https://evil.example/", "/\\evil.example"] {
        let answer = callback(&console, &token, &nonce, state).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.location(), "/alerts", "{state} is another site");
    }
}

#[tokio::test]
async fn an_ended_or_forged_session_sends_a_page_load_to_sign_in_and_refuses_a_write() {
    let entra = Entra::publishing(&["signing"]).await;
    let console = console(Some(SignIn::new(&entra.issuer, CLIENT))).await;
    let now = chrono::Utc::now().timestamp();
    let mut claims = entra.claims("ana@acme.example", &["responder"], "n");
    claims["exp"] = json!(now - 120);
    let expired = signed(&claims, "signing", "signing");
    claims["exp"] = json!(now + 3600);
    let forged = signed(&claims, "other", "signing");
    for token in [expired, forged] {
        let cookie = format!("saaswarden_session={token}");
        let answer = send(&console.router, page("/alerts", Some(&cookie))).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert!(answer.location().contains("/oauth2/v2.0/authorize?"), "{}", answer.location());
        let write = form(&[("csrf", "x"), ("step", "dismiss")]);
        let answer = send(&console.router, post("/alerts/al-1/step", &cookie, write)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
        assert!(answer.body.contains("session has ended"), "{}", answer.body);
    }
    assert!(console.store.get("al-1").await.expect("read").expect("the alert").resolution.is_none());
}

#[tokio::test]
async fn rotated_keys_are_fetched_again_but_made_up_key_ids_do_not_flood_entra_id() {
    // Keys trusted for 5 minutes (the default): a token naming an unknown key fetches nothing more.
    let entra = Entra::publishing(&["signing"]).await;
    entra.publish(&["signing"], Some(1)).await;
    let trusting = console(Some(SignIn::new(&entra.issuer, CLIENT))).await;
    let (_, nonce) = start(&trusting, &entra, "/alerts").await;
    let claims = entra.claims("ana@acme.example", &["reader"], &nonce);
    for kid in ["made-up-1", "made-up-2", "made-up-3"] {
        let answer = callback(&trusting, &signed(&claims, "other", kid), &nonce, "/alerts").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    }
    entra.server.verify().await;

    // Once that time has passed, a key Entra ID rolled over to is fetched and trusted.
    let entra = Entra::publishing(&["signing"]).await;
    let console = console(Some(SignIn::new(&entra.issuer, CLIENT).refresh_after(Duration::ZERO))).await;
    let (_, nonce) = start(&console, &entra, "/alerts").await;
    let claims = entra.claims("ana@acme.example", &["reader"], &nonce);
    entra.publish(&["signing", "other"], Some(1)).await;
    let answer = callback(&console, &signed(&claims, "other", "other"), &nonce, "/alerts").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert!(answer.cookie("saaswarden_session").is_some());
}

#[tokio::test]
async fn without_sign_in_or_with_entra_id_unreachable_the_pages_say_why() {
    let console_without = console(None).await;
    let answer = send(&console_without.router, page("/alerts", None)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("ConsoleClientId"), "{}", answer.body);

    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.local_addr().expect("an address").port()
    };
    let issuer = format!("http://127.0.0.1:{closed}/tenant/v2.0");
    let console = console(Some(SignIn::new(&issuer, CLIENT))).await;
    let answer = send(&console.router, page("/alerts", None)).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{}", answer.body);
    assert!(
        answer.body.contains("sign-in is unavailable") && answer.body.contains("openid-configuration"),
        "{}",
        answer.body
    );
}

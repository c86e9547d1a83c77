//! The console's browser sign-in in AWS: OpenID Connect with the organisation's Entra ID.
//!
//! API Gateway's JWT authorizer guards `/api/v1/…`, where scripts and the CLI send a bearer token. A
//! browser cannot add that header to a page load, so the console's pages are routed past the authorizer and
//! the function checks a session itself:
//!
//! 1. a page load without a valid session is redirected to Entra ID's authorize endpoint (from the
//!    issuer's discovery document) asking for an ID token posted back to `/auth/callback`
//!    (`response_type=id_token`, `response_mode=form_post`), with a fresh random nonce that is also kept
//!    in a short-lived cookie;
//! 2. the callback checks the ID token — RS256 signature against the issuer's published keys, issuer,
//!    audience (the console's client id), expiry and not-before, and that its nonce is the cookie's — and
//!    keeps the token as the session: an HttpOnly, Secure, SameSite=Lax cookie that lives as long as the
//!    token;
//! 3. every later request checks the session token the same way (the keys are cached; an unknown key id
//!    fetches them again, at most once per [`SignIn::refresh_after`]), and its `roles` claim gives the
//!    role, exactly as the authorizer's claims do for the API.
//!
//! No client secret is involved and nothing is stored server-side. The token never appears in a log or
//! an error.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use rand::TryRngCore as _;
use rand::rngs::OsRng;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::RwLock;

use saaswarden_core::governance::IdentityProvider;

use crate::auth::{Auth, COOKIE, ClaimRules, JwtClaims, NONCE_COOKIE, SESSION_COOKIE, caller_from_claims, cookie};
use crate::console::{encode, page_error};
use crate::error::ApiError;
use crate::state::{Api, Store};

/// Why a sign-in or a session was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The identity provider's discovery document or keys could not be read: nobody can sign in.
    #[error("Entra ID's sign-in configuration could not be read ({0})")]
    Provider(String),
    /// The token is not one this console accepts; the reason names the check, never the token.
    #[error("the sign-in token was refused: {0}")]
    Token(String),
}

/// The OpenID Connect sign-in of one console: the issuer it trusts and the client id tokens are for.
pub struct SignIn {
    issuer: String,
    client_id: String,
    http: reqwest::Client,
    refresh_after: Duration,
    provider: RwLock<Option<Provider>>,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn").field("issuer", &self.issuer).field("client_id", &self.client_id).finish()
    }
}

/// What the discovery document and the keys said, as last fetched.
struct Provider {
    authorization_endpoint: String,
    jwks_uri: String,
    keys: HashMap<String, DecodingKey>,
    fetched: Instant,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    jwks_uri: String,
}

#[derive(Deserialize)]
struct KeySet {
    keys: Vec<Key>,
}

#[derive(Deserialize)]
struct Key {
    kid: Option<String>,
    kty: String,
    #[serde(rename = "use")]
    usage: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

/// Clock skew allowed on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 60;

impl SignIn {
    /// Signs in against `issuer` (e.g. `https://login.microsoftonline.com/<tenant id>/v2.0`) for the app
    /// registration `client_id`. Nothing is fetched until the first sign-in.
    pub fn new(issuer: &str, client_id: &str) -> SignIn {
        // A sign-in waits on these fetches: bounded, well inside API Gateway's 30 seconds.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        SignIn {
            issuer: issuer.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            http,
            refresh_after: Duration::from_secs(300),
            provider: RwLock::new(None),
        }
    }

    /// How long fetched keys are trusted before a token with an unknown key id may fetch them again
    /// (default 5 minutes: Entra ID rolls its keys over days, and a flood of made-up key ids must not
    /// become a flood of requests to it).
    pub fn refresh_after(mut self, after: Duration) -> SignIn {
        self.refresh_after = after;
        self
    }

    /// The authorize URL a signed-out browser is sent to; `nonce` comes back inside the ID token and
    /// `state` (the page to return to) in the callback's form.
    pub async fn authorize_url(&self, redirect_uri: &str, nonce: &str, state: &str) -> Result<String, SignInError> {
        let endpoint = self.provider(false, |p| p.authorization_endpoint.clone()).await?;
        let query = [
            ("client_id", self.client_id.as_str()),
            ("response_type", "id_token"),
            ("response_mode", "form_post"),
            ("redirect_uri", redirect_uri),
            ("scope", "openid profile email"),
            ("nonce", nonce),
            ("state", state),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&");
        let separator = if endpoint.contains('?') { '&' } else { '?' };
        Ok(format!("{endpoint}{separator}{query}"))
    }

    /// Checks an ID token (and, at the callback, its nonce) and returns its claims as the authorizer
    /// would pass them on.
    pub async fn verify(&self, token: &str, nonce: Option<&str>) -> Result<JwtClaims, SignInError> {
        let header = decode_header(token).map_err(|e| SignInError::Token(format!("not a JWT ({e})")))?;
        if header.alg != Algorithm::RS256 {
            return Err(SignInError::Token(format!("signed with {:?}; only RS256 is accepted", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| SignInError::Token("the token names no signing key (kid)".into()))?;
        let key = match self.key(&kid, false).await? {
            Some(key) => key,
            None => self.key(&kid, true).await?.ok_or_else(|| {
                SignInError::Token(format!("signed by key `{kid}`, which the issuer does not publish"))
            })?,
        };
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        let data = decode::<HashMap<String, Value>>(token, &key, &validation)
            .map_err(|e| SignInError::Token(e.to_string()))?;
        if let Some(expected) = nonce {
            let sent = data.claims.get("nonce").and_then(Value::as_str).unwrap_or_default();
            if !crate::auth::same(expected, sent) {
                return Err(SignInError::Token("its nonce is not the one this browser was given".into()));
            }
        }
        let claims = data
            .claims
            .into_iter()
            .map(|(name, value)| {
                let value = match value {
                    Value::String(text) => text,
                    other => other.to_string(),
                };
                (name, value)
            })
            .collect();
        Ok(JwtClaims(claims))
    }

    /// The key `kid`, fetching the discovery document and keys when there are none yet, or again when
    /// `refresh` is set and the last fetch is older than `refresh_after`.
    async fn key(&self, kid: &str, refresh: bool) -> Result<Option<DecodingKey>, SignInError> {
        self.provider(refresh, |p| p.keys.get(kid).cloned()).await
    }

    /// `read` of the cached provider facts (only what it takes is copied out of the lock), fetched first
    /// when there are none yet, or again when `refresh` is set and they are older than `refresh_after`.
    async fn provider<T>(&self, refresh: bool, read: impl Fn(&Provider) -> T) -> Result<T, SignInError> {
        let fresh = |p: &Provider| !(refresh && p.fetched.elapsed() >= self.refresh_after);
        if let Some(p) = self.provider.read().await.as_ref().filter(|p| fresh(p)) {
            return Ok(read(p));
        }
        let mut cached = self.provider.write().await;
        if let Some(p) = cached.as_ref().filter(|p| fresh(p)) {
            return Ok(read(p));
        }
        let (authorization_endpoint, jwks_uri) = match cached.as_ref() {
            Some(p) => (p.authorization_endpoint.clone(), p.jwks_uri.clone()),
            None => self.discover().await?,
        };
        let keys = self.keys(&jwks_uri).await?;
        Ok(read(cached.insert(Provider { authorization_endpoint, jwks_uri, keys, fetched: Instant::now() })))
    }

    async fn discover(&self) -> Result<(String, String), SignInError> {
        let url = format!("{}/.well-known/openid-configuration", self.issuer);
        let discovery: Discovery = self.get_json(&url).await?;
        if discovery.issuer.trim_end_matches('/') != self.issuer {
            return Err(SignInError::Provider(format!(
                "{url} names the issuer `{}`, not `{}`: use the tenant's own issuer URL",
                discovery.issuer, self.issuer
            )));
        }
        Ok((discovery.authorization_endpoint, discovery.jwks_uri))
    }

    async fn keys(&self, jwks_uri: &str) -> Result<HashMap<String, DecodingKey>, SignInError> {
        let set: KeySet = self.get_json(jwks_uri).await?;
        let mut keys = HashMap::new();
        for key in set.keys {
            let (Some(kid), Some(n), Some(e)) = (key.kid, key.n, key.e) else { continue };
            if key.kty != "RSA" || key.usage.as_deref().is_some_and(|u| u != "sig") {
                continue;
            }
            match DecodingKey::from_rsa_components(&n, &e) {
                Ok(decoding) => {
                    keys.insert(kid, decoding);
                }
                Err(error) => tracing::warn!(%kid, %error, "an unreadable key in the issuer's key set was skipped"),
            }
        }
        if keys.is_empty() {
            return Err(SignInError::Provider(format!("{jwks_uri} holds no RSA signing key")));
        }
        Ok(keys)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, SignInError> {
        let response = self.http.get(url).send().await.map_err(|e| SignInError::Provider(format!("{url}: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(SignInError::Provider(format!("{url} answered {status}")));
        }
        response.json().await.map_err(|e| SignInError::Provider(format!("{url}: {e}")))
    }
}

/// What Entra ID posts to `/auth/callback`.
#[derive(Debug, Deserialize)]
pub(crate) struct Callback {
    id_token: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `POST /auth/callback`: checks the ID token and its nonce, keeps it as the session, returns to the page
/// the browser came from.
pub(crate) async fn callback<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): State<Arc<Api<S, P>>>,
    headers: HeaderMap,
    Form(form): Form<Callback>,
) -> Response {
    let Auth::Claims(rules @ ClaimRules { sign_in: Some(sign_in), .. }) = &api.auth else {
        return page_error(ApiError::NotFound("this console has no Entra ID sign-in".into()));
    };
    if let Some(error) = &form.error {
        let description = form.error_description.as_deref().unwrap_or_default();
        return refused(&format!("Entra ID refused the sign-in: {error} {description}"));
    }
    let (Some(token), Some(nonce)) = (form.id_token.as_deref(), cookie(&headers, NONCE_COOKIE)) else {
        return refused("the sign-in came back without its ID token or this browser's nonce cookie: sign in again");
    };
    let claims = match sign_in.verify(token, Some(nonce)).await {
        Ok(claims) => claims,
        Err(SignInError::Provider(reason)) => {
            return page_error(ApiError::Unavailable(format!("sign-in is unavailable: {reason}")));
        }
        Err(error) => {
            tracing::warn!(%error, "a sign-in was refused");
            return refused(&error.to_string());
        }
    };
    // A user without a saaswarden role is told so here, not by a page that fails after the redirect.
    let caller = match caller_from_claims(&claims, rules) {
        Ok(caller) => caller,
        Err(error) => return page_error(error),
    };
    tracing::info!(user = %caller.name, role = caller.role.as_str(), "signed in to the console");
    let lifetime = claims.0.get("exp").and_then(|exp| exp.parse::<i64>().ok()).map(|exp| exp - Utc::now().timestamp());
    let session = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age={}",
        lifetime.unwrap_or(0).max(0)
    );
    let forget_nonce = format!("{NONCE_COOKIE}=; HttpOnly; Secure; SameSite=None; Path=/auth/callback; Max-Age=0");
    let mut response = Redirect::to(&local_path(form.state.as_deref())).into_response();
    for cookie in [session, forget_nonce] {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// `GET /auth/sign-out`: forgets the session (locally: the token's cookie).
pub(crate) async fn sign_out() -> Response {
    let mut response =
        (StatusCode::OK, crate::console::signed_out("Signed out. Open the console's address again to sign in."))
            .into_response();
    for name in [SESSION_COOKIE, COOKIE] {
        if let Ok(value) = HeaderValue::from_str(&format!("{name}=; HttpOnly; Path=/; Max-Age=0")) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

fn refused(message: &str) -> Response {
    (StatusCode::UNAUTHORIZED, crate::console::signed_out(message)).into_response()
}

/// 32 random bytes from the operating system, hex: unguessable, and safe in a URL and a cookie. The
/// access token `saaswarden serve` prints, and a sign-in's nonce.
pub fn random_token() -> Result<String, rand::rand_core::OsError> {
    let mut bytes = [0u8; 32];
    OsRng.try_fill_bytes(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Where a callback may send the browser: a path on this site, else the queue. `//host` and `/\host` are
/// other sites to a browser.
pub(crate) fn local_path(state: Option<&str>) -> String {
    match state {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") => path.to_string(),
        _ => "/alerts".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callback_returns_only_to_a_path_of_this_site() {
        assert_eq!(local_path(Some("/alerts?severity=high")), "/alerts?severity=high");
        for hostile in ["//evil.example/x", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", ""] {
            assert_eq!(local_path(Some(hostile)), "/alerts", "{hostile}");
        }
        assert_eq!(local_path(None), "/alerts");
    }

    #[test]
    fn nonces_are_fresh_and_query_values_are_escaped() {
        let (a, b) = (random_token().expect("random"), random_token().expect("random"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(
            encode("https://x.example/auth/callback?a=b c"),
            "https%3A%2F%2Fx.example%2Fauth%2Fcallback%3Fa%3Db%20c"
        );
    }
}

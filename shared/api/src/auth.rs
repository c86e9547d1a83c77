//! Who is calling and what they may do.
//!
//! Locally, `saaswarden serve` prints one random token; whoever holds it has every role. A browser hands
//! it over once in the URL it opens (`/?token=…`) and keeps it in an HttpOnly, SameSite=Strict cookie;
//! scripts send it as `Authorization: Bearer …`.
//!
//! In AWS, the API (`/api/…`) sits behind API Gateway's JWT authorizer, which has checked the token's
//! signature, issuer, audience and expiry before the function runs; the function maps the claims the
//! authorizer passes on ([`JwtClaims`]) to a [`Caller`] and refuses an API request without them, so a
//! misconfigured route cannot open the API, and never takes the console's session cookie. The console's
//! pages are routed past the authorizer (a browser cannot send its header on a page load): they take the
//! session of the console's own Entra ID sign-in ([`crate::sign_in`]), checked the same way by the
//! function (or, on a route behind the authorizer, its claims).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::sign_in::{SignIn, SignInError};

/// What a caller may do; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Views alerts, activities, users, governance, policies and sources.
    Reader,
    /// Also resolves, dismisses, reopens and comments on alerts.
    Analyst,
    /// Also approves, retries and reverts governance actions.
    Responder,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Analyst => "analyst",
            Role::Responder => "responder",
        }
    }

    /// A role claim's value: `reader`, `Analyst`, `saaswarden.responder` (an app role's value may carry a
    /// prefix; the last dot-separated part names the role).
    fn from_claim(value: &str) -> Option<Role> {
        let name = value.rsplit('.').next().unwrap_or(value).trim();
        match name.to_ascii_lowercase().as_str() {
            "reader" => Some(Role::Reader),
            "analyst" => Some(Role::Analyst),
            "responder" => Some(Role::Responder),
            _ => None,
        }
    }
}

/// The authenticated caller of one request; writes record `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caller {
    pub name: String,
    pub role: Role,
    /// Authenticated by the console's cookie: its writes must carry the CSRF token.
    #[serde(skip)]
    pub by_cookie: bool,
    /// The console forms' anti-CSRF value for a cookie caller, derived from the cookie's secret so it never
    /// appears on its own.
    #[serde(skip)]
    pub csrf: Option<String>,
}

impl Caller {
    /// A caller authenticated by a bearer token or the authorizer: no cookie, no CSRF token.
    pub fn with_token(name: &str, role: Role) -> Caller {
        Caller { name: name.to_string(), role, by_cookie: false, csrf: None }
    }

    /// A browser authenticated by the cookie holding `secret`.
    pub fn with_cookie(name: &str, role: Role, secret: &str) -> Caller {
        Caller { name: name.to_string(), role, by_cookie: true, csrf: Some(csrf_of(secret)) }
    }

    /// Refuses a cookie-authenticated write whose form did not carry the CSRF token.
    pub fn check_csrf(&self, sent: &str) -> Result<(), ApiError> {
        match &self.csrf {
            Some(expected) if self.by_cookie && !same(expected, sent) => {
                Err(ApiError::Forbidden("the form's CSRF token is missing or stale: reload the page".into()))
            }
            _ => Ok(()),
        }
    }

    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "{} has the {} role; this needs {}",
                self.name,
                self.role.as_str(),
                role.as_str()
            )))
        }
    }
}

/// How requests are authenticated.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `saaswarden serve`: the printed token, one role with everything.
    Local {
        token: String,
        /// Whom writes are recorded as (the local user).
        name: String,
    },
    /// Behind API Gateway's JWT authorizer (the API) and the console's own sign-in (the pages).
    Claims(ClaimRules),
}

impl Auth {
    pub fn local(token: &str, name: &str) -> Auth {
        Auth::Local { token: token.to_string(), name: name.to_string() }
    }
}

/// The anti-CSRF value of a cookie: a hash of its secret, which a page may show and a form send back.
fn csrf_of(secret: &str) -> String {
    hex(&Sha256::new().chain_update(b"saaswarden-csrf\0").chain_update(secret).finalize())
}

/// Which claims name the caller and their roles, and how a browser signs in.
#[derive(Debug, Clone)]
pub struct ClaimRules {
    /// The claim holding app roles (Entra ID: `roles`).
    pub roles_claim: String,
    /// The console's Entra ID sign-in; without it the pages answer 401 and say how to set it up.
    pub sign_in: Option<Arc<SignIn>>,
}

impl Default for ClaimRules {
    fn default() -> Self {
        ClaimRules { roles_claim: "roles".into(), sign_in: None }
    }
}

/// The claims API Gateway's JWT authorizer passed on (its `requestContext.authorizer.jwt.claims`), put on
/// the request by the Lambda adapter. Array claims arrive as one string, `[a b]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JwtClaims(pub HashMap<String, String>);

/// The caller the claims describe: the strongest role they grant.
pub fn caller_from_claims(claims: &JwtClaims, rules: &ClaimRules) -> Result<Caller, ApiError> {
    let claims = &claims.0;
    let name = ["preferred_username", "upn", "email", "unique_name", "oid", "sub"]
        .iter()
        .find_map(|key| claims.get(*key).filter(|v| !v.trim().is_empty()))
        .ok_or_else(|| {
            ApiError::Unauthenticated("the token names no user (no preferred_username, upn, oid or sub)".into())
        })?
        .trim()
        .to_string();
    let granted = claims.get(&rules.roles_claim).map(|value| claim_values(value)).unwrap_or_default();
    let role = granted.iter().filter_map(|value| Role::from_claim(value)).max().ok_or_else(|| {
        ApiError::Forbidden(format!(
            "{name} has no saaswarden role: the `{}` claim must hold reader, analyst or responder",
            rules.roles_claim
        ))
    })?;
    Ok(Caller::with_token(&name, role))
}

/// A claim's values: a JSON array, API Gateway's `[a b]` rendering of one, or a single value.
fn claim_values(value: &str) -> Vec<String> {
    let value = value.trim();
    if let Ok(list) = serde_json::from_str::<Vec<String>>(value) {
        return list;
    }
    let inner = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')).unwrap_or(value);
    inner.split(|c: char| c.is_whitespace() || c == ',').filter(|v| !v.is_empty()).map(str::to_string).collect()
}

/// The local console's cookie: the printed token.
pub(crate) const COOKIE: &str = "saaswarden_token";
/// The console's Entra ID session in AWS: the ID token itself.
pub(crate) const SESSION_COOKIE: &str = "saaswarden_session";
/// A sign-in's nonce, between the redirect to Entra ID and its callback.
pub(crate) const NONCE_COOKIE: &str = "saaswarden_nonce";

/// The authentication middleware: puts the [`Caller`] on the request, or answers 401 (the API), or sends a
/// browser to sign in (the console).
pub async fn authenticate(State(auth): State<Arc<Auth>>, mut request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let caller = match auth.as_ref() {
        Auth::Local { token, name } => {
            if let Some(sent) = bearer(request.headers()) {
                same(token, sent).then(|| Caller::with_token(name, Role::Responder))
            } else if let Some(sent) = cookie(request.headers(), COOKIE) {
                same(token, sent).then(|| Caller::with_cookie(name, Role::Responder, token))
            } else if let Some(sent) = query_token(request.uri().query()) {
                if same(token, &sent) && request.method() == Method::GET {
                    return hand_over(request.uri().path(), token);
                }
                None
            } else {
                None
            }
        }
        // What the authorizer checked: the API's only door (a page behind the authorizer may use it too).
        Auth::Claims(rules) if api || request.extensions().get::<JwtClaims>().is_some() => {
            match request.extensions().get::<JwtClaims>() {
                Some(claims) => match caller_from_claims(claims, rules) {
                    Ok(caller) => Some(caller),
                    Err(error) => return error.into_response(),
                },
                None => None,
            }
        }
        // The console's pages, routed past the authorizer: the session of their own sign-in.
        Auth::Claims(rules) => match (&rules.sign_in, cookie(request.headers(), SESSION_COOKIE)) {
            (Some(sign_in), Some(token)) => match sign_in.verify(token, None).await {
                Ok(claims) => match caller_from_claims(&claims, rules) {
                    Ok(caller) => Some(Caller::with_cookie(&caller.name, caller.role, token)),
                    Err(error) => return crate::console::page_error(error),
                },
                Err(SignInError::Provider(reason)) => return crate::console::page_error(unavailable(&reason)),
                Err(SignInError::Token(reason)) => {
                    tracing::info!(%reason, "a console session was refused");
                    None
                }
            },
            _ => None,
        },
    };
    let Some(caller) = caller else {
        let page = Page::of(&request);
        return signed_out(&auth, page, api).await;
    };
    if caller.by_cookie && !safe(request.method()) && !same_origin(request.headers()) {
        return ApiError::Forbidden("cross-origin write refused".into()).into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

fn unavailable(reason: &str) -> ApiError {
    ApiError::Unavailable(format!("sign-in is unavailable: {reason}"))
}

/// What sign-in needs of a request: a body is neither needed nor `Sync`.
struct Page {
    get: bool,
    host: Option<String>,
    path: String,
}

impl Page {
    fn of(request: &Request) -> Page {
        Page {
            get: request.method() == Method::GET,
            host: request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_string),
            path: request.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/alerts".into()),
        }
    }
}

/// What a request without valid credentials gets: a page load in AWS goes to Entra ID to sign in.
async fn signed_out(auth: &Auth, page: Page, api: bool) -> Response {
    let message = match auth {
        Auth::Local { .. } => {
            "sign in: open the URL `saaswarden serve` printed, or send its token as `Authorization: Bearer …`"
        }
        Auth::Claims(_) if api => "sign in: send an Entra ID access token as `Authorization: Bearer …`",
        Auth::Claims(ClaimRules { sign_in: None, .. }) => {
            "the console's sign-in is not set up: give the stack the ConsoleClientId parameter (docs/deploy.md); \
             the API takes Entra ID access tokens as `Authorization: Bearer …`"
        }
        Auth::Claims(ClaimRules { sign_in: Some(sign_in), .. }) => {
            if page.get {
                return match redirect_to_sign_in(sign_in, page).await {
                    Ok(response) => response,
                    Err(reason) => crate::console::page_error(unavailable(&reason)),
                };
            }
            "your session has ended: reload the page to sign in again"
        }
    };
    if api {
        ApiError::Unauthenticated(message.into()).into_response()
    } else {
        (StatusCode::UNAUTHORIZED, crate::console::signed_out(message)).into_response()
    }
}

/// Sends the browser to Entra ID with a fresh nonce, kept in a cookie that only the callback receives.
/// The cookie is SameSite=None: the callback is a form that Entra ID's page posts from its own site.
async fn redirect_to_sign_in(sign_in: &SignIn, page: Page) -> Result<Response, String> {
    let host = page.host.ok_or("the request has no Host")?;
    let nonce = crate::sign_in::random_token().map_err(|e| format!("the operating system's random source: {e}"))?;
    let url = sign_in
        .authorize_url(&format!("https://{host}/auth/callback"), &nonce, &page.path)
        .await
        .map_err(|e| e.to_string())?;
    let mut response = Redirect::to(&url).into_response();
    let cookie = format!("{NONCE_COOKIE}={nonce}; HttpOnly; Secure; SameSite=None; Path=/auth/callback; Max-Age=600");
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// Sets the cookie and drops the token from the address bar (and so from the history and referrers).
fn hand_over(path: &str, token: &str) -> Response {
    let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
    let mut response = Redirect::to(if path.is_empty() { "/" } else { path }).into_response();
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|pair| pair.strip_prefix("token=").map(str::to_string))
}

fn safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Browsers send `Origin` with every POST; a write from another site's page names that site.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin.split_once("://").is_some_and(|(_, rest)| rest == host)
}

/// Compares secrets in time independent of where they differ.
pub(crate) fn same(expected: &str, sent: &str) -> bool {
    expected.len() == sent.len() && expected.bytes().zip(sent.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> JwtClaims {
        JwtClaims(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn the_strongest_role_in_api_gateways_array_rendering_wins() {
        let rules = ClaimRules::default();
        let caller = caller_from_claims(
            &claims(&[("preferred_username", "ana@corp.com"), ("roles", "[saaswarden.reader Analyst other]")]),
            &rules,
        )
        .expect("caller");
        assert_eq!(caller, Caller::with_token("ana@corp.com", Role::Analyst));
        let json = caller_from_claims(&claims(&[("sub", "x"), ("roles", r#"["responder"]"#)]), &rules).expect("caller");
        assert_eq!(json.role, Role::Responder);
    }

    #[test]
    fn a_token_without_a_known_role_is_forbidden_and_without_a_name_unauthenticated() {
        let rules = ClaimRules::default();
        let no_role = caller_from_claims(&claims(&[("sub", "x"), ("roles", "[admin]")]), &rules);
        assert!(matches!(no_role, Err(ApiError::Forbidden(_))));
        let no_name = caller_from_claims(&claims(&[("roles", "[reader]")]), &rules);
        assert!(matches!(no_name, Err(ApiError::Unauthenticated(_))));
    }

    #[test]
    fn csrf_is_checked_only_for_cookie_callers() {
        let browser = Caller::with_cookie("me", Role::Responder, "t0k3n");
        let csrf = browser.csrf.clone().expect("a cookie caller has one");
        assert_ne!(csrf, "t0k3n");
        assert_ne!(csrf, Caller::with_cookie("me", Role::Responder, "other").csrf.expect("one"), "one per secret");
        assert!(browser.check_csrf(&csrf).is_ok());
        assert!(matches!(browser.check_csrf("guess"), Err(ApiError::Forbidden(_))));
        let script = Caller::with_token("me", Role::Responder);
        assert!(script.check_csrf("").is_ok());
    }
}

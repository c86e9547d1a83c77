//! Who is calling and what they may do.
//!
//! Locally, `saaswarden serve` prints one random token; whoever holds it has every role. A browser hands
//! it over once in the URL it opens (`/?token=…`) and keeps it in an HttpOnly, SameSite=Strict cookie;
//! scripts send it as `Authorization: Bearer …`. In AWS, API Gateway's JWT authorizer has checked the
//! token's signature, issuer, audience and expiry before the function runs; the function maps the claims
//! the authorizer passes on ([`JwtClaims`]) to a [`Caller`] and refuses a request without them, so a
//! misconfigured route cannot open the API.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

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
}

impl Caller {
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
        /// The console forms' anti-CSRF value, derived from the token so it never appears on its own.
        csrf: String,
    },
    /// Behind API Gateway's JWT authorizer.
    Claims(ClaimRules),
}

impl Auth {
    pub fn local(token: &str, name: &str) -> Auth {
        let csrf = hex(&Sha256::new().chain_update(b"saaswarden-csrf\0").chain_update(token).finalize());
        Auth::Local { token: token.to_string(), name: name.to_string(), csrf }
    }

    /// The value console forms must send back for a cookie-authenticated write.
    pub fn csrf_token(&self) -> Option<&str> {
        match self {
            Auth::Local { csrf, .. } => Some(csrf),
            Auth::Claims(_) => None,
        }
    }

    /// Refuses a cookie-authenticated write whose form did not carry the CSRF token.
    pub fn check_csrf(&self, caller: &Caller, sent: &str) -> Result<(), ApiError> {
        match self.csrf_token() {
            Some(expected) if caller.by_cookie && !same(expected, sent) => {
                Err(ApiError::Forbidden("the form's CSRF token is missing or stale: reload the page".into()))
            }
            _ => Ok(()),
        }
    }
}

/// Which claims name the caller and their roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRules {
    /// The claim holding app roles (Entra ID: `roles`).
    pub roles_claim: String,
}

impl Default for ClaimRules {
    fn default() -> Self {
        ClaimRules { roles_claim: "roles".into() }
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
    Ok(Caller { name, role, by_cookie: false })
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

const COOKIE: &str = "saaswarden_token";

/// The authentication middleware: puts the [`Caller`] on the request or answers 401.
pub async fn authenticate(State(auth): State<std::sync::Arc<Auth>>, mut request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let caller = match auth.as_ref() {
        Auth::Local { token, name, .. } => {
            if let Some(sent) = bearer(request.headers()) {
                same(token, sent).then(|| Caller { name: name.clone(), role: Role::Responder, by_cookie: false })
            } else if let Some(sent) = cookie(request.headers(), COOKIE) {
                same(token, sent).then(|| Caller { name: name.clone(), role: Role::Responder, by_cookie: true })
            } else if let Some(sent) = query_token(request.uri().query()) {
                if same(token, &sent) && request.method() == Method::GET {
                    return hand_over(request.uri().path(), token);
                }
                None
            } else {
                None
            }
        }
        Auth::Claims(rules) => match request.extensions().get::<JwtClaims>() {
            Some(claims) => match caller_from_claims(claims, rules) {
                Ok(caller) => Some(caller),
                Err(error) => return error.into_response(),
            },
            None => None,
        },
    };
    let Some(caller) = caller else {
        let message = match auth.as_ref() {
            Auth::Local { .. } => {
                "sign in: open the URL `saaswarden serve` printed, or send its token as `Authorization: Bearer …`"
            }
            Auth::Claims(_) => "sign in: send an Entra ID access token as `Authorization: Bearer …`",
        };
        return if api {
            ApiError::Unauthenticated(message.into()).into_response()
        } else {
            (StatusCode::UNAUTHORIZED, crate::console::signed_out(message)).into_response()
        };
    };
    if caller.by_cookie && !safe(request.method()) && !same_origin(request.headers()) {
        return ApiError::Forbidden("cross-origin write refused".into()).into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
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

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
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
fn same(expected: &str, sent: &str) -> bool {
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
        assert_eq!(caller, Caller { name: "ana@corp.com".into(), role: Role::Analyst, by_cookie: false });
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
        let auth = Auth::local("t0k3n", "me");
        let csrf = auth.csrf_token().expect("local has one").to_string();
        assert_ne!(csrf, "t0k3n");
        let browser = Caller { name: "me".into(), role: Role::Responder, by_cookie: true };
        assert!(auth.check_csrf(&browser, &csrf).is_ok());
        assert!(matches!(auth.check_csrf(&browser, "guess"), Err(ApiError::Forbidden(_))));
        let script = Caller { by_cookie: false, ..browser };
        assert!(auth.check_csrf(&script, "").is_ok());
    }
}

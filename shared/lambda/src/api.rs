//! The `api` function: the console and HTTP API router (`saaswarden-api`) on the DynamoDB adapters, behind
//! an API Gateway HTTP API whose JWT authorizer trusts the organisation's Entra ID.
//!
//! On `/api/v1/…` API Gateway checks the token (signature, issuer, audience, expiry) before the function
//! runs and passes its claims in the request context; [`with_claims`] puts them on the request, where the
//! router's own check maps them to a role and refuses a request without them. The console's pages are
//! routed past the authorizer and signed in by the router itself ([`saaswarden_api::sign_in`]) when
//! `CONSOLE_CLIENT_ID` names the app registration browsers sign in to.

use aws_config::SdkConfig;
use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use lambda_http::request::RequestContext;
use std::sync::Arc;

use saaswarden_api::{Api, Auth, ClaimRules, JwtClaims, SignIn, policies, router};
use saaswarden_aws::{DynamoStore, StoreSettings, Tables};
use tracing::info;

use crate::detector::POLICIES_VARIABLE;
use crate::{Assets, CONFIG_VARIABLE, Location, SettingError, Settings, StartError, location};

/// The token claim holding the caller's app roles (default `roles`, Entra ID's).
pub const ROLES_CLAIM_VARIABLE: &str = "ROLES_CLAIM";
/// The Entra ID issuer the API Gateway authorizer trusts; the console's sign-in trusts the same.
pub const ISSUER_VARIABLE: &str = "API_ISSUER";
/// The app registration (client id) browsers sign in to for the console; unset or empty: no console sign-in.
pub const CONSOLE_CLIENT_VARIABLE: &str = "CONSOLE_CLIENT_ID";

/// The router with everything it needs, built once per cold start.
pub async fn start(settings: &Settings, sdk: &SdkConfig) -> Result<Router, StartError> {
    let tables = Tables::from_lookup(|name| settings.get(name)).map_err(StartError::Invalid)?;
    let assets = Assets::new(aws_sdk_s3::Client::new(sdk));
    let mut config = assets.config(&location(settings, CONFIG_VARIABLE, Location::Bundled)?).await?;
    let (governance, idp) = crate::governance::provider(settings, sdk).await?;
    config.governance = governance;
    let custom = assets.policies(&location(settings, POLICIES_VARIABLE, Location::Bundled)?, &config).await?;
    let policies = policies(&config, custom.as_ref());
    let roles_claim = settings.get(ROLES_CLAIM_VARIABLE).unwrap_or_else(|| "roles".to_string());
    let sign_in = console_sign_in(settings)?;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), tables, StoreSettings::default());
    info!(tenant = %config.tenant, dry_run = config.governance.dry_run, console_sign_in = sign_in.is_some(), "api started");
    let api = Api {
        store,
        idp,
        policies,
        tenant: Some(config.tenant.clone()),
        config,
        auth: Auth::Claims(ClaimRules { roles_claim, sign_in }),
    };
    Ok(with_claims(router(api.shared())))
}

/// The console's sign-in, when `CONSOLE_CLIENT_ID` is set; it then needs the issuer.
fn console_sign_in(settings: &Settings) -> Result<Option<Arc<SignIn>>, StartError> {
    let Some(client_id) = settings.get(CONSOLE_CLIENT_VARIABLE).filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    let issuer = settings.get(ISSUER_VARIABLE).filter(|v| v.starts_with("https://")).ok_or_else(|| {
        StartError::Setting(SettingError::Invalid {
            variable: ISSUER_VARIABLE.to_string(),
            message: format!("{CONSOLE_CLIENT_VARIABLE} is set, so this must be the Entra ID issuer URL (https://…)"),
        })
    })?;
    Ok(Some(Arc::new(SignIn::new(&issuer, client_id.trim()))))
}

/// Puts the JWT authorizer's claims from API Gateway's request context on each request.
pub fn with_claims(router: Router) -> Router {
    router.layer(middleware::from_fn(claims))
}

async fn claims(mut request: Request, next: Next) -> Response {
    let found = request.extensions().get::<RequestContext>().and_then(jwt_claims);
    if let Some(claims) = found {
        request.extensions_mut().insert(claims);
    }
    next.run(request).await
}

fn jwt_claims(context: &RequestContext) -> Option<JwtClaims> {
    match context {
        RequestContext::ApiGatewayV2(context) => {
            let jwt = context.authorizer.as_ref()?.jwt.as_ref()?;
            Some(JwtClaims(jwt.claims.clone().into_iter().collect()))
        }
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::http::StatusCode;
    use saaswarden_connectors::graph::Provider;
    use saaswarden_core::testing::{alert, at_minute};
    use saaswarden_core::{Config, Severity};
    use saaswarden_store::{AlertStore, SqliteStore};
    use serde_json::json;
    use tower::ServiceExt as _;

    use saaswarden_api::builtin_policies;

    use super::*;

    /// An HTTP API (payload 2.0) event as API Gateway sends it, with the JWT authorizer's claims if any.
    fn event(method: &str, path: &str, body: Option<&str>, claims: Option<serde_json::Value>) -> String {
        let mut context = json!({
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example", "domainPrefix": "api",
            "http": { "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "test" },
            "requestId": "r1", "routeKey": "$default", "stage": "$default", "time": "07/Dec/2026:03:00:00 +0000", "timeEpoch": 0
        });
        if let Some(claims) = claims {
            context["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } });
        }
        json!({
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": { "content-type": "application/json", "host": "api.example" },
            "requestContext": context, "body": body, "isBase64Encoded": false
        })
        .to_string()
    }

    async fn app() -> (tempfile::TempDir, Router) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("api.db")).expect("store");
        let alert = alert("al-1", "anonymous_ip", Severity::Medium, "alice@acme.example", at_minute(0));
        store.upsert(&[alert]).await.expect("upsert");
        let config = Config::default();
        let api = Api {
            store,
            idp: Provider::Unconfigured,
            policies: builtin_policies(&config),
            tenant: Some("acme".into()),
            config,
            auth: Auth::Claims(ClaimRules::default()),
        };
        (dir, with_claims(router(Arc::new(api))))
    }

    async fn status(app: &Router, event: String) -> StatusCode {
        let request = lambda_http::request::from_str(&event).expect("an API Gateway event");
        app.clone().oneshot(request).await.expect("an answer").status()
    }

    #[tokio::test]
    async fn the_authorizers_claims_in_the_request_context_decide_the_role() {
        let (_dir, app) = app().await;
        let resolve = Some(r#"{"verdict":"benign"}"#);
        let reader = json!({ "preferred_username": "rita@acme.example", "roles": "[saaswarden.reader]" });
        let responder = json!({ "preferred_username": "ron@acme.example", "roles": "[Responder]" });
        assert_eq!(status(&app, event("GET", "/api/v1/alerts", None, None)).await, StatusCode::UNAUTHORIZED);
        assert_eq!(status(&app, event("GET", "/api/v1/alerts", None, Some(reader.clone()))).await, StatusCode::OK);
        let path = "/api/v1/alerts/al-1/resolve";
        assert_eq!(status(&app, event("POST", path, resolve, Some(reader.clone()))).await, StatusCode::FORBIDDEN);
        let approve = Some(r#"{"alert_id":"al-1","action":"notify-user"}"#);
        let governance = "/api/v1/governance/approve";
        assert_eq!(status(&app, event("POST", governance, approve, Some(reader))).await, StatusCode::FORBIDDEN);
        assert_eq!(status(&app, event("POST", path, resolve, Some(responder.clone()))).await, StatusCode::OK);
        assert_eq!(status(&app, event("POST", governance, approve, Some(responder.clone()))).await, StatusCode::OK);
        // A page behind the authorizer takes its claims; without them and without a session, 401.
        assert_eq!(status(&app, event("GET", "/alerts", None, Some(responder))).await, StatusCode::OK);
        assert_eq!(status(&app, event("GET", "/alerts", None, None)).await, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn console_sign_in_needs_the_issuer_when_a_client_id_is_given() {
        let settings = |pairs: &[(&str, &str)]| {
            Settings::from_map(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
        };
        assert!(console_sign_in(&settings(&[])).expect("no client id, no sign-in").is_none());
        assert!(console_sign_in(&settings(&[(CONSOLE_CLIENT_VARIABLE, " ")])).expect("blank").is_none());
        let error = console_sign_in(&settings(&[(CONSOLE_CLIENT_VARIABLE, "c1")])).expect_err("no issuer");
        assert!(error.to_string().contains(ISSUER_VARIABLE), "{error}");
        let issuer = "https://login.microsoftonline.com/t/v2.0";
        let sign_in = console_sign_in(&settings(&[(CONSOLE_CLIENT_VARIABLE, "c1"), (ISSUER_VARIABLE, issuer)]));
        assert!(sign_in.expect("valid").is_some());
    }
}

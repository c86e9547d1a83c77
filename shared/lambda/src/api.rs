//! The `api` function: the console and HTTP API router (`saaswarden-api`) on the DynamoDB adapters, behind
//! an API Gateway HTTP API whose JWT authorizer trusts the organisation's Entra ID.
//!
//! API Gateway checks the token (signature, issuer, audience, expiry) before the function runs and passes
//! its claims in the request context; [`with_claims`] puts them on the request, where the router's own
//! check maps them to a role and refuses a request without them.

use aws_config::SdkConfig;
use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use lambda_http::request::RequestContext;
use saaswarden_api::{Api, Auth, ClaimRules, JwtClaims, policies, router};
use saaswarden_aws::{DynamoStore, StoreSettings, Tables};
use tracing::info;

use crate::detector::POLICIES_VARIABLE;
use crate::{Assets, CONFIG_VARIABLE, Location, Settings, StartError, location};

/// The token claim holding the caller's app roles (default `roles`, Entra ID's).
pub const ROLES_CLAIM_VARIABLE: &str = "ROLES_CLAIM";

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
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), tables, StoreSettings::default());
    info!(tenant = %config.tenant, dry_run = config.governance.dry_run, "api started");
    let api = Api {
        store,
        idp,
        policies,
        tenant: Some(config.tenant.clone()),
        config,
        auth: Auth::Claims(ClaimRules { roles_claim }),
    };
    Ok(with_claims(router(api.shared())))
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
        assert_eq!(status(&app, event("POST", governance, approve, Some(responder))).await, StatusCode::OK);
    }
}

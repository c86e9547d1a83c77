//! The router: `/api/v1/…` (JSON), the console's pages and its stylesheet, behind authentication and with
//! the security headers every answer carries.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use futures_util::TryStreamExt as _;
use saaswarden_core::governance::IdentityProvider;
use serde::Deserialize;
use serde_json::json;

use crate::auth::{Caller, authenticate};
use crate::error::ApiError;
use crate::queries::alerts::StepKind;
use crate::queries::{
    ActivitySearch, AlertSearch, BulkAction, Export, ExportFormat, GovernanceAction, GovernanceRequest, Step,
};
use crate::state::{Api, Store};

type Shared<S, P> = State<Arc<Api<S, P>>>;
type Answer<T> = Result<Json<T>, ApiError>;

/// No script at all, styles and images from this origin only, no framing, forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The whole application: API, console, assets.
pub fn router<S, P>(api: Arc<Api<S, P>>) -> Router
where
    S: Store,
    P: IdentityProvider + Send + Sync + 'static,
{
    let auth = Arc::new(api.auth.clone());
    Router::new()
        .route("/api/v1/openapi.json", get(|| async { Json(crate::openapi::document()) }))
        .route("/api/v1/me", get(me))
        .route("/api/v1/alerts", get(alerts::<S, P>))
        .route("/api/v1/alerts/bulk", post(alerts_bulk::<S, P>))
        .route("/api/v1/alerts/{id}", get(alert::<S, P>))
        .route("/api/v1/campaigns", get(campaigns::<S, P>))
        .route("/api/v1/alerts/{id}/resolve", post(step::<S, P, 0>))
        .route("/api/v1/alerts/{id}/dismiss", post(step::<S, P, 1>))
        .route("/api/v1/alerts/{id}/reopen", post(step::<S, P, 2>))
        .route("/api/v1/alerts/{id}/comments", post(step::<S, P, 3>))
        .route("/api/v1/activities", get(activities::<S, P>))
        .route("/api/v1/activities/export", get(export::<S, P>))
        .route("/api/v1/users/{user}", get(user::<S, P>))
        .route("/api/v1/governance", get(governance::<S, P>))
        .route("/api/v1/governance/approve", post(approve::<S, P>))
        .route("/api/v1/governance/{id}/retry", post(retry::<S, P>))
        .route("/api/v1/governance/{id}/revert", post(revert::<S, P>))
        .route("/api/v1/policies", get(policies::<S, P>))
        .route("/api/v1/sources", get(sources::<S, P>))
        .merge(crate::console::routes::<S, P>())
        .fallback(|| async { ApiError::NotFound("no such page or endpoint".into()) })
        .layer(middleware::from_fn_with_state(auth, authenticate))
        .route("/assets/console.css", get(crate::console::stylesheet))
        // Reached without a session: the sign-in's own steps.
        .route("/auth/callback", post(crate::sign_in::callback::<S, P>))
        .route("/auth/sign-out", get(crate::sign_in::sign_out))
        .layer(middleware::map_response(secure))
        .with_state(api)
}

async fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Not `no-referrer`: with it browsers send `Origin: null` on form posts, which the CSRF check refuses.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

async fn me(Extension(caller): Extension<Caller>) -> Json<Caller> {
    Json(caller)
}

async fn alerts<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): Shared<S, P>,
    Query(search): Query<AlertSearch>,
) -> Answer<crate::queries::AlertPage> {
    Ok(Json(api.alerts(&search).await?))
}

async fn campaigns<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): Shared<S, P>,
    Query(search): Query<crate::queries::alerts::CampaignSearch>,
) -> Answer<crate::queries::alerts::CampaignList> {
    Ok(Json(api.campaigns(&search).await?))
}

async fn alert<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): Shared<S, P>,
    Path(id): Path<String>,
) -> Answer<crate::queries::AlertDetail> {
    Ok(Json(api.alert_detail(&id).await?))
}

/// `KIND`: 0 resolve, 1 dismiss, 2 reopen, 3 comment (a const so one handler serves the four routes).
async fn step<S: Store, P: IdentityProvider + Send + Sync + 'static, const KIND: u8>(
    State(api): Shared<S, P>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Option<Json<Step>>,
) -> Answer<saaswarden_core::Alert> {
    let kind = match KIND {
        0 => StepKind::Resolve,
        1 => StepKind::Dismiss,
        2 => StepKind::Reopen,
        _ => StepKind::Comment,
    };
    let step = body.map(|Json(step)| step).unwrap_or_default();
    Ok(Json(api.alert_step(&caller, &id, kind, &step).await?))
}

async fn alerts_bulk<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): Shared<S, P>,
    Extension(caller): Extension<Caller>,
    Json(bulk): Json<BulkAction>,
) -> Answer<crate::queries::BulkOutcome> {
    Ok(Json(api.alerts_bulk(&caller, &bulk).await?))
}

async fn activities<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): Shared<S, P>,
    Query(search): Query<ActivitySearch>,
) -> Answer<crate::queries::ActivityPage> {
    Ok(Json(api.activities(&search).await?))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ExportQuery {
    pub format: ExportFormat,
    #[serde(flatten)]
    pub search: ActivitySearch,
}

pub(crate) async fn export<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): Shared<S, P>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let export = Export::new(api, &query.search, query.format)?;
    let (content_type, name) = match query.format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "activities.csv"),
        ExportFormat::Jsonl => ("application/x-ndjson", "activities.jsonl"),
    };
    // An error after the first chunk can only cut the stream short: the status is already sent. It is
    // logged, and the client sees a truncated body (no final newline).
    let body = Body::from_stream(export.stream().inspect_err(|error| tracing::error!(%error, "export stopped")));
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response())
}

async fn user<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): Shared<S, P>,
    Path(user): Path<String>,
) -> Answer<crate::queries::UserPage> {
    Ok(Json(api.user(&user).await?))
}

async fn governance<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): Shared<S, P>,
    Query(request): Query<GovernanceRequest>,
) -> Answer<serde_json::Value> {
    let entries = api.governance_log(&request).await?;
    Ok(Json(json!({ "dry_run": api.config.governance.dry_run, "entries": entries })))
}

async fn approve<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): Shared<S, P>,
    Extension(caller): Extension<Caller>,
    Json(request): Json<GovernanceAction>,
) -> Answer<saaswarden_core::governance::GovernanceEntry> {
    Ok(Json(api.governance_approve(&caller, &request).await?))
}

async fn retry<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): Shared<S, P>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Answer<saaswarden_core::governance::GovernanceEntry> {
    Ok(Json(api.governance_retry(&caller, &id).await?))
}

async fn revert<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): Shared<S, P>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Answer<saaswarden_core::governance::GovernanceEntry> {
    Ok(Json(api.governance_revert(&caller, &id).await?))
}

async fn policies<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): Shared<S, P>,
) -> Answer<Vec<crate::catalog::PolicyCount>> {
    Ok(Json(api.policy_counts().await?))
}

async fn sources<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): Shared<S, P>,
) -> Answer<Vec<crate::catalog::SourceHealth>> {
    Ok(Json(api.sources().await?))
}

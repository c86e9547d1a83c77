//! The analyst console: server-rendered HTML pages over the same queries as the API.
//!
//! Every value from the audit trail (channel names, file names, ticket subjects, user agents — written by
//! whoever uses Slack and Zendesk) goes through maud's escaping; the pages carry no script at all, so the
//! Content-Security-Policy allows none; charts and maps are SVG drawn here. Writes are HTML forms that
//! post back with the CSRF token, then redirect (post/redirect/get).

mod alerts;
mod charts;
mod layout;
mod pages;

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use saaswarden_core::governance::IdentityProvider;

pub(crate) use layout::encode;
pub use layout::signed_out;

/// An error as a console page.
pub(crate) fn page_error(error: crate::error::ApiError) -> axum::response::Response {
    layout::PageError(error).into_response()
}

use crate::state::{Api, Store};

/// The console's routes (authenticated by the router).
pub(crate) fn routes<S, P>() -> Router<Arc<Api<S, P>>>
where
    S: Store,
    P: IdentityProvider + Send + Sync + 'static,
{
    Router::new()
        .route("/", get(|| async { axum::response::Redirect::to("/alerts") }))
        .route("/alerts", get(alerts::queue::<S, P>))
        .route("/alerts/bulk", post(alerts::bulk::<S, P>))
        .route("/alerts/{id}", get(alerts::alert::<S, P>))
        .route("/alerts/{id}/step", post(alerts::step::<S, P>))
        .route("/activities", get(pages::activities::<S, P>))
        .route("/activities/export", get(crate::routes::export::<S, P>))
        .route("/users/{user}", get(pages::user::<S, P>))
        .route("/governance", get(pages::governance::<S, P>))
        .route("/governance/act", post(pages::governance_act::<S, P>))
        .route("/sources", get(pages::sources::<S, P>))
        .route("/policies", get(pages::policies::<S, P>))
}

const STYLESHEET: &str = include_str!("console/console.css");

pub(crate) async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], STYLESHEET)
}

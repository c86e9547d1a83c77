//! Errors of the API and how they answer: JSON `{"error": …}` with a status that says whose fault it is.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use saaswarden_app::govern::GovernError;
use saaswarden_store::StoreError;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No or a wrong credential.
    #[error("{0}")]
    Unauthenticated(String),
    /// A valid caller without the role the request needs.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// A parameter or body field is wrong; the message names it.
    #[error("{0}")]
    BadRequest(String),
    /// The request is valid but the record's state does not allow it (a governance rail, say).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("governance: {0}")]
    Govern(GovernError),
    /// A service the request needs cannot be reached (the identity provider's keys, say).
    #[error("{0}")]
    Unavailable(String),
}

impl From<GovernError> for ApiError {
    fn from(error: GovernError) -> Self {
        match error {
            GovernError::Invalid(message) => ApiError::Conflict(message),
            GovernError::Store(store) => ApiError::Store(store),
            other => ApiError::Govern(other),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::Store(StoreError::NotFound { .. }) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) | ApiError::Store(StoreError::Invalid(_)) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) | ApiError::Store(StoreError::Conflict { .. }) => StatusCode::CONFLICT,
            ApiError::Govern(_) => StatusCode::BAD_GATEWAY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

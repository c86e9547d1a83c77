//! The HTTP API (`/api/v1/…`, JSON) and the analyst console (server-rendered HTML), one axum router over the
//! storage ports. `saaswarden serve` runs it on the SQLite store; the `api` Lambda function runs it on the
//! DynamoDB adapters behind API Gateway. Neither the router nor its queries know which.
//!
//! Must not depend on a cloud SDK: the local binary compiles this crate.

pub mod auth;
pub mod catalog;
pub mod console;
pub mod cursor;
pub mod error;
pub mod openapi;
pub mod queries;
mod routes;
pub mod sign_in;
pub mod state;

pub use auth::{Auth, Caller, ClaimRules, JwtClaims, Role};
pub use catalog::{PolicyInfo, builtin_policies, policies};
pub use error::ApiError;
pub use routes::router;
pub use sign_in::{SignIn, SignInError};
pub use state::{Api, Store};

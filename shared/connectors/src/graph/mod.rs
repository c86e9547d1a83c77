//! Microsoft Graph: the identity provider governance acts through, and the directory terminated users
//! come from. Same shape as the other connectors: `wire` (Graph's JSON), `client` (token cache, the
//! governance actions), `directory` (the users delta feed). HTTP plumbing — retries, `Retry-After`,
//! backoff, the injectable clock and sleeper, redacted secrets — is the shared [`crate::http`].

mod client;
mod directory;
mod provider;
mod wire;

pub use client::{GraphClient, GraphConnection};
pub use provider::{Provider, ProviderError};

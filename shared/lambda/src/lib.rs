//! What the Lambda functions share, so each `functions/<name>/src/main.rs` stays a few lines: settings read
//! from the environment and checked once per cold start (a wrong setting fails the start with the variable
//! named, never a half-working function), assets that are either built into the binary or read from S3
//! (configuration, custom policies, GeoIP databases), and the event handlers, written against the ports so
//! the end-to-end tests run them against moto server exactly as Lambda would.

pub mod assets;
pub mod detector;
pub mod notifier;
pub mod settings;
pub mod telemetry;

pub use assets::{AssetError, Assets, Location};
pub use settings::{SettingError, Settings};

/// Why a function could not start: the message names the variable, file or object at fault.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Setting(#[from] SettingError),
    #[error(transparent)]
    Asset(#[from] AssetError),
    #[error("{0}")]
    Invalid(String),
}

/// The event types the mains name, so they need no other crate.
pub use aws_lambda_events::event as events;
pub use lambda_runtime;

/// The SDK configuration of the function's role and region, loaded once per cold start.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

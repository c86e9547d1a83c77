//! What the Lambda functions share, so each `functions/<name>/src/main.rs` stays a few lines: settings read
//! from the environment and checked once per cold start (a wrong setting fails the start with the variable
//! named, never a half-working function), assets that are either built into the binary or read from S3
//! (configuration, custom policies, GeoIP databases), and the event handlers, written against the ports so
//! the end-to-end tests run them against moto server exactly as Lambda would.

pub mod api;
pub mod assets;
pub mod collector;
pub mod detector;
pub mod directory_sync;
pub mod governance;
pub mod notifier;
pub mod secrets;
pub mod settings;
pub mod telemetry;

pub use assets::{AssetError, Assets, Location};
pub use settings::{SettingError, Settings};

/// Where the configuration TOML comes from: `bundled` (the defaults) or `s3://bucket/key`.
pub const CONFIG_VARIABLE: &str = "SAASWARDEN_CONFIG";

/// An asset location from `variable`, or `default` when it is unset.
pub fn location(settings: &Settings, variable: &str, default: Location) -> Result<Location, StartError> {
    match settings.get(variable) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|message| StartError::Setting(SettingError::Invalid { variable: variable.to_string(), message })),
    }
}

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
/// The HTTP adapter of the `api` function's main.
pub use lambda_http;
pub use lambda_runtime;

/// The SDK configuration of the function's role and region, loaded once per cold start.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

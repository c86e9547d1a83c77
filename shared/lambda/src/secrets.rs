//! The credentials secret, read once per cold start: names the configuration uses (`token_env`,
//! `client_secret_env`) are its keys in Lambda, as they are environment variables locally.

use aws_config::SdkConfig;
use saaswarden_aws::{SecretValues, load_secret_values};
use saaswarden_connectors::http::Secret;

use crate::{Settings, StartError};

pub const SECRET_VARIABLE: &str = "CREDENTIALS_SECRET_ID";

/// The secret's values.
pub async fn load(settings: &Settings, sdk: &SdkConfig) -> Result<SecretValues, StartError> {
    let id = settings.required(SECRET_VARIABLE, "the Secrets Manager secret holding the tokens")?;
    load_secret_values(&aws_sdk_secretsmanager::Client::new(sdk), &id)
        .await
        .map_err(|e| StartError::Invalid(e.to_string()))
}

/// The value named `name`, as the connectors' redacting secret.
pub fn get(values: &SecretValues, name: &str) -> Result<Secret, StartError> {
    values.get(name).map(|s| Secret::new(s.expose())).map_err(|e| StartError::Invalid(e.to_string()))
}

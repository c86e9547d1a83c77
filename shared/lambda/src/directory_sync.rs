//! The directory-sync function: on its schedule, disabled and deleted Entra ID users (Graph delta query,
//! delta link kept in the state table) → the directory table, for every tenant in `TENANTS`, feeding the
//! terminated-user detection.

use aws_config::SdkConfig;
use chrono::Utc;
use saaswarden_app::govern::sync_directory;
use saaswarden_aws::{DynamoStore, StoreSettings, Tables};
use saaswarden_connectors::graph::Provider;
use serde_json::{Value, json};
use tracing::info;

use crate::{Settings, StartError};

pub const TENANTS_VARIABLE: &str = "TENANTS";

pub struct DirectorySync {
    tenants: Vec<String>,
    store: DynamoStore,
    provider: Provider,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SyncFailed(String);

impl DirectorySync {
    pub async fn start(settings: &Settings, sdk: &SdkConfig) -> Result<DirectorySync, StartError> {
        let tables = Tables::from_lookup(|name| settings.get(name)).map_err(StartError::Invalid)?;
        let tenants: Vec<String> = settings
            .required(TENANTS_VARIABLE, "the tenants whose directory is synced")?
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        let (_, provider) = crate::governance::provider(settings, sdk).await?;
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), tables, StoreSettings::default());
        Ok(DirectorySync { tenants, store, provider })
    }

    pub async fn handle(&self) -> Result<Value, SyncFailed> {
        let mut reports = Vec::new();
        for tenant in &self.tenants {
            let report = sync_directory(&self.store, &self.provider, tenant, Utc::now())
                .await
                .map_err(|e| SyncFailed(format!("tenant {tenant}: {e}")))?;
            info!(
                tenant = %tenant, changes = report.changes, terminations = report.terminations,
                reinstated = report.reinstated, "directory synced"
            );
            reports.push(json!({
                "tenant": tenant, "incremental": report.incremental, "changes": report.changes,
                "terminations": report.terminations, "reinstated": report.reinstated,
            }));
        }
        Ok(json!({ "tenants": reports }))
    }
}

//! The governance function: decisions from the FIFO decisions queue → `Governor::execute` on DynamoDB's
//! governance log and Microsoft Graph. Each (alert, action) is claimed once, so a redelivered decision
//! acts on nothing; a decision that cannot be read, or whose execution failed on storage, is reported
//! back for redelivery (and ends in the dead-letter queue). Outcomes of the action itself — succeeded,
//! failed with Graph's error, skipped, pending approval — are recorded in the log, not retried here.

use std::collections::HashSet;

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chrono::Utc;
use saaswarden_app::govern::Governor;
use saaswarden_aws::{DynamoStore, StoreSettings, Tables};
use saaswarden_connectors::graph::Provider;
use saaswarden_core::config::GovernanceSettings;
use saaswarden_core::governance::Decision;
use tracing::{error, info};

use crate::{CONFIG_VARIABLE, Location, Settings, StartError, location, secrets};

/// `true`/`false`: overrides the configuration's `governance.dry_run` (the template's DryRun parameter).
pub const DRY_RUN_VARIABLE: &str = "DRY_RUN";

pub struct GovernanceFunction {
    settings: GovernanceSettings,
    store: DynamoStore,
    provider: Provider,
}

impl GovernanceFunction {
    pub async fn start(settings: &Settings, sdk: &SdkConfig) -> Result<GovernanceFunction, StartError> {
        let tables = Tables::from_lookup(|name| settings.get(name)).map_err(StartError::Invalid)?;
        let (governance, provider) = provider(settings, sdk).await?;
        info!(dry_run = governance.dry_run, "governance started");
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), tables, StoreSettings::default());
        Ok(GovernanceFunction { settings: governance, store, provider })
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let governor = Governor { settings: &self.settings, log: &self.store, idp: &self.provider };
        let mut failed = Vec::new();
        // A FIFO group (an alert) stops at its first failure: its later decisions are reported back too, so
        // they come again after it, in order (a notice must not go out before the suspension it announces).
        let mut failed_groups: HashSet<String> = HashSet::new();
        for record in event.records {
            let id = record.message_id.unwrap_or_default();
            let group = record.attributes.get("MessageGroupId").cloned();
            if group.as_ref().is_some_and(|group| failed_groups.contains(group)) {
                info!(message_id = %id, "an earlier decision of its group failed; held back");
                failed.push(id);
                continue;
            }
            let body = record.body.unwrap_or_default();
            let decision: Decision = match serde_json::from_str(&body) {
                Ok(decision) => decision,
                Err(e) => {
                    error!(message_id = %id, error = %e, "unreadable decision");
                    failed.push(id);
                    failed_groups.extend(group);
                    continue;
                }
            };
            match governor.execute(&decision, Utc::now()).await {
                Ok(executed) => info!(
                    message_id = %id, alert = %decision.alert_id, action = %decision.action.as_str(),
                    status = ?executed.entry().status, "decision handled"
                ),
                Err(e) => {
                    error!(message_id = %id, alert = %decision.alert_id, error = %e, "decision failed; will retry");
                    failed.push(id);
                    failed_groups.extend(group);
                }
            }
        }
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = failed
            .into_iter()
            .map(|item_identifier| {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = item_identifier;
                failure
            })
            .collect();
        response
    }
}

/// The governance settings (with `DRY_RUN` applied) and the identity provider they ask for, its client
/// secret from the credentials secret. Shared with directory sync.
pub(crate) async fn provider(
    settings: &Settings,
    sdk: &SdkConfig,
) -> Result<(GovernanceSettings, Provider), StartError> {
    let assets = crate::Assets::new(aws_sdk_s3::Client::new(sdk));
    let config = assets.config(&location(settings, CONFIG_VARIABLE, Location::Bundled)?).await?;
    let mut governance = config.governance.clone();
    governance.dry_run = settings.flag(DRY_RUN_VARIABLE, governance.dry_run)?;
    if !governance.dry_run && (!governance.graph.is_configured() || governance.allowed_domains.is_empty()) {
        return Err(StartError::Invalid(format!(
            "{DRY_RUN_VARIABLE}=false needs governance.graph.tenant_id, client_id and governance.allowed_domains \
             in the configuration ({CONFIG_VARIABLE})"
        )));
    }
    let secret = if governance.graph.is_configured() {
        let values = secrets::load(settings, sdk).await?;
        match secrets::get(&values, &governance.graph.client_secret_env) {
            Ok(secret) => Some(secret),
            Err(_) if governance.dry_run => None,
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let provider = Provider::from_settings(&governance, secret)
        .map_err(|e| StartError::Invalid(format!("governance.graph: {e}")))?;
    Ok((governance, provider))
}

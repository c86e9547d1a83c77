//! The collector function: a schedule's `{"app": "slack"|"zendesk"}` (optionally `"tenant"`) → every
//! matching `[[sources]]` entry of the configuration collected from its checkpoint onto the FIFO
//! activities queue (a Zendesk source with `access_logs = true` is two streams: audit and access logs).
//! Each stream's checkpoint lag is logged as a CloudWatch embedded metric
//! (`saaswarden` / `CheckpointLagSeconds`), which the staleness alarm watches.

use std::time::Duration;

use aws_config::SdkConfig;
use chrono::Utc;
use saaswarden_app::{CollectReport, CollectSettings, collect_once, stream_budget};
use saaswarden_aws::{DynamoStore, SecretValues, SqsActivityQueue, StoreSettings, Tables};
use saaswarden_connectors::{Stream, streams};
use saaswarden_core::App;
use saaswarden_core::config::{Config, SourceSettings};
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::{error, info, warn};

use crate::{Assets, CONFIG_VARIABLE, Location, Settings, StartError, location, secrets};

pub const QUEUE_VARIABLE: &str = "ACTIVITIES_QUEUE_URL";
/// Seconds one invocation may spend collecting; keep it at least 60 s below the function's timeout.
pub const BUDGET_VARIABLE: &str = "TIME_BUDGET_SECONDS";

/// What a schedule sends.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectorInput {
    #[serde(default)]
    pub app: Option<App>,
    #[serde(default)]
    pub tenant: Option<String>,
}

pub struct Collector {
    config: Config,
    secrets: SecretValues,
    checkpoints: DynamoStore,
    queue: SqsActivityQueue,
    budget: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CollectFailed(String);

impl Collector {
    pub async fn start(settings: &Settings, sdk: &SdkConfig) -> Result<Collector, StartError> {
        let tables = Tables::from_lookup(|name| settings.get(name)).map_err(StartError::Invalid)?;
        let queue_url = settings.required(QUEUE_VARIABLE, "the FIFO queue activities go to")?;
        let budget = Duration::from_secs(settings.parsed(BUDGET_VARIABLE, 240_u64)?);
        let assets = Assets::new(aws_sdk_s3::Client::new(sdk));
        let config_location = location(settings, CONFIG_VARIABLE, Location::Bundled)?;
        let config = assets.config(&config_location).await?;
        if config.sources.is_empty() {
            return Err(StartError::Invalid(format!(
                "{CONFIG_VARIABLE} ({config_location}) has no [[sources]]: nothing to collect (docs/deploy.md)"
            )));
        }
        let secrets = secrets::load(settings, sdk).await?;
        // Every source's token must be there before any request: a missing one names its key.
        for (i, source) in config.sources.iter().enumerate() {
            secrets::get(&secrets, &source.token_env)
                .map_err(|e| StartError::Invalid(format!("sources[{i}].token_env: {e}")))?;
        }
        Ok(Collector {
            config,
            secrets,
            checkpoints: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), tables, StoreSettings::default()),
            queue: SqsActivityQueue::new(aws_sdk_sqs::Client::new(sdk), queue_url),
            budget,
        })
    }

    /// Collects every source the input selects, one after another within the time budget. Fails (so the
    /// errors alarm sees it) when a source stopped on a permanent error; progress made is kept either way.
    pub async fn handle(&self, input: CollectorInput) -> Result<Value, CollectFailed> {
        let started = std::time::Instant::now();
        let selected: Vec<&SourceSettings> = self
            .config
            .sources
            .iter()
            .filter(|s| input.app.is_none_or(|app| s.app == app))
            .filter(|s| input.tenant.as_deref().is_none_or(|t| s.tenant_or(&self.config.tenant) == t))
            .collect();
        let mut summaries = Vec::new();
        let mut failures = Vec::new();
        for source in selected {
            let streams = match self.streams(source) {
                Ok(streams) => streams,
                Err(e) => {
                    failures.push(e);
                    continue;
                }
            };
            // The source's streams share its budget, itself capped by what is left of the invocation's.
            let source_started = std::time::Instant::now();
            let source_budget = source.time_budget.min(self.budget.saturating_sub(started.elapsed()));
            for (i, stream) in streams.iter().enumerate() {
                let mut settings = CollectSettings::from_source(source, &self.config.tenant);
                settings.time_budget = stream_budget(source_budget, source_started.elapsed(), streams.len() - i);
                let progress = |_: &CollectReport| {};
                let report = match collect_once(&settings, stream, &self.checkpoints, &self.queue, &progress).await {
                    Ok(report) => report,
                    Err(e) => {
                        failures.push(e.to_string());
                        continue;
                    }
                };
                emit_lag(&report);
                if let Some(error) = &report.error {
                    let permanent = !error.is_transient();
                    error!(tenant = %report.tenant, stream = %report.stream, permanent, error = %error, "source stopped");
                    if permanent {
                        failures.push(format!("{} {}: {error}", report.stream, report.tenant));
                    }
                }
                for rejected in &report.rejected {
                    warn!(rejected = %rejected, "entry rejected");
                }
                summaries.push(json!({
                    "tenant": report.tenant, "stream": report.stream, "pages": report.pages,
                    "entries": report.entries, "activities_sent": report.activities_sent,
                    "rejected": report.rejected.len(), "out_of_time": report.out_of_time,
                }));
            }
        }
        info!(sources = summaries.len(), failures = failures.len(), "collection finished");
        if failures.is_empty() { Ok(json!({ "sources": summaries })) } else { Err(CollectFailed(failures.join("; "))) }
    }

    /// The streams of one source, with its token from the credentials secret.
    fn streams(&self, source: &SourceSettings) -> Result<Vec<Stream>, String> {
        let label = format!("{} {}", source.app, source.tenant_or(&self.config.tenant));
        let token = secrets::get(&self.secrets, &source.token_env).map_err(|e| format!("{label}: {e}"))?;
        streams(source, token).map_err(|e| format!("{label}: {e}"))
    }
}

/// One embedded-metric-format line: CloudWatch turns it into `CheckpointLagSeconds`, with no dimension
/// (for the alarm) and per tenant and stream (to find which).
fn emit_lag(report: &CollectReport) {
    let Some(checkpoint) = report.checkpoint else { return };
    let lag = (Utc::now() - checkpoint).num_seconds().max(0);
    let line = json!({
        "_aws": {
            "Timestamp": Utc::now().timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": "saaswarden",
                "Dimensions": [[], ["Tenant", "Stream"]],
                "Metrics": [{ "Name": "CheckpointLagSeconds", "Unit": "Seconds" }]
            }]
        },
        "Tenant": report.tenant,
        "Stream": report.stream,
        "CheckpointLagSeconds": lag,
    });
    println!("{line}");
}

//! The collector function: a schedule's `{"app": "slack"|"zendesk"}` (optionally `"tenant"`) → every
//! matching `[[sources]]` entry of the configuration collected from its checkpoint onto the FIFO
//! activities queue (a Zendesk source with `access_logs = true` is two streams: audit and access logs).
//! Each stream's checkpoint lag is logged as a CloudWatch embedded metric
//! (`saaswarden` / `CheckpointLagSeconds`), which the staleness alarm watches.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use chrono::Utc;
use saaswarden_app::{CollectReport, CollectSettings, HAND_GRACE, collect_once, stream_budget};
use saaswarden_aws::{DynamoStore, SqsActivityQueue, StoreSettings, Tables};
use saaswarden_connectors::{Stream, streams};
use saaswarden_core::App;
use saaswarden_core::config::Config;
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::{error, info, warn};

use crate::{Assets, CONFIG_VARIABLE, Location, Settings, StartError, location, secrets};

pub const QUEUE_VARIABLE: &str = "ACTIVITIES_QUEUE_URL";
/// Seconds one invocation may spend collecting; an invocation also keeps [`RESERVE`] of its own time.
pub const BUDGET_VARIABLE: &str = "TIME_BUDGET_SECONDS";

/// What an invocation keeps back from its remaining time: [`HAND_GRACE`] for the user lookups of a window
/// read up to the budget, and as long again to send its activities and save the checkpoint.
pub const RESERVE: Duration = Duration::from_secs(2 * HAND_GRACE.as_secs());

/// The collecting budget of an invocation with `time_left` before Lambda stops it: the configured budget,
/// cut so that [`RESERVE`] is always left.
pub fn invocation_budget(configured: Duration, time_left: Option<Duration>) -> Duration {
    time_left.map_or(configured, |left| configured.min(left.saturating_sub(RESERVE)))
}

/// The time left before an invocation's `deadline` (the runtime's `Context::deadline()`); none once past.
pub fn time_left(deadline: SystemTime) -> Duration {
    deadline.duration_since(SystemTime::now()).unwrap_or_default()
}

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
    /// Each source's streams (or why they could not be built), built once per cold start: a warm
    /// container keeps their request budgets and Zendesk's users cache from one invocation to the next.
    streams: Vec<Result<Vec<Stream>, String>>,
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
        let mut built = Vec::with_capacity(config.sources.len());
        for (i, source) in config.sources.iter().enumerate() {
            let token = secrets::get(&secrets, &source.token_env)
                .map_err(|e| StartError::Invalid(format!("sources[{i}].token_env: {e}")))?;
            let label = format!("{} {}", source.app, source.tenant_or(&config.tenant));
            built.push(streams(source, token).map_err(|e| format!("{label}: {e}")));
        }
        Ok(Collector {
            config,
            streams: built,
            checkpoints: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), tables, StoreSettings::default()),
            queue: SqsActivityQueue::new(aws_sdk_sqs::Client::new(sdk), queue_url),
            budget,
        })
    }

    /// Collects every source the input selects, one after another within the time budget (cut to what
    /// `time_left` before Lambda's deadline allows). Fails (so the errors alarm sees it) when a source
    /// stopped on a permanent error; progress made is kept either way.
    pub async fn handle(&self, input: CollectorInput, time_left: Option<Duration>) -> Result<Value, CollectFailed> {
        let started = std::time::Instant::now();
        let budget = invocation_budget(self.budget, time_left);
        if budget.is_zero() {
            // Only a function timeout shorter than the reserve does this: fail loudly rather than collect
            // nothing at every invocation with only the staleness alarm to tell.
            let (left, reserve) = (time_left.unwrap_or_default().as_secs(), RESERVE.as_secs());
            return Err(CollectFailed(format!(
                "no time to collect: the invocation had {left} s left and keeps {reserve} s in reserve; set \
                 the function's Timeout above {reserve} s (the template uses 300 s)"
            )));
        }
        let selected = self
            .config
            .sources
            .iter()
            .zip(&self.streams)
            .filter(|(s, _)| input.app.is_none_or(|app| s.app == app))
            .filter(|(s, _)| input.tenant.as_deref().is_none_or(|t| s.tenant_or(&self.config.tenant) == t));
        let mut summaries = Vec::new();
        let mut failures = Vec::new();
        for (source, streams) in selected {
            let streams: &[Stream] = match streams {
                Ok(streams) => streams,
                Err(e) => {
                    failures.push(e.clone());
                    continue;
                }
            };
            // The source's streams share its budget, itself capped by what is left of the invocation's.
            let source_started = std::time::Instant::now();
            let source_budget = source.time_budget.min(budget.saturating_sub(started.elapsed()));
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
                emit_oversized(&report);
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
                    "trimmed": report.trimmed, "set_aside": report.set_aside,
                }));
            }
        }
        info!(sources = summaries.len(), failures = failures.len(), "collection finished");
        if failures.is_empty() { Ok(json!({ "sources": summaries })) } else { Err(CollectFailed(failures.join("; "))) }
    }
}

/// `CheckpointLagSeconds`: how far behind now the stream's checkpoint is (the staleness alarm).
fn emit_lag(report: &CollectReport) {
    let Some(checkpoint) = report.checkpoint else { return };
    let lag = (Utc::now() - checkpoint).num_seconds().max(0);
    emit_metric(report, "CheckpointLagSeconds", "Seconds", lag);
}

/// `OversizedEntries`: activities too large for the queue, trimmed or set aside (the template's
/// `OversizedEntriesAlarm`); only written when there are some.
fn emit_oversized(report: &CollectReport) {
    let count = report.trimmed.len() + report.set_aside.len();
    if count > 0 {
        emit_metric(report, "OversizedEntries", "Count", i64::try_from(count).unwrap_or(i64::MAX));
    }
}

/// One embedded-metric-format line: CloudWatch turns it into the metric `name` in namespace `saaswarden`,
/// with no dimension (for the alarms) and per tenant and stream (to find which).
fn emit_metric(report: &CollectReport, name: &str, unit: &str, value: i64) {
    let line = json!({
        "_aws": {
            "Timestamp": Utc::now().timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": "saaswarden",
                "Dimensions": [[], ["Tenant", "Stream"]],
                "Metrics": [{ "Name": name, "Unit": unit }]
            }]
        },
        "Tenant": report.tenant,
        "Stream": report.stream,
        name: value,
    });
    println!("{line}");
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::{RESERVE, invocation_budget, time_left};

    #[test]
    fn an_invocation_always_keeps_its_reserve() {
        let configured = Duration::from_secs(240);
        assert_eq!(invocation_budget(configured, None), configured);
        // A 300 s function: 180 s to collect, 120 s for a partial window's lookups, the send and the save.
        assert_eq!(invocation_budget(configured, Some(Duration::from_secs(300))), Duration::from_secs(180));
        assert_eq!(invocation_budget(configured, Some(Duration::from_secs(900))), configured);
        assert_eq!(invocation_budget(configured, Some(RESERVE / 2)), Duration::ZERO);
    }

    #[test]
    fn time_left_counts_down_to_the_deadline_and_stops_at_zero() {
        let left = time_left(SystemTime::now() + Duration::from_secs(300));
        assert!(left <= Duration::from_secs(300) && left > Duration::from_secs(290), "{left:?}");
        assert_eq!(time_left(SystemTime::UNIX_EPOCH), Duration::ZERO);
    }
}

//! The detector function: a delivery of the FIFO activities queue → detection on DynamoDB → the failed
//! messages reported back (`ReportBatchItemFailures`), so only they are delivered again.

use std::path::Path;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use saaswarden_app::{Detectors, Message, Policies, detect_messages_while};
use saaswarden_aws::{DynamoStore, StoreSettings, Tables};
use saaswarden_core::detect::Engine;
use saaswarden_core::enrich::Enricher;
use tracing::info;

use crate::{Assets, CONFIG_VARIABLE, Location, Settings, StartError, location};

/// Environment variables the detector reads (besides the table names and `SAASWARDEN_CONFIG`).
pub const POLICIES_VARIABLE: &str = "POLICIES_LOCATION";
pub const GEOIP_VARIABLE: &str = "GEOIP_LOCATION";
pub const RETENTION_VARIABLE: &str = "RETENTION_DAYS";

/// The time a message of 100 activities may take at worst (reads, alert merges, conditional writes, with
/// the SDK's retries); a message is not started with less left.
pub const MESSAGE_RESERVE: Duration = Duration::from_secs(10);

/// Everything the detector builds once per cold start.
pub struct Detector {
    store: DynamoStore,
    engine: Engine,
    policies: Option<Policies>,
    enricher: Box<dyn Enricher>,
}

impl Detector {
    /// Reads and checks every setting and asset; any problem fails the cold start with its name.
    pub async fn start(settings: &Settings, sdk: &SdkConfig) -> Result<Detector, StartError> {
        Detector::start_with_dynamodb(settings, sdk, aws_sdk_dynamodb::Client::new(sdk)).await
    }

    /// [`Detector::start`] with the store on a given DynamoDB client (the cost bench counts its requests).
    pub async fn start_with_dynamodb(
        settings: &Settings,
        sdk: &SdkConfig,
        dynamodb: aws_sdk_dynamodb::Client,
    ) -> Result<Detector, StartError> {
        let tables = Tables::from_lookup(|name| settings.get(name)).map_err(StartError::Invalid)?;
        let retention_days = settings.parsed(RETENTION_VARIABLE, StoreSettings::default().retention_days)?;
        let location = |variable: &str, default: Location| location(settings, variable, default);
        let assets = Assets::new(aws_sdk_s3::Client::new(sdk));
        let config = assets.config(&location(CONFIG_VARIABLE, Location::Bundled)?).await?;
        let policies = assets.policies(&location(POLICIES_VARIABLE, Location::Bundled)?, &config).await?;
        let scratch = std::env::temp_dir().join("saaswarden-geoip");
        let enricher =
            assets.enricher(&location(GEOIP_VARIABLE, Location::None)?, &config, Path::new(&scratch)).await?;
        let store = DynamoStore::new(dynamodb, tables, StoreSettings { retention_days });
        info!(policies = policies.as_ref().map_or(0, PolicySetLen::count), "detector started");
        Ok(Detector { store, engine: Engine::from_config(&config), policies: policies.map(Policies::new), enricher })
    }

    /// The store the detector writes to.
    pub fn store(&self) -> &DynamoStore {
        &self.store
    }

    /// One delivery: every message detected in order; the failed ones reported back.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        self.handle_until(event, None).await
    }

    /// [`Detector::handle`] watching the invocation's `deadline` (the runtime's `Context::deadline()`): a
    /// message is started only with [`MESSAGE_RESERVE`] left, and the rest are reported back unprocessed.
    /// Timing out instead would bring the whole delivery back.
    pub async fn handle_until(&self, event: SqsEvent, deadline: Option<SystemTime>) -> SqsBatchResponse {
        let mut unnamed = 0;
        let messages: Vec<Message> = event
            .records
            .into_iter()
            .map(|record| {
                let id = record.message_id.unwrap_or_else(|| {
                    unnamed += 1;
                    format!("(message without id #{unnamed})")
                });
                let group = record.attributes.get("MessageGroupId").cloned();
                Message { id, group, body: record.body.unwrap_or_default() }
            })
            .collect();
        let detectors =
            Detectors { engine: &self.engine, policies: self.policies.as_ref(), enricher: self.enricher.as_ref() };
        let time_remains = || deadline.is_none_or(|deadline| crate::collector::time_left(deadline) > MESSAGE_RESERVE);
        let report = detect_messages_while(&detectors, &self.store, messages, &time_remains).await;
        info!(
            activities = report.detected.activities,
            new = report.detected.new_activities,
            alerts_created = report.detected.alerts_created,
            failed = report.failed.len(),
            "delivery detected"
        );
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = report
            .failed_ids()
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

/// `PolicySet::len` for the start log.
trait PolicySetLen {
    fn count(&self) -> usize;
}

impl PolicySetLen for saaswarden_policy::PolicySet {
    fn count(&self) -> usize {
        self.len()
    }
}

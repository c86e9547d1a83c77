//! The notifier function: the alerts table's stream → "Alert Created" / "Alert Updated" events on the
//! EventBridge bus, and the governance decisions each new alert asks for (its policy's or detection's
//! `governance` settings) → the decisions queue. Rules on the bus (in the template) fan events out to
//! SNS and to a webhook, so this function has no notification code of its own.
//!
//! Why here and not in the detector: the stream carries each alert's creation once per change, whichever
//! detector run created it, so decisions need no bookkeeping of which alerts are new.

use aws_config::SdkConfig;
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use saaswarden_aws::{AlertEvent, EventPublisher, SqsDecisionQueue, alert_event, created_alert};
use saaswarden_core::config::Config;
use saaswarden_core::governance::{Decision, decisions_for_alert};
use tracing::{error, info};

use crate::{Assets, Settings, StartError, location};

pub const BUS_VARIABLE: &str = "ALERTS_EVENT_BUS";
pub const DECISIONS_VARIABLE: &str = "DECISIONS_QUEUE_URL";

pub struct Notifier {
    publisher: EventPublisher,
    decisions: SqsDecisionQueue,
    config: Config,
}

impl Notifier {
    pub async fn start(settings: &Settings, sdk: &SdkConfig) -> Result<Notifier, StartError> {
        let bus = settings.required(BUS_VARIABLE, "the EventBridge bus alert events go to")?;
        let queue = settings.required(DECISIONS_VARIABLE, "the FIFO queue governance decisions go to")?;
        let assets = Assets::new(aws_sdk_s3::Client::new(sdk));
        let config = assets.config(&location(settings, crate::CONFIG_VARIABLE, crate::Location::Bundled)?).await?;
        Ok(Notifier {
            publisher: EventPublisher::new(aws_sdk_eventbridge::Client::new(sdk), bus),
            decisions: SqsDecisionQueue::new(aws_sdk_sqs::Client::new(sdk), queue),
            config,
        })
    }

    /// Publishes the events and sends the decisions of a stream batch, in order. A record that cannot be
    /// read, or a failed publish or send, is reported as the batch's first failure: the stream retries from
    /// there and, after its retry limit, sends the record's position to the on-failure queue — nothing is
    /// dropped silently. A retry may publish an event twice; consumers key on the alert id and its
    /// `updated_at`, and a decision is executed once per (alert, action) whatever its deliveries.
    pub async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        let mut events: Vec<AlertEvent> = Vec::new();
        let mut decisions: Vec<Decision> = Vec::new();
        let mut unreadable: Option<Option<String>> = None;
        let first_sequence = event.records.first().and_then(|r| r.change.sequence_number.clone());
        for record in &event.records {
            let read = alert_event(record).and_then(|event| Ok((event, created_alert(record)?)));
            match read {
                Ok((event, created)) => {
                    events.extend(event);
                    if let Some(alert) = created {
                        decisions.extend(decisions_for_alert(&alert, &self.config));
                    }
                }
                Err(e) => {
                    error!(error = %e, "unreadable alert stream record");
                    unreadable = Some(record.change.sequence_number.clone());
                    break;
                }
            }
        }
        let mut failure = unreadable.flatten();
        let published = if events.is_empty() { Ok(()) } else { self.publisher.publish(&events).await };
        if let Err(e) = published {
            error!(error = %e, "publishing alert events failed; the stream will retry");
            failure = first_sequence.clone();
        } else if let Err(e) = self.decisions.send(&decisions).await {
            error!(error = %e, "sending governance decisions failed; the stream will retry");
            failure = first_sequence;
        } else {
            info!(events = events.len(), decisions = decisions.len(), "alert events published");
        }
        let mut response = DynamoDbEventResponse::default();
        if let Some(item_identifier) = failure {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(item_identifier);
            response.batch_item_failures.push(failure);
        }
        response
    }
}

//! The notifier function: the alerts table's stream → "Alert Created" / "Alert Updated" events on the
//! EventBridge bus. Rules on the bus (in the template) fan them out to SNS and to a webhook, so this
//! function has no notification code of its own.

use aws_config::SdkConfig;
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use saaswarden_aws::{AlertEvent, EventPublisher, alert_event};
use tracing::{error, info};

use crate::{Settings, StartError};

pub const BUS_VARIABLE: &str = "ALERTS_EVENT_BUS";

pub struct Notifier {
    publisher: EventPublisher,
}

impl Notifier {
    pub fn start(settings: &Settings, sdk: &SdkConfig) -> Result<Notifier, StartError> {
        let bus = settings.required(BUS_VARIABLE, "the EventBridge bus alert events go to")?;
        Ok(Notifier { publisher: EventPublisher::new(aws_sdk_eventbridge::Client::new(sdk), bus) })
    }

    /// Publishes the events of a stream batch, in order. A record that cannot be read, or a failed
    /// publish, is reported as the batch's first failure: the stream retries from there and, after its
    /// retry limit, sends the record's details to the on-failure queue — nothing is dropped silently.
    pub async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        let mut events: Vec<AlertEvent> = Vec::new();
        let mut first_failure: Option<String> = None;
        let mut sequence_numbers: Vec<Option<String>> = Vec::new();
        for record in &event.records {
            match alert_event(record) {
                Ok(Some(alert)) => {
                    events.push(alert);
                    sequence_numbers.push(record.change.sequence_number.clone());
                }
                Ok(None) => {}
                Err(e) => {
                    error!(error = %e, "unreadable alert stream record");
                    first_failure = record.change.sequence_number.clone();
                    break;
                }
            }
        }
        if !events.is_empty()
            && let Err(e) = self.publisher.publish(&events).await
        {
            error!(error = %e, "publishing alert events failed; the stream will retry");
            first_failure = sequence_numbers.into_iter().flatten().next().or(first_failure);
        } else {
            info!(events = events.len(), "alert events published");
        }
        let mut response = DynamoDbEventResponse::default();
        if let Some(item_identifier) = first_failure {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(item_identifier);
            response.batch_item_failures.push(failure);
        }
        response
    }
}

//! Alert events on an EventBridge bus, built from the alerts table's stream: a new alert item is an
//! "Alert Created" event, a changed one (evidence grew, an analyst resolved it) an "Alert Updated" event.
//! Rules on the bus route them to SNS, chat webhooks or ticketing.

use aws_lambda_events::dynamodb::EventRecord;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use saaswarden_core::{Alert, AlertStatus};
use serde_json::{Value, json};

use crate::error::backend;

/// The `source` of every event saaswarden puts on the bus.
pub const EVENT_SOURCE: &str = "saaswarden";
pub const ALERT_CREATED: &str = "Alert Created";
pub const ALERT_UPDATED: &str = "Alert Updated";
/// PutEvents takes at most 10 entries and 256 KB per call.
const MAX_ENTRIES: usize = 10;
const MAX_CALL_BYTES: usize = 250 * 1024;
const PUT_RETRIES: usize = 3;

/// One event about an alert: its detail-type and the detail the bus carries.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    pub detail_type: &'static str,
    pub alert_id: String,
    pub detail: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("stream record {event_id}: {detail}")]
    Record { event_id: String, detail: String },
    #[error("{0}")]
    Publish(String),
}

/// The alert stored in a stream image (the item's `body`), if the image is of an alert item.
fn image_alert(event_id: &str, image: &serde_dynamo::Item) -> Result<Option<Alert>, EventError> {
    let image = serde_json::to_value(image).unwrap_or(Value::Null);
    if image.get("sk").and_then(|sk| sk.get("S")).and_then(Value::as_str) != Some("alert") {
        return Ok(None);
    }
    let body = image.get("body").and_then(|b| b.get("S")).and_then(Value::as_str).ok_or_else(|| {
        EventError::Record { event_id: event_id.to_string(), detail: "alert image without a body".to_string() }
    })?;
    serde_json::from_str(body)
        .map(Some)
        .map_err(|e| EventError::Record { event_id: event_id.to_string(), detail: format!("unreadable alert: {e}") })
}

/// The alert a stream record created (an INSERT of an alert item): what governance decisions start from.
pub fn created_alert(record: &EventRecord) -> Result<Option<Alert>, EventError> {
    if record.event_name != "INSERT" {
        return Ok(None);
    }
    image_alert(record.event_id.as_str(), &record.change.new_image)
}

/// The event for one stream record of the alerts table: `None` for deletions (TTL), for items that are not
/// alerts, and for writes that changed nothing an analyst sees. Pure: the notifier publishes the result.
pub fn alert_event(record: &EventRecord) -> Result<Option<AlertEvent>, EventError> {
    let event_id = record.event_id.as_str();
    let new = image_alert(event_id, &record.change.new_image)?;
    let old = image_alert(event_id, &record.change.old_image)?;
    let (detail_type, alert, previous) = match (record.event_name.as_str(), new, old) {
        ("INSERT", Some(alert), _) => (ALERT_CREATED, alert, None),
        ("MODIFY", Some(alert), previous) => {
            if previous.as_ref() == Some(&alert) {
                return Ok(None);
            }
            (ALERT_UPDATED, alert, previous)
        }
        ("INSERT" | "MODIFY" | "REMOVE", _, _) => return Ok(None),
        (other, _, _) => {
            return Err(EventError::Record {
                event_id: event_id.to_string(),
                detail: format!("unknown event name `{other}`"),
            });
        }
    };
    let previous_status: Option<AlertStatus> = previous.as_ref().map(|p| p.status);
    let new_evidence = alert.evidence_total().saturating_sub(previous.as_ref().map_or(0, Alert::evidence_total));
    let detail = json!({
        "alert": alert,
        "previousStatus": previous_status,
        "newEvidence": new_evidence,
    });
    Ok(Some(AlertEvent { detail_type, alert_id: alert.id, detail }))
}

/// Puts alert events on the deployment's bus.
#[derive(Clone, Debug)]
pub struct EventPublisher {
    client: aws_sdk_eventbridge::Client,
    bus_name: String,
}

impl EventPublisher {
    pub fn new(client: aws_sdk_eventbridge::Client, bus_name: impl Into<String>) -> EventPublisher {
        EventPublisher { client, bus_name: bus_name.into() }
    }

    /// Publishes every event, ten per call, resending entries EventBridge failed; the error names the
    /// alerts whose events could not be put.
    pub async fn publish(&self, events: &[AlertEvent]) -> Result<(), EventError> {
        let mut calls: Vec<Vec<(&AlertEvent, String)>> = vec![Vec::new()];
        let mut bytes = 0;
        for event in events {
            let detail = event.detail.to_string();
            let size = detail.len() + event.detail_type.len() + EVENT_SOURCE.len();
            if size > MAX_CALL_BYTES {
                return Err(EventError::Publish(format!(
                    "the event of alert {} is larger than 256 KB",
                    event.alert_id
                )));
            }
            let full = calls.last().is_some_and(|call| call.len() == MAX_ENTRIES || bytes + size > MAX_CALL_BYTES);
            if full {
                calls.push(Vec::new());
                bytes = 0;
            }
            bytes += size;
            if let Some(call) = calls.last_mut() {
                call.push((event, detail));
            }
        }
        for call in calls.into_iter().filter(|call| !call.is_empty()) {
            self.put(call).await?;
        }
        Ok(())
    }

    async fn put(&self, mut call: Vec<(&AlertEvent, String)>) -> Result<(), EventError> {
        for _ in 0..PUT_RETRIES {
            let entries: Vec<PutEventsRequestEntry> = call
                .iter()
                .map(|(event, detail)| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus_name)
                        .source(EVENT_SOURCE)
                        .detail_type(event.detail_type)
                        .detail(detail)
                        .build()
                })
                .collect();
            let output = self.client.put_events().set_entries(Some(entries)).send().await.map_err(|e| {
                EventError::Publish(backend(format!("EventBridge bus {}", self.bus_name), e).to_string())
            })?;
            if output.failed_entry_count == 0 {
                return Ok(());
            }
            // Results are in entry order; keep the failed ones for the next attempt.
            let results = output.entries.unwrap_or_default();
            let mut index = 0;
            call.retain(|_| {
                let failed = results.get(index).is_none_or(|r| r.error_code.is_some());
                index += 1;
                failed
            });
        }
        let ids: Vec<&str> = call.iter().map(|(event, _)| event.alert_id.as_str()).collect();
        Err(EventError::Publish(format!(
            "EventBridge bus {}: events of alerts {} still failing after {PUT_RETRIES} attempts",
            self.bus_name,
            ids.join(", ")
        )))
    }
}

//! The FIFO decisions queue: governance decisions from new alerts to the governance function. One message
//! group per alert keeps an alert's actions in order; the deduplication id is the governance entry id, so
//! a decision sent twice within SQS's five-minute window is delivered once (and the governance log's claim
//! makes any later duplicate act on nothing).

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use saaswarden_core::governance::{Decision, entry_id};
use saaswarden_store::StoreError;

use crate::error::backend;
use crate::queue::send_entries;

#[derive(Clone, Debug)]
pub struct SqsDecisionQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsDecisionQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> SqsDecisionQueue {
        SqsDecisionQueue { client, queue_url: queue_url.into() }
    }

    /// Sends the decisions, ten per call.
    pub async fn send(&self, decisions: &[Decision]) -> Result<(), StoreError> {
        for chunk in decisions.chunks(10) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, decision) in chunk.iter().enumerate() {
                let body = serde_json::to_string(decision)
                    .map_err(|e| StoreError::Invalid(format!("decision for alert {}: {e}", decision.alert_id)))?;
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_group_id(crate::queue::queue_id(&format!("{}#{}", decision.tenant, decision.alert_id)))
                    .message_deduplication_id(entry_id(&decision.tenant, &decision.alert_id, decision.action))
                    .message_body(body)
                    .build()
                    .map_err(|e| backend(format!("SQS queue {}: build message", self.queue_url), e))?;
                entries.push(entry);
            }
            send_entries(&self.client, &self.queue_url, entries).await?;
        }
        Ok(())
    }
}

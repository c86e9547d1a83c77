//! The activities queue on SQS FIFO: one message group per user (`tenant#user`), many activities per
//! message up to SQS's size limit, content-hash deduplication ids, SendMessageBatch (≤ 10 per call).

use std::future::Future;

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};
use saaswarden_store::{ActivityBatch, ActivityQueue, StoreError};
use sha2::{Digest, Sha256};

use crate::error::backend;

/// SQS's limit for one message and for one SendMessageBatch call.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;
/// Room left for the request's own encoding.
const MESSAGE_BUDGET: usize = MAX_PAYLOAD_BYTES - 4 * 1024;
const MAX_ENTRIES: usize = 10;
const SEND_RETRIES: usize = 3;

/// Sends activity batches to the FIFO queue and, for tests and the bench, receives and deletes them.
#[derive(Clone, Debug)]
pub struct SqsActivityQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

/// A received message: its batch, or why the body is not one (a poison message, reported not retried).
#[derive(Debug)]
pub struct ReceivedBatch {
    pub message_id: String,
    pub receipt_handle: String,
    pub batch: Result<ActivityBatch, String>,
}

/// A message body as an activity batch; the error names the message.
pub fn decode_message(message_id: &str, body: &str) -> Result<ActivityBatch, String> {
    serde_json::from_str(body).map_err(|e| format!("message {message_id} is not an activity batch: {e}"))
}

/// SQS allows 1–128 printable ASCII characters in group and deduplication ids; anything else is hashed.
pub(crate) fn queue_id(value: &str) -> String {
    if !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| (33..=126).contains(&b)) {
        value.to_string()
    } else {
        format!("h:{}", hex_sha256(value.as_bytes()))
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Message bodies for one batch: split in halves until each fits one message. An activity too large for
/// a message on its own is returned apart, by id.
fn bodies(
    batch: ActivityBatch,
    out: &mut Vec<(String, String)>,
    too_large: &mut Vec<String>,
) -> Result<(), StoreError> {
    let body = serde_json::to_string(&batch)
        .map_err(|e| StoreError::Invalid(format!("cannot encode the batch of {}: {e}", batch.group_id())))?;
    if body.len() <= MESSAGE_BUDGET {
        out.push((batch.group_id(), body));
        return Ok(());
    }
    if batch.activities.len() <= 1 {
        too_large.extend(batch.activities.into_iter().map(|a| a.id));
        return Ok(());
    }
    let mut first = batch;
    let second_half = first.activities.split_off(first.activities.len() / 2);
    let second = ActivityBatch { tenant: first.tenant.clone(), user: first.user.clone(), activities: second_half };
    bodies(first, out, too_large)?;
    bodies(second, out, too_large)
}

impl SqsActivityQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> SqsActivityQueue {
        SqsActivityQueue { client, queue_url: queue_url.into() }
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    async fn send_batches(&self, batches: Vec<ActivityBatch>) -> Result<(), StoreError> {
        let mut messages = Vec::new();
        let mut too_large = Vec::new();
        for batch in batches.into_iter().filter(|b| !b.activities.is_empty()) {
            bodies(batch, &mut messages, &mut too_large)?;
        }
        // Calls of at most 10 messages and 256 KB, in order: a group's messages keep their order.
        let mut call: Vec<SendMessageBatchRequestEntry> = Vec::new();
        let mut call_bytes = 0;
        for (group, body) in messages {
            if !call.is_empty() && (call.len() == MAX_ENTRIES || call_bytes + body.len() > MESSAGE_BUDGET) {
                self.send_call(std::mem::take(&mut call)).await?;
                call_bytes = 0;
            }
            call_bytes += body.len();
            let entry = SendMessageBatchRequestEntry::builder()
                .id(call.len().to_string())
                .message_group_id(queue_id(&group))
                .message_deduplication_id(hex_sha256(body.as_bytes()))
                .message_body(body)
                .build()
                .map_err(|e| backend(format!("SQS queue {}: build message", self.queue_url), e))?;
            call.push(entry);
        }
        if !call.is_empty() {
            self.send_call(call).await?;
        }
        if !too_large.is_empty() {
            return Err(StoreError::Invalid(format!(
                "activities too large for one SQS message ({MAX_PAYLOAD_BYTES} bytes), not queued: {}",
                too_large.join(", ")
            )));
        }
        Ok(())
    }

    /// One SendMessageBatch, resending the entries SQS failed (same deduplication ids, so no duplicates).
    async fn send_call(&self, entries: Vec<SendMessageBatchRequestEntry>) -> Result<(), StoreError> {
        send_entries(&self.client, &self.queue_url, entries).await
    }

    /// Receives up to `max` (≤ 10) messages, waiting up to `wait_seconds` for the first.
    pub async fn receive(&self, max: i32, wait_seconds: i32) -> Result<Vec<ReceivedBatch>, StoreError> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max.clamp(1, 10))
            .wait_time_seconds(wait_seconds.clamp(0, 20))
            .send()
            .await
            .map_err(|e| backend(format!("SQS queue {}: receive", self.queue_url), e))?;
        Ok(output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|message| {
                let message_id = message.message_id.unwrap_or_default();
                let batch = decode_message(&message_id, message.body.as_deref().unwrap_or(""));
                ReceivedBatch { receipt_handle: message.receipt_handle.unwrap_or_default(), message_id, batch }
            })
            .collect())
    }

    /// Deletes processed messages by receipt handle, ten per call.
    pub async fn delete(&self, receipt_handles: &[String]) -> Result<(), StoreError> {
        for chunk in receipt_handles.chunks(MAX_ENTRIES) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, handle)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(handle)
                        .build()
                        .map_err(|e| backend(format!("SQS queue {}: delete", self.queue_url), e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let output = self
                .client
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| backend(format!("SQS queue {}: delete", self.queue_url), e))?;
            if let Some(failed) = output.failed.first() {
                return Err(StoreError::Invalid(format!(
                    "SQS queue {}: could not delete a message: {} {}",
                    self.queue_url,
                    failed.code,
                    failed.message.as_deref().unwrap_or("")
                )));
            }
        }
        Ok(())
    }
}

/// Room in a message for the batch around one activity (tenant, user, brackets).
const BATCH_ENVELOPE: usize = 2 * 1024;

impl ActivityQueue for SqsActivityQueue {
    fn send(&self, batches: Vec<ActivityBatch>) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.send_batches(batches)
    }

    fn max_activity_bytes(&self) -> usize {
        MESSAGE_BUDGET - BATCH_ENVELOPE
    }
}

/// One SendMessageBatch, resending the entries SQS failed (same deduplication ids, so no duplicates).
pub(crate) async fn send_entries(
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
    mut entries: Vec<SendMessageBatchRequestEntry>,
) -> Result<(), StoreError> {
    for _ in 0..SEND_RETRIES {
        let output = client
            .send_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries.clone()))
            .send()
            .await
            .map_err(|e| backend(format!("SQS queue {}: send", queue_url), e))?;
        if output.failed.is_empty() {
            return Ok(());
        }
        if let Some(fault) = output.failed.iter().find(|f| f.sender_fault) {
            return Err(StoreError::Invalid(format!(
                "SQS queue {} refused a message: {} {}",
                queue_url,
                fault.code,
                fault.message.as_deref().unwrap_or("")
            )));
        }
        let failed: Vec<&str> = output.failed.iter().map(|f| f.id.as_str()).collect();
        entries.retain(|entry| failed.contains(&entry.id.as_str()));
    }
    Err(StoreError::Invalid(format!(
        "SQS queue {}: {} messages still failing after {SEND_RETRIES} attempts",
        queue_url,
        entries.len()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use saaswarden_core::testing::{activity, at_minute};

    #[test]
    fn queue_ids_keep_valid_ids_and_hash_the_rest() {
        assert_eq!(queue_id("acme#alice@x.io"), "acme#alice@x.io");
        let hashed = queue_id("acme#józef@x.io");
        assert!(hashed.starts_with("h:") && hashed.len() == 66, "{hashed}");
        assert!(queue_id(&"a".repeat(129)).starts_with("h:"));
    }

    #[test]
    fn oversized_batches_are_split_into_messages_that_fit() {
        let mut activities = Vec::new();
        for i in 0..60 {
            let mut a = activity(&i.to_string(), "alice@x.io", at_minute(i));
            a.raw = serde_json::json!({ "padding": "x".repeat(10_000) });
            activities.push(a);
        }
        let batch = ActivityBatch { tenant: "acme".into(), user: "alice@x.io".into(), activities };
        let (mut out, mut too_large) = (Vec::new(), Vec::new());
        bodies(batch, &mut out, &mut too_large).expect("encode");
        assert!(out.len() >= 3 && too_large.is_empty(), "{} messages", out.len());
        let mut ids = Vec::new();
        for (group, body) in &out {
            assert!(body.len() <= MESSAGE_BUDGET && group == "acme#alice@x.io");
            ids.extend(decode_message("m", body).expect("decodes").activities.into_iter().map(|a| a.id));
        }
        let expected: Vec<String> = (0..60).map(|i| format!("slack:{i}")).collect();
        assert_eq!(ids, expected, "every activity once, in order");
    }

    #[test]
    fn an_activity_larger_than_a_message_is_named_not_queued() {
        let mut big = activity("big", "alice@x.io", at_minute(0));
        big.raw = serde_json::json!({ "padding": "x".repeat(MAX_PAYLOAD_BYTES) });
        let small = activity("small", "alice@x.io", at_minute(1));
        let batch = ActivityBatch { tenant: "acme".into(), user: "alice@x.io".into(), activities: vec![big, small] };
        let (mut out, mut too_large) = (Vec::new(), Vec::new());
        bodies(batch, &mut out, &mut too_large).expect("encode");
        assert_eq!(too_large, ["slack:big"]);
        assert_eq!(out.len(), 1, "the small one still goes");
    }
}

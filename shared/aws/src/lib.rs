//! The cloud adapters: the ports of `saaswarden-store` on DynamoDB (audit trail, detector state, alerts,
//! directory, checkpoints) and SQS (the FIFO activities queue), alert events on EventBridge, credentials from
//! Secrets Manager, and a request counter for the cost bench.
//!
//! Cost and correctness drive the storage layout; `docs/aws-storage.md` explains it. Clients are built
//! once per process by the caller ([`clients::AwsClients`]) and passed in. This crate must not depend on
//! the command line or on the Lambda runtime; the domain (`saaswarden-core`) knows nothing of it.

pub mod clients;
pub mod decisions;
pub mod dynamo;
pub mod error;
pub mod events;
pub mod metrics;
pub mod queue;
pub mod secrets;
#[cfg(feature = "testing")]
pub mod testing;

pub use clients::{AwsClients, Tables};
pub use decisions::SqsDecisionQueue;
pub use dynamo::{Capacity, CapacityMeter, DynamoStore, StoreSettings};
pub use events::{AlertEvent, EventPublisher, alert_event, created_alert};
pub use metrics::RequestCounter;
pub use queue::{ReceivedBatch, SqsActivityQueue};
pub use secrets::{Secret, SecretError, SecretValues, load_secret_values, parse_secret_values};

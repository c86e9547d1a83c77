//! The use cases, written once against the ports of `saaswarden-store`: turn raw audit-log entries into
//! activities, batch them per user, detect, store, resolve alerts. The command line runs them on the
//! embedded SQLite store; the Lambda functions run the same functions on DynamoDB and SQS.
//!
//! Must not depend on a concrete cloud SDK or on the command line.

pub mod collect;
mod day_spool;
pub mod detect;
pub mod directory;
pub mod error;
pub mod govern;
pub mod ingest;
pub mod messages;
pub mod replay;
mod spool;

pub use collect::{CollectError, CollectReport, CollectSettings, HAND_GRACE, collect_once, stream_budget};
pub use detect::{BatchReport, Detectors, Policies, detect_batch};
pub use error::AppError;
pub use ingest::{Ingested, into_batches, normalize_entries};
pub use messages::{DeliveryReport, Failure, Message, detect_messages, detect_messages_while};
pub use replay::{ReplayInput, RunReport, replay};

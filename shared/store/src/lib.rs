//! Where the use cases meet storage: the ports (traits) they are written against, and the embedded
//! adapters of the local runtime — a SQLite file and an in-process queue.
//!
//! Ports return futures so the same use cases also run on the cloud adapters (DynamoDB, SQS), which live
//! in their own crate: this crate must not depend on AWS. The SQLite adapter works synchronously inside
//! those futures; the local runtime is single-process.

pub mod error;
pub mod ports;
pub mod queue;
pub mod sqlite;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::StoreError;
pub use ports::{
    ActivityBatch, ActivityLog, ActivityQuery, ActivityQueue, AlertFilter, AlertStore, Checkpoints, Directory,
    StateStore, Versioned,
};
pub use ports::{Claim, GovernanceFilter, GovernanceLog};
pub use queue::InProcessQueue;
pub use sqlite::SqliteStore;

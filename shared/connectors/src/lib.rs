//! Turns Slack Enterprise Grid and Zendesk audit logs into saaswarden [`Activity`] records.
//!
//! One folder per connector with the same inner shape: `wire` (the entry as the app sends it, decoded
//! tolerantly because both apps add fields and actions over time), `normalize` (wire entry to activity),
//! `actions` (which app action is which activity category). [`input`] reads exported audit logs from files
//! for replay; [`http`] is the HTTP client every API client shares.
//!
//! This crate must not depend on AWS, on storage, or on the detections: it reads bytes and produces
//! activities, so the command line, the Lambda functions and the tests can all share it.
//!
//! [`Activity`]: saaswarden_core::Activity

pub mod error;
pub mod feed;
pub mod graph;
pub mod http;
pub mod input;
pub mod slack;
pub mod source;
pub mod streams;
pub mod zendesk;

mod normalize;
mod wire;

pub use error::{EntryProblem, InputError, NormalizeError, UsersError};
pub use feed::Feed;
pub use input::{RawEntry, ReadOutcome, Rejected, read_path};
pub use source::{AuditSource, Order, Page, SourceError};
pub use streams::{Stream, StreamsError, streams};
pub use zendesk::{ZendeskUser, ZendeskUsers};

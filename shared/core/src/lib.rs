//! The saaswarden domain, in Microsoft Defender for Cloud Apps' words: normalized [`Activity`] records from
//! the SaaS apps' audit logs, [`Alert`]s with their resolution workflow, the detections that turn one into the
//! other, per-user detection state, and the validated configuration.
//!
//! This crate is pure: no I/O, no clock, no network, no AWS. Connectors, stores, the command line and the
//! Lambda functions all depend on it; it depends on none of them. Time always comes in as data (an
//! activity's `occurred_at`), so replaying the same input gives the same alerts.

pub mod activity;
pub mod alert;
pub mod campaign;
pub mod checkpoint;
pub mod config;
pub mod detect;
pub mod directory;
pub mod enrich;
pub mod governance;
pub mod state;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use activity::{Activity, App, Category, Geo, Outcome, Principal, PrincipalKind, Target};
pub use alert::{Alert, AlertStatus, Resolution, ResolutionKind, Severity};
pub use campaign::Campaign;
pub use config::{Config, ConfigError};
pub use state::{StateCodecError, UserState};

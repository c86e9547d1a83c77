//! Slack Enterprise Grid Audit Logs (`GET https://api.slack.com/audit/v1/logs`).

mod actions;
mod client;
mod normalize;
pub mod wire;

pub use client::SlackClient;
pub use normalize::normalize;

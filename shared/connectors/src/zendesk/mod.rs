//! Zendesk Audit Logs (`GET https://{subdomain}.zendesk.com/api/v2/audit_logs`) and the users directory
//! that turns an entry's `actor_id` into an email.

mod actions;
mod client;
mod normalize;
mod resolver;
mod users;
pub mod wire;

pub use client::{ZendeskAuth, ZendeskClient};
pub use normalize::normalize;
pub use users::{ZendeskUser, ZendeskUsers};

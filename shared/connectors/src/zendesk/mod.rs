//! Zendesk Audit Logs (`GET https://{subdomain}.zendesk.com/api/v2/audit_logs`) and the users directory
//! that turns an entry's `actor_id` into an email.

mod actions;
mod normalize;
mod users;
pub mod wire;

pub use normalize::normalize;
pub use users::{ZendeskUser, ZendeskUsers};

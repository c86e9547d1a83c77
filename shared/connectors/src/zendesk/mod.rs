//! Zendesk Audit Logs (`GET https://{subdomain}.zendesk.com/api/v2/audit_logs`), Access Logs
//! (`GET …/api/v2/access_logs`, an add-on) and the users directory that turns an entry's `actor_id` or
//! `user_id` into an email.

mod access;
mod actions;
mod client;
mod normalize;
mod resolver;
#[cfg(test)]
mod testing;
mod users;
pub mod wire;

pub use access::normalize_access;
pub use client::{ZendeskAuth, ZendeskClient, ZendeskLog};
pub use normalize::normalize;
pub use users::{ZendeskUser, ZendeskUsers};

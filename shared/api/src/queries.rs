//! What the API and the console ask of the store, written once over the ports: both the JSON handlers and
//! the console's pages call these, so a page shows exactly what the API returns.

pub mod activities;
pub mod alerts;
pub mod governance;
pub mod users;

pub use activities::{ActivityPage, ActivitySearch, Export, ExportFormat};
pub use alerts::{AlertDetail, AlertPage, AlertSearch, BulkAction, BulkOutcome, Step};
pub use governance::{GovernanceAction, GovernanceRequest};
pub use users::UserPage;

/// The most one page returns, whatever `limit` asks.
pub const MAX_PAGE: usize = 500;
/// The page size when `limit` is not given.
pub const DEFAULT_PAGE: usize = 50;

pub(crate) fn page_size(limit: Option<usize>) -> usize {
    limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
}

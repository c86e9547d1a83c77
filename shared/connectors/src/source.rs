//! What a collector needs from an audit-log API, whichever app it is: one page of a time window at a time,
//! the order pages come in, and (Zendesk) the users that resolve the page's actors. The walk over windows,
//! the dedup and the checkpoint live in the use case (`saaswarden_app::collect`), written once for all.

use std::future::Future;

use saaswarden_core::checkpoint::Window;

use crate::feed::Feed;
use crate::http::{HttpClient, HttpError};
use crate::input::RawEntry;
use crate::zendesk::ZendeskUsers;

/// In which order an API returns a window's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Slack: nothing is known complete until the last page of the window arrived.
    NewestFirst,
    /// Zendesk: every page extends a complete prefix, so a run may stop between pages and keep its progress.
    OldestFirst,
}

/// One page of a window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// Entries with where they came from (`slack logs 2026-11-20T10:00Z..: page 3 entries[17]`).
    pub entries: Vec<RawEntry>,
    /// Where the next page starts; `None` on the window's last page.
    pub next_cursor: Option<String>,
}

/// Why a page could not be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The cursor expired or was rejected: the window must be read again from its start.
    #[error("{what}: the API rejected the paging cursor ({message})")]
    InvalidCursor { what: String, message: String },
}

impl SourceError {
    /// Whether a later run can succeed without anyone changing the token, plan or configuration.
    pub fn is_transient(&self) -> bool {
        match self {
            SourceError::Http(error) => error.is_transient(),
            SourceError::InvalidCursor { .. } => true,
        }
    }
}

/// One audit-log stream of one tenant, read over HTTP.
pub trait AuditSource: Send + Sync {
    /// The log this source reads, and so the normalizer of its entries.
    fn feed(&self) -> Feed;

    /// The stream's name within the tenant, the key of its checkpoint: `slack`, `zendesk`, `zendesk_access`.
    fn stream(&self) -> &'static str {
        self.feed().stream()
    }

    fn order(&self) -> Order;

    /// The HTTP client, for its counters (progress) and its deadline (the run's time budget).
    fn http(&self) -> &HttpClient;

    /// One page of `window` (both ends inclusive), from `cursor` (`None`: the first page).
    fn page(&self, window: Window, cursor: Option<&str>) -> impl Future<Output = Result<Page, SourceError>> + Send;

    /// Looks up what normalizing `entries` needs beyond the entries themselves: the Zendesk users behind
    /// actor ids. Slack needs nothing and returns an empty directory.
    fn prepare(&self, entries: &[RawEntry]) -> impl Future<Output = Result<ZendeskUsers, SourceError>> + Send;
}

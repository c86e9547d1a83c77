use std::path::PathBuf;

/// Why a store operation failed. Every variant says which record or file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the local store {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("local store: {context}: {source}")]
    Sqlite { context: &'static str, source: rusqlite::Error },
    #[error("{what} `{id}` in the store is unreadable (written by another version?): {source}")]
    Corrupt { what: &'static str, id: String, source: serde_json::Error },
    /// A user's detection state that cannot be decoded (or, never in practice, encoded).
    #[error("user state `{id}` in the store is unreadable (written by another version?): {source}")]
    State { id: String, source: saaswarden_core::StateCodecError },
    #[error("no {what} with id `{id}`")]
    NotFound { what: &'static str, id: String },
    /// Another worker saved the same record first; reload and try again.
    #[error("{what} `{id}` changed concurrently (expected version {expected})")]
    Conflict { what: &'static str, id: String, expected: u64 },
    #[error("{0}")]
    Invalid(String),
}

impl StoreError {
    pub(crate) fn sqlite(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
        move |source| StoreError::Sqlite { context, source }
    }
}

//! Turning SDK failures into the ports' [`StoreError`], with the table or queue and the operation named.

use aws_smithy_types::error::display::DisplayErrorContext;
use saaswarden_store::StoreError;

/// A failed AWS call as a store error naming what was being done and where (the full error chain, which
/// holds the service's message and request id, never credentials).
pub(crate) fn backend<E: std::error::Error>(context: impl std::fmt::Display, error: E) -> StoreError {
    StoreError::Invalid(format!("{context}: {}", DisplayErrorContext(&error)))
}

/// A stored record that cannot be read back.
pub(crate) fn corrupt(what: &'static str, id: impl Into<String>, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!(
        "{what} `{}` in the store is unreadable (written by another version?): {detail}",
        id.into()
    ))
}

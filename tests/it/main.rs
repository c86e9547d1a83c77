//! Cross-crate integration tests, one binary.

mod api;
mod collect;
mod crash;
mod governance;
mod replay;

//! Cross-crate integration tests, one binary.

mod api;
mod collect;
mod crash;
mod fuzz;
mod governance;
mod replay;

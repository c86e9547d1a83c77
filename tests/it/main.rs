//! Cross-crate integration tests, one binary.

mod collect;
mod crash;
mod governance;
mod replay;

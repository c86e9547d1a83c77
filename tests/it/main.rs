//! Cross-crate integration tests, one binary.

mod crash;
mod replay;

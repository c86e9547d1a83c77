//! Cross-crate integration tests, one binary.

mod replay;

//! Cross-crate integration tests, one binary.

mod collect;
mod crash;
mod fuzz;
mod governance;
mod replay;

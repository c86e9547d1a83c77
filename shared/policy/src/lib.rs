//! Custom activity policies as code, like Defender for Cloud Apps' activity policies: YAML files kept in
//! git, validated with every error located by file, line and field, compiled once into fast matchers, and
//! tested by the `tests:` section inside each file.
//!
//! - [`PolicySet::load`] / [`PolicySet::from_sources`] parse, validate and compile a set of policy files.
//! - [`CompiledPolicy::matches`] is the filter alone, allocation-free.
//! - [`Evaluator`] turns activities (in time order) into [`saaswarden_core::Alert`]s with single or repeated
//!   (N within T, per user / app / IP / tenant / any activity field) matching, alert dedup and a daily
//!   alert limit; its [`EvaluatorState`] is plain data to persist between batches. An alert's severity is
//!   the first of the policy's severity rules matching the alerting activity, else its default.
//! - [`run_inline_tests`] runs every policy's inline tests; [`run_inline_tests_with`] also normalizes the
//!   raw Slack and Zendesk entries tests may give, through an [`EntryNormalizer`] the caller provides.
//!
//! The language is described with examples in the starter pack's `policies/README.md`. Decisions worth
//! knowing: text operators ignore case (regex does not), a group member is an email or an `@domain`
//! (exact domain), `actor.group` with `equals` / `in` tests membership, a missing field matches nothing but
//! `exists: false`, governance actions need approval unless `mode: automatic` is written.
//!
//! This crate is pure: it reads policy files in [`PolicySet::load`] and nothing else, no clock (time comes
//! from activities), no storage, no network, no AWS. It depends on `saaswarden-core` only; the connectors,
//! stores, CLI and Lambda functions depend on it, never the other way. That is why raw audit entries in inline
//! tests are normalized through an [`EntryNormalizer`] handed in by the caller (the CLI links the
//! connectors), not by calling the connectors from here.

mod compile;
mod error;
mod fields;
mod filter;
mod groups;
mod index;
mod inline_tests;
mod model;
mod parse;
mod repeat;
mod template;

pub use compile::{BUILTIN_POLICY_IDS, CompiledPolicy, PolicySet, validate};
pub use error::{ErrorKind, PolicyError};
pub use groups::{GroupError, Groups};
pub use inline_tests::{EntryNormalizer, InlineTestResult, TEST_TENANT, run_inline_tests, run_inline_tests_with};
pub use model::{DEFAULT_DAILY_LIMIT, GovernanceAction, GovernanceKind, GovernanceMode, MAX_COUNT, MatchMode, Per};
pub use repeat::{Evaluator, EvaluatorState};

#[cfg(test)]
mod tests;

/// The starter pack in `policies/`, built in: (origin, YAML) per file, for [`PolicySet::from_sources`].
pub mod starter {
    include!(concat!(env!("OUT_DIR"), "/starter_policies.rs"));

    /// The starter pack as owned sources.
    pub fn sources() -> Vec<(String, String)> {
        STARTER_POLICIES.iter().map(|(origin, text)| (origin.to_string(), text.to_string())).collect()
    }
}

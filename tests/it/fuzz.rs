//! Hostile inputs for every parser of untrusted text, a few thousand each (the bench `fuzz` runs a million):
//! nothing panics and every rejection names its field, place, line or setting. See
//! `saaswarden_tests::fuzz_inputs`.

use saaswarden_tests::fuzz_inputs::check;

/// Enough to cover every mutation many times over in a few seconds; the seed is fixed so CI is repeatable.
const CI_CASES: u64 = 3_000;
const CI_SEED: u64 = 15;

#[test]
fn slack_normalizer_never_panics_and_names_the_field_of_every_rejection() {
    check("slack", CI_CASES, CI_SEED).unwrap_or_else(|broken| panic!("{broken}"));
}

#[test]
fn zendesk_normalizer_never_panics_and_names_the_field_of_every_rejection() {
    check("zendesk", CI_CASES, CI_SEED).unwrap_or_else(|broken| panic!("{broken}"));
}

#[test]
fn the_input_reader_never_panics_and_places_every_rejection_in_its_file() {
    check("input", CI_CASES, CI_SEED).unwrap_or_else(|broken| panic!("{broken}"));
}

#[test]
fn the_policy_parser_never_panics_and_names_the_line_or_field_of_every_error() {
    check("policy", CI_CASES, CI_SEED).unwrap_or_else(|broken| panic!("{broken}"));
}

#[test]
fn the_configuration_never_panics_and_names_the_setting_or_position_of_every_error() {
    check("config", CI_CASES, CI_SEED).unwrap_or_else(|broken| panic!("{broken}"));
}

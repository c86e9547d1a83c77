//! The starter pack in `policies/`: it loads, every inline test passes, every policy proves both that it
//! fires and that it stays quiet, and the real API-shaped fixtures raise the alerts a reader expects.

use std::collections::BTreeSet;
use std::path::PathBuf;

mod support;
use saaswarden_connectors::{ZendeskUsers, slack, zendesk};
use saaswarden_core::Activity;
use saaswarden_policy::{Evaluator, Groups, InlineTestResult, PolicySet, run_inline_tests, run_inline_tests_with};
use serde_json::Value;
use support::connectors;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load(path: PathBuf) -> PolicySet {
    match PolicySet::load(&[path], &Groups::new()) {
        Ok(set) => set,
        Err(errors) => panic!("{}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")),
    }
}

fn starter_pack() -> PolicySet {
    load(repo_root().join("policies"))
}

fn failures(results: &[InlineTestResult]) -> Vec<String> {
    results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| {
            format!("{}:{}: {} / {}: {}", r.origin, r.line, r.policy_id, r.test, r.message.as_deref().unwrap_or(""))
        })
        .collect()
}

fn fixture(path: &str) -> Value {
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures").join(path)).expect("fixture exists");
    serde_json::from_str(&text).expect("fixture is JSON")
}

#[test]
fn starter_pack_has_at_least_25_policies_in_both_apps() {
    let set = starter_pack();
    assert!(set.len() >= 25, "only {} policies", set.len());
    for dir in ["policies/slack/", "policies/zendesk/"] {
        assert!(set.policies().iter().any(|p| p.origin().contains(dir)), "nothing in {dir}");
    }
}

#[test]
fn every_inline_test_of_the_starter_pack_passes() {
    let set = starter_pack();
    let results = run_inline_tests_with(&set, &connectors);
    let failures = failures(&results);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(results.len() >= 2 * set.len());
}

#[test]
fn the_first_version_starter_pack_still_loads_and_passes_unchanged() {
    // A copy of the pack as written for the first version of the language (tests/fixtures/README.md).
    let set = load(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/starter-pack-v1"));
    assert_eq!(set.len(), 39);
    let results = run_inline_tests(&set);
    let failures = failures(&results);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(results.len(), 93, "every inline test of the first version ran");
}

#[test]
fn starter_pack_tests_give_raw_api_entries_for_both_apps() {
    let set = starter_pack();
    let results = run_inline_tests_with(&set, &connectors);
    for prefix in ["slack:", "zendesk:"] {
        let raw = results.iter().filter(|r| r.passed).flat_map(|r| &r.alerts).flat_map(|a| &a.activity_ids);
        assert!(raw.clone().any(|id| id.starts_with(prefix)), "no passing test alerts on a raw {prefix} entry");
    }
}

#[test]
fn every_starter_policy_has_a_test_that_fires_and_one_that_does_not() {
    let set = starter_pack();
    let results = run_inline_tests_with(&set, &connectors);
    for policy in set.policies() {
        let own: Vec<_> = results.iter().filter(|r| r.policy_id == policy.id()).collect();
        assert!(own.iter().any(|r| r.passed && !r.alerts.is_empty()), "{}: no test that fires", policy.id());
        assert!(own.iter().any(|r| r.passed && r.alerts.is_empty()), "{}: no test that stays quiet", policy.id());
    }
}

#[test]
fn real_fixtures_raise_the_expected_starter_alerts() {
    let set = starter_pack();
    let mut activities: Vec<Activity> = Vec::new();
    for page in ["slack/page1.json", "slack/page2.json"] {
        for entry in fixture(page)["entries"].as_array().expect("entries") {
            activities.push(slack::normalize(entry, "acme").expect("normalizes"));
        }
    }
    let users = ZendeskUsers::from_json(&fixture("zendesk/users.json")).expect("users");
    for entry in fixture("zendesk/audit_logs.json")["audit_logs"].as_array().expect("audit_logs") {
        activities.push(zendesk::normalize(entry, "acme", &users).expect("normalizes"));
    }
    activities.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then_with(|| a.id.cmp(&b.id)));

    let mut evaluator = Evaluator::new(&set, "acme");
    let raised: BTreeSet<String> =
        activities.iter().flat_map(|a| evaluator.observe(a, &a.user_key())).map(|alert| alert.policy_id).collect();
    let expected: BTreeSet<String> = [
        "slack_admin_role_granted",
        "slack_unapproved_app_installed",
        "zendesk_account_assumption_changed",
        "zendesk_admin_role_granted",
        "zendesk_api_token_created",
        "zendesk_data_exported",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(raised, expected);
}

use saaswarden_connectors::{ZendeskUsers, slack, zendesk};
use saaswarden_core::{Activity, App};
use saaswarden_policy::{PolicySet, run_inline_tests_with, validate};
use serde_json::{Value, json};

use crate::cli::{Global, PoliciesCommand};
use crate::exit;
use crate::output::print_json;
use crate::settings::{groups, load_config, policy_errors};

pub fn execute(global: &Global, command: PoliciesCommand) -> anyhow::Result<u8> {
    let config = load_config(global.config.as_deref())?;
    let groups = groups(&config)?;
    match command {
        PoliciesCommand::Validate { paths } => {
            let errors = validate(&paths, &groups);
            if errors.is_empty() {
                let set = PolicySet::load(&paths, &groups).map_err(policy_errors)?;
                println!("{} policies valid", set.len());
                return Ok(exit::OK);
            }
            for error in &errors {
                eprintln!("{error}");
            }
            eprintln!("{} error(s)", errors.len());
            Ok(exit::FAILED)
        }
        PoliciesCommand::Test { paths, json } => {
            let set = PolicySet::load(&paths, &groups).map_err(policy_errors)?;
            let results = run_inline_tests_with(&set, &normalize_entry);
            let failed = results.iter().filter(|r| !r.passed).count();
            if json {
                let rows: Vec<_> = results
                    .iter()
                    .map(|r| {
                        json!({
                            "policy_id": r.policy_id, "test": r.test, "origin": r.origin, "line": r.line,
                            "passed": r.passed, "message": r.message,
                        })
                    })
                    .collect();
                print_json(&rows)?;
            } else {
                for r in &results {
                    let verdict = if r.passed { "ok  " } else { "FAIL" };
                    println!("{verdict} {}:{} {} — {}", r.origin, r.line, r.policy_id, r.test);
                    if let Some(message) = &r.message {
                        println!("     {message}");
                    }
                }
                // The plain closing line test runners print.
                println!("policies: {} passed, {failed} failed", results.len() - failed);
            }
            Ok(if failed == 0 { exit::OK } else { exit::FAILED })
        }
    }
}

/// Raw entries in inline tests go through the same normalizers as collected ones.
fn normalize_entry(app: App, entry: &Value, tenant: &str, zendesk_users: &Value) -> Result<Activity, String> {
    match app {
        App::Slack => slack::normalize(entry, tenant).map_err(|e| e.to_string()),
        App::Zendesk => {
            let users = ZendeskUsers::from_json(zendesk_users).map_err(|e| format!("zendesk_users: {e}"))?;
            zendesk::normalize(entry, tenant, &users).map_err(|e| e.to_string())
        }
    }
}

//! The shared API-shaped fixtures in `tests/fixtures/` read and normalize as the cross-crate tests expect.

use std::collections::BTreeSet;
use std::path::PathBuf;

use saaswarden_connectors::{ReadOutcome, ZendeskUsers, read_path, slack, zendesk};
use saaswarden_core::activity::{Activity, App, Category, Outcome, PrincipalKind};

const TENANT: &str = "acme";

fn fixtures(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(relative)
}

fn read(relative: &str, app: App) -> ReadOutcome {
    read_path(&fixtures(relative), app).expect("fixture is readable")
}

fn normalize_slack(outcome: &ReadOutcome) -> Vec<Activity> {
    outcome.entries.iter().map(|e| slack::normalize(&e.value, TENANT).expect(&e.location)).collect()
}

fn zendesk_users() -> ZendeskUsers {
    let text = std::fs::read_to_string(fixtures("zendesk/users.json")).expect("users fixture");
    ZendeskUsers::from_json(&serde_json::from_str(&text).expect("users JSON")).expect("users fixture is valid")
}

#[test]
fn slack_pages_are_newest_first_and_hold_the_planted_story() {
    let page1 = normalize_slack(&read("slack/page1.json", App::Slack));
    let page2 = normalize_slack(&read("slack/page2.json", App::Slack));
    assert_eq!((page1.len(), page2.len()), (8, 8));

    let all: Vec<&Activity> = page1.iter().chain(&page2).collect();
    assert!(all.windows(2).all(|w| w[0].occurred_at >= w[1].occurred_at), "newest first across pages");

    let failures: Vec<&&Activity> = all.iter().filter(|a| a.category == Category::SignInFailure).collect();
    assert_eq!(failures.len(), 6);
    let users: BTreeSet<_> = failures.iter().map(|a| a.user_key()).collect();
    assert_eq!(users.into_iter().collect::<Vec<_>>(), ["carol.mbeki@acme.example"]);
    let span = failures[0].occurred_at - failures[5].occurred_at;
    assert!(span <= chrono::Duration::minutes(3), "{span}");
    assert!(failures.iter().all(|a| a.outcome == Outcome::Failure && a.session_id.is_none()));

    let role_change = all.iter().find(|a| a.action == "role_change_to_admin").expect("role change");
    assert!(role_change.administrative);
    assert_eq!(role_change.target.as_ref().and_then(|t| t.id.as_deref()), Some("W0DAVE0004"));

    let via_app = all.iter().find(|a| a.impersonated()).expect("app acting for a user");
    assert_eq!(via_app.action, "file_downloaded");
    assert_eq!(via_app.impersonator.as_ref().and_then(|p| p.name.as_deref()), Some("DriveSync"));

    let system = all.iter().find(|a| a.actor.kind == PrincipalKind::System).expect("USLACKUSER entry");
    assert_eq!(system.actor.id.as_deref(), Some("USLACKUSER"));
    assert_eq!(system.ip, None);

    assert_eq!(all.iter().filter(|a| a.ip.is_some_and(|ip| ip.is_ipv6())).count(), 1);
    assert!(all.iter().any(|a| a.action == "user_login" && a.category == Category::SignInSuccess));
    assert!(all.iter().any(|a| a.action == "file_downloaded" && a.category == Category::DataAccess));
}

#[test]
fn slack_broken_page_keeps_the_five_good_entries() {
    let outcome = read("slack/broken-page.json", App::Slack);
    assert_eq!(outcome.rejected.len(), 1, "the number element");
    assert!(outcome.rejected[0].location.ends_with("broken-page.json: entries[1]"), "{}", outcome.rejected[0]);

    let (good, bad): (Vec<_>, Vec<_>) =
        outcome.entries.iter().map(|e| slack::normalize(&e.value, TENANT)).partition(Result::is_ok);
    assert_eq!(good.len(), 5);
    let fields: Vec<_> = bad.iter().filter_map(|r| r.as_ref().err()).map(|e| e.field()).collect();
    assert_eq!(fields, [Some("id"), Some("date_create"), Some("action")]);
}

#[test]
fn slack_json_lines_keep_five_entries_and_reject_the_broken_line() {
    let outcome = read("slack/entries.jsonl", App::Slack);
    assert_eq!(normalize_slack(&outcome).len(), 5);
    assert_eq!(outcome.rejected.len(), 1);
    assert!(outcome.rejected[0].location.ends_with("entries.jsonl: line 4"), "{}", outcome.rejected[0]);
}

#[test]
fn slack_directory_reads_every_fixture_file() {
    let outcome = read("slack", App::Slack);
    // broken-page (8 objects), entries.jsonl (5), page1 (8), page2 (8), in path order.
    assert_eq!(outcome.entries.len(), 29);
    assert_eq!(outcome.rejected.len(), 2);
    assert!(outcome.entries[0].location.contains("broken-page.json"));
    assert!(outcome.entries[28].location.contains("page2.json"));
}

#[test]
fn zendesk_page_normalizes_with_the_users_directory() {
    let users = zendesk_users();
    assert_eq!(users.len(), 5);
    let outcome = read("zendesk", App::Zendesk);
    assert!(outcome.rejected.is_empty(), "users.json is skipped, not rejected: {:?}", outcome.rejected);
    let activities: Vec<Activity> =
        outcome.entries.iter().map(|e| zendesk::normalize(&e.value, TENANT, &users).expect(&e.location)).collect();
    assert_eq!(activities.len(), 8);

    let category = |action: &str, source_type: &str| {
        activities
            .iter()
            .find(|a| a.action == action && a.target.as_ref().is_some_and(|t| t.kind == source_type))
            .map(|a| (a.category, a.administrative))
    };
    assert_eq!(category("login", "user"), Some((Category::SignInSuccess, false)));
    assert_eq!(category("update", "user"), Some((Category::Administrative, true)));
    assert_eq!(category("create", "api_token"), Some((Category::Administrative, true)));
    assert_eq!(category("update", "account_setting"), Some((Category::Settings, true)));
    assert_eq!(category("update", "ticket"), Some((Category::DataAccess, false)));
    assert_eq!(category("exported", "account"), Some((Category::Export, true)));

    let system: Vec<_> = activities.iter().filter(|a| a.actor.kind == PrincipalKind::System).collect();
    assert_eq!(system.len(), 1);
    assert_eq!(system[0].actor.id.as_deref(), Some("-1"));

    let unresolved: Vec<_> =
        activities.iter().filter(|a| a.actor.kind == PrincipalKind::User && a.actor.email.is_none()).collect();
    assert_eq!(unresolved.len(), 1);
    assert_eq!(unresolved[0].actor.name.as_deref(), Some("Temp Contractor"));
}

#[test]
fn zendesk_and_slack_fixtures_join_by_email() {
    let users = zendesk_users();
    let zendesk_emails: BTreeSet<String> = read("zendesk/audit_logs.json", App::Zendesk)
        .entries
        .iter()
        .filter_map(|e| zendesk::normalize(&e.value, TENANT, &users).ok()?.actor.email)
        .collect();
    let slack_emails: BTreeSet<String> =
        normalize_slack(&read("slack/page1.json", App::Slack)).into_iter().filter_map(|a| a.actor.email).collect();

    let shared: Vec<_> = zendesk_emails.intersection(&slack_emails).collect();
    assert!(shared.contains(&&"alice.nakamura@acme.example".to_owned()), "{shared:?}");
    assert!(shared.contains(&&"carol.mbeki@acme.example".to_owned()), "{shared:?}");
}

//! Behaviour of the whole pipeline: policy text → validation errors, filters, evaluator semantics.

use chrono::{DateTime, Duration, TimeZone, Utc};
use saaswarden_core::activity::{Activity, App, Category, Principal, PrincipalKind, Target};
use saaswarden_core::alert::{AlertStatus, Severity, alert_id};
use saaswarden_core::testing::activity;
use serde_json::json;

use crate::{ErrorKind, Evaluator, EvaluatorState, Groups, PolicyError, PolicySet, run_inline_tests};

fn groups() -> Groups {
    Groups::from_members([
        ("admins", vec!["alice@acme.example", "root@acme.example"]),
        ("contractors", vec!["@contractors.example"]),
    ])
    .expect("valid groups")
}

fn compile(yaml: &str) -> Result<PolicySet, Vec<PolicyError>> {
    PolicySet::from_sources(&[("policies/x.yaml".to_string(), yaml.to_string())], &groups())
}

fn compile_ok(yaml: &str) -> PolicySet {
    match compile(yaml) {
        Ok(set) => set,
        Err(errors) => panic!("policy should compile: {}", render(&errors)),
    }
}

fn render(errors: &[PolicyError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

fn errors_of(yaml: &str) -> Vec<PolicyError> {
    compile(yaml).err().unwrap_or_default()
}

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap_or_default() + Duration::minutes(minutes)
}

/// A policy with one filter leaf (or any filter YAML), single mode.
fn policy_with_filter(filter: &str) -> String {
    format!(
        "id: p\nname: P\nseverity: low\nfilter: {filter}\nalert:\n  title: \"{{{{actor.email}}}} did {{{{action}}}}\"\n"
    )
}

fn slack(id: &str, action: &str, email: &str, minute: i64) -> Activity {
    let mut a = activity(id, email, at(minute));
    a.action = action.to_string();
    a.category = Category::Other;
    a
}

// ---- validation -------------------------------------------------------------------------------------------

const VALID: &str = "\
id: slack_admin_role_granted
name: Slack admin role granted
severity: high
apps: [slack]
filter:
  all:
    - { field: action, op: in, value: [role_change_to_admin, role_change_to_owner] }
    - not: { field: actor.email, op: suffix, value: \"@svc.acme.example\" }
alert:
  title: \"{{actor.email}} granted {{target.name}} an admin role\"
";

#[test]
fn compiled_sets_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PolicySet>();
    assert_send_sync::<EvaluatorState>();
}

#[test]
fn a_valid_policy_compiles() {
    let set = compile_ok(VALID);
    let p = &set.policies()[0];
    assert_eq!((p.id(), p.severity(), p.apps()), ("slack_admin_role_granted", Severity::High, &[App::Slack][..]));
    assert!(p.enabled());
    assert_eq!(p.line(), 1);
}

/// Each error kind of the acceptance criteria, with the `file:line: field:` prefix it must carry.
#[test]
fn validation_errors_name_file_line_and_field() {
    #[rustfmt::skip]
    let cases: Vec<(&str, String, ErrorKind, &str)> = vec![
        ("unknown top-level field",
         VALID.replace("severity: high", "severty: high"),
         ErrorKind::UnknownField, "policies/x.yaml:3: severty: unknown field `severty` (did you mean `severity`?)"),
        ("typo in a filter leaf key",
         VALID.replace("{ field: action, op: in", "{ feild: action, op: in"),
         ErrorKind::UnknownField, "policies/x.yaml:7: filter.all[0].feild: unknown field `feild` (did you mean `field`?)"),
        ("unknown field in match",
         format!("{VALID}match: {{ mode: repeated, count: 2, within: 5m, pre: [user] }}\n"),
         ErrorKind::UnknownField, "policies/x.yaml:11: match.pre: unknown field `pre` (did you mean `per`?)"),
        ("unknown operator",
         VALID.replace("op: suffix", "op: startswith"),
         ErrorKind::UnknownOperator, "policies/x.yaml:8: filter.all[1].not.op: unknown operator `startswith` (expected one of equals, in, prefix"),
        ("unknown field path",
         VALID.replace("field: actor.email", "field: actor.mail"),
         ErrorKind::UnknownFieldPath, "policies/x.yaml:8: filter.all[1].not.field: unknown activity field `actor.mail` (did you mean `actor.email`?)"),
        ("bad regex",
         VALID.replace("op: suffix, value: \"@svc.acme.example\"", "op: regex, value: \"(unclosed\""),
         ErrorKind::BadRegex, "policies/x.yaml:8: filter.all[1].not.value: invalid regex `(unclosed`"),
        ("bad CIDR",
         VALID.replace("field: actor.email, op: suffix, value: \"@svc.acme.example\"", "field: ip, op: cidr, value: [10.0.0.0/8, 10.0.0.0/33]"),
         ErrorKind::BadCidr, "policies/x.yaml:8: filter.all[1].not.value: `10.0.0.0/33` is not a CIDR range"),
        ("bad duration",
         format!("{VALID}match: {{ mode: repeated, count: 2, within: ten minutes }}\n"),
         ErrorKind::BadDuration, "policies/x.yaml:11: match.within: invalid duration `ten minutes`"),
        ("bad dedup duration",
         VALID.replace("alert:\n", "alert:\n  dedup: 1 fortnight\n"),
         ErrorKind::BadDuration, "policies/x.yaml:10: alert.dedup: invalid duration `1 fortnight`"),
        ("unknown group",
         VALID.replace("field: actor.email, op: suffix, value: \"@svc.acme.example\"", "field: actor.group, op: in, value: [admins, admnis]"),
         ErrorKind::UnknownGroup, "policies/x.yaml:8: filter.all[1].not.value: unknown user group `admnis` (did you mean `admins`?) (configured: admins, contractors)"),
        ("wrong value type for gt",
         VALID.replace("field: actor.email, op: suffix, value: \"@svc.acme.example\"", "field: raw.details.count, op: gt, value: lots"),
         ErrorKind::WrongType, "policies/x.yaml:8: filter.all[1].not.value: expected a number, got text"),
        ("wrong value type for in",
         VALID.replace("op: in, value: [role_change_to_admin, role_change_to_owner]", "op: in, value: role_change_to_admin"),
         ErrorKind::WrongType, "policies/x.yaml:7: filter.all[0].value: expected a list of values for `in`, got text"),
        ("wrong value type for a boolean field",
         VALID.replace("field: actor.email, op: suffix, value: \"@svc.acme.example\"", "field: administrative, op: equals, value: \"yes\""),
         ErrorKind::WrongType, "policies/x.yaml:8: filter.all[1].not.value: expected true or false, got text"),
        ("wrong type for a schema key",
         VALID.replace("apps: [slack]", "apps: slack"),
         ErrorKind::WrongType, "policies/x.yaml:4: apps: expected a list, got text"),
        ("operator that does not apply to the field",
         VALID.replace("field: actor.email, op: suffix", "field: action, op: cidr"),
         ErrorKind::InvalidValue, "policies/x.yaml:8: filter.all[1].not.op: operator `cidr` does not apply to `action`"),
        ("unknown enum value",
         VALID.replace("field: actor.email, op: suffix, value: \"@svc.acme.example\"", "field: app, op: equals, value: slak"),
         ErrorKind::InvalidValue, "policies/x.yaml:8: filter.all[1].not.value: `slak` is not a value of `app` (did you mean `slack`?)"),
        ("unknown severity",
         VALID.replace("severity: high", "severity: urgent"),
         ErrorKind::InvalidValue, "policies/x.yaml:3: severity: unknown value `urgent`"),
        ("bad policy id",
         VALID.replace("id: slack_admin_role_granted", "id: Slack-Admin"),
         ErrorKind::InvalidValue, "policies/x.yaml:1: id: `Slack-Admin` is not a policy id"),
        ("missing required field",
         VALID.replace("name: Slack admin role granted\n", ""),
         ErrorKind::MissingField, "policies/x.yaml:1: name: missing field `name`"),
        ("unknown template field",
         VALID.replace("{{target.name}}", "{{target.nmae}}"),
         ErrorKind::UnknownFieldPath, "policies/x.yaml:10: alert.title: unknown template field `{{target.nmae}}` (did you mean `target.name`?)"),
        ("id of a built-in detection",
         VALID.replace("id: slack_admin_role_granted", "id: impossible_travel"),
         ErrorKind::BuiltinId, "policies/x.yaml:1: id: `impossible_travel` is the id of a built-in detection"),
        ("unknown governance action",
         format!("{VALID}governance:\n  - {{ action: delete-user, mode: automatic }}\n"),
         ErrorKind::InvalidValue, "policies/x.yaml:12: governance[0].action: unknown value `delete-user`"),
        ("unknown key in a test activity",
         format!("{VALID}tests:\n  - name: t\n    activities:\n      - {{ action: x, acter: {{ email: a@b.c }} }}\n    expect: {{ alerts: 0 }}\n"),
         ErrorKind::UnknownField, "policies/x.yaml:14: tests[0].activities[0].acter: unknown activity field `acter` (did you mean `actor`?)"),
        ("YAML syntax",
         VALID.replace("apps: [slack]", "apps: [slack"),
         ErrorKind::Syntax, "policies/x.yaml:"),
    ];
    for (name, yaml, kind, expected_prefix) in cases {
        let errors = errors_of(&yaml);
        assert!(
            errors.iter().any(|e| e.kind == kind && e.to_string().starts_with(expected_prefix)),
            "{name}: expected a {kind:?} error starting with\n  {expected_prefix}\ngot:\n{}",
            render(&errors)
        );
    }
}

#[test]
fn validation_reports_every_error_in_every_file() {
    let broken = "\
id: broken
name: Broken
severty: high
filter:
  all:
    - { field: action, op: startswith, value: role_ }
    - { field: ip, op: cidr, value: 300.0.0.0/8 }
    - { field: actor.email, op: regex, value: \"[\" }
alert: { title: x, dedup: soon }
";
    let also_broken = VALID.replace("field: actor.email", "field: actor.mail");
    let sources = [("a.yaml".to_string(), broken.to_string()), ("b.yaml".to_string(), also_broken)];
    let errors = PolicySet::from_sources(&sources, &groups()).err().unwrap_or_default();
    let kinds: Vec<(String, ErrorKind)> = errors.iter().map(|e| (e.origin.clone(), e.kind)).collect();
    for expected in [
        ("a.yaml", ErrorKind::UnknownField),
        ("a.yaml", ErrorKind::MissingField),
        ("a.yaml", ErrorKind::UnknownOperator),
        ("a.yaml", ErrorKind::BadCidr),
        ("a.yaml", ErrorKind::BadRegex),
        ("a.yaml", ErrorKind::BadDuration),
        ("b.yaml", ErrorKind::UnknownFieldPath),
    ] {
        assert!(kinds.contains(&(expected.0.to_string(), expected.1)), "missing {expected:?} in\n{}", render(&errors));
    }
    assert_eq!(errors.len(), 7, "{}", render(&errors));
}

#[test]
fn duplicate_ids_across_files_are_rejected_at_the_second() {
    let sources = [("a.yaml".to_string(), VALID.to_string()), ("b.yaml".to_string(), VALID.to_string())];
    let errors = PolicySet::from_sources(&sources, &groups()).err().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert_eq!(errors[0].kind, ErrorKind::DuplicateId);
    assert_eq!(
        errors[0].to_string(),
        "b.yaml:1: id: duplicate policy id `slack_admin_role_granted`: already defined at a.yaml:1"
    );
}

#[test]
fn load_reads_directories_recursively_and_reports_missing_paths() {
    let dir = tempfile::tempdir().expect("temp dir");
    let nested = dir.path().join("slack");
    std::fs::create_dir_all(&nested).expect("mkdir");
    std::fs::write(nested.join("b.yaml"), VALID).expect("write");
    std::fs::write(dir.path().join("a.yml"), VALID.replace("slack_admin_role_granted", "another")).expect("write");
    std::fs::write(dir.path().join("README.md"), "not a policy").expect("write");
    std::fs::write(dir.path().join(".hidden.yaml"), "not: [valid").expect("write");
    let set = PolicySet::load(&[dir.path().to_path_buf()], &groups()).expect("loads");
    let ids: Vec<&str> = set.policies().iter().map(|p| p.id()).collect();
    assert_eq!(ids, ["another", "slack_admin_role_granted"]);
    assert!(set.policies()[1].origin().ends_with("slack/b.yaml"));

    let missing = dir.path().join("nope");
    let errors = crate::validate(&[missing], &groups());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, ErrorKind::Io);
}

// ---- filters ----------------------------------------------------------------------------------------------

fn rich_activity() -> Activity {
    let mut a = activity("E1", "alice@acme.example", at(0)).with_ip("10.1.2.3").with_tags(&["corporate", "vpn"]);
    a.action = "role_change_to_admin".into();
    a.category = Category::Administrative;
    a.administrative = true;
    a.actor.name = Some("Alice Nakamura".into());
    a.target = Some(Target { kind: "user".into(), id: Some("W2".into()), name: Some("Dave Okafor".into()) });
    a.impersonator = Some(Principal {
        kind: PrincipalKind::App,
        id: Some("A1".into()),
        email: None,
        name: Some("DriveSync".into()),
    });
    a.user_agent = Some("Mozilla/5.0 Chrome/129".into());
    a.session_id = Some("7420016630081".into());
    a.asn_org = Some("Acme Networks".into());
    a = a.with_geo("NL", 52.37, 4.9).with_city("Amsterdam");
    a.raw = json!({
        "details": {"reason": "Tor", "new_role": "admin", "count": 42, "ratio": "0.75", "flag": true},
        "context": {"location": {"type": "enterprise"}},
        "entity": {"app": {"scopes": ["files:read", "channels:history"]}}
    });
    a
}

#[test]
fn every_operator_matches_as_documented() {
    let a = rich_activity();
    #[rustfmt::skip]
    let cases: &[(&str, bool)] = &[
        // equals / in: case-insensitive
        ("{field: action, op: equals, value: ROLE_CHANGE_TO_ADMIN}",               true),
        ("{field: action, op: equals, value: role_change_to_owner}",               false),
        ("{field: action, op: in, value: [user_login, role_change_to_admin]}",     true),
        ("{field: app, op: equals, value: slack}",                                 true),
        ("{field: category, op: equals, value: administrative}",                   true),
        ("{field: outcome, op: in, value: [failure, unknown]}",                    false),
        ("{field: administrative, op: equals, value: true}",                       true),
        ("{field: impersonated, op: equals, value: false}",                        false),
        ("{field: actor.kind, op: equals, value: user}",                           true),
        ("{field: tenant, op: equals, value: ACME}",                               true),
        // prefix / suffix / contains
        ("{field: action, op: prefix, value: role_change_}",                       true),
        ("{field: actor.email, op: suffix, value: \"@ACME.example\"}",             true),
        ("{field: actor.domain, op: equals, value: acme.example}",                 true),
        ("{field: user_agent, op: contains, value: chrome}",                       true),
        ("{field: target.name, op: contains, value: okafor}",                      true),
        ("{field: target.kind, op: equals, value: user}",                          true),
        ("{field: target.id, op: equals, value: W2}",                              true),
        ("{field: actor.name, op: prefix, value: bob}",                            false),
        ("{field: impersonator.name, op: equals, value: drivesync}",               true),
        ("{field: impersonator.id, op: equals, value: A1}",                        true),
        ("{field: asn_org, op: contains, value: networks}",                        true),
        ("{field: country, op: in, value: [nl, be]}",                              true),
        ("{field: city, op: equals, value: amsterdam}",                            true),
        ("{field: session_id, op: prefix, value: \"742\"}",                        true),
        // regex: exactly as written
        ("{field: action, op: regex, value: \"^role_change_to_(admin|owner)$\"}",  true),
        ("{field: action, op: regex, value: \"^ROLE_\"}",                          false),
        ("{field: action, op: regex, value: \"(?i)^ROLE_\"}",                      true),
        // ip: equality, CIDR, text operators on its text form
        ("{field: ip, op: equals, value: 10.1.2.3}",                               true),
        ("{field: ip, op: in, value: [10.1.2.4, 10.1.2.3]}",                       true),
        ("{field: ip, op: cidr, value: 10.0.0.0/8}",                               true),
        ("{field: ip, op: cidr, value: [192.168.0.0/16, 2001:db8::/32]}",          false),
        ("{field: ip, op: cidr, value: 10.1.2.3}",                                 true),
        ("{field: ip, op: prefix, value: \"10.1.\"}",                              true),
        // list-valued field: any element
        ("{field: ip.tags, op: equals, value: vpn}",                               true),
        ("{field: ip.tags, op: in, value: [tor, anonymous]}",                      false),
        ("{field: ip.tags, op: exists, value: true}",                              true),
        // exists
        ("{field: actor.email, op: exists, value: true}",                          true),
        ("{field: actor.email, op: exists}",                                       true),
        ("{field: raw.details.missing, op: exists, value: false}",                 true),
        ("{field: raw.details.missing, op: equals, value: x}",                     false),
        // numeric compare: raw numbers and numeric strings
        ("{field: raw.details.count, op: gt, value: 41}",                          true),
        ("{field: raw.details.count, op: gte, value: 42}",                         true),
        ("{field: raw.details.count, op: lt, value: 42}",                          false),
        ("{field: raw.details.ratio, op: lte, value: 0.75}",                       true),
        ("{field: session_id, op: gt, value: 1000}",                               true),
        ("{field: action, op: gt, value: 1}",                                      false),
        // raw paths: text, numbers, booleans, lists
        ("{field: raw.details.reason, op: equals, value: tor}",                    true),
        ("{field: raw.context.location.type, op: equals, value: enterprise}",      true),
        ("{field: raw.details.count, op: equals, value: 42}",                      true),
        ("{field: raw.details.count, op: prefix, value: \"4\"}",                   true),
        ("{field: raw.details.flag, op: equals, value: true}",                     true),
        ("{field: raw.entity.app.scopes, op: contains, value: history}",           true),
        ("{field: raw.entity.app.scopes.0, op: equals, value: files:read}",        true),
        // groups: by email and by domain
        ("{field: actor.group, op: equals, value: admins}",                        true),
        ("{field: actor.group, op: in, value: [contractors]}",                     false),
        // combinators
        ("{all: [{field: app, op: equals, value: slack}, {not: {field: ip.tags, op: equals, value: corporate}}]}", false),
        ("{any: [{field: app, op: equals, value: zendesk}, {field: action, op: suffix, value: _admin}]}",           true),
        ("{not: {any: [{field: country, op: equals, value: NL}]}}",                false),
    ];
    for (filter, expected) in cases {
        let set = compile_ok(&policy_with_filter(filter));
        assert_eq!(set.policies()[0].matches(&a), *expected, "{filter}");
    }
}

#[test]
fn missing_fields_and_empty_text_match_nothing_but_exists_false() {
    let a = activity("1", "alice@acme.example", at(0));
    for (filter, expected) in [
        ("{field: ip, op: cidr, value: 0.0.0.0/0}", false),
        ("{field: country, op: equals, value: NL}", false),
        ("{not: {field: country, op: equals, value: NL}}", true),
        ("{field: ip, op: exists, value: false}", true),
        ("{field: ip.tags, op: exists, value: false}", true),
        ("{field: target.name, op: contains, value: \"\"}", false),
    ] {
        assert_eq!(compile_ok(&policy_with_filter(filter)).policies()[0].matches(&a), expected, "{filter}");
    }
    let mut empty = a.clone();
    empty.user_agent = Some(String::new());
    empty.raw = json!({"details": {"reason": ""}});
    for (filter, expected) in [
        ("{field: user_agent, op: equals, value: \"\"}", false),
        ("{field: user_agent, op: exists, value: false}", true),
        ("{field: raw.details.reason, op: contains, value: \"\"}", false),
        ("{field: raw.details.reason, op: exists, value: false}", true),
    ] {
        assert_eq!(compile_ok(&policy_with_filter(filter)).policies()[0].matches(&empty), expected, "{filter}");
    }
}

#[test]
fn group_membership_by_email_and_by_domain() {
    let set = compile_ok(&policy_with_filter("{field: actor.group, op: in, value: [admins, contractors]}"));
    let p = &set.policies()[0];
    #[rustfmt::skip]
    let cases = [
        ("root@acme.example",              true),
        ("ROOT@ACME.EXAMPLE",              true),
        ("carol@acme.example",             false),
        ("dan@contractors.example",        true),
        ("dan@sub.contractors.example",    false),
    ];
    for (email, expected) in cases {
        assert_eq!(p.matches(&activity("1", email, at(0))), expected, "{email}");
    }
    let mut no_email = activity("1", "x@y.z", at(0));
    no_email.actor.email = None;
    assert!(!p.matches(&no_email));
}

#[test]
fn apps_scope_the_policy() {
    let set = compile_ok(&format!(
        "{}apps: [zendesk]\n",
        policy_with_filter("{field: action, op: equals, value: user_login}")
    ));
    let mut a = activity("1", "alice@acme.example", at(0));
    assert!(!set.policies()[0].matches(&a));
    a.app = App::Zendesk;
    assert!(set.policies()[0].matches(&a));
}

// ---- evaluation -------------------------------------------------------------------------------------------

fn repeated(count: u32, within: &str, per: &str, dedup: &str, daily_limit: u32) -> PolicySet {
    compile_ok(&format!(
        "id: mass_download
name: Mass download
severity: high
filter: {{field: action, op: equals, value: file_downloaded}}
match: {{mode: repeated, count: {count}, within: {within}, per: [{per}]}}
alert:
  title: \"{{{{user}}}} downloaded {{{{count}}}} files in {{{{within}}}}\"
  dedup: {dedup}
  daily_limit: {daily_limit}
governance:
  - {{action: notify-user, mode: automatic}}
  - {{action: suspend-user}}
"
    ))
}

/// `email` downloads a file at each of `minutes`; the alerts raised.
fn downloads(evaluator: &mut Evaluator<'_>, email: &str, minutes: &[i64]) -> Vec<saaswarden_core::Alert> {
    minutes
        .iter()
        .flat_map(|m| {
            let a = slack(&format!("{email}-{m}"), "file_downloaded", email, *m);
            evaluator.observe(&a, email)
        })
        .collect()
}

#[test]
fn repeated_policy_fires_once_at_n_within_t_not_again_inside_dedup_and_again_after() {
    let set = repeated(3, "10m", "user", "1h", 50);
    let mut ev = Evaluator::new(&set, "acme");
    let alice = "alice@acme.example";
    assert!(downloads(&mut ev, alice, &[0, 1]).is_empty(), "two of three");
    let first = downloads(&mut ev, alice, &[2]);
    assert_eq!(first.len(), 1, "the third match within 10m fires");
    assert!(downloads(&mut ev, alice, &[3, 4, 5, 20, 21, 22, 50, 51, 52]).is_empty(), "inside the 1h dedup");
    let again = downloads(&mut ev, alice, &[70, 71, 72]);
    assert_eq!(again.len(), 1, "a burst after the dedup window fires again");
    assert_ne!(again[0].id, first[0].id);
}

#[test]
fn repeated_alert_carries_the_contract_fields() {
    let set = repeated(3, "10m", "user", "1h", 50);
    let mut ev = Evaluator::new(&set, "acme");
    let alice = "alice@acme.example";
    let alerts = downloads(&mut ev, alice, &[0, 1, 2]);
    let alert = &alerts[0];
    let key = "acme|user=alice@acme.example";
    assert_eq!(alert.id, alert_id("acme", "mass_download", key, &at(0).to_rfc3339()));
    assert_eq!(alert.tenant, "acme");
    assert_eq!(alert.policy_id, "mass_download");
    assert_eq!(alert.title, "alice@acme.example downloaded 3 files in 10m");
    assert_eq!(alert.severity, Severity::High);
    assert_eq!(alert.status, AlertStatus::Open);
    assert_eq!(alert.user, alice);
    assert_eq!(alert.apps, vec![App::Slack]);
    assert_eq!(alert.created_at, at(2));
    let ids: Vec<String> = [0, 1, 2].iter().map(|m| format!("slack:{alice}-{m}")).collect();
    assert_eq!(alert.activity_ids, ids, "all matches, oldest first");
    assert!(!alert.description.is_empty());
    let e = &alert.evidence;
    assert_eq!(e["policy"], "Mass download");
    assert_eq!(e["mode"], "repeated");
    assert_eq!((e["count"].as_u64(), e["within"].as_str()), (Some(3), Some("10m")));
    assert_eq!(e["key"], json!({"tenant": "acme", "user": alice}));
    assert_eq!(e["counting_key"], key);
    assert_eq!(
        e["governance"],
        json!([{"action": "notify-user", "mode": "automatic"}, {"action": "suspend-user", "mode": "approval"}])
    );
    // Replaying the same activities gives the same alert id.
    let mut replay = Evaluator::new(&set, "acme");
    assert_eq!(downloads(&mut replay, alice, &[0, 1, 2])[0].id, alert.id);
}

#[test]
fn matches_outside_the_window_drop_out() {
    let set = repeated(3, "10m", "user", "0s", 50);
    let mut ev = Evaluator::new(&set, "acme");
    let alice = "alice@acme.example";
    assert!(downloads(&mut ev, alice, &[0, 6, 11, 17]).is_empty(), "never three within 10 minutes");
    let alerts = downloads(&mut ev, alice, &[18]);
    assert_eq!(alerts.len(), 1, "11, 17, 18 are within 10 minutes");
    let ids: Vec<String> = [11, 17, 18].iter().map(|m| format!("slack:{alice}-{m}")).collect();
    assert_eq!(alerts[0].activity_ids, ids);
}

#[test]
fn a_spent_burst_needs_n_new_matches_without_dedup() {
    let set = repeated(3, "10m", "user", "0s", 50);
    let mut ev = Evaluator::new(&set, "acme");
    let alerts = downloads(&mut ev, "alice@acme.example", &[0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(alerts.len(), 2, "one alert per three matches, not one per match");
}

#[test]
fn daily_alert_limit_holds_and_resets_on_the_next_utc_day() {
    let set = repeated(2, "5m", "user", "0s", 2);
    let mut ev = Evaluator::new(&set, "acme");
    let alice = "alice@acme.example";
    assert_eq!(downloads(&mut ev, alice, &[0, 1]).len(), 1);
    assert_eq!(downloads(&mut ev, alice, &[30, 31]).len(), 1);
    assert!(downloads(&mut ev, alice, &[60, 61]).is_empty(), "third burst of the day: over the limit of 2");
    assert!(downloads(&mut ev, "bob@acme.example", &[90, 91]).is_empty(), "the limit is per policy, not per user");
    assert_eq!(ev.state().alerts_today("mass_download"), 2);
    let next_day = Duration::days(1).num_minutes();
    assert_eq!(downloads(&mut ev, alice, &[next_day, next_day + 1]).len(), 1, "a new UTC day");
}

#[test]
fn single_mode_fires_per_match_subject_to_dedup_and_daily_limit() {
    let yaml = "id: admin_grant\nname: Admin grant\nseverity: high\nfilter: {field: action, op: equals, value: role_change_to_admin}\nalert: {title: \"{{actor}} granted admin\"}\n";
    let set = compile_ok(yaml);
    let mut ev = Evaluator::new(&set, "acme");
    let a1 = slack("1", "role_change_to_admin", "alice@acme.example", 0);
    let a2 = slack("2", "role_change_to_admin", "alice@acme.example", 1);
    let first = ev.observe(&a1, "alice@acme.example");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].id, alert_id("acme", "admin_grant", "acme|user=alice@acme.example", "slack:1"));
    assert_eq!(first[0].activity_ids, vec!["slack:1".to_string()]);
    assert_eq!(ev.observe(&a2, "alice@acme.example").len(), 1, "no dedup: every match alerts");
    assert!(ev.observe(&slack("3", "user_login", "alice@acme.example", 2), "alice@acme.example").is_empty());

    let deduped = compile_ok(&yaml.replace("alert: {", "alert: {dedup: 30m, daily_limit: 3, "));
    let mut ev = Evaluator::new(&deduped, "acme");
    let raised: Vec<usize> = (0..6)
        .map(|i| {
            let email = if i % 2 == 0 { "alice@acme.example" } else { "bob@acme.example" };
            ev.observe(&slack(&i.to_string(), "role_change_to_admin", email, i * 20), email).len()
        })
        .collect();
    // alice at 0 (fires), bob at 20 (fires), alice at 40 (after 30m: fires, 3rd of the day),
    // bob at 60, alice at 80, bob at 100: over the daily limit.
    assert_eq!(raised, vec![1, 1, 1, 0, 0, 0]);
}

#[test]
fn per_user_ip_and_tenant_count_separately() {
    let activity_from =
        |id: &str, email: &str, ip: &str, minute: i64| slack(id, "file_downloaded", email, minute).with_ip(ip);
    let stream = [
        activity_from("1", "alice@acme.example", "10.0.0.1", 0),
        activity_from("2", "bob@acme.example", "10.0.0.1", 1),
        activity_from("3", "alice@acme.example", "10.0.0.2", 2),
    ];
    let fired = |per: &str| {
        let set = repeated(2, "10m", per, "0s", 50);
        let mut ev = Evaluator::new(&set, "acme");
        let alerts: Vec<_> =
            stream.iter().flat_map(|a| ev.observe(a, a.actor.email.as_deref().unwrap_or(""))).collect();
        alerts.iter().map(|a| a.activity_ids.clone()).collect::<Vec<_>>()
    };
    let ids = |list: &[&str]| vec![list.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    assert_eq!(fired("user"), ids(&["slack:1", "slack:3"]), "alice twice");
    assert_eq!(fired("ip"), ids(&["slack:1", "slack:2"]), "10.0.0.1 twice");
    assert_eq!(fired("tenant"), ids(&["slack:1", "slack:2"]), "anyone in the tenant");
    assert!(fired("user, ip").is_empty(), "no user twice from one IP");
}

#[test]
fn counting_key_combines_tenant_and_per_parts() {
    let set = repeated(2, "10m", "ip, user, app", "0s", 50);
    let a = slack("1", "file_downloaded", "alice@acme.example", 0).with_ip("10.0.0.1");
    assert_eq!(set.policies()[0].counting_key(&a), "acme|user=alice@acme.example|app=slack|ip=10.0.0.1");
    let set = repeated(2, "10m", "tenant", "0s", 50);
    assert_eq!(set.policies()[0].counting_key(&a), "acme");
}

#[test]
fn state_round_trips_through_json_mid_burst() {
    let set = repeated(3, "10m", "user", "1h", 50);
    let alice = "alice@acme.example";
    let mut ev = Evaluator::new(&set, "acme");
    assert!(downloads(&mut ev, alice, &[0, 1]).is_empty());
    let saved = serde_json::to_string(ev.state()).expect("serializes");
    let restored: EvaluatorState = serde_json::from_str(&saved).expect("deserializes");
    assert_eq!(&restored, ev.state());
    let mut resumed = Evaluator::with_state(&set, "acme", restored);
    assert_eq!(downloads(&mut resumed, alice, &[2]).len(), 1, "the burst completes after a restart");
    let other = compile_ok(VALID);
    let dropped = Evaluator::with_state(&other, "acme", resumed.into_state());
    assert_eq!(dropped.state().key_count(), 0, "state of policies no longer in the set is dropped");
}

#[test]
fn stale_counting_keys_are_pruned() {
    let set = repeated(5, "10m", "user", "30m", 50);
    let mut ev = Evaluator::new(&set, "acme");
    for i in 0..50 {
        let email = format!("user{i}@acme.example");
        downloads(&mut ev, &email, &[i / 10]);
    }
    assert_eq!(ev.state().key_count(), 50);
    // Hits are kept for their window plus a day of lateness (batches of different users arrive out of order).
    downloads(&mut ev, "late@acme.example", &[12 * 60]);
    assert_eq!(ev.state().key_count(), 51, "within the lateness tolerance every key is kept");
    downloads(&mut ev, "later@acme.example", &[2 * 24 * 60]);
    assert_eq!(ev.state().key_count(), 1, "only the key still inside its window is kept");
}

#[test]
fn disabled_policies_are_skipped_but_their_inline_tests_run() {
    let yaml = format!(
        "{}enabled: false\ntests:\n  - name: fires\n    activities: [{{action: role_change_to_admin, actor: {{email: a@acme.example}}}}]\n    expect: {{alerts: 1}}\n",
        VALID
    );
    let set = compile_ok(&yaml);
    let mut ev = Evaluator::new(&set, "acme");
    assert!(ev.observe(&slack("1", "role_change_to_admin", "a@acme.example", 0), "a@acme.example").is_empty());
    let results = run_inline_tests(&set);
    assert!(results[0].passed, "{:?}", results[0].message);
}

// ---- inline tests -----------------------------------------------------------------------------------------

#[test]
fn inline_test_activities_get_defaults_and_failures_explain_themselves() {
    let yaml = format!(
        "{VALID}tests:
  - name: fires on an admin grant
    activities:
      - {{action: role_change_to_admin, actor: {{email: alice@acme.example}}, target: {{kind: user, name: Dave}}, ip: 1.2.3.4}}
    expect:
      alerts: 1
      activity_ids: [\"test:1\"]
      title: alice@acme.example granted Dave an admin role
      user: alice@acme.example
  - name: deliberately wrong
    activities:
      - {{action: role_change_to_admin, actor: {{email: bob@svc.acme.example}}}}
      - {{action: role_change_to_owner, repeat: 2, app: slack}}
    expect: {{alerts: 2, title: nope}}
"
    );
    let set = compile_ok(&yaml);
    let results = run_inline_tests(&set);
    assert_eq!(results.len(), 2);
    assert!(results[0].passed, "{:?}", results[0].message);
    assert_eq!(results[0].line, 12);
    assert_eq!(results[0].origin, "policies/x.yaml");
    let first = &results[0].alerts[0];
    assert_eq!(first.tenant, "test");
    assert_eq!(first.created_at, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default());
    assert!(!results[1].passed);
    let message = results[1].message.clone().unwrap_or_default();
    assert!(message.contains("expected the first alert's title \"nope\""), "{message}");
    assert_eq!(results[1].alerts.len(), 2, "the service account is excluded; the two repeats without an email alert");
    assert_eq!(results[1].alerts[1].activity_ids, vec!["test:3".to_string()]);
    assert_eq!(results[1].alerts[1].user, "slack:unknown");
}

#[test]
fn inline_test_clock_honours_start_interval_and_given_times() {
    // Two matches within 5m fire. At a 6m interval the repeated pair does not; the activity after a given
    // time follows it by one interval (12:06), close enough to the next given time (12:08) to fire.
    let yaml = "id: t
name: T
severity: low
filter: {field: action, op: equals, value: file_downloaded}
match: {mode: repeated, count: 2, within: 5m}
alert: {title: x}
tests:
  - name: spacing
    start: 2026-05-01T10:00:00Z
    interval: 6m
    activities:
      - {action: file_downloaded, repeat: 2}
      - {action: file_downloaded, occurred_at: \"2026-05-01T12:00:00Z\"}
      - {action: file_downloaded}
      - {action: file_downloaded, occurred_at: \"2026-05-01T12:08:00Z\"}
    expect: {alerts: 1, activity_ids: [\"test:4\", \"test:5\"]}
";
    let set = compile_ok(yaml);
    let results = run_inline_tests(&set);
    assert!(results[0].passed, "{:?}", results[0].message);
    let start = Utc.with_ymd_and_hms(2026, 5, 1, 12, 8, 0).single().unwrap_or_default();
    assert_eq!(results[0].alerts[0].created_at, start);
}

#[test]
fn invalid_test_activities_are_validation_errors() {
    let yaml = format!(
        "{VALID}tests:
  - name: bad
    activities:
      - {{actor: {{email: a@b.c}}}}
      - {{action: x, category: nonsense}}
      - {{action: x, administrative: maybe}}
    expect: {{alerts: 0}}
"
    );
    let errors = errors_of(&yaml);
    let text = render(&errors);
    assert!(text.contains("policies/x.yaml:14: tests[0].activities[0].action: missing field `action`"), "{text}");
    assert!(
        text.contains("policies/x.yaml:15: tests[0].activities[1]: not a valid activity: unknown variant `nonsense`"),
        "{text}"
    );
    assert!(
        text.contains("policies/x.yaml:16: tests[0].activities[2].administrative: expected true or false, got text"),
        "{text}"
    );
}

#[test]
fn repeated_counting_is_idempotent_and_tolerates_late_hits_from_other_users() {
    // per: [tenant], 3 within 10 minutes.
    let set = repeated(3, "10m", "tenant", "0s", 50);
    let mut ev = Evaluator::new(&set, "acme");
    // Alice's whole day first (10:00 and 16:00), then Erin's 10:03 and 10:05 arrive late.
    assert!(downloads(&mut ev, "alice@acme.example", &[600, 960]).is_empty());
    let alerts = downloads(&mut ev, "erin@acme.example", &[603, 605]);
    assert_eq!(alerts.len(), 1, "10:00, 10:03 and 10:05 make a burst even though 16:00 came first");
    assert_eq!(alerts[0].activity_ids.len(), 3);

    // The same activity observed twice (a redelivery) counts once.
    let set = repeated(2, "10m", "user", "0s", 50);
    let mut ev = Evaluator::new(&set, "acme");
    assert!(downloads(&mut ev, "bob@acme.example", &[0]).is_empty());
    assert!(downloads(&mut ev, "bob@acme.example", &[0]).is_empty(), "a redelivered match is not a second match");
    assert_eq!(downloads(&mut ev, "bob@acme.example", &[1]).len(), 1);
}

#[test]
fn the_built_in_starter_pack_compiles_with_every_policy() {
    let sources = crate::starter::sources();
    assert!(sources.len() >= 25, "starter pack has {} files", sources.len());
    assert!(sources.iter().all(|(origin, _)| origin.starts_with("policies/")), "origins name the repository path");
    let set = PolicySet::from_sources(&sources, &Groups::new()).unwrap_or_else(|e| panic!("{}", render(&e)));
    assert_eq!(set.len(), sources.len());
}

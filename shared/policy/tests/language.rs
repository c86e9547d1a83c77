//! The second version of the policy language, through the public API: severity rules and `critical`,
//! templates with conditionals, value maps, captures and defaults, `per:` over any field, field-to-field
//! and set operators, and inline tests on raw Slack and Zendesk entries normalized by the real connectors.
//! Each feature: its evaluation, and its errors located at `file:line` naming the field.

use chrono::{DateTime, Duration, TimeZone, Utc};
mod support;
use saaswarden_core::testing::activity;
use saaswarden_core::{Activity, Alert, App, Category, Severity};
use saaswarden_policy::{
    ErrorKind, Evaluator, Groups, InlineTestResult, PolicyError, PolicySet, run_inline_tests, run_inline_tests_with,
};
use serde_json::{Value, json};
use support::connectors;

fn compile(yaml: &str) -> Result<PolicySet, Vec<PolicyError>> {
    PolicySet::from_sources(&[("policies/x.yaml".to_string(), yaml.to_string())], &Groups::new())
}

fn compile_ok(yaml: &str) -> PolicySet {
    compile(yaml).unwrap_or_else(|errors| panic!("policy should compile:\n{}", render(&errors)))
}

fn render(errors: &[PolicyError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

/// The errors of a policy that must not compile, as text, one per line.
fn errors_of(yaml: &str) -> (String, Vec<PolicyError>) {
    let errors = compile(yaml).err().unwrap_or_default();
    assert!(!errors.is_empty(), "the policy should not compile:\n{yaml}");
    (render(&errors), errors)
}

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap_or_default() + Duration::minutes(minutes)
}

fn slack_activity(id: &str, action: &str, minute: i64, raw: Value) -> Activity {
    let mut a = activity(id, "alice@acme.example", at(minute));
    a.action = action.to_string();
    a.category = Category::Administrative;
    a.raw = raw;
    a
}

fn observe(set: &PolicySet, activities: &[Activity]) -> Vec<Alert> {
    let mut evaluator = Evaluator::new(set, "acme");
    activities.iter().flat_map(|a| evaluator.observe(a, &a.user_key())).collect()
}

fn failures(results: &[InlineTestResult]) -> Vec<String> {
    results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}:{} {}: {}", r.origin, r.line, r.test, r.message.as_deref().unwrap_or_default()))
        .collect()
}

// ---- severity rules and `critical` -------------------------------------------------------------------------

const ROLE_POLICY: &str = "\
id: role_change
name: Role change
severity:
  default: medium
  rules:
    - when: { field: raw.details.new_role, op: equals, value: owner }
      severity: critical
    - when: { field: raw.details.new_role, op: in, value: [admin, owner] }
      severity: high
filter: { field: action, op: prefix, value: role_change_to_ }
alert:
  title: \"{{actor}} changed a role\"
";

#[test]
fn the_first_matching_severity_rule_wins_and_the_default_covers_the_rest() {
    let set = compile_ok(ROLE_POLICY);
    let policy = set.get("role_change").expect("compiled");
    assert_eq!(policy.severity(), Severity::Medium, "the default");
    let alerts = observe(
        &set,
        &[
            slack_activity("1", "role_change_to_owner", 0, json!({"details": {"new_role": "owner"}})),
            slack_activity("2", "role_change_to_admin", 1, json!({"details": {"new_role": "admin"}})),
            slack_activity("3", "role_change_to_user", 2, json!({"details": {"new_role": "user"}})),
        ],
    );
    let severities: Vec<Severity> = alerts.iter().map(|a| a.severity).collect();
    assert_eq!(severities, [Severity::Critical, Severity::High, Severity::Medium], "owner matches both rules");
    assert_eq!(alerts[0].evidence["severity_rule"], json!(0));
    assert_eq!(alerts[1].evidence["severity_rule"], json!(1));
    assert!(alerts[2].evidence.get("severity_rule").is_none(), "the default names no rule");
}

#[test]
fn a_plain_critical_severity_is_carried_into_alerts() {
    let set = compile_ok(
        "id: org_deleted\nname: Org deleted\nseverity: critical\nfilter: { field: action, op: equals, value: \
         organization_deleted }\nalert: { title: \"{{actor}} deleted the organisation\" }\n",
    );
    let alerts = observe(&set, &[slack_activity("1", "organization_deleted", 0, json!({}))]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].severity, Severity::Critical);
}

#[test]
fn severity_rule_errors_name_line_and_field() {
    let (text, errors) = errors_of(
        "id: p\nname: P\nseverity:\n  defalt: medium\n  rules:\n    - { when: { field: raw.x, op: equals, value: 1 }, \
         severity: severe }\n    - { when: { field: actor.mail, op: equals, value: a }, severity: high }\n    - \
         { severity: low }\nfilter: { field: action, op: equals, value: x }\nalert: { title: t }\n",
    );
    assert!(
        text.contains("policies/x.yaml:4: severity.defalt: unknown field `defalt` (did you mean `default`?)"),
        "{text}"
    );
    assert!(text.contains("severity.default: missing field `default`"), "{text}");
    assert!(
        text.contains("policies/x.yaml:6: severity.rules[0].severity: unknown value `severe`"),
        "a misspelt level: {text}"
    );
    assert!(text.contains("expected one of informational, low, medium, high, critical"), "{text}");
    assert!(
        text.contains("policies/x.yaml:7: severity.rules[1].when.field: unknown activity field `actor.mail`"),
        "{text}"
    );
    assert!(text.contains("policies/x.yaml:8: severity.rules[2].when: missing field `when`"), "{text}");
    assert!(errors.iter().any(|e| e.kind == ErrorKind::UnknownField));

    let (text, errors) = errors_of(
        "id: p\nname: P\nseverity: 3\nfilter: { field: action, op: equals, value: x }\nalert: { title: t }\n",
    );
    assert!(text.contains("policies/x.yaml:3: severity: expected a severity"), "{text}");
    assert_eq!(errors[0].kind, ErrorKind::WrongType);

    let (text, errors) = errors_of(
        "id: p\nname: P\nseverity:\n  default: low\n  rules:\n    - when: { field: raw.x, op: regex, value: \"(unclosed\" }\n      severity: high\nfilter: { field: action, op: equals, value: x }\nalert: { title: t }\n",
    );
    assert!(text.contains("policies/x.yaml:6: severity.rules[0].when.value: invalid regex `(unclosed`"), "{text}");
    assert_eq!(errors[0].kind, ErrorKind::BadRegex);
}

// ---- templates ---------------------------------------------------------------------------------------------

const TEMPLATE_POLICY: &str = r#"
id: zendesk_role
name: Zendesk role changed
severity: low
filter: { field: raw.change_description, op: contains, value: "role changed from" }
alert:
  title: "{{actor}} made {{target.name | default: 'someone'}} {{to | map: roles}} (was {{from | map: roles}})"
  captures:
    - { field: raw.change_description, regex: "(?i)role changed from (?P<from>.+) to (?P<to>.+)$" }
  maps:
    roles: { administrator: an administrator, admin: an administrator, agent: an agent, "end user": an end user }
  conditions:
    to_admin: { field: raw.change_description, op: regex, value: "(?i) to (administrator|admin)$" }
description: "{{#if to_admin}}Admin grant{{else}}Role change{{/if}}{{#if ip}} from {{ip}}{{/if}}; country {{country | default: 'not located'}}, {{raw.missing}}"
"#;

#[test]
fn templates_print_captures_through_maps_with_defaults_and_conditionals() {
    let set = compile_ok(TEMPLATE_POLICY);
    let mut admin =
        slack_activity("1", "update", 0, json!({"change_description": "Role changed from End user to Administrator"}));
    admin.app = App::Zendesk;
    admin.target = Some(saaswarden_core::activity::Target { kind: "user".into(), id: None, name: Some("Dave".into()) });
    let mut agent = admin.clone().with_ip("10.1.2.3");
    agent.id = "2".into();
    agent.target = None;
    agent.raw = json!({"change_description": "Role changed from Light agent to Agent"});
    let alerts = observe(&set, &[admin, agent]);
    assert_eq!(alerts[0].title, "alice@acme.example made Dave an administrator (was an end user)");
    assert_eq!(alerts[0].description, "Admin grant; country not located, unknown");
    assert_eq!(
        alerts[1].title, "alice@acme.example made someone an agent (was Light agent)",
        "a value the map lacks prints as it is; a missing value takes the default"
    );
    assert_eq!(alerts[1].description, "Role change from 10.1.2.3; country not located, unknown");
}

#[test]
fn template_errors_name_line_and_field() {
    let (text, errors) = errors_of(
        r#"id: p
name: P
severity: low
filter: { field: action, op: equals, value: x }
alert:
  title: "{{actor}} {{tos | map: role}} {{#if admn}}x{{/if}}"
  captures:
    - { field: raw.change_description, regex: "from (?P<from>.+) to (?P<to>.+" }
    - { field: raw.x, regex: "no groups" }
    - { field: actor.mail, regex: "(?P<mail>.+)" }
    - { field: raw.y, regex: "(?P<action>.+)" }
    - { field: raw.y, regex: "(?<=a)b" }
  mapz: {}
"#,
    );
    assert!(text.contains("policies/x.yaml:8: alert.captures[0].regex: invalid regex"), "{text}");
    assert!(text.contains("policies/x.yaml:9: alert.captures[1].regex: the regex names no group"), "{text}");
    assert!(
        text.contains("policies/x.yaml:10: alert.captures[2].field: unknown activity field `actor.mail`"),
        "{text}"
    );
    assert!(text.contains("policies/x.yaml:11: alert.captures[3].regex: the name `action` is already"), "{text}");
    assert!(text.contains("policies/x.yaml:12: alert.captures[4].regex: invalid regex `(?<=a)b`"), "{text}");
    assert!(text.contains("look-ahead and look-behind are not supported"), "{text}");
    assert!(text.contains("policies/x.yaml:13: alert.mapz: unknown field `mapz` (did you mean `maps`?)"), "{text}");
    assert!(errors.iter().any(|e| e.kind == ErrorKind::BadRegex));

    // With valid captures, the template itself is checked: unknown names, unknown maps, unknown conditions.
    let (text, _) = errors_of(
        r#"id: p
name: P
severity: low
filter: { field: action, op: equals, value: x }
alert:
  title: "{{tos}} {{to | map: role}} {{#if admn}}x{{/if}} {{to | upper}}"
  captures: [ { field: raw.d, regex: "to (?P<to>.+)" } ]
  maps: { roles: { a: b } }
  conditions: { admin: { field: raw.d, op: contains, value: admin } }
"#,
    );
    assert!(
        text.contains("policies/x.yaml:6: alert.title: unknown template field `{{tos}}` (did you mean `to`?)"),
        "{text}"
    );
    assert!(text.contains("`map: role` names no map of `alert.maps` (did you mean `roles`?)"), "{text}");
    assert!(text.contains("unknown template field `{{admn}}`"), "an #if names a condition or a value: {text}");
    assert!(text.contains("unknown template filter `upper`"), "{text}");

    let (text, errors) = errors_of(
        "id: p\nname: P\nseverity: low\nfilter: { field: action, op: equals, value: x }\nalert:\n  title: t\n  \
         maps: [a]\n  conditions: { bad-name: { field: action, op: equals, value: x }, ok: { field: nope, op: \
         equals, value: 1 } }\n",
    );
    assert!(text.contains("policies/x.yaml:7: alert.maps: expected a mapping"), "{text}");
    assert!(text.contains("alert.conditions.bad-name: `bad-name` is not a name"), "{text}");
    assert!(text.contains("alert.conditions.ok.field: unknown activity field `nope`"), "{text}");
    assert!(errors.iter().any(|e| e.kind == ErrorKind::WrongType));
}

// ---- per: any field ----------------------------------------------------------------------------------------

#[test]
fn per_counts_by_any_field_and_names_it_in_the_key_and_evidence() {
    let set = compile_ok(
        "id: resets\nname: Session resets of one user\nseverity: high\nfilter: { field: action, op: equals, value: \
         user_session_reset_by_admin }\nmatch: { mode: repeated, count: 3, within: 1d, per: [target.id] }\nalert: { \
         title: \"{{count}} session resets of {{target.id}}\" }\n",
    );
    let policy = set.get("resets").expect("compiled");
    assert_eq!(policy.per_fields().collect::<Vec<_>>(), ["target.id"]);
    let reset = |id: &str, admin: &str, target: Option<&str>, minute: i64| {
        let mut a = activity(id, admin, at(minute));
        a.action = "user_session_reset_by_admin".into();
        a.target =
            Some(saaswarden_core::activity::Target { kind: "user".into(), id: target.map(String::from), name: None });
        a
    };
    // Three different admins reset Dave's sessions: one target, three resets. Erin has two, and the two
    // resets without a target id count together as `none`.
    let activities = [
        reset("1", "alice@acme.example", Some("W0DAVE"), 0),
        reset("2", "bob@acme.example", Some("W0ERIN"), 1),
        reset("3", "carol@acme.example", Some("W0DAVE"), 2),
        reset("4", "bob@acme.example", None, 3),
        reset("5", "bob@acme.example", Some("W0ERIN"), 4),
        reset("6", "alice@acme.example", Some("W0DAVE"), 5),
        reset("7", "alice@acme.example", None, 6),
    ];
    let alerts = observe(&set, &activities);
    assert_eq!(alerts.len(), 1, "{:?}", alerts.iter().map(|a| &a.title).collect::<Vec<_>>());
    assert_eq!(alerts[0].title, "3 session resets of W0DAVE");
    assert_eq!(alerts[0].activity_ids, ["slack:1", "slack:3", "slack:6"]);
    assert_eq!(alerts[0].evidence["counting_key"], json!("acme|target.id=W0DAVE"));
    assert_eq!(alerts[0].evidence["per"], json!(["tenant", "target.id"]));
    assert_eq!(policy.counting_key(&activities[3]), "acme|target.id=none");
}

#[test]
fn per_with_user_and_a_field_keeps_both_in_the_key() {
    let set = compile_ok(
        "id: p\nname: P\nseverity: low\nfilter: { field: action, op: equals, value: x }\nmatch: { per: [user, \
         raw.details.channel] }\nalert: { title: t }\n",
    );
    let policy = set.get("p").expect("compiled");
    assert_eq!(policy.per(), [saaswarden_policy::Per::User], "per-user counters stay in the user's record");
    let a = slack_activity("1", "x", 0, json!({"details": {"channel": "C01"}}));
    assert_eq!(policy.counting_key(&a), "acme|user=alice@acme.example|raw.details.channel=C01");
}

#[test]
fn per_errors_name_the_field_that_does_not_exist() {
    let (text, errors) = errors_of(
        "id: p\nname: P\nseverity: low\nfilter: { field: action, op: equals, value: x }\nmatch:\n  per: [user, \
         target.idd, actor.group, 7]\nalert: { title: t }\n",
    );
    assert!(
        text.contains("policies/x.yaml:6: match.per[1]: `target.idd` is neither user, app, ip, tenant nor an activity field (did you mean `target.id`?)"),
        "{text}"
    );
    assert!(text.contains("match.per[2]: `actor.group` is neither"), "membership is no value to count by: {text}");
    assert!(text.contains("match.per[3]: expected text, got a number"), "{text}");
    assert!(errors.iter().any(|e| e.kind == ErrorKind::UnknownFieldPath));
}

// ---- field-to-field and set operators ----------------------------------------------------------------------

fn scopes(previous: Value, new: Value) -> Activity {
    slack_activity("1", "app_scopes_expanded", 0, json!({"details": {"previous_scopes": previous, "new_scopes": new}}))
}

fn matches(filter: &str, a: &Activity) -> bool {
    let yaml = format!("id: p\nname: P\nseverity: low\nfilter: {filter}\nalert: {{ title: t }}\n");
    compile_ok(&yaml).get("p").expect("compiled").matches(a)
}

#[test]
fn set_operators_compare_lists_ignoring_case() {
    let a = scopes(json!(["chat:write"]), json!(["chat:write", "Admin.Users:Read", 7]));
    let new = "raw.details.new_scopes";
    let cases = [
        (format!("{{ field: {new}, op: contains_any, value: [admin.users:read, x] }}"), true),
        (format!("{{ field: {new}, op: contains_any, value: [x, y] }}"), false),
        (format!("{{ field: {new}, op: contains_all, value: [chat:write, 7] }}"), true),
        (format!("{{ field: {new}, op: contains_all, value: [chat:write, x] }}"), false),
        (format!("{{ field: {new}, op: subset_of, value: [chat:write, admin.users:read, 7, x] }}"), true),
        (format!("{{ field: {new}, op: subset_of, value: [chat:write] }}"), false),
        (format!("{{ field: {new}, op: any_not_in, value: [chat:write] }}"), true),
        (format!("{{ field: {new}, op: any_not_in, value: [chat:write, admin.users:read, 7] }}"), false),
        (format!("{{ field: {new}, op: not_in, value: [x, y] }}"), true),
        (format!("{{ field: {new}, op: not_in, value: [7] }}"), false),
        // A scalar field is a set of one.
        ("{ field: action, op: not_in, value: [app_installed, app_removed] }".to_string(), true),
        ("{ field: action, op: contains_any, value: [App_Scopes_Expanded] }".to_string(), true),
        // A missing field matches no set operator.
        ("{ field: raw.details.nope, op: not_in, value: [x] }".to_string(), false),
        ("{ field: raw.details.nope, op: any_not_in, value: [x] }".to_string(), false),
    ];
    for (filter, expected) in cases {
        assert_eq!(matches(&filter, &a), expected, "{filter}");
    }
}

#[test]
fn a_field_compares_with_another_field() {
    let prev = "{ field: raw.details.previous_scopes }";
    let new = "raw.details.new_scopes";
    let grew = scopes(json!(["chat:write"]), json!(["chat:write", "files:read"]));
    let shrank = scopes(json!(["chat:write", "files:read"]), json!(["CHAT:WRITE"]));
    let added = format!("{{ field: {new}, op: any_not_in, value: {prev} }}");
    assert!(matches(&added, &grew), "a scope the previous list lacks");
    assert!(!matches(&added, &shrank), "no new scope");
    assert!(matches(&format!("{{ field: {new}, op: subset_of, value: {prev} }}"), &shrank));
    assert!(matches(&format!("{{ field: {new}, op: contains_all, value: {prev} }}"), &grew));
    assert!(!matches(&format!("{{ field: {new}, op: contains_all, value: {prev} }}"), &shrank));
    assert!(matches(&format!("{{ field: {new}, op: contains_any, value: {prev} }}"), &shrank));

    let roles = |from: &str, to: &str, count: i64, limit: &str| {
        slack_activity("1", "x", 0, json!({"d": {"from": from, "to": to, "count": count, "limit": limit}}))
    };
    let same = "{ field: raw.d.from, op: equals, value: { field: raw.d.to } }";
    assert!(matches(same, &roles("Admin", "admin", 1, "2")));
    assert!(!matches(same, &roles("admin", "owner", 1, "2")));
    let over = "{ field: raw.d.count, op: gt, value: { field: raw.d.limit } }";
    assert!(matches(over, &roles("a", "b", 3, "2")), "a number against numeric text");
    assert!(!matches(over, &roles("a", "b", 2, "2")));
    assert!(!matches("{ field: raw.d.count, op: gt, value: { field: raw.d.nope } }", &roles("a", "b", 3, "2")));
}

#[test]
fn operator_errors_name_line_and_field() {
    let (text, errors) = errors_of(
        "id: p\nname: P\nseverity: low\nfilter:\n  all:\n    - { field: raw.a, op: any_not_in, value: { field: \
         raw.b.. } }\n    - { field: raw.a, op: prefix, value: { field: raw.b } }\n    - { field: raw.a, op: \
         contains_any, value: [] }\n    - { field: raw.a, op: subset_of, value: [[x]] }\n    - { field: raw.a, op: \
         any_not_in, value: { field: actor.mail } }\n    - { field: raw.a, op: contans_all, value: [x] }\n    - { \
         field: administrative, op: not_in, value: [true] }\nalert: { title: t }\n",
    );
    assert!(text.contains("policies/x.yaml:6: filter.all[0].value: unknown activity field `raw.b..`"), "{text}");
    assert!(text.contains("policies/x.yaml:7: filter.all[1].value: `prefix` takes a literal value"), "{text}");
    assert!(text.contains("policies/x.yaml:8: filter.all[2].value: `contains_any` needs at least one value"), "{text}");
    assert!(text.contains("policies/x.yaml:9: filter.all[3].value: expected a list of values"), "{text}");
    assert!(
        text.contains(
            "policies/x.yaml:10: filter.all[4].value: unknown activity field `actor.mail` (did you mean `actor.email`?)"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "policies/x.yaml:11: filter.all[5].op: unknown operator `contans_all` (did you mean `contains_all`?)"
        ),
        "{text}"
    );
    assert!(
        text.contains("policies/x.yaml:12: filter.all[6].op: operator `not_in` does not apply to `administrative`"),
        "{text}"
    );
    assert!(errors.iter().any(|e| e.kind == ErrorKind::UnknownOperator));
}

#[test]
fn a_comparison_with_another_field_is_never_decided_by_the_shape_index() {
    // `action` is a field the shape index decides alone; compared with a raw field it must not be.
    let set = compile_ok(
        "id: p\nname: P\nseverity: low\nfilter: { field: action, op: equals, value: { field: raw.expected } }\n\
         alert: { title: t }\n",
    );
    let hit = slack_activity("1", "user_login", 0, json!({"expected": "USER_LOGIN"}));
    let miss = slack_activity("2", "user_login", 1, json!({"expected": "other"}));
    assert_eq!(observe(&set, &[miss, hit]).len(), 1, "same shape, different outcome");
}

// ---- inline tests on raw entries ---------------------------------------------------------------------------

const RAW_TESTS: &str = r#"
id: role_grants
name: Role grants
severity:
  default: medium
  rules:
    - { when: { field: action, op: equals, value: role_change_to_owner }, severity: critical }
filter:
  any:
    - { field: action, op: in, value: [role_change_to_admin, role_change_to_owner] }
    - { field: raw.change_description, op: contains, value: "to Administrator" }
alert:
  title: "{{actor}} granted {{target.name}} a role ({{action}})"
description: "{{#if ip}}from {{ip}}{{else}}no IP{{/if}}"
tests:
  - name: a raw Slack entry normalized by the connector
    activities:
      - slack:
          id: 0123a45b-6c7d-8e9f-a0b1-c2d3e4f5a6b7
          date_create: 1767261600
          action: role_change_to_owner
          actor: { type: user, user: { id: W123AB456, name: Alice, email: alice@acme.example } }
          entity: { type: user, user: { id: W999, name: Dave Okafor, email: dave@acme.example } }
          context:
            location: { type: enterprise, id: E0ACME, name: Acme, domain: acme }
            ua: Mozilla/5.0
            ip_address: 203.0.113.7
    expect:
      alerts: 1
      severity: critical
      title: alice@acme.example granted Dave Okafor a role (role_change_to_owner)
      description: from 203.0.113.7
      activity_ids: ["slack:0123a45b-6c7d-8e9f-a0b1-c2d3e4f5a6b7"]
  - name: a raw Zendesk entry with its actor from zendesk_users
    zendesk_users:
      - { id: 361234500003, name: Carol Mbeki, email: carol@acme.example, role: admin }
    activities:
      - zendesk:
          url: https://acme.zendesk.com/api/v2/audit_logs/1.json
          id: 1
          action_label: Updated
          actor_id: 361234500003
          actor_name: Carol Mbeki
          source_id: 361234509999
          source_type: user
          source_label: Temp Contractor
          action: update
          change_description: Role changed from Agent to Administrator
          ip_address: null
          created_at: "2026-10-14T09:12:51Z"
    expect: { alerts: 1, severity: medium, user: carol@acme.example, description: no IP, title: "carol@acme.example granted Temp Contractor a role (update)" }
  - name: a deliberately wrong severity
    activities:
      - { action: role_change_to_admin, actor: { email: a@acme.example } }
    expect: { alerts: 1, severity: high }
"#;

#[test]
fn raw_entries_are_normalized_by_the_given_normalizer_and_expectations_check_severity_and_description() {
    let set = compile_ok(RAW_TESTS);
    let results = run_inline_tests_with(&set, &connectors);
    assert!(results[0].passed && results[1].passed, "{:?}", failures(&results));
    assert_eq!(results[0].alerts[0].apps, [App::Slack]);
    assert!(!results[2].passed);
    assert_eq!(
        results[2].message.as_deref(),
        Some("expected the first alert's severity high, got medium"),
        "the failure says what differed"
    );
}

#[test]
fn without_a_normalizer_a_raw_entry_test_fails_saying_what_it_needs() {
    let set = compile_ok(RAW_TESTS);
    let results = run_inline_tests(&set);
    assert!(!results[0].passed);
    let message = results[0].message.clone().unwrap_or_default();
    assert!(message.starts_with("policies/x.yaml:19: a raw slack entry needs the connectors"), "{message}");
    assert!(message.contains("saaswarden policies test"), "{message}");
}

#[test]
fn a_raw_entry_the_connector_rejects_fails_its_test_with_the_entry_id() {
    let yaml = RAW_TESTS.replace("date_create: 1767261600", "date_create: not-a-time");
    let set = compile_ok(&yaml);
    let results = run_inline_tests_with(&set, &connectors);
    assert!(!results[0].passed);
    let message = results[0].message.clone().unwrap_or_default();
    assert!(
        message.starts_with(
            "policies/x.yaml:19: the raw slack entry (id \"0123a45b-6c7d-8e9f-a0b1-c2d3e4f5a6b7\") does not normalize"
        ),
        "{message}"
    );
    assert!(results[1].passed, "the other tests still run");
}

#[test]
fn raw_entry_and_expectation_errors_name_line_and_field() {
    let (text, errors) = errors_of(
        "id: p\nname: P\nseverity: low\nfilter: { field: action, op: equals, value: x }\nalert: { title: t }\n\
         tests:\n  - name: bad\n    zendesk_users: [1]\n    activities:\n      - { slack: { id: a }, repeat: 2 }\n      \
         - { zendesk: [x] }\n    expect: { alerts: 1, severity: urgent, descripton: x }\n",
    );
    assert!(text.contains("policies/x.yaml:8: tests[0].zendesk_users[0]: expected a Zendesk user"), "{text}");
    assert!(text.contains("policies/x.yaml:10: tests[0].activities[0].repeat: `repeat` next to `slack`"), "{text}");
    assert!(
        text.contains("policies/x.yaml:11: tests[0].activities[1].zendesk: expected a raw zendesk audit entry"),
        "{text}"
    );
    assert!(text.contains("policies/x.yaml:12: tests[0].expect.severity: unknown value `urgent`"), "{text}");
    assert!(
        text.contains(
            "policies/x.yaml:12: tests[0].expect.descripton: unknown field `descripton` (did you mean `description`?)"
        ),
        "{text}"
    );
    assert!(errors.iter().all(|e| e.line.is_some()));
}

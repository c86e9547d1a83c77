use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::alert::{Alert, AlertStatus, Severity};
use crate::config::Config;

fn alert(policy: &str, user: &str) -> Alert {
    Alert {
        id: "al-1".into(),
        tenant: "acme".into(),
        policy_id: policy.into(),
        title: "Impossible travel".into(),
        description: "From US to SE in an hour.".into(),
        severity: Severity::High,
        status: AlertStatus::Open,
        user: user.into(),
        apps: vec![crate::App::Slack],
        created_at: Utc.with_ymd_and_hms(2026, 11, 1, 8, 30, 0).single().unwrap_or_default(),
        activity_ids: vec![],
        evidence_span: None,
        campaign: None,
        evidence: serde_json::Value::Null,
        resolution: None,
    }
}

fn config(text: &str) -> Config {
    Config::from_toml_str(text, "c.toml").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn detections_and_policies_ask_for_their_governance_actions() {
    let config = config(
        "[detections.impossible_travel]\ngovernance = [{ action = \"suspend-user\", mode = \"automatic\" }, \
         { action = \"notify-user\" }, { action = \"suspend-user\", mode = \"approval\" }]\n",
    );
    let decisions = decisions_for_alert(&alert("impossible_travel", "ann@acme.example"), &config);
    let asked: Vec<(ActionKind, Trigger)> = decisions.iter().map(|d| (d.action, d.trigger.clone())).collect();
    assert_eq!(
        asked,
        [
            (ActionKind::SuspendUser, Trigger::Automatic { mode: Mode::Automatic }),
            (ActionKind::NotifyUser, Trigger::Automatic { mode: Mode::Approval }),
        ],
        "one decision per action, approval unless automatic is written"
    );
    assert!(decisions_for_alert(&alert("anonymous_ip", "ann@acme.example"), &config).is_empty(), "none by default");

    let mut custom = alert("mass_download", "ann@acme.example");
    custom.evidence = json!({"governance": [{"action": "require-sign-in", "mode": "automatic"}]});
    let decisions = decisions_for_alert(&custom, &config);
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].action, ActionKind::RequireSignIn);
    custom.status = AlertStatus::Dismissed;
    assert!(decisions_for_alert(&custom, &config).is_empty(), "closed alerts ask for nothing");
}

#[test]
fn entry_ids_are_one_per_tenant_alert_and_action() {
    let a = entry_id("acme", "al-1", ActionKind::SuspendUser);
    assert_eq!(a, entry_id("acme", "al-1", ActionKind::SuspendUser));
    assert_ne!(a, entry_id("acme", "al-1", ActionKind::NotifyUser));
    assert_ne!(a, entry_id("acme", "al-2", ActionKind::SuspendUser));
    assert_ne!(a, entry_id("other", "al-1", ActionKind::SuspendUser));
}

#[test]
fn the_rails_apply_in_order_domain_protection_approval_dry_run() {
    let live = config(
        "[groups]\nexecs = [\"ceo@acme.example\"]\n[governance]\ndry_run = false\n\
         allowed_domains = [\"acme.example\"]\nprotected_users = [\"root@acme.example\", \"@vault.acme.example\"]\n\
         protected_groups = [\"execs\"]\n[governance.graph]\ntenant_id = \"t\"\nclient_id = \"c\"\n",
    );
    let dry = config("[governance]\nallowed_domains = [\"acme.example\"]\n");
    let defaults = Config::default();
    let automatic = Trigger::Automatic { mode: Mode::Automatic };
    let approval = Trigger::Automatic { mode: Mode::Approval };
    let cases: Vec<(&Config, &str, ActionKind, Trigger, &str)> = vec![
        (&live, "ann@acme.example", ActionKind::SuspendUser, automatic.clone(), "proceed"),
        (&live, "eve@other.example", ActionKind::NotifyUser, automatic.clone(), "skip: outside the allowed domains"),
        (&live, "ann@sub.acme.example", ActionKind::NotifyUser, automatic.clone(), "skip: outside the allowed domains"),
        (&live, "ROOT@acme.example", ActionKind::SuspendUser, automatic.clone(), "skip: protected"),
        (&live, "ROOT@acme.example", ActionKind::RequireSignIn, approval.clone(), "skip: protected"),
        (&live, "ceo@acme.example", ActionKind::SuspendUser, Trigger::Manual { by: "a".into() }, "skip: protected"),
        (&live, "root@acme.example", ActionKind::NotifyUser, automatic.clone(), "proceed"),
        (&live, "ann@acme.example", ActionKind::SuspendUser, approval.clone(), "pending: waiting for approval"),
        (&live, "ann@acme.example", ActionKind::SuspendUser, Trigger::Manual { by: "a".into() }, "proceed"),
        (&dry, "ann@acme.example", ActionKind::SuspendUser, automatic.clone(), "skip: dry run"),
        (&dry, "ann@acme.example", ActionKind::SuspendUser, approval, "pending: waiting for approval"),
        (&defaults, "ann@acme.example", ActionKind::NotifyUser, automatic, "skip: no domain is allowed"),
    ];
    for (config, user, action, trigger, expected) in cases {
        let decision = Decision::new(&alert("impossible_travel", user), action, trigger.clone());
        let got = match precheck(&decision, &config.governance) {
            Precheck::Proceed => "proceed".to_string(),
            Precheck::Pending(reason) => format!("pending: {reason}"),
            Precheck::Skip(reason) => format!("skip: {reason}"),
        };
        let (kind, words) = expected.split_once(": ").unwrap_or((expected, ""));
        assert!(got.starts_with(kind) && got.contains(words), "{user} {action} {trigger:?}: {got}");
    }
    let vault = DirectoryUser {
        id: "x".into(),
        user_principal_name: "ops@vault.acme.example".into(),
        mail: None,
        account_enabled: Some(true),
    };
    assert!(resolved_identity_check(ActionKind::SuspendUser, &vault, &live.governance).is_some());
}

#[test]
fn the_mapping_table_overrides_the_lookup_by_email() {
    let config = config("[governance.identities]\n\"Ann@acme.example\" = \"ann@acme.onmicrosoft.com\"\n");
    assert_eq!(lookup_for("ann@ACME.example", &config.governance), Lookup::Mapped("ann@acme.onmicrosoft.com".into()));
    assert_eq!(lookup_for("Bob@acme.example", &config.governance), Lookup::ByEmail("bob@acme.example".into()));
}

#[test]
fn the_notice_carries_the_alerts_facts_not_its_evidence() {
    let mut source = alert("impossible_travel", "ann@acme.example");
    source.evidence = json!({"other_user": "bob@acme.example"});
    let notice = notice_for(&Decision::new(&source, ActionKind::NotifyUser, Trigger::Manual { by: "a".into() }));
    assert_eq!(notice.subject, "Security alert on your account: Impossible travel");
    for fact in ["ann@acme.example", "slack", "2026-11-01 08:30", "From US to SE in an hour.", "al-1"] {
        assert!(notice.body.contains(fact), "{fact} in {}", notice.body);
    }
    assert!(!notice.body.contains("bob@"), "{}", notice.body);
}

#[test]
fn governance_settings_errors_name_the_setting() {
    let cases = [
        ("[governance]\nallowed_domains = [\"@acme.example\"]\n", "governance.allowed_domains[0]"),
        ("[governance]\nprotected_groups = [\"nobody\"]\n", "governance.protected_groups[0]"),
        ("[governance]\nprotected_users = [\"root\"]\n", "governance.protected_users[0]"),
        ("[governance]\ndry_run = false\nallowed_domains = [\"acme.example\"]\n", "governance.graph"),
        (
            "[governance]\ndry_run = false\n[governance.graph]\ntenant_id = \"t\"\nclient_id = \"c\"\n",
            "governance.allowed_domains",
        ),
        ("[governance.graph]\ngraph_host = \"graph.microsoft.us\"\n", "governance.graph.graph_host"),
        ("[governance.graph]\nscope = \"https://graph.microsoft.com\"\n", "governance.graph.scope"),
        ("[governance]\nsuspend_per_hour = 3\n", "suspend_per_hour"),
        ("[detections.anonymous_ip]\ngovernance = [{ action = \"delete-user\" }]\n", "delete-user"),
        ("[governance.identities]\n\"ann\" = \"x\"\n", "governance.identities"),
    ];
    for (text, setting) in cases {
        let error = Config::from_toml_str(text, "c.toml").expect_err(text).to_string();
        assert!(error.starts_with("c.toml") && error.contains(setting), "{error:?} should name {setting:?}");
    }
    let ok = config(
        "[governance]\nprotected_groups = [\"0D5B3A8E-7A1C-4B9E-9B0E-1F0A2C3D4E5F\"]\nsuspensions_per_hour = 2\n",
    );
    assert_eq!(ok.governance.protected_group_ids(), ["0d5b3a8e-7a1c-4b9e-9b0e-1f0a2c3d4e5f"]);
    assert!(ok.governance.dry_run, "dry run unless turned off");
}

#[test]
fn the_token_scope_follows_graph_host_unless_set() {
    let cases = [
        ("", "https://graph.microsoft.com/.default"),
        ("graph_host = \"https://graph.microsoft.us/\"\n", "https://graph.microsoft.us/.default"),
        (
            "graph_host = \"http://127.0.0.1:8080\"\nscope = \"https://graph.microsoft.com/.default\"\n",
            "https://graph.microsoft.com/.default",
        ),
    ];
    for (graph, scope) in cases {
        let config = config(&format!("[governance.graph]\n{graph}"));
        assert_eq!(config.governance.graph.token_scope(), scope, "{graph}");
    }
}

#[test]
fn the_current_reason_is_the_last_steps_and_the_earlier_ones_stay_in_the_steps() {
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).single().unwrap_or_default();
    let decision = Decision::new(
        &alert("impossible_travel", "ann@acme.example"),
        ActionKind::SuspendUser,
        Trigger::Automatic { mode: Mode::Automatic },
    );
    let dry = "dry run: would suspend-user ann@acme.example".to_string();
    let mut entry = GovernanceEntry::new(&decision, GovernanceStatus::Skipped, Some(dry.clone()), at);
    let steps = [
        (GovernanceStatus::Running, "approved by analyst"),
        (GovernanceStatus::Failed, "HTTP 400: Request_BadRequest: bad"),
        (GovernanceStatus::Running, "retried by analyst"),
        (GovernanceStatus::Succeeded, "suspend-user ann@acme.example"),
        (GovernanceStatus::Reverted, "re-enabled id-ann"),
    ];
    for (status, detail) in steps {
        entry.record(status, "analyst", Some(detail.to_string()), at);
        assert_eq!((entry.status, entry.reason.as_deref()), (status, Some(detail)));
    }
    let details: Vec<Option<&str>> = entry.events.iter().map(|e| e.detail.as_deref()).collect();
    assert_eq!(details.first().copied().flatten(), Some(dry.as_str()), "the dry run stays in the history");
    assert_eq!(details.len(), 6);
}

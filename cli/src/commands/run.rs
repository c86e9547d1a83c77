use anyhow::Context as _;
use saaswarden_app::{Detectors, Policies, ReplayInput, RunReport, replay};
use saaswarden_connectors::zendesk::ZendeskUsers;
use saaswarden_core::detect::Engine;
use serde_json::json;

use crate::cli::{Global, RunArgs};
use crate::exit;
use crate::output::print_json;
use crate::settings::{load_config, load_enricher, load_policies, open_store};

pub async fn execute(global: &Global, args: RunArgs) -> anyhow::Result<u8> {
    if args.slack_logs.is_empty() && args.zendesk_logs.is_empty() {
        anyhow::bail!("nothing to replay: give --slack-logs PATH… and/or --zendesk-logs PATH…");
    }
    let config = load_config(global.config.as_deref())?;
    let enricher = load_enricher(&config, global.config.as_deref())?;
    let policies = load_policies(&config, global.config.as_deref())?.map(Policies::new);
    let zendesk_users = match &args.zendesk_users {
        Some(path) => read_users(path)?,
        None => ZendeskUsers::default(),
    };
    let store = open_store(global.db.as_deref())?;
    super::directory::warn_of_records_under_other_tenants(&store, &[&config.tenant])?;
    let engine = Engine::from_config(&config);
    let input = ReplayInput {
        slack_paths: args.slack_logs,
        zendesk_paths: args.zendesk_logs,
        entries: Vec::new(),
        zendesk_users,
    };
    // Fail before detection, not after, when governance is configured to act but cannot (no secret).
    super::governance::provider(&config)?;
    let alerts_before = super::governance::alert_ids(&store).await?;
    store.begin_bulk()?;
    let detectors = Detectors { engine: &engine, policies: policies.as_ref(), enricher: enricher.as_ref() };
    let report = replay(input, &config.tenant, &detectors, &store).await;
    store.end_bulk()?;
    let report = report?;
    report_rejected(&report);
    // Automatic governance for the alerts this run raised (each action claimed once: a rerun acts on nothing).
    if let Some(governed) = super::governance::govern_new_alerts(&config, &store, &alerts_before).await? {
        let line = super::governance::describe_report(&governed);
        if args.json { eprintln!("{line}") } else { println!("{line}") }
    }
    if args.json {
        print_json(&summary(&report))?;
    } else {
        println!("{}", describe(&report));
    }
    Ok(if report.rejected.is_empty() { exit::OK } else { exit::REJECTED_INPUT })
}

fn read_users(path: &std::path::Path) -> anyhow::Result<ZendeskUsers> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read Zendesk users {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("Zendesk users {} is not JSON", path.display()))?;
    ZendeskUsers::from_json(&value).with_context(|| format!("Zendesk users {}", path.display()))
}

/// Every rejected entry goes to stderr with where it was and why, so nothing is dropped silently.
pub fn report_rejected(report: &RunReport) {
    for rejected in &report.rejected {
        eprintln!("rejected: {rejected}");
    }
}

pub fn describe(report: &RunReport) -> String {
    let d = &report.detection;
    format!(
        "read {} entries: {} new activities, {} already stored, {} duplicates in the input, {} rejected; {} alerts raised ({} new)",
        report.entries_read,
        d.new_activities,
        d.activities - d.new_activities,
        report.duplicates,
        report.rejected.len(),
        d.alerts_raised,
        d.alerts_created
    )
}

fn summary(report: &RunReport) -> serde_json::Value {
    let d = &report.detection;
    json!({
        "entries_read": report.entries_read,
        "activities": d.activities,
        "new_activities": d.new_activities,
        "duplicates_in_input": report.duplicates,
        "rejected": report.rejected.iter().map(|r| json!({
            "location": r.location, "entry_id": r.entry_id, "reason": r.reason
        })).collect::<Vec<_>>(),
        "alerts_raised": d.alerts_raised,
        "alerts_created": d.alerts_created,
    })
}

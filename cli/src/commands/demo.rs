//! `saaswarden demo`: a generated tenant through the whole pipeline, on a temporary (or given) store.

use std::collections::BTreeMap;

use saaswarden_app::{Detectors, Policies, ReplayInput, replay};
use saaswarden_connectors::input::RawEntry;
use saaswarden_connectors::zendesk::ZendeskUsers;
use saaswarden_core::detect::Engine;
use saaswarden_core::directory::{Termination, TerminationStatus};
use saaswarden_core::{Alert, App, Config};
use saaswarden_demo::{DEMO_THREAT_LIST, DemoOptions, DemoTenant, DirectoryStatus, Scored, generate};
use saaswarden_store::{AlertFilter, AlertStore, Directory, SqliteStore};

use crate::cli::{DemoArgs, Global};
use crate::exit;
use crate::output::{alert_table, print_json, table};
use crate::settings::{groups, load_config, load_enricher};

/// The demo's own configuration and the data it names, built into the binary.
const DEMO_CONFIG: &str = include_str!("demo.toml");
const DEMO_DATA: [(&str, &[u8]); 4] = [
    ("GeoIP2-City-Test.mmdb", include_bytes!("../../../data/maxmind-test/GeoIP2-City-Test.mmdb")),
    ("GeoIP2-Anonymous-IP-Test.mmdb", include_bytes!("../../../data/maxmind-test/GeoIP2-Anonymous-IP-Test.mmdb")),
    ("GeoLite2-ASN-Test.mmdb", include_bytes!("../../../data/maxmind-test/GeoLite2-ASN-Test.mmdb")),
    ("threat-intel.txt", DEMO_THREAT_LIST.as_bytes()),
];

pub async fn execute(global: &Global, args: DemoArgs) -> anyhow::Result<u8> {
    let options = DemoOptions { seed: args.seed, users: args.users, days: args.days, ..DemoOptions::default() };
    let mut tenant = generate(&options);

    // The demo leaves nothing behind unless asked to keep its store.
    let scratch = tempfile::tempdir()?;
    for (name, bytes) in DEMO_DATA {
        std::fs::write(scratch.path().join(name), bytes)?;
    }
    let demo_config_path = scratch.path().join("demo.toml");
    std::fs::write(&demo_config_path, DEMO_CONFIG)?;
    let demo_config = Config::from_toml_str(DEMO_CONFIG, "built-in demo.toml")?;
    // A user's own file may tune the detections; the demo keeps its tenant and data.
    let mut config = match global.config.as_deref() {
        Some(path) => load_config(Some(path))?,
        None => demo_config.clone(),
    };
    config.tenant = tenant.tenant.clone();
    config.enrichment = demo_config.enrichment;
    let enricher = load_enricher(&config, Some(&demo_config_path))?;
    let sources: Vec<(String, String)> = saaswarden_policy::starter::sources();
    let policies = Policies::new(
        saaswarden_policy::PolicySet::from_sources(&sources, &groups(&config)?)
            .map_err(crate::settings::policy_errors)?,
    );

    let db = global.db.clone().unwrap_or_else(|| scratch.path().join("demo.db"));
    let store = SqliteStore::open(&db)?;
    store.import(&config.tenant, &terminations(&tenant)).await?;
    let engine = Engine::from_config(&config);

    let input = ReplayInput {
        slack_paths: Vec::new(),
        zendesk_paths: Vec::new(),
        entries: entries_of(&mut tenant),
        zendesk_users: ZendeskUsers::from_json(&tenant.zendesk_users)?,
    };
    let alerts_before = super::governance::alert_ids(&store).await?;
    store.begin_bulk()?;
    let detectors = Detectors { engine: &engine, policies: Some(&policies), enricher: enricher.as_ref() };
    let report = replay(input, &config.tenant, &detectors, &store).await;
    store.end_bulk()?;
    let report = report?;
    super::run::report_rejected(&report);
    // Governance runs in dry-run unless the user's configuration turns it off: logged, nothing called.
    let governed = super::governance::govern_new_alerts(&config, &store, &alerts_before).await?;

    let alerts = store.list(&AlertFilter { limit: usize::MAX >> 1, ..Default::default() }).await?;
    // The planted attacks test the built-in anomaly detections; custom policies are audit rules that
    // also fire on routine administration, so they are counted apart.
    let builtin = engine.policy_ids();
    let (anomalies, custom): (Vec<&Alert>, Vec<&Alert>) =
        alerts.iter().partition(|a| builtin.contains(&a.policy_id.as_str()));
    let scored = tenant.score(
        anomalies
            .iter()
            .map(|a| (a.policy_id.as_str(), a.user.as_str(), a.activity_ids.as_slice(), a.campaign.as_deref())),
    );
    let verdict = if args.check && !scored.perfect() { exit::CHECK_FAILED } else { exit::OK };
    if args.json {
        print_json(&alerts)?;
        return Ok(verdict);
    }
    println!(
        "Simulated tenant `{}`: {} users over {} days ({} to {}), seed {}.",
        tenant.tenant,
        tenant.users.len(),
        (tenant.end - tenant.start).num_days(),
        tenant.start.format("%Y-%m-%d"),
        tenant.end.format("%Y-%m-%d"),
        options.seed
    );
    println!("{}\n", super::run::describe(&report));
    if let Some(governed) = governed {
        println!("{}\n", super::governance::describe_report(&governed));
    }
    print!("{}", detection_counts(&engine, &anomalies));
    println!();
    print!("{}", policy_counts(&custom, policies.len()));
    println!();
    print!("{}", planted_summary(&scored));
    println!("\nAnomaly alerts, newest first:");
    print!("{}", alert_table(&anomalies.into_iter().cloned().collect::<Vec<_>>()));
    let shown: Vec<Alert> = custom.iter().take(20).map(|a| (*a).clone()).collect();
    println!(
        "\nCustom policy alerts, newest first ({} of {}; all with `alerts list --db FILE`):",
        shown.len(),
        custom.len()
    );
    print!("{}", alert_table(&shown));
    if global.db.is_some() {
        println!("\nThe store is kept at {}: try `saaswarden alerts show ID --db {0}`.", db.display());
        println!("Open the console on it: `saaswarden serve --db {}` (it prints the URL to open).", db.display());
    } else {
        println!(
            "\nTo look around in the console, keep the store and serve it: `saaswarden demo --db demo.db`, then \
             `saaswarden serve --db demo.db` (it prints the URL to open)."
        );
    }
    if verdict == exit::CHECK_FAILED {
        eprintln!("demo check failed: a planted attack was missed or benign activity raised an alert");
    }
    Ok(verdict)
}

/// What the simulated identity provider says about leavers.
fn terminations(tenant: &DemoTenant) -> Vec<Termination> {
    tenant
        .directory
        .iter()
        .map(|entry| Termination {
            user: entry.email.clone(),
            status: match entry.status {
                DirectoryStatus::Deleted => TerminationStatus::Deleted,
                DirectoryStatus::Disabled => TerminationStatus::Disabled,
            },
            since: entry.since,
            source: "demo directory".to_string(),
        })
        .collect()
}

/// The generated pages as raw entries, each with a location for error messages. Takes the pages: at
/// about 100,000 entries, copying them would cost more than normalizing them.
fn entries_of(tenant: &mut DemoTenant) -> Vec<(App, Vec<RawEntry>)> {
    fn take(app: App, pages: &mut Vec<serde_json::Value>, key: &str) -> Vec<RawEntry> {
        let mut entries = Vec::new();
        for (page, mut body) in std::mem::take(pages).into_iter().enumerate() {
            let Some(serde_json::Value::Array(items)) = body.get_mut(key).map(serde_json::Value::take) else {
                continue;
            };
            entries.extend(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, value)| RawEntry { location: format!("demo {app} page {page}: {key}[{i}]"), value }),
            );
        }
        entries
    }
    vec![
        (App::Slack, take(App::Slack, &mut tenant.slack_pages, "entries")),
        (App::Zendesk, take(App::Zendesk, &mut tenant.zendesk_pages, "audit_logs")),
    ]
}

fn policy_counts(alerts: &[&Alert], loaded: usize) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for alert in alerts {
        *counts.entry(alert.policy_id.as_str()).or_default() += 1;
    }
    let rows: Vec<Vec<String>> = counts.iter().map(|(policy, n)| vec![policy.to_string(), n.to_string()]).collect();
    format!(
        "Custom policies (starter pack, {loaded} loaded): {} alerts from {} policies.\n{}",
        alerts.len(),
        counts.len(),
        table(&["POLICY", "ALERTS"], &rows)
    )
}

fn detection_counts(engine: &Engine, alerts: &[&Alert]) -> String {
    let mut counts: BTreeMap<&str, usize> = engine.policy_ids().into_iter().map(|p| (p, 0)).collect();
    for alert in alerts {
        *counts.entry(alert.policy_id.as_str()).or_default() += 1;
    }
    let rows: Vec<Vec<String>> = counts.iter().map(|(policy, n)| vec![policy.to_string(), n.to_string()]).collect();
    table(&["DETECTION", "ALERTS"], &rows)
}

fn planted_summary(scored: &Scored) -> String {
    let rows: Vec<Vec<String>> = scored
        .planted
        .iter()
        .map(|(attack, found)| {
            vec![
                if *found { "found" } else { "MISSED" }.to_string(),
                attack.policy_id.to_string(),
                attack.user.clone(),
                attack.description.clone(),
            ]
        })
        .collect();
    let user_alerts: usize = scored.user_alerts_per_attack.iter().sum();
    let campaign_alerts = user_alerts - scored.alerts_per_attack.iter().sum::<usize>();
    let campaigns = if campaign_alerts > 0 {
        format!(" ({user_alerts} alerts in all: a campaign's alerts for its other users count once)")
    } else {
        String::new()
    };
    format!(
        "Planted attacks: {} of {} found; alerts on benign activity: {}; alerts per planted incident: {:.2} (at most {}){campaigns}.\n{}",
        scored.found(),
        scored.planted.len(),
        scored.benign_alerts,
        scored.alerts_per_incident(),
        scored.alerts_per_attack.iter().max().copied().unwrap_or(0),
        table(&["RESULT", "DETECTION", "USER", "ATTACK"], &rows)
    )
}

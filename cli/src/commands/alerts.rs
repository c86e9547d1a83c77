use chrono::Utc;
use saaswarden_core::{AlertStatus, Resolution, ResolutionKind, Severity};
use saaswarden_store::{ActivityLog, AlertFilter, AlertStore, GovernanceFilter, GovernanceLog};
use serde_json::json;

use crate::cli::{AlertListArgs, AlertsCommand, Global, ResolutionNote, StatusArg, Verdict};
use crate::exit;
use crate::output::{activity_table, alert_table, print_json};
use crate::settings::open_store;

pub async fn execute(global: &Global, command: AlertsCommand) -> anyhow::Result<u8> {
    if let Some(remote) = super::remote::Remote::from_global(global)? {
        return remote.alerts(command).await;
    }
    let store = open_store(global.db.as_deref())?;
    match command {
        AlertsCommand::List(args) => list(&store, args).await,
        AlertsCommand::Show { id, json } => show(&store, &id, json).await,
        AlertsCommand::Resolve { id, verdict, note } => {
            let kind = match verdict {
                Verdict::TruePositive => ResolutionKind::TruePositive,
                Verdict::Benign => ResolutionKind::Benign,
                Verdict::FalsePositive => ResolutionKind::FalsePositive,
            };
            resolve(&store, &id, kind, note).await
        }
        AlertsCommand::Dismiss { id, note } => resolve(&store, &id, ResolutionKind::Dismissed, note).await,
        AlertsCommand::Campaigns { status, json } => {
            let list = saaswarden_api::queries::alerts::campaign_list(&store, None, status.map(alert_status)).await?;
            print_campaigns(&list.campaigns, list.partial, json)?;
            Ok(exit::OK)
        }
    }
}

/// How many of the newest alerts `alerts campaigns` groups (the API's figure).
const CAMPAIGN_ALERTS: usize = saaswarden_api::queries::alerts::CAMPAIGN_ALERTS;

pub(super) fn alert_status(status: StatusArg) -> AlertStatus {
    match status {
        StatusArg::Open => AlertStatus::Open,
        StatusArg::Resolved => AlertStatus::Resolved,
        StatusArg::Dismissed => AlertStatus::Dismissed,
    }
}

/// `alerts campaigns`'s output (also for campaigns read from a deployed stack's API).
pub(super) fn print_campaigns(
    campaigns: &[saaswarden_core::Campaign],
    partial: bool,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        print_json(&json!({ "campaigns": campaigns, "partial": partial }))?;
        return Ok(());
    }
    if campaigns.is_empty() {
        println!("no campaigns");
    }
    for c in campaigns {
        println!(
            "{}  [{}]  {} users, {} alerts ({} open), {} to {}  {}",
            c.id,
            c.severity,
            c.users.len(),
            c.alerts,
            c.open_alerts,
            c.first_at.to_rfc3339(),
            c.last_at.to_rfc3339(),
            c.policies.join(", ")
        );
        println!("    {}", c.users.join(", "));
    }
    if partial {
        eprintln!(
            "grouped the newest {CAMPAIGN_ALERTS} alerts only: older campaigns may be missing; narrow with --status"
        );
    }
    Ok(())
}

async fn list(store: &impl AlertStore, args: AlertListArgs) -> anyhow::Result<u8> {
    let filter = AlertFilter {
        tenant: None,
        status: args.status.map(alert_status),
        policy_id: args.policy,
        min_severity: args.severity.map(Severity::from),
        user: args.user,
        campaign: args.campaign,
        // One more than shown tells whether the list was cut.
        limit: args.limit.saturating_add(1),
    };
    let mut alerts = store.list(&filter).await?;
    let cut = alerts.len() > args.limit;
    alerts.truncate(args.limit);
    print_alerts(&alerts, args.json)?;
    if cut {
        eprintln!("showing the first {} alerts; more match: narrow the list or raise --limit", args.limit);
    }
    Ok(exit::OK)
}

/// `alerts list`'s output (also for alerts read from a deployed stack's API).
pub(super) fn print_alerts(alerts: &[saaswarden_core::Alert], json: bool) -> anyhow::Result<()> {
    if json {
        print_json(&alerts)?;
    } else if alerts.is_empty() {
        println!("no alerts");
    } else {
        print!("{}", alert_table(alerts));
    }
    Ok(())
}

async fn show(store: &(impl AlertStore + ActivityLog + GovernanceLog), id: &str, json: bool) -> anyhow::Result<u8> {
    let Some(alert) = store.get(id).await? else {
        anyhow::bail!("no alert with id `{id}` (list them with `saaswarden alerts list`)");
    };
    let history = store.history(id).await?;
    let evidence = store.get_many(&alert.tenant, &alert.activity_ids).await?;
    let governance = store
        .governance_entries(&GovernanceFilter { alert_id: Some(id.to_string()), limit: 100, ..Default::default() })
        .await?;
    if json {
        print_json(&json!({ "alert": alert, "history": history, "activities": evidence, "governance": governance }))?;
        return Ok(exit::OK);
    }
    print_detail(&alert, &history, &evidence, &governance)?;
    Ok(exit::OK)
}

/// `alerts show` as text (also for an alert read from a deployed stack's API).
pub(super) fn print_detail(
    alert: &saaswarden_core::Alert,
    history: &[Resolution],
    evidence: &[saaswarden_core::Activity],
    governance: &[saaswarden_core::governance::GovernanceEntry],
) -> anyhow::Result<()> {
    println!("{}  [{} / {}]  {}", alert.id, alert.severity, alert.status.as_str(), alert.title);
    println!("policy:   {}", alert.policy_id);
    println!("user:     {}", alert.user);
    println!("apps:     {}", alert.apps.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", "));
    println!("created:  {}", alert.created_at.to_rfc3339());
    if let Some(campaign) = &alert.campaign {
        println!(
            "campaign: {campaign}  (every user's alert from this source: saaswarden alerts list --campaign {campaign})"
        );
    }
    if !alert.description.is_empty() {
        println!("\n{}", alert.description);
    }
    println!("\nfacts:\n{}", serde_json::to_string_pretty(&alert.evidence)?);
    for resolution in history {
        println!(
            "\n{:?} by {} at {}{}",
            resolution.kind,
            resolution.by,
            resolution.at.to_rfc3339(),
            resolution.comment.as_deref().map(|c| format!(": {c}")).unwrap_or_default()
        );
    }
    if !governance.is_empty() {
        println!("\ngovernance ({} actions):", governance.len());
        print!("{}", super::governance::entry_table(governance));
    }
    println!("\nevidence ({} activities):", alert.activity_ids.len());
    print!("{}", activity_table(evidence));
    Ok(())
}

async fn resolve(store: &impl AlertStore, id: &str, kind: ResolutionKind, note: ResolutionNote) -> anyhow::Result<u8> {
    let by = note.by.or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "cli".to_string());
    let resolution = Resolution { kind, by, at: Utc::now(), comment: note.comment };
    let alert = store.resolve(id, resolution).await?;
    println!("{} is now {}", alert.id, alert.status.as_str());
    Ok(exit::OK)
}

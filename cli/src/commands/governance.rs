//! `saaswarden governance approve|log|revert|retry`, `directory sync`, and the local pipeline's
//! automatic governance after detection. Builds the Graph client once from `[governance]`.

use chrono::Utc;
use saaswarden_app::govern::{GovernError, GovernReport, Governor, SyncReport, sync_directory};
use saaswarden_connectors::graph::Provider;
use saaswarden_connectors::http::Secret;
use saaswarden_core::governance::{ActionKind, GovernanceEntry, GovernanceStatus};
use saaswarden_core::{Alert, Config};
use saaswarden_store::{AlertFilter, AlertStore, GovernanceFilter, GovernanceLog, SqliteStore};

use crate::cli::{Global, GovernanceCommand};
use crate::exit;
use crate::output::{print_json, table};
use crate::settings::{load_config, open_store};

/// The identity provider `[governance]` asks for; its client secret from the environment variable the
/// configuration names.
pub fn provider(config: &Config) -> anyhow::Result<Provider> {
    let variable = &config.governance.graph.client_secret_env;
    let secret = std::env::var(variable).ok().map(Secret::new);
    Provider::from_settings(&config.governance, secret)
        .map_err(|e| anyhow::anyhow!("governance.graph.client_secret_env: the environment variable `{variable}`: {e}"))
}

pub async fn execute(global: &Global, command: GovernanceCommand) -> anyhow::Result<u8> {
    if let Some(remote) = super::remote::Remote::from_global(global)? {
        return remote.governance(command).await;
    }
    let store = open_store(global.db.as_deref())?;
    let entry = match command {
        // Reading the log needs neither Graph nor the client secret.
        GovernanceCommand::Log { alert, limit, json } => return log(&store, alert, limit, json).await,
        action => act(global, &store, action).await?,
    };
    println!("{}", describe(&entry));
    Ok(if entry.status == GovernanceStatus::Failed { exit::FAILED } else { exit::OK })
}

/// `approve`, `retry`, `revert`: the commands that may call Graph.
async fn act(global: &Global, store: &SqliteStore, command: GovernanceCommand) -> anyhow::Result<GovernanceEntry> {
    let config = load_config(global.config.as_deref())?;
    let provider = provider(&config)?;
    let governor = Governor { settings: &config.governance, log: store, idp: &provider };
    let now = Utc::now();
    let entry = match command {
        GovernanceCommand::Log { .. } => Err(GovernError::Invalid("`governance log` changes nothing".into())),
        GovernanceCommand::Approve { alert_id, action, by } => {
            let action: ActionKind = action.parse().map_err(anyhow::Error::msg)?;
            governor.approve(store, &alert_id, action, &analyst(by), now).await
        }
        GovernanceCommand::Retry { id, by } => governor.retry(&id, &analyst(by), now).await,
        GovernanceCommand::Revert { id, by } => governor.revert(&id, &analyst(by), now).await,
    };
    entry.map_err(explain)
}

/// `directory sync`: terminated users from Graph's delta feed.
pub async fn sync(global: &Global, json: bool) -> anyhow::Result<u8> {
    let config = load_config(global.config.as_deref())?;
    if !config.governance.graph.is_configured() {
        anyhow::bail!(
            "governance.graph: set tenant_id and client_id (and the client secret's variable) to sync the directory \
             from Microsoft Graph (docs/governance.md)"
        );
    }
    let mut strict = config.clone();
    strict.governance.dry_run = false;
    let provider = provider(&strict)?;
    let store = open_store(global.db.as_deref())?;
    let report: SyncReport = sync_directory(&store, &provider, &config.tenant, Utc::now()).await.map_err(explain)?;
    if json {
        print_json(&report)?;
    } else {
        println!(
            "{} sync: {} changes, {} terminations new or changed, {} enabled again and taken off the record, {} removed users no longer named",
            if report.incremental { "incremental" } else { "full" },
            report.changes,
            report.terminations,
            report.reinstated,
            report.unnamed
        );
    }
    Ok(exit::OK)
}

/// The local pipeline's governance step: the automatic decisions of the alerts a run created.
pub async fn govern_new_alerts(
    config: &Config,
    store: &SqliteStore,
    before: &std::collections::HashSet<String>,
) -> anyhow::Result<Option<GovernReport>> {
    let alerts: Vec<Alert> = store
        .list(&AlertFilter { tenant: Some(config.tenant.clone()), limit: usize::MAX >> 1, ..Default::default() })
        .await?
        .into_iter()
        .filter(|a| !before.contains(&a.id))
        .collect();
    if alerts.is_empty() {
        return Ok(None);
    }
    let provider = provider(config)?;
    let governor = Governor { settings: &config.governance, log: store, idp: &provider };
    let report = governor.govern_alerts(&alerts, config, Utc::now()).await.map_err(explain)?;
    Ok((report.decisions > 0).then_some(report))
}

/// The ids of the alerts already stored, before a run.
pub async fn alert_ids(store: &SqliteStore) -> anyhow::Result<std::collections::HashSet<String>> {
    let alerts = store.list(&AlertFilter { limit: usize::MAX >> 1, ..Default::default() }).await?;
    Ok(alerts.into_iter().map(|a| a.id).collect())
}

pub fn describe_report(report: &GovernReport) -> String {
    format!(
        "governance: {} decisions: {} succeeded, {} pending approval, {} skipped, {} failed, {} already handled \
         (`saaswarden governance log`)",
        report.decisions, report.succeeded, report.pending, report.skipped, report.failed, report.already_claimed
    )
}

async fn log(store: &SqliteStore, alert: Option<String>, limit: usize, json: bool) -> anyhow::Result<u8> {
    let entries = store.governance_entries(&GovernanceFilter { tenant: None, alert_id: alert, limit }).await?;
    if json {
        print_json(&entries)?;
    } else if entries.is_empty() {
        println!("no governance actions");
    } else {
        print!("{}", entry_table(&entries));
    }
    Ok(exit::OK)
}

/// The governance log as a table (also under `alerts show`).
pub fn entry_table(entries: &[GovernanceEntry]) -> String {
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let by = e.events.last().map(|ev| ev.by.clone()).unwrap_or_default();
            let note = e.error.clone().or_else(|| e.reason.clone()).unwrap_or_default();
            vec![
                e.id.clone(),
                e.alert_id.clone(),
                e.user.clone(),
                e.action.to_string(),
                e.status.to_string(),
                e.updated_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                by,
                e.request_id.clone().unwrap_or_else(|| "-".into()),
                note,
            ]
        })
        .collect();
    table(&["ID", "ALERT", "USER", "ACTION", "STATUS", "WHEN", "BY", "REQUEST-ID", "REASON"], &rows)
}

pub(super) fn describe(entry: &GovernanceEntry) -> String {
    let mut line =
        format!("{} {} {} on alert {}: {}", entry.id, entry.action, entry.user, entry.alert_id, entry.status);
    if let Some(note) = entry.error.as_ref().or(entry.reason.as_ref()) {
        line.push_str(&format!(" ({note})"));
    }
    if let Some(request_id) = &entry.request_id {
        line.push_str(&format!(" [request-id {request_id}]"));
    }
    line
}

fn analyst(by: Option<String>) -> String {
    by.or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "cli".to_string())
}

fn explain(error: GovernError) -> anyhow::Error {
    anyhow::Error::new(error).context("governance")
}

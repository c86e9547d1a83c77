use anyhow::Context as _;
use saaswarden_app::directory::parse_terminations;
use saaswarden_store::{Directory, SqliteStore};

use crate::cli::{DirectoryCommand, Global};
use crate::exit;
use crate::output::{print_json, table};
use crate::settings::{load_config, open_store};

pub async fn execute(global: &Global, command: DirectoryCommand) -> anyhow::Result<u8> {
    let config = load_config(global.config.as_deref())?;
    match command {
        DirectoryCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read the directory file {}", file.display()))?;
            let parsed = parse_terminations(&text, &file.display().to_string()).map_err(anyhow::Error::msg)?;
            let store = open_store(global.db.as_deref())?;
            let changed = store.import(&config.tenant, &parsed.records).await?;
            if global.config.is_none() {
                eprintln!(
                    "note: without --config the records are filed under tenant `{}`; runs of a configuration with \
                     another tenant do not see them",
                    config.tenant
                );
            }
            for rejected in &parsed.rejected {
                eprintln!("rejected: {rejected}");
            }
            println!(
                "{} terminated identities read, {changed} new or changed, {} rejected",
                parsed.records.len(),
                parsed.rejected.len()
            );
            Ok(if parsed.rejected.is_empty() { exit::OK } else { exit::REJECTED_INPUT })
        }
        DirectoryCommand::List { json } => {
            let store = open_store(global.db.as_deref())?;
            let all = store.terminations(&config.tenant).await?;
            if json {
                print_json(&all)?;
            } else if all.is_empty() {
                println!("no terminated identities on record");
            } else {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|t| vec![t.user.clone(), t.status.to_string(), t.since.to_rfc3339(), t.source.clone()])
                    .collect();
                print!("{}", table(&["USER", "STATUS", "SINCE", "SOURCE"], &rows));
            }
            Ok(exit::OK)
        }
        DirectoryCommand::Sync { json } => super::governance::sync(global, json).await,
    }
}

/// Warns when the directory holds records only for other tenants than those being processed: the
/// terminated-user detection would silently see none of them (say, records imported without `--config`,
/// under tenant `default`).
pub fn warn_of_records_under_other_tenants(store: &SqliteStore, tenants: &[&str]) -> anyhow::Result<()> {
    let filed = store.directory_tenants()?;
    if filed.is_empty() || filed.iter().any(|(tenant, _)| tenants.contains(&tenant.as_str())) {
        return Ok(());
    }
    let elsewhere: Vec<String> = filed.iter().map(|(tenant, count)| format!("`{tenant}` ({count})")).collect();
    eprintln!(
        "warning: the directory holds terminated identities only under tenant {}, none under {}: \
         terminated_user raises no alert for them. Import them again with this run's configuration \
         (`saaswarden directory import FILE --config …`).",
        elsewhere.join(", "),
        tenants.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}

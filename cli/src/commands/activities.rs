use saaswarden_store::{ActivityLog, ActivityQuery};

use crate::cli::{ActivitiesCommand, Global};
use crate::exit;
use crate::output::{activity_table, print_json};
use crate::settings::open_store;

pub async fn execute(global: &Global, command: ActivitiesCommand) -> anyhow::Result<u8> {
    if let Some(remote) = super::remote::Remote::from_global(global)? {
        return remote.activities(command).await;
    }
    let ActivitiesCommand::Search(args) = command;
    let store = open_store(global.db.as_deref())?;
    let query = ActivityQuery {
        tenant: None,
        user: args.user,
        ip: args.ip,
        country: args.country,
        app: args.app,
        action: args.action,
        outcome: args.outcome,
        since: args.since,
        until: args.until,
        limit: args.limit,
    };
    let found = store.search(&query).await?;
    print_activities(&found, args.json, args.limit)?;
    Ok(exit::OK)
}

/// `activities search`'s output (also for activities read from a deployed stack's API).
pub(super) fn print_activities(found: &[saaswarden_core::Activity], json: bool, limit: usize) -> anyhow::Result<()> {
    if json {
        print_json(&found)?;
    } else if found.is_empty() {
        println!("no matching activities");
    } else {
        print!("{}", activity_table(found));
    }
    if found.len() == limit {
        eprintln!("showing the first {limit} matches; narrow the search or raise --limit");
    }
    Ok(())
}

use saaswarden_store::{ActivityLog, ActivityQuery};

use crate::cli::{ActivitiesCommand, Global};
use crate::exit;
use crate::output::{activity_table, print_json};
use crate::settings::open_store;

pub async fn execute(global: &Global, command: ActivitiesCommand) -> anyhow::Result<u8> {
    let ActivitiesCommand::Search(args) = command;
    let store = open_store(global.db.as_deref())?;
    let query = ActivityQuery {
        tenant: None,
        user: args.user,
        ip: args.ip,
        country: args.country,
        app: args.app,
        action: args.action,
        since: args.since,
        until: args.until,
        limit: args.limit,
    };
    let found = store.search(&query).await?;
    if args.json {
        print_json(&found)?;
    } else if found.is_empty() {
        println!("no matching activities");
    } else {
        print!("{}", activity_table(&found));
    }
    if found.len() == args.limit {
        eprintln!("showing the first {} matches; narrow the search or raise --limit", args.limit);
    }
    Ok(exit::OK)
}

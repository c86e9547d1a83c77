//! One module per command; each reads its arguments, calls the use cases and prints.

mod activities;
mod alerts;
mod collect;
mod demo;
mod directory;
pub(crate) mod governance;
mod policies;
mod remote;
mod run;
mod serve;

use crate::cli::{Cli, Command};

/// Runs the parsed command and returns its exit code.
pub async fn execute(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Demo(args) => demo::execute(&cli.global, args).await,
        Command::Run(args) => run::execute(&cli.global, args).await,
        Command::Collect(args) => collect::execute(&cli.global, args).await,
        Command::Alerts(command) => alerts::execute(&cli.global, command).await,
        Command::Activities(command) => activities::execute(&cli.global, command).await,
        Command::Directory(command) => directory::execute(&cli.global, command).await,
        Command::Governance(command) => governance::execute(&cli.global, command).await,
        Command::Policies(command) => policies::execute(&cli.global, command),
        Command::Serve(args) => serve::execute(&cli.global, args).await,
    }
}

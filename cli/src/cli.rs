//! The command-line surface. These names are a contract (docs/cli.md): add flags, never rename or remove.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "saaswarden", version, about = "Cloud-app security for Slack Enterprise Grid and Zendesk audit logs")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The local store (SQLite file). Default ./saaswarden.db; `demo` uses a temporary file unless given.
    #[arg(long, global = true, value_name = "FILE", env = "SAASWARDEN_DB")]
    pub db: Option<PathBuf>,
    /// The configuration file (TOML). Without it, the built-in defaults apply.
    #[arg(long, global = true, value_name = "FILE", env = "SAASWARDEN_CONFIG")]
    pub config: Option<PathBuf>,
    /// A deployed stack's API (its `ApiUrl` output): `alerts`, `activities` and `governance` ask it instead
    /// of the local store, with the access token in SAASWARDEN_API_TOKEN.
    #[arg(long, global = true, value_name = "URL", env = "SAASWARDEN_API_URL")]
    pub api: Option<String>,
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a simulated tenant with planted attacks through the whole pipeline and print the alerts.
    Demo(DemoArgs),
    /// Replay exported audit logs through the pipeline.
    Run(RunArgs),
    /// Pull new audit-log entries from the live APIs of the configured `[[sources]]`, then detect.
    Collect(CollectArgs),
    /// List, show and resolve alerts.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Search the audit trail.
    #[command(subcommand)]
    Activities(ActivitiesCommand),
    /// Validate and test custom activity policies.
    #[command(subcommand)]
    Policies(PoliciesCommand),
    /// Terminated identities, for the terminated_user detection.
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// Governance actions through Microsoft Entra ID: approve, log, revert, retry.
    #[command(subcommand)]
    Governance(GovernanceCommand),
    /// Serve the analyst console and the HTTP API on the local store (prints the URL to open).
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on. Anything but a loopback address exposes the store to the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// The port; 0 picks a free one (printed).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
}

#[derive(Debug, Subcommand)]
pub enum PoliciesCommand {
    /// Check policy files (or folders of them); every error with file, line and field.
    Validate {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Run the inline tests of policy files (or folders of them).
    Test {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Import deleted or disabled identities from a CSV (email,status,since) or JSON file.
    Import { file: PathBuf },
    /// List the identities on record as terminated.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Read disabled and deleted users from Microsoft Graph (delta query; continues from the last sync).
    Sync {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum GovernanceCommand {
    /// Approve (run) a governance action on an alert's user; runs it at once.
    Approve {
        alert_id: String,
        #[arg(long, value_parser = ["notify-user", "require-sign-in", "suspend-user"])]
        action: String,
        /// Who approves (default: $USER, else "cli").
        #[arg(long)]
        by: Option<String>,
    },
    /// The governance log, newest first.
    Log {
        /// Only the actions of this alert.
        #[arg(long)]
        alert: Option<String>,
        #[arg(long, default_value_t = 200)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Undo a suspension (re-enable the user).
    Revert {
        id: String,
        #[arg(long)]
        by: Option<String>,
    },
    /// Run a failed action again.
    Retry {
        id: String,
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the simulated tenant; the same seed gives the same tenant and alerts.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of simulated users.
    #[arg(long, default_value_t = 240)]
    pub users: usize,
    /// Number of simulated days.
    #[arg(long, default_value_t = 35)]
    pub days: u32,
    /// Print alerts as JSON.
    #[arg(long)]
    pub json: bool,
    /// Exit with code 4 unless every planted attack is found and no benign activity raised an alert.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Only the sources of this app.
    #[arg(long, value_enum)]
    pub app: Option<CollectApp>,
    /// Print the run summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CollectApp {
    Slack,
    Zendesk,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Slack audit logs: a file or directory of API responses ({"entries":[…]}) or JSON Lines.
    #[arg(long = "slack-logs", value_name = "PATH", num_args = 1..)]
    pub slack_logs: Vec<PathBuf>,
    /// Zendesk audit logs: a file or directory of API responses ({"audit_logs":[…]}) or JSON Lines.
    #[arg(long = "zendesk-logs", value_name = "PATH", num_args = 1..)]
    pub zendesk_logs: Vec<PathBuf>,
    /// Zendesk users ({"users":[…]}, the Users API shape) to resolve actor ids to emails.
    #[arg(long = "zendesk-users", value_name = "FILE")]
    pub zendesk_users: Option<PathBuf>,
    /// Print the run summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// List alerts, newest first.
    List(AlertListArgs),
    /// Show one alert with its evidence and resolution history.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Resolve an alert with a verdict.
    Resolve {
        id: String,
        #[arg(long = "as", value_enum)]
        verdict: Verdict,
        #[command(flatten)]
        note: ResolutionNote,
    },
    /// Dismiss an alert without a verdict.
    Dismiss {
        id: String,
        #[command(flatten)]
        note: ResolutionNote,
    },
    /// Campaigns: one source (an IPv4 address, an IPv6 /64) whose alerts reach at least two users, latest
    /// first. `alerts list --campaign ID` lists a campaign's alerts.
    Campaigns {
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AlertListArgs {
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    /// Only alerts of this policy (e.g. multiple_failed_logins).
    #[arg(long)]
    pub policy: Option<String>,
    /// Only alerts at or above this severity.
    #[arg(long, value_enum)]
    pub severity: Option<SeverityArg>,
    /// Only alerts about this user (email).
    #[arg(long)]
    pub user: Option<String>,
    /// Only the alerts of this campaign (`cp-…`, see `alerts campaigns`).
    #[arg(long)]
    pub campaign: Option<String>,
    /// At most this many alerts, newest first; stderr says when more match.
    #[arg(long, default_value_t = 200)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ResolutionNote {
    #[arg(long)]
    pub comment: Option<String>,
    /// Who resolves (default: $USER, else "cli").
    #[arg(long)]
    pub by: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Verdict {
    TruePositive,
    Benign,
    FalsePositive,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Open,
    Resolved,
    Dismissed,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeverityArg {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for saaswarden_core::Severity {
    fn from(arg: SeverityArg) -> Self {
        match arg {
            SeverityArg::Informational => Self::Informational,
            SeverityArg::Low => Self::Low,
            SeverityArg::Medium => Self::Medium,
            SeverityArg::High => Self::High,
            SeverityArg::Critical => Self::Critical,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ActivitiesCommand {
    /// Activities matching every given filter, oldest first.
    Search(SearchArgs),
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Email (any case) or the app's own user id.
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long)]
    pub ip: Option<std::net::IpAddr>,
    /// ISO country code, e.g. US.
    #[arg(long)]
    pub country: Option<String>,
    #[arg(long)]
    pub app: Option<saaswarden_core::App>,
    /// The app's own action name, e.g. user_login.
    #[arg(long)]
    pub action: Option<String>,
    /// success, failure or unknown (e.g. failed sign-ins).
    #[arg(long)]
    pub outcome: Option<saaswarden_core::Outcome>,
    /// From this time (RFC 3339, or a date YYYY-MM-DD meaning its start, UTC).
    #[arg(long, value_parser = crate::output::parse_time)]
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Until this time, inclusive (RFC 3339, or a date meaning its end, UTC).
    #[arg(long, value_parser = crate::output::parse_time_end)]
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    #[arg(long, default_value_t = 1000)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

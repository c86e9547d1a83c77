//! Reading what a command needs from its environment, once: configuration, the store, logging.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use saaswarden_core::Config;
use saaswarden_core::enrich::{Enricher, NoEnrichment};
use saaswarden_enrich::IpIntel;
use saaswarden_policy::{Groups, PolicySet};
use saaswarden_store::SqliteStore;

/// The default store next to where the command runs.
pub const DEFAULT_DB: &str = "saaswarden.db";

/// The configuration from `path`, or the defaults when none is given.
pub fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    let Some(path) = path else {
        return Ok(Config::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    Ok(Config::from_toml_str(&text, &path.display().to_string())?)
}

/// The enrichment the configuration asks for; relative paths resolve against the configuration's folder.
pub fn load_enricher(config: &Config, config_path: Option<&Path>) -> anyhow::Result<Box<dyn Enricher>> {
    let e = &config.enrichment;
    if e.city_db.is_empty()
        && e.anonymous_db.is_empty()
        && e.asn_db.is_empty()
        && e.lists.is_empty()
        && e.ranges.is_empty()
    {
        return Ok(Box::new(NoEnrichment));
    }
    let base = config_path.and_then(Path::parent).map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let origin = config_path.map_or_else(|| "configuration".to_string(), |p| p.display().to_string());
    let intel = IpIntel::load(e, &base).with_context(|| format!("{origin}: enrichment"))?;
    Ok(Box::new(intel))
}

/// The configuration's user groups, in the form policies use.
pub fn groups(config: &Config) -> anyhow::Result<Groups> {
    Ok(Groups::from_members(
        config.groups.iter().map(|(name, members)| (name.as_str(), members.iter().map(String::as_str))),
    )?)
}

/// The custom policies the configuration names (relative to its folder), compiled; every error reported.
pub fn load_policies(config: &Config, config_path: Option<&Path>) -> anyhow::Result<Option<PolicySet>> {
    if config.policies.is_empty() {
        return Ok(None);
    }
    let base = config_path.and_then(Path::parent).map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let paths: Vec<PathBuf> = config.policies.iter().map(|p| base.join(p)).collect();
    PolicySet::load(&paths, &groups(config)?).map(Some).map_err(policy_errors)
}

/// Every policy error on its own line, under one heading.
pub fn policy_errors(errors: Vec<saaswarden_policy::PolicyError>) -> anyhow::Error {
    let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
    anyhow::anyhow!("{} policy error(s):\n{}", errors.len(), lines.join("\n"))
}

pub fn open_store(db: Option<&Path>) -> anyhow::Result<SqliteStore> {
    let path = db.map_or_else(|| PathBuf::from(DEFAULT_DB), Path::to_path_buf);
    Ok(SqliteStore::open(&path)?)
}

/// Logs go to stderr so that stdout carries only the command's output (tables, JSON).
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SAASWARDEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}

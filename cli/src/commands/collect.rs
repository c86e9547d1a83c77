//! `saaswarden collect`: each configured source from its checkpoint to now, then detection.
//!
//! Locally, "handed downstream" means detected and stored: the queue given to the collector runs
//! detection on each batch as it is sent, so a window's checkpoint is saved only after its activities
//! are in the audit trail. A crash at any point loses nothing; the rerun re-reads at most one window,
//! and detection skips the activities it already holds.

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use saaswarden_app::{
    BatchReport, CollectReport, CollectSettings, Detectors, Policies, collect_once, detect_batch, stream_budget,
};
use saaswarden_connectors::http::Secret;
use saaswarden_connectors::{AuditSource, streams};
use saaswarden_core::App;
use saaswarden_core::config::SourceSettings;
use saaswarden_core::detect::Engine;
use saaswarden_store::{ActivityBatch, ActivityQueue, SqliteStore, StoreError};
use serde_json::json;

use crate::cli::{CollectApp, CollectArgs, Global};
use crate::exit;
use crate::output::print_json;
use crate::settings::{load_config, load_enricher, load_policies, open_store};

pub async fn execute(global: &Global, args: CollectArgs) -> anyhow::Result<u8> {
    let config = load_config(global.config.as_deref())?;
    let origin = global.config.as_ref().map_or_else(|| "configuration".to_string(), |p| p.display().to_string());
    let wanted = |source: &SourceSettings| match args.app {
        None => true,
        Some(CollectApp::Slack) => source.app == App::Slack,
        Some(CollectApp::Zendesk) => source.app == App::Zendesk,
    };
    let sources: Vec<(usize, &SourceSettings)> = config.sources.iter().enumerate().filter(|(_, s)| wanted(s)).collect();
    if sources.is_empty() {
        anyhow::bail!(
            "{origin}: no [[sources]] to collect{}; see docs/connectors.md",
            match args.app {
                Some(app) => format!(" for {}", if app == CollectApp::Slack { "slack" } else { "zendesk" }),
                None => String::new(),
            }
        );
    }
    // Every token is read before any request, so a missing one fails fast and names its setting.
    let mut tokens = Vec::new();
    for (index, source) in &sources {
        let token = std::env::var(&source.token_env).ok().filter(|t| !t.trim().is_empty()).with_context(|| {
            format!("{origin}: sources[{index}].token_env: the environment variable `{}` is not set", source.token_env)
        })?;
        tokens.push(Secret::new(token));
    }

    let enricher = load_enricher(&config, global.config.as_deref())?;
    let policies = load_policies(&config, global.config.as_deref())?.map(Policies::new);
    let store = open_store(global.db.as_deref())?;
    let mut tenants: Vec<&str> = sources.iter().map(|(_, s)| s.tenant_or(&config.tenant)).collect();
    tenants.dedup();
    super::directory::warn_of_records_under_other_tenants(&store, &tenants)?;
    let engine = Engine::from_config(&config);
    let detectors = Detectors { engine: &engine, policies: policies.as_ref(), enricher: enricher.as_ref() };
    let alerts_before = super::governance::alert_ids(&store).await?;
    let queue = DetectingQueue { detectors: &detectors, store: &store, report: Mutex::new(BatchReport::default()) };

    let mut reports = Vec::new();
    for ((index, source), token) in sources.into_iter().zip(tokens) {
        let mut settings = CollectSettings::from_source(source, &config.tenant);
        let streams = streams(source, token).with_context(|| format!("{origin}: sources[{index}]"))?;
        let started = std::time::Instant::now();
        for (i, stream) in streams.iter().enumerate() {
            settings.time_budget = stream_budget(source.time_budget, started.elapsed(), streams.len() - i);
            let progress = progress_printer(format!("{} {}", stream.stream(), settings.tenant), args.json);
            reports.push(collect_once(&settings, stream, &store, &queue, &progress).await?);
        }
    }
    let detection = queue.report.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());

    let (mut failed, mut rejected_any) = (false, false);
    for report in &reports {
        for rejected in &report.rejected {
            eprintln!("rejected: {rejected}");
            rejected_any = true;
        }
        if let Some(error) = &report.error {
            let kind = if error.is_transient() { "stopped (the next run retries)" } else { "stopped" };
            eprintln!("error: {} {}: {kind}: {error}", report.stream, report.tenant);
            failed = true;
        }
    }
    // A stopped source outranks rejected entries, whichever source came first.
    let code = if failed {
        exit::FAILED
    } else if rejected_any {
        exit::REJECTED_INPUT
    } else {
        exit::OK
    };
    if let Some(governed) = super::governance::govern_new_alerts(&config, &store, &alerts_before).await? {
        let line = super::governance::describe_report(&governed);
        if args.json { eprintln!("{line}") } else { println!("{line}") }
    }
    if args.json {
        print_json(&json!({
            "sources": reports.iter().map(summary).collect::<Vec<_>>(),
            "new_activities": detection.new_activities,
            "alerts_raised": detection.alerts_raised,
            "alerts_created": detection.alerts_created,
        }))?;
    } else {
        for report in &reports {
            println!("{}", describe(report));
        }
        println!(
            "detected: {} new activities, {} alerts raised ({} new)",
            detection.new_activities, detection.alerts_raised, detection.alerts_created
        );
    }
    Ok(code)
}

/// The local queue: detection runs on each batch as it is sent, so a sent batch is a stored batch.
struct DetectingQueue<'a> {
    detectors: &'a Detectors<'a>,
    store: &'a SqliteStore,
    report: Mutex<BatchReport>,
}

impl ActivityQueue for DetectingQueue<'_> {
    async fn send(&self, batches: Vec<ActivityBatch>) -> Result<(), StoreError> {
        for batch in batches {
            let report = detect_batch(self.detectors, self.store, batch).await?;
            *self.report.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) += report;
        }
        Ok(())
    }
}

/// A progress line on stderr per page: long back-fills show pages, entries and rate-limit waits.
fn progress_printer(label: String, quiet: bool) -> impl Fn(&CollectReport) + Send + Sync {
    let label = Arc::new(label);
    move |report: &CollectReport| {
        if quiet {
            return;
        }
        eprintln!(
            "{label}: window {}/{}, page {}, {} entries, {} rate-limit waits ({}s), {} retries",
            (report.windows_done + 1).min(report.windows_planned.max(1)),
            report.windows_planned,
            report.pages,
            report.entries,
            report.http.rate_limited,
            report.http.waited.as_secs(),
            report.http.retries
        );
    }
}

fn describe(report: &CollectReport) -> String {
    let through = report.checkpoint.map_or_else(|| "nothing yet".to_string(), |at| at.to_rfc3339());
    let mut line = format!(
        "{} {}: {} pages, {} entries, {} new activities sent, {} duplicates skipped, {} rejected; collected through {through}",
        report.stream,
        report.tenant,
        report.pages,
        report.entries,
        report.activities_sent,
        report.duplicates,
        report.rejected.len()
    );
    if report.out_of_time {
        line.push_str(" (time budget used up: the next run continues)");
    }
    line
}

fn summary(report: &CollectReport) -> serde_json::Value {
    json!({
        "tenant": report.tenant,
        "stream": report.stream,
        "windows_planned": report.windows_planned,
        "windows_done": report.windows_done,
        "pages": report.pages,
        "entries": report.entries,
        "activities_sent": report.activities_sent,
        "duplicates": report.duplicates,
        "rejected": report.rejected.iter().map(|r| json!({
            "location": r.location, "entry_id": r.entry_id, "reason": r.reason
        })).collect::<Vec<_>>(),
        "cursor_restarts": report.cursor_restarts,
        "out_of_time": report.out_of_time,
        "error": report.error.as_ref().map(ToString::to_string),
        "checkpoint": report.checkpoint.map(|at| at.to_rfc3339()),
        "requests": report.http.requests,
        "retries": report.http.retries,
        "rate_limited": report.http.rate_limited,
        "waited_seconds": report.http.waited.as_secs(),
    })
}

//! `--api URL`: `alerts`, `activities` and `governance` against a deployed stack's HTTP API, printing the
//! same tables and JSON as on the local store, so scripts work against either. The access token comes from
//! `SAASWARDEN_API_TOKEN` and is never printed.

use anyhow::Context as _;
use saaswarden_core::governance::GovernanceEntry;
use saaswarden_core::{Activity, Alert, Resolution};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::cli::{ActivitiesCommand, AlertsCommand, Global, GovernanceCommand, Verdict};
use crate::exit;
use crate::output::print_json;

/// The environment variable holding the API's access token.
pub const TOKEN_VARIABLE: &str = "SAASWARDEN_API_TOKEN";

/// The most the API returns per page.
const PAGE: usize = 500;

pub struct Remote {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Remote {
    /// The API `--api` (or `SAASWARDEN_API_URL`) names, if any.
    pub fn from_global(global: &Global) -> anyhow::Result<Option<Remote>> {
        let Some(url) = global.api.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let token = std::env::var(TOKEN_VARIABLE)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .with_context(|| format!("--api {url}: set {TOKEN_VARIABLE} to an access token for it (docs/api.md)"))?;
        let http = reqwest::Client::builder().build().context("the HTTP client")?;
        Ok(Some(Remote { base: url.trim_end_matches('/').to_string(), token: token.trim().to_string(), http }))
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder, what: &str) -> anyhow::Result<T> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .with_context(|| format!("{what}: cannot reach {}", self.base))?;
        let status = response.status();
        let body = response.bytes().await.with_context(|| format!("{what}: reading the answer"))?;
        if !status.is_success() {
            let message = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
            anyhow::bail!("{what}: the API answered {status}: {message}");
        }
        serde_json::from_slice(&body).with_context(|| format!("{what}: an answer this version does not understand"))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> anyhow::Result<T> {
        self.send(self.http.get(format!("{}{path}", self.base)).query(query), path).await
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, body: Value) -> anyhow::Result<T> {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body), path).await
    }

    /// Every page of a list until `limit` items, following `next_cursor`.
    async fn pages<T: DeserializeOwned>(
        &self,
        path: &str,
        key: &str,
        query: Vec<(&'static str, String)>,
        limit: usize,
    ) -> anyhow::Result<Vec<T>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut page_query = query.clone();
            page_query.push(("limit", (limit - items.len()).min(PAGE).to_string()));
            if let Some(cursor) = &cursor {
                page_query.push(("cursor", cursor.clone()));
            }
            let mut page: Value = self.get(path, &page_query).await?;
            let batch: Vec<T> = serde_json::from_value(page[key].take()).with_context(|| format!("{path}: `{key}`"))?;
            items.extend(batch);
            cursor = page["next_cursor"].as_str().map(str::to_string);
            if cursor.is_none() || items.len() >= limit {
                return Ok(items);
            }
        }
    }

    pub async fn alerts(&self, command: AlertsCommand) -> anyhow::Result<u8> {
        match command {
            AlertsCommand::List(args) => {
                let mut query = Vec::new();
                if let Some(status) = args.status {
                    query.push(("status", super::alerts::alert_status(status).as_str().to_string()));
                }
                if let Some(severity) = args.severity {
                    query.push(("severity", saaswarden_core::Severity::from(severity).as_str().to_string()));
                }
                query.extend(args.policy.map(|p| ("policy", p)));
                query.extend(args.user.map(|u| ("user", u)));
                query.extend(args.campaign.map(|c| ("campaign", c)));
                let alerts: Vec<Alert> = self.pages("/api/v1/alerts", "alerts", query, args.limit.max(1)).await?;
                super::alerts::print_alerts(&alerts, args.json)?;
            }
            AlertsCommand::Show { id, json } => {
                let detail: Value = self.get(&format!("/api/v1/alerts/{}", segment(&id)), &[]).await?;
                if json {
                    print_json(&detail)?;
                } else {
                    let part = |key: &str| detail[key].clone();
                    let alert: Alert = serde_json::from_value(part("alert")).context("the alert")?;
                    let history: Vec<Resolution> = serde_json::from_value(part("history")).context("its history")?;
                    let evidence: Vec<Activity> = serde_json::from_value(part("activities")).context("its evidence")?;
                    let governance: Vec<GovernanceEntry> =
                        serde_json::from_value(part("governance")).context("its governance")?;
                    super::alerts::print_detail(&alert, &history, &evidence, &governance)?;
                }
            }
            AlertsCommand::Resolve { id, verdict, note } => {
                warn_by(note.by.as_deref());
                let verdict = match verdict {
                    Verdict::TruePositive => "true-positive",
                    Verdict::Benign => "benign",
                    Verdict::FalsePositive => "false-positive",
                };
                let body = json!({ "verdict": verdict, "comment": note.comment });
                let alert: Alert = self.post(&format!("/api/v1/alerts/{}/resolve", segment(&id)), body).await?;
                println!("{} is now {}", alert.id, alert.status.as_str());
            }
            AlertsCommand::Dismiss { id, note } => {
                warn_by(note.by.as_deref());
                let body = json!({ "comment": note.comment });
                let alert: Alert = self.post(&format!("/api/v1/alerts/{}/dismiss", segment(&id)), body).await?;
                println!("{} is now {}", alert.id, alert.status.as_str());
            }
            AlertsCommand::Campaigns { status, json } => {
                let query: Vec<(&str, String)> = status
                    .map(|s| ("status", super::alerts::alert_status(s).as_str().to_string()))
                    .into_iter()
                    .collect();
                let list: Value = self.get("/api/v1/campaigns", &query).await?;
                let campaigns: Vec<saaswarden_core::Campaign> =
                    serde_json::from_value(list["campaigns"].clone()).context("the campaigns")?;
                super::alerts::print_campaigns(&campaigns, list["partial"].as_bool().unwrap_or(false), json)?;
            }
        }
        Ok(exit::OK)
    }

    pub async fn activities(&self, command: ActivitiesCommand) -> anyhow::Result<u8> {
        let ActivitiesCommand::Search(args) = command;
        let mut query: Vec<(&'static str, String)> = Vec::new();
        query.extend(args.user.map(|v| ("user", v)));
        query.extend(args.ip.map(|v| ("ip", v.to_string())));
        query.extend(args.country.map(|v| ("country", v)));
        query.extend(args.app.map(|v| ("app", v.to_string())));
        query.extend(args.action.map(|v| ("action", v)));
        query.extend(args.outcome.map(|v| ("outcome", v.as_str().to_string())));
        query.extend(args.since.map(|v| ("since", v.to_rfc3339())));
        query.extend(args.until.map(|v| ("until", v.to_rfc3339())));
        let found: Vec<Activity> = self.pages("/api/v1/activities", "activities", query, args.limit.max(1)).await?;
        super::activities::print_activities(&found, args.json, args.limit)?;
        Ok(exit::OK)
    }

    pub async fn governance(&self, command: GovernanceCommand) -> anyhow::Result<u8> {
        let entry: GovernanceEntry = match command {
            GovernanceCommand::Log { alert, limit, json } => {
                let mut query = vec![("limit", limit.to_string())];
                query.extend(alert.map(|a| ("alert", a)));
                let mut log: Value = self.get("/api/v1/governance", &query).await?;
                let entries: Vec<GovernanceEntry> = serde_json::from_value(log["entries"].take()).context("the log")?;
                if json {
                    print_json(&entries)?;
                } else if entries.is_empty() {
                    println!("no governance actions");
                } else {
                    print!("{}", super::governance::entry_table(&entries));
                }
                return Ok(exit::OK);
            }
            GovernanceCommand::Approve { alert_id, action, by } => {
                warn_by(by.as_deref());
                self.post("/api/v1/governance/approve", json!({ "alert_id": alert_id, "action": action })).await?
            }
            GovernanceCommand::Retry { id, by } => {
                warn_by(by.as_deref());
                self.post(&format!("/api/v1/governance/{}/retry", segment(&id)), json!({})).await?
            }
            GovernanceCommand::Revert { id, by } => {
                warn_by(by.as_deref());
                self.post(&format!("/api/v1/governance/{}/revert", segment(&id)), json!({})).await?
            }
        };
        println!("{}", super::governance::describe(&entry));
        Ok(if entry.status == saaswarden_core::governance::GovernanceStatus::Failed { exit::FAILED } else { exit::OK })
    }
}

/// The API records the token's user; a `--by` cannot change that.
fn warn_by(by: Option<&str>) {
    if let Some(by) = by {
        eprintln!("note: --by {by} is ignored with --api: the API records the user its token names");
    }
}

/// An id as one path segment.
fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

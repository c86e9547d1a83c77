//! The activity log, a user, the governance log, policies and sources.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Extension, Form, Path, Query, State};
use axum::response::{Html, Redirect};
use maud::{Markup, html};
use saaswarden_core::governance::{ActionKind, GovernanceEntry, GovernanceStatus, IdentityProvider};
use serde::Deserialize;

use super::alerts::{approve_title, link, timeline};
use super::charts;
use super::layout::{PageError, csrf, encode, page, severity, user_link, when};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::queries::{ActivitySearch, GovernanceAction, GovernanceRequest};
use crate::state::{Api, Store};

pub(crate) async fn activities<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): State<Arc<Api<S, P>>>,
    Extension(caller): Extension<Caller>,
    Query(search): Query<ActivitySearch>,
) -> Result<Html<String>, PageError> {
    let found = api.activities(&search).await?;
    let mut query: Vec<(&str, String)> = Vec::new();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    for (name, value) in [
        ("user", &search.user),
        ("ip", &search.ip),
        ("country", &search.country),
        ("app", &search.app),
        ("action", &search.action),
        ("outcome", &search.outcome),
    ] {
        if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
            query.push((name, value.clone()));
        }
    }
    for (name, value) in [("since", search.since), ("until", search.until)] {
        if let Some(at) = value {
            query.push((name, at.to_rfc3339()));
        }
    }
    let export = |format: &str| {
        let mut q = query.clone();
        q.push(("format", format.to_string()));
        link("/activities/export", &q)
    };
    let next = found.next_cursor.as_ref().map(|cursor| {
        let mut q = query.clone();
        q.push(("cursor", cursor.clone()));
        link("/activities", &q)
    });
    let mut facets: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    for a in &found.activities {
        *facets.entry("app").or_default().entry(a.app.to_string()).or_default() += 1;
        *facets.entry("action").or_default().entry(a.action.clone()).or_default() += 1;
        if let Some(country) = a.country() {
            *facets.entry("country").or_default().entry(country.to_string()).or_default() += 1;
        }
        let outcome =
            serde_json::to_value(a.outcome).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        *facets.entry("outcome").or_default().entry(outcome).or_default() += 1;
    }
    let body = html! {
        h1 { "Activity log" }
        form.filters method="get" action="/activities" {
            label { "User " input type="text" name="user" value=(text(&search.user)); }
            label { "IP " input type="text" name="ip" value=(text(&search.ip)); }
            label { "Country " input type="text" name="country" size="3" value=(text(&search.country)); }
            label { "App " input type="text" name="app" size="8" value=(text(&search.app)); }
            label { "Action " input type="text" name="action" value=(text(&search.action)); }
            label { "Outcome " input type="text" name="outcome" size="8" value=(text(&search.outcome)); }
            button type="submit" id="search" { "Search" }
        }
        p.exports { "Export these matches (all of them, not just this page): "
            a #export-csv href=(export("csv")) { "CSV" } " · " a #export-jsonl href=(export("jsonl")) { "JSON Lines" } }
        @if !facets.is_empty() {
            div.facets { @for (facet, counts) in &facets {
                section { h3 { (facet) } ul { @for (value, count) in counts {
                    li { a href=(link("/activities", &[query.clone(), vec![(*facet, value.clone())]].concat())) { (value) } " " span.count { (count) } }
                } } }
            } }
        }
        @if found.activities.is_empty() { p { "No activities match." } } @else { (timeline(&found.activities)) }
        @if let Some(next) = next { p { a href=(next) { "Later activities →" } } }
    };
    Ok(page("Activity log", &caller, body))
}

pub(crate) async fn user<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): State<Arc<Api<S, P>>>,
    Extension(caller): Extension<Caller>,
    Path(user): Path<String>,
) -> Result<Html<String>, PageError> {
    let u = api.user(&user).await?;
    let hours: Vec<(String, usize)> = u.by_hour.iter().enumerate().map(|(h, n)| (format!("{h:02}"), *n)).collect();
    let counts = |title: &str, map: &BTreeMap<String, usize>| {
        html! { section { h3 { (title) } ul { @for (value, n) in map { li { (value) " " span.count { (n) } } } } } }
    };
    let body = html! {
        h1 { (u.user) }
        @if let Some(t) = &u.terminated {
            p.terminated { "Terminated in the directory: " (t.status.as_str()) }
        }
        dl.facts {
            dt { "Tenant" } dd { (u.tenant) }
            dt { "First seen" } dd { (u.first_seen.as_ref().map(when).unwrap_or_default()) }
            dt { "Last seen" } dd { (u.last_seen.as_ref().map(when).unwrap_or_default()) }
        }
        h2 { "Usual countries (the detections' baseline)" }
        ul { @for (country, place) in &u.countries { li { (country) ": " (place.days) " days, last " (when(&place.last_seen)) } } }
        (charts::columns("Recent activity by hour of day (UTC)", &hours))
        (charts::rows("Recent activity by country", &u.by_country))
        div.facets { (counts("Cities", &u.cities)) (counts("IPs", &u.ips)) (counts("Apps", &u.apps)) }
        h2 { "Alerts" }
        ul { @for alert in &u.alerts { li { (severity(alert.severity)) " " a href={ "/alerts/" (encode(&alert.id)) } { (alert.title) } " · " (alert.status.as_str()) } } }
        @if !u.governance.is_empty() {
            h2 { "Governance" }
            (governance_table(&u.governance, caller.csrf.as_deref(), api.config.governance.dry_run))
        }
        h2 { "Recent activity" }
        p { a href=(link("/activities", &[("user", u.user.clone())])) { "All of this user's activity" } }
        (timeline(&u.recent.iter().take(50).cloned().collect::<Vec<_>>()))
    };
    Ok(page(&u.user, &caller, body))
}

pub(crate) fn dry_run_note(dry_run: bool) -> Markup {
    html! {
        @if dry_run {
            p.dry-run { "Dry run (governance.dry_run = true): approving, retrying or reverting records what would be done; \
                nothing is called at Microsoft Entra ID." }
        }
    }
}

pub(crate) fn governance_table(entries: &[GovernanceEntry], token: Option<&str>, dry_run: bool) -> Markup {
    html! {
        table.governance {
            thead { tr { th { "Updated" } th { "Action" } th { "User" } th { "Alert" } th { "Status" } th { "By" } th { "Why" } th {} } }
            tbody { @for e in entries {
                tr id={ "entry-" (e.id) } {
                    td { (when(&e.updated_at)) }
                    td { (e.action.to_string()) }
                    td { (user_link(&e.user)) }
                    td { a href={ "/alerts/" (encode(&e.alert_id)) } { (e.alert_id) } }
                    td.status { (e.status.to_string()) }
                    td { (e.events.last().map(|ev| ev.by.clone()).unwrap_or_default()) }
                    td { (e.error.clone().or_else(|| e.reason.clone()).unwrap_or_default()) }
                    td {
                        @let op = match e.status {
                            GovernanceStatus::Pending | GovernanceStatus::Skipped => Some(("approve", "Approve")),
                            GovernanceStatus::Failed | GovernanceStatus::Running => Some(("retry", "Retry")),
                            GovernanceStatus::Succeeded if e.action == ActionKind::SuspendUser => Some(("revert", "Revert")),
                            _ => None,
                        };
                        @if let Some((op, label)) = op {
                            form.inline method="post" action="/governance/act" {
                                (csrf(token))
                                input type="hidden" name="op" value=(op);
                                input type="hidden" name="id" value=(e.id);
                                input type="hidden" name="alert_id" value=(e.alert_id);
                                input type="hidden" name="action" value=(e.action.to_string());
                                button type="submit" title=(approve_title(dry_run)) { (label) }
                            }
                        }
                    }
                }
            } }
        }
    }
}

pub(crate) async fn governance<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): State<Arc<Api<S, P>>>,
    Extension(caller): Extension<Caller>,
    Query(request): Query<GovernanceRequest>,
) -> Result<Html<String>, PageError> {
    let entries = api.governance_log(&request).await?;
    let body = html! {
        h1 { "Governance log" }
        (dry_run_note(api.config.governance.dry_run))
        @if entries.is_empty() { p { "No governance actions yet." } }
        @else { (governance_table(&entries, caller.csrf.as_deref(), api.config.governance.dry_run)) }
    };
    Ok(page("Governance", &caller, body))
}

#[derive(Debug, Deserialize)]
pub(crate) struct GovernanceForm {
    #[serde(default)]
    csrf: String,
    op: String,
    id: Option<String>,
    alert_id: Option<String>,
    action: Option<String>,
}

pub(crate) async fn governance_act<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): State<Arc<Api<S, P>>>,
    Extension(caller): Extension<Caller>,
    Form(form): Form<GovernanceForm>,
) -> Result<Redirect, PageError> {
    caller.check_csrf(&form.csrf)?;
    let missing = |field: &str| ApiError::BadRequest(format!("{field}: required"));
    let entry = match form.op.as_str() {
        "approve" => {
            let request = GovernanceAction {
                alert_id: form.alert_id.ok_or_else(|| missing("alert_id"))?,
                action: form.action.ok_or_else(|| missing("action"))?,
            };
            api.governance_approve(&caller, &request).await?
        }
        "retry" => api.governance_retry(&caller, &form.id.ok_or_else(|| missing("id"))?).await?,
        "revert" => api.governance_revert(&caller, &form.id.ok_or_else(|| missing("id"))?).await?,
        other => return Err(ApiError::BadRequest(format!("op: unknown `{other}`")).into()),
    };
    Ok(Redirect::to(&format!("/governance#entry-{}", encode(&entry.id))))
}

pub(crate) async fn sources<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): State<Arc<Api<S, P>>>,
    Extension(caller): Extension<Caller>,
) -> Result<Html<String>, PageError> {
    let sources = api.sources().await?;
    let body = html! {
        h1 { "Sources" }
        @if sources.is_empty() { p { "No [[sources]] configured: activities come from files (`saaswarden run`) or the demo." } }
        @else {
            table { thead { tr { th { "Tenant" } th { "Stream" } th { "Read through" } th { "Lag" } th { "Last id" } th { "Last error" } } }
                tbody { @for s in &sources { tr {
                    td { (s.tenant) } td { (s.stream) }
                    td { (s.through.as_ref().map(when).unwrap_or_else(|| "never read".into())) }
                    td { (s.lag_seconds.map(|l| format!("{} min", l / 60)).unwrap_or_default()) }
                    td { (s.last_id.clone().unwrap_or_default()) }
                    td.error { @if let Some(failure) = &s.last_error { (when(&failure.at)) ": " (failure.error) } }
                } } }
            }
        }
    };
    Ok(page("Sources", &caller, body))
}

pub(crate) async fn policies<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): State<Arc<Api<S, P>>>,
    Extension(caller): Extension<Caller>,
) -> Result<Html<String>, PageError> {
    let policies = api.policy_counts().await?;
    let body = html! {
        h1 { "Policies" }
        table { thead { tr { th { "Id" } th { "Name" } th { "Kind" } th { "Severity" } th { "Enabled" } th { "Alerts" } th { "Open" } } }
            tbody { @for p in &policies { tr {
                td { a href=(link("/alerts", &[("policy", p.policy.id.clone())])) { (p.policy.id) } }
                td { (p.policy.name) } td { (p.policy.kind) } td { (severity(p.policy.severity)) }
                td { (if p.policy.enabled { "yes" } else { "no" }) } td { (p.alerts) } td { (p.open) }
            } } }
        }
    };
    Ok(page("Policies", &caller, body))
}

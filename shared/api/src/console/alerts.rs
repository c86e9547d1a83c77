//! The alert queue and the alert page.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{Extension, Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use saaswarden_core::governance::IdentityProvider;
use saaswarden_core::{Activity, Alert, AlertStatus};
use serde::Deserialize;

use super::charts::{self, Place};
use super::layout::{PageError, csrf, encode, page, severity, user_link, when};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::queries::alerts::StepKind;
use crate::queries::{AlertDetail, AlertSearch, BulkAction, BulkOutcome, Step};
use crate::state::{Api, Store};

/// How many of the newest alerts the queue's chart counts.
const CHART_ALERTS: usize = 2_000;

pub(crate) async fn queue<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): State<Arc<Api<S, P>>>,
    Extension(caller): Extension<Caller>,
    Query(search): Query<AlertSearch>,
) -> Result<Html<String>, PageError> {
    let found = api.alerts(&search).await?;
    let chart = api.alerts(&AlertSearch { cursor: None, limit: Some(CHART_ALERTS), ..search.clone() }).await?;
    let next = found.next_cursor.as_ref().map(|cursor| {
        let mut query = query_of(&search);
        query.push(("cursor", cursor.clone()));
        link("/alerts", &query)
    });
    let selected = |value: &str, field: &Option<String>| field.as_deref() == Some(value);
    let any_open = found.alerts.iter().any(|alert| alert.status == AlertStatus::Open);
    let body = html! {
        h1 { "Alerts" }
        form.filters method="get" action="/alerts" {
            label { "Status " select name="status" {
                option value="" { "any" }
                @for status in ["open", "resolved", "dismissed"] { option value=(status) selected[selected(status, &search.status)] { (status) } }
            } }
            label { "Severity at least " select name="severity" {
                option value="" { "any" }
                @for level in ["informational", "low", "medium", "high", "critical"] { option value=(level) selected[selected(level, &search.severity)] { (level) } }
            } }
            label { "Policy " input type="text" name="policy" value=(search.policy.clone().unwrap_or_default()); }
            label { "User " input type="text" name="user" value=(search.user.clone().unwrap_or_default()); }
            @if let Some(campaign) = search.campaign.as_ref().filter(|c| !c.is_empty()) {
                label { "Campaign " input type="text" name="campaign" value=(campaign); }
            }
            label { "App " select name="app" {
                option value="" { "any" }
                @for app in ["slack", "zendesk"] { option value=(app) selected[selected(app, &search.app)] { (app) } }
            } }
            button type="submit" id="filter" { "Filter" }
        }
        (charts::alerts_over_time(&chart.alerts))
        @if found.alerts.is_empty() { p { "No alerts match." } } @else {
            // The open alerts' checkboxes and the bar that resolves or dismisses the ticked ones at once.
            form.bulk method="post" action="/alerts/bulk" {
                (csrf(caller.csrf.as_deref()))
                @if any_open {
                    fieldset.bulk-bar {
                        legend { "Ticked alerts" }
                        label { "Verdict " select name="verdict" {
                            option value="" { "(to resolve, choose)" }
                            option value="true-positive" { "true positive" }
                            option value="benign" { "benign true positive" }
                            option value="false-positive" { "false positive" }
                        } }
                        label { "Comment " input type="text" name="comment"; }
                        button type="submit" name="step" value="resolve" id="bulk-resolve" { "Resolve ticked" }
                        button type="submit" name="step" value="dismiss" id="bulk-dismiss" { "Dismiss ticked" }
                    }
                }
                table.alerts {
                    thead { tr {
                        th.select { span.visually-hidden { "Select" } }
                        th { "Created" } th { "Severity" } th { "Alert" } th { "User" } th { "Apps" } th { "Status" }
                    } }
                    tbody { @for alert in &found.alerts { (row(alert)) } }
                }
            }
        }
        @if let Some(next) = next { p { a href=(next) { "Older alerts →" } } }
    };
    Ok(page("Alerts", &caller, body))
}

fn row(alert: &Alert) -> Markup {
    html! {
        tr class={ "status-" (alert.status.as_str()) } {
            // Only open alerts can be resolved or dismissed, as on the alert's own page.
            td.select { @if alert.status == AlertStatus::Open {
                input type="checkbox" name="id" value=(alert.id) aria-label={ "Select " (alert.title) };
            } }
            td { (when(&alert.created_at)) }
            td { (severity(alert.severity)) }
            td { a.alert-link href={ "/alerts/" (encode(&alert.id)) } data-policy=(alert.policy_id) { (alert.title) } }
            td { (user_link(&alert.user)) }
            td { (alert.apps.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")) }
            td.status { (alert.status.as_str()) }
        }
    }
}

pub(crate) async fn page_of<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    api: &Api<S, P>,
    caller: &Caller,
    id: &str,
) -> Result<Html<String>, PageError> {
    let AlertDetail { alert, history, activities, governance } = api.alert_detail(id).await?;
    let token = caller.csrf.as_deref();
    let body = html! {
        h1 { (severity(alert.severity)) " " span.title { (alert.title) } }
        dl.facts {
            dt { "Status" } dd.status { (alert.status.as_str())
                @if let Some(r) = &alert.resolution { " (" (verdict(r.kind)) " by " (r.by) ")" } }
            dt { "User" } dd { (user_link(&alert.user)) }
            dt { "Policy" } dd { (alert.policy_id) }
            @if let Some(campaign) = &alert.campaign {
                dt { "Campaign" } dd { a.campaign href=(link("/alerts", &[("campaign", campaign.clone())])) { (campaign) }
                    " (every user's alert from this source)" }
            }
            dt { "Created" } dd { (when(&alert.created_at)) }
            dt { "Id" } dd { code { (alert.id) } }
        }
        @if !alert.description.is_empty() { p.description { (alert.description) } }
        (map(&alert, &activities))
        h2 { "Evidence" }
        (timeline(&activities))
        details { summary { "Facts" } pre { (serde_json::to_string_pretty(&alert.evidence).unwrap_or_default()) } }
        h2 { "Workflow" }
        form.step method="post" action={ "/alerts/" (encode(&alert.id)) "/step" } {
            (csrf(token))
            label { "Verdict " select name="verdict" {
                option value="true-positive" { "true positive" }
                option value="benign" { "benign true positive" }
                option value="false-positive" { "false positive" }
            } }
            label { "Comment " input type="text" name="comment"; }
            @if alert.status == AlertStatus::Open {
                button type="submit" name="step" value="resolve" id="resolve" { "Resolve" }
                button type="submit" name="step" value="dismiss" id="dismiss" { "Dismiss" }
            } @else {
                button type="submit" name="step" value="reopen" id="reopen" { "Reopen" }
            }
            button type="submit" name="step" value="comment" id="comment" { "Comment" }
        }
        @if !history.is_empty() {
            ol.history { @for step in &history {
                li { (when(&step.at)) " · " (verdict(step.kind)) " by " (step.by)
                    @if let Some(comment) = &step.comment { ": " q { (comment) } } }
            } }
        }
        h2 { "Governance" }
        (super::pages::dry_run_note(api.config.governance.dry_run))
        @if !governance.is_empty() { (super::pages::governance_table(&governance, token, api.config.governance.dry_run)) }
        form.approve method="post" action="/governance/act" {
            (csrf(token))
            input type="hidden" name="alert_id" value=(alert.id);
            input type="hidden" name="op" value="approve";
            label { "Action " select name="action" {
                option value="notify-user" { "notify the user" }
                option value="require-sign-in" { "require sign-in again" }
                option value="suspend-user" { "suspend the user" }
            } }
            button type="submit" id="approve" title=(approve_title(api.config.governance.dry_run)) { "Approve" }
        }
    };
    Ok(page(&alert.title, caller, body))
}

pub(crate) fn approve_title(dry_run: bool) -> &'static str {
    if dry_run {
        "Dry run: the action is recorded with what it would have done; Microsoft Graph is not called"
    } else {
        "Runs the action in Microsoft Entra ID now"
    }
}

pub(crate) async fn alert<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): State<Arc<Api<S, P>>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    page_of(&api, &caller, &id).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct StepForm {
    #[serde(default)]
    csrf: String,
    step: String,
    verdict: Option<String>,
    comment: Option<String>,
}

pub(crate) async fn step<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): State<Arc<Api<S, P>>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Form(form): Form<StepForm>,
) -> Result<Redirect, PageError> {
    caller.check_csrf(&form.csrf)?;
    let kind = match form.step.as_str() {
        "resolve" => StepKind::Resolve,
        "dismiss" => StepKind::Dismiss,
        "reopen" => StepKind::Reopen,
        "comment" => StepKind::Comment,
        other => return Err(ApiError::BadRequest(format!("step: unknown step `{other}`")).into()),
    };
    api.alert_step(&caller, &id, kind, &Step { verdict: form.verdict, comment: form.comment }).await?;
    Ok(Redirect::to(&format!("/alerts/{}", encode(&id))))
}

/// `POST /alerts/bulk`: the queue's ticked alerts resolved or dismissed at once, by the same query (rules,
/// and the history recorded under the caller) as `POST /api/v1/alerts/bulk`. The ticked ids arrive as
/// repeated `id` fields, so the body is read as its name/value pairs. When every alert changed, it
/// redirects to the queue filtered to the status they now have; when some did not, it shows which and why.
pub(crate) async fn bulk<S: Store, P: IdentityProvider + Send + Sync + 'static>(
    State(api): State<Arc<Api<S, P>>>,
    Extension(caller): Extension<Caller>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let field = |name: &str| fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    caller.check_csrf(field("csrf").unwrap_or_default())?;
    let (action, now) = match field("step") {
        Some("resolve") => ("resolve", "resolved"),
        Some("dismiss") => ("dismiss", "dismissed"),
        Some(other) => {
            return Err(
                ApiError::BadRequest(format!("step: unknown step `{other}`: expected resolve or dismiss")).into()
            );
        }
        None => return Err(ApiError::BadRequest("step: required (resolve or dismiss)".into()).into()),
    };
    let mut seen = HashSet::new();
    let ids: Vec<String> = fields
        .iter()
        .filter(|(key, value)| key == "id" && !value.is_empty() && seen.insert(value.as_str()))
        .map(|(_, value)| value.clone())
        .collect();
    if ids.is_empty() {
        return Err(ApiError::BadRequest("id: select at least one alert".into()).into());
    }
    let given = |name: &str| field(name).map(str::trim).filter(|value| !value.is_empty()).map(str::to_string);
    let asked = ids.len();
    let bulk = BulkAction { ids, action: action.into(), verdict: given("verdict"), comment: given("comment") };
    let BulkOutcome { done, failed } = api.alerts_bulk(&caller, &bulk).await?;
    if failed.is_empty() {
        return Ok(Redirect::to(&link("/alerts", &[("status", now.to_string())])).into_response());
    }
    let body = html! {
        h1 { "Not every alert was " (now) }
        p.error {
            (failed.len()) " of " (asked) " ticked alerts could not be " (now)
            @if !done.is_empty() { "; the other " (done.len()) " were" } "."
        }
        table.bulk-failed {
            thead { tr { th { "Alert" } th { "Why" } } }
            tbody { @for failure in &failed {
                tr { td { code { (failure.id) } } td.error { (failure.error) } }
            } }
        }
        @if !done.is_empty() {
            h2 { "These were " (now) }
            ul { @for id in &done { li { a href={ "/alerts/" (encode(id)) } { (id) } } } }
        }
        p {
            a href=(link("/alerts", &[("status", now.to_string())])) { "The " (now) " alerts" }
            " · " a href=(link("/alerts", &[("status", "open".to_string())])) { "The open alerts" }
        }
    };
    Ok(page("Bulk action", &caller, body).into_response())
}

fn verdict(kind: saaswarden_core::ResolutionKind) -> &'static str {
    use saaswarden_core::ResolutionKind as K;
    match kind {
        K::TruePositive => "true positive",
        K::Benign => "benign true positive",
        K::FalsePositive => "false positive",
        K::Dismissed => "dismissed",
        K::Reopened => "reopened",
        K::Comment => "comment",
    }
}

/// The evidence as a timeline, oldest first.
pub(crate) fn timeline(activities: &[Activity]) -> Markup {
    html! {
        ol.timeline {
            @for a in activities {
                li {
                    time { (when(&a.occurred_at)) }
                    " " span.app { (a.app.as_str()) } " " strong.action { (a.action) }
                    " by " (user_link(a.actor.display()))
                    @if let Some(ip) = a.ip { " from " code { (ip) } }
                    @if let Some(geo) = &a.geo { " in " span.place-name { (place_label(geo)) } }
                    @if let Some(target) = &a.target { " on " (target.kind) " " q.target { (target.name.as_deref().or(target.id.as_deref()).unwrap_or("")) } }
                    @if let Some(agent) = &a.user_agent { br; small.agent { (agent) } }
                }
            }
        }
    }
}

fn place_label(geo: &saaswarden_core::Geo) -> String {
    match &geo.city {
        Some(city) => format!("{city}, {}", geo.country),
        None => geo.country.clone(),
    }
}

/// For impossible travel the two ends and the distance from the alert's facts; for an infrequent
/// country, the cited activities' places. Other alerts draw no map.
fn map(alert: &Alert, activities: &[Activity]) -> Markup {
    let facts = &alert.evidence;
    let point = |end: &serde_json::Value| -> Option<Place> {
        Some(Place {
            label: end["place"].as_str().or(end["country"].as_str())?.to_string(),
            latitude: end["latitude"].as_f64()?,
            longitude: end["longitude"].as_f64()?,
        })
    };
    match alert.policy_id.as_str() {
        "impossible_travel" => match (point(&facts["from"]), point(&facts["to"])) {
            (Some(from), Some(to)) => {
                let distance = facts["distance_km"].as_f64();
                html! { h2 { "Route" } (charts::route_map(&[from, to], distance)) }
            }
            _ => html! {},
        },
        "infrequent_country" => {
            let places: Vec<Place> = activities
                .iter()
                .filter_map(|a| a.geo.as_ref())
                .map(|g| Place { label: place_label(g), latitude: g.latitude, longitude: g.longitude })
                .take(8)
                .collect();
            if places.is_empty() {
                html! {}
            } else {
                html! { h2 { "Where" } (charts::route_map(&places, None)) }
            }
        }
        _ => html! {},
    }
}

fn query_of(search: &AlertSearch) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    let fields = [
        ("status", &search.status),
        ("severity", &search.severity),
        ("policy", &search.policy),
        ("user", &search.user),
        ("campaign", &search.campaign),
        ("app", &search.app),
    ];
    for (name, value) in fields {
        if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
            query.push((name, value.clone()));
        }
    }
    query
}

/// `path?name=value&…`, every value encoded.
pub(crate) fn link(path: &str, query: &[(&str, String)]) -> String {
    let pairs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    if pairs.is_empty() { path.to_string() } else { format!("{path}?{}", pairs.join("&")) }
}

//! The activity log: search with keyset pagination and streamed exports.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::Stream;
use saaswarden_core::governance::IdentityProvider;
use saaswarden_core::{Activity, App, Outcome};
use saaswarden_store::ActivityQuery;
use serde::{Deserialize, Serialize};

use crate::cursor::Cursor;
use crate::error::ApiError;
use crate::state::{Api, Store};

/// Audit-trail search; every criterion given must match.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ActivitySearch {
    /// An email (case-insensitive) or an app's user id.
    pub user: Option<String>,
    pub ip: Option<String>,
    /// ISO country code.
    pub country: Option<String>,
    pub app: Option<String>,
    pub action: Option<String>,
    /// `success`, `failure` or `unknown`.
    pub outcome: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActivityPage {
    /// Oldest first.
    pub activities: Vec<Activity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

/// A parsed search: the store's query plus what is applied to its answer.
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    query: ActivityQuery,
    after: Option<(DateTime<Utc>, String)>,
}

fn blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl ActivitySearch {
    pub(crate) fn parse(&self, tenant: Option<String>) -> Result<Parsed, ApiError> {
        let ip = blank(&self.ip)
            .map(|ip| ip.parse::<IpAddr>().map_err(|e| ApiError::BadRequest(format!("ip: `{ip}`: {e}"))))
            .transpose()?;
        let app = blank(&self.app)
            .map(|a| a.parse::<App>().map_err(|e| ApiError::BadRequest(format!("app: {e}"))))
            .transpose()?;
        let outcome = blank(&self.outcome)
            .map(|o| o.parse::<Outcome>().map_err(|e| ApiError::BadRequest(format!("outcome: {e}"))))
            .transpose()?;
        let after = match blank(&self.cursor).map(Cursor::decode).transpose()? {
            None => None,
            Some(Cursor::After { at, id }) => Some((at, id)),
            Some(_) => return Err(ApiError::BadRequest("cursor: not an activity search cursor".into())),
        };
        let query = ActivityQuery {
            tenant,
            user: blank(&self.user).map(str::to_string),
            ip,
            country: blank(&self.country).map(str::to_uppercase),
            app,
            action: blank(&self.action).map(str::to_string),
            outcome,
            since: self.since,
            until: self.until,
            limit: 0,
        };
        Ok(Parsed { query, after })
    }
}

impl<S: Store, P: IdentityProvider + Send + Sync + 'static> Api<S, P> {
    pub async fn activities(&self, search: &ActivitySearch) -> Result<ActivityPage, ApiError> {
        let parsed = search.parse(self.tenant.clone())?;
        let limit = super::page_size(search.limit);
        let (activities, more) = self.activity_page(&parsed, limit).await?;
        let next_cursor = more
            .then(|| activities.last().map(|a| Cursor::After { at: a.occurred_at, id: a.id.clone() }.encode()))
            .flatten();
        Ok(ActivityPage { activities, next_cursor })
    }

    /// Up to `limit` matches after the cursor, and whether more follow.
    async fn activity_page(&self, parsed: &Parsed, limit: usize) -> Result<(Vec<Activity>, bool), ApiError> {
        let mut query = parsed.query.clone();
        if let Some((at, _)) = &parsed.after {
            query.since = Some(query.since.map_or(*at, |since| since.max(*at)));
        }
        let after = |a: &Activity| {
            parsed.after.as_ref().is_none_or(|(at, id)| (a.occurred_at, a.id.as_str()) > (*at, id.as_str()))
        };
        // The store pages from `since` (inclusive), so activities at the cursor's own time come back: ask for
        // more until the page is full or the store has no more.
        query.limit = limit + 1;
        loop {
            let found = self.store.search(&query).await?;
            let exhausted = found.len() < query.limit;
            let mut matching: Vec<Activity> = found.into_iter().filter(after).collect();
            if exhausted || matching.len() > limit {
                let more = matching.len() > limit;
                matching.truncate(limit);
                return Ok((matching, more));
            }
            query.limit = query.limit.saturating_mul(2);
        }
    }
}

/// How many activities an export reads from the store at a time.
const EXPORT_PAGE: usize = 1_000;

/// An export in progress: the search and how far it got.
pub struct Export<S, P> {
    api: Arc<Api<S, P>>,
    parsed: Parsed,
    format: ExportFormat,
    header_sent: bool,
    done: bool,
}

impl<S: Store, P: IdentityProvider + Send + Sync + 'static> Export<S, P> {
    pub fn new(api: Arc<Api<S, P>>, search: &ActivitySearch, format: ExportFormat) -> Result<Self, ApiError> {
        let parsed = search.parse(api.tenant.clone())?;
        Ok(Export { api, parsed, format, header_sent: false, done: false })
    }

    /// The export as chunks of bytes, one store page each: memory stays flat however long the range.
    pub fn stream(self) -> impl Stream<Item = Result<Vec<u8>, ApiError>> + Send + 'static {
        futures_util::stream::unfold(self, |mut export| async move {
            if export.done {
                return None;
            }
            let page = export.api.activity_page(&export.parsed, EXPORT_PAGE).await;
            let (activities, more) = match page {
                Ok(page) => page,
                Err(error) => {
                    export.done = true;
                    return Some((Err(error), export));
                }
            };
            export.done = !more;
            if let Some(last) = activities.last() {
                export.parsed.after = Some((last.occurred_at, last.id.clone()));
            }
            let chunk = export.render(&activities);
            Some((chunk, export))
        })
    }

    fn render(&mut self, activities: &[Activity]) -> Result<Vec<u8>, ApiError> {
        let mut out = Vec::new();
        match self.format {
            ExportFormat::Jsonl => {
                for activity in activities {
                    serde_json::to_writer(&mut out, activity)
                        .map_err(|e| ApiError::BadRequest(format!("activity {}: {e}", activity.id)))?;
                    out.push(b'\n');
                }
            }
            ExportFormat::Csv => {
                let mut writer = csv::Writer::from_writer(&mut out);
                let failed = |e: csv::Error| ApiError::BadRequest(format!("export: {e}"));
                if !self.header_sent {
                    writer.write_record(CSV_COLUMNS).map_err(failed)?;
                    self.header_sent = true;
                }
                for a in activities {
                    writer.write_record(csv_row(a)).map_err(failed)?;
                }
                writer.flush().map_err(|e| ApiError::BadRequest(format!("export: {e}")))?;
                drop(writer);
            }
        }
        Ok(out)
    }
}

const CSV_COLUMNS: [&str; 14] = [
    "id",
    "occurred_at",
    "app",
    "user",
    "action",
    "category",
    "outcome",
    "ip",
    "country",
    "city",
    "target_kind",
    "target_name",
    "user_agent",
    "tenant",
];

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a leading quote: channel
/// names and user agents are written by whoever uses the apps.
fn defuse(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell }
}

fn csv_row(a: &Activity) -> [String; 14] {
    let geo = a.geo.as_ref();
    let target = a.target.as_ref();
    let occurred_at = a.occurred_at.to_rfc3339();
    [
        a.id.clone(),
        occurred_at,
        a.app.to_string(),
        a.actor.display().to_string(),
        a.action.clone(),
        a.category.as_str().to_string(),
        serde_json::to_value(a.outcome).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
        a.ip.map(|ip| ip.to_string()).unwrap_or_default(),
        geo.map(|g| g.country.clone()).unwrap_or_default(),
        geo.and_then(|g| g.city.clone()).unwrap_or_default(),
        target.map(|t| t.kind.clone()).unwrap_or_default(),
        target.and_then(|t| t.name.clone()).unwrap_or_default(),
        a.user_agent.clone().unwrap_or_default(),
        a.tenant.clone(),
    ]
    .map(defuse)
}

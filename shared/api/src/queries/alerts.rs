//! The alert queue, one alert with everything behind it, and the workflow steps.

use chrono::{DateTime, Utc};
use saaswarden_core::governance::{GovernanceEntry, IdentityProvider};
use saaswarden_core::{Activity, Alert, AlertStatus, App, Resolution, ResolutionKind, Severity};
use saaswarden_store::{AlertFilter, AlertStore, GovernanceFilter, StoreError};
use serde::{Deserialize, Serialize};

use crate::auth::{Caller, Role};
use crate::cursor::Cursor;
use crate::error::ApiError;
use crate::state::{Api, Store};

/// Alert list filters; the store applies tenant, status, policy, severity, user and campaign, the rest is
/// applied to what it returns.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AlertSearch {
    pub status: Option<String>,
    /// The lowest severity shown.
    pub severity: Option<String>,
    pub policy: Option<String>,
    pub user: Option<String>,
    /// Only the alerts of this campaign (`cp-…`).
    pub campaign: Option<String>,
    pub app: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertPage {
    pub alerts: Vec<Alert>,
    /// Pass back as `cursor` for the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// How many of the newest alerts the campaign list groups.
pub const CAMPAIGN_ALERTS: usize = 5_000;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CampaignSearch {
    pub status: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignList {
    pub campaigns: Vec<saaswarden_core::Campaign>,
    /// More alerts match than were grouped: older campaigns may be missing or undercounted.
    pub partial: bool,
}

/// The campaigns among the newest [`CAMPAIGN_ALERTS`] alerts of `tenant` (every tenant: `None`) and
/// `status` that reach at least two users, the latest first: what `GET /api/v1/campaigns` and
/// `saaswarden alerts campaigns` on a local store answer.
pub async fn campaign_list(
    store: &impl AlertStore,
    tenant: Option<String>,
    status: Option<AlertStatus>,
) -> Result<CampaignList, StoreError> {
    let filter = AlertFilter { tenant, status, limit: CAMPAIGN_ALERTS + 1, ..Default::default() };
    let mut alerts = store.list(&filter).await?;
    let partial = alerts.len() > CAMPAIGN_ALERTS;
    alerts.truncate(CAMPAIGN_ALERTS);
    Ok(CampaignList { campaigns: saaswarden_core::campaign::campaigns(&alerts, 2), partial })
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertDetail {
    pub alert: Alert,
    pub history: Vec<Resolution>,
    /// The cited activities, oldest first.
    pub activities: Vec<Activity>,
    pub governance: Vec<GovernanceEntry>,
}

/// A workflow step's body: a verdict for `resolve`, a comment for every step.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Step {
    /// `true-positive`, `benign` or `false-positive` (resolve only).
    pub verdict: Option<String>,
    pub comment: Option<String>,
}

/// Resolve or dismiss a selection of alerts at once.
#[derive(Debug, Clone, Deserialize)]
pub struct BulkAction {
    pub ids: Vec<String>,
    /// `resolve` or `dismiss`.
    pub action: String,
    pub verdict: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BulkOutcome {
    pub done: Vec<String>,
    /// Each id that failed, with why; the others are done regardless.
    pub failed: Vec<BulkFailure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BulkFailure {
    pub id: String,
    pub error: String,
}

/// Which workflow step a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Resolve,
    Dismiss,
    Reopen,
    Comment,
}

fn parse<T: std::str::FromStr<Err = String>>(field: &str, value: Option<&str>) -> Result<Option<T>, ApiError> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.trim().parse::<T>().map_err(|e| ApiError::BadRequest(format!("{field}: {e}"))))
        .transpose()
}

impl<S: Store, P: IdentityProvider + Send + Sync + 'static> Api<S, P> {
    /// One page of the queue, newest first.
    pub async fn alerts(&self, search: &AlertSearch) -> Result<AlertPage, ApiError> {
        let limit = super::page_size(search.limit);
        let offset = match search.cursor.as_deref().filter(|c| !c.is_empty()).map(Cursor::decode).transpose()? {
            None => 0,
            Some(Cursor::Offset(offset)) => offset,
            Some(_) => return Err(ApiError::BadRequest("cursor: not an alert list cursor".into())),
        };
        let app: Option<App> = parse("app", search.app.as_deref())?;
        let mut filter = AlertFilter {
            tenant: self.tenant.clone(),
            status: parse::<AlertStatus>("status", search.status.as_deref())?,
            policy_id: search.policy.clone().filter(|p| !p.is_empty()),
            min_severity: parse::<Severity>("severity", search.severity.as_deref())?,
            user: search.user.clone().filter(|u| !u.is_empty()),
            campaign: search.campaign.clone().filter(|c| !c.is_empty()),
            limit: offset + limit + 1,
        };
        let keep = |alert: &Alert| {
            app.is_none_or(|app| alert.apps.contains(&app))
                && search.since.is_none_or(|since| alert.created_at >= since)
                && search.until.is_none_or(|until| alert.created_at <= until)
        };
        // Filters the store does not apply thin the page out: ask for more until the page is full or the
        // store has no more.
        let mut matching = loop {
            let found = self.store.list(&filter).await?;
            let exhausted = found.len() < filter.limit;
            let matching: Vec<Alert> = found.into_iter().filter(keep).collect();
            if exhausted || matching.len() > offset + limit {
                break matching;
            }
            filter.limit = filter.limit.saturating_mul(2);
        };
        let more = matching.len() > offset + limit;
        matching.truncate(offset + limit);
        let alerts = matching.split_off(offset.min(matching.len()));
        Ok(AlertPage { alerts, next_cursor: more.then(|| Cursor::Offset(offset + limit).encode()) })
    }

    /// The campaigns among the newest [`CAMPAIGN_ALERTS`] alerts (of `status`, if given) that reach at
    /// least two users, the latest first.
    pub async fn campaigns(&self, search: &CampaignSearch) -> Result<CampaignList, ApiError> {
        let status = parse::<AlertStatus>("status", search.status.as_deref())?;
        Ok(campaign_list(&self.store, self.tenant.clone(), status).await?)
    }

    pub async fn alert(&self, id: &str) -> Result<Alert, ApiError> {
        self.store
            .get(id)
            .await?
            .filter(|alert| self.tenant.as_ref().is_none_or(|t| &alert.tenant == t))
            .ok_or_else(|| ApiError::NotFound(format!("no alert with id `{id}`")))
    }

    pub async fn alert_detail(&self, id: &str) -> Result<AlertDetail, ApiError> {
        let alert = self.alert(id).await?;
        let history = self.store.history(id).await?;
        let activities = self.store.get_many(&alert.tenant, &alert.activity_ids).await?;
        let governance = self
            .store
            .governance_entries(&GovernanceFilter { alert_id: Some(id.to_string()), limit: 100, ..Default::default() })
            .await?;
        Ok(AlertDetail { alert, history, activities, governance })
    }

    /// One workflow step by `caller`, recorded in the alert's history under their name.
    pub async fn alert_step(&self, caller: &Caller, id: &str, kind: StepKind, step: &Step) -> Result<Alert, ApiError> {
        caller.require(Role::Analyst)?;
        let comment = step.comment.clone().map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        let resolution_kind = match kind {
            StepKind::Resolve => {
                let verdict = step.verdict.as_deref().ok_or_else(|| {
                    ApiError::BadRequest("verdict: required (true-positive, benign or false-positive)".into())
                })?;
                verdict.parse::<ResolutionKind>().map_err(|e| ApiError::BadRequest(format!("verdict: {e}")))?
            }
            StepKind::Dismiss => ResolutionKind::Dismissed,
            StepKind::Reopen => ResolutionKind::Reopened,
            StepKind::Comment => {
                if comment.is_none() {
                    return Err(ApiError::BadRequest("comment: required".into()));
                }
                ResolutionKind::Comment
            }
        };
        // Checks the tenant before writing.
        self.alert(id).await?;
        let resolution = Resolution { kind: resolution_kind, by: caller.name.clone(), at: Utc::now(), comment };
        self.store.resolve(id, resolution).await.map_err(|error| match error {
            StoreError::NotFound { .. } => ApiError::NotFound(format!("no alert with id `{id}`")),
            other => other.into(),
        })
    }

    pub async fn alerts_bulk(&self, caller: &Caller, bulk: &BulkAction) -> Result<BulkOutcome, ApiError> {
        caller.require(Role::Analyst)?;
        let kind = match bulk.action.as_str() {
            "resolve" => StepKind::Resolve,
            "dismiss" => StepKind::Dismiss,
            other => return Err(ApiError::BadRequest(format!("action: `{other}`: expected resolve or dismiss"))),
        };
        if bulk.ids.is_empty() || bulk.ids.len() > super::MAX_PAGE {
            return Err(ApiError::BadRequest(format!("ids: give 1 to {} alert ids", super::MAX_PAGE)));
        }
        let step = Step { verdict: bulk.verdict.clone(), comment: bulk.comment.clone() };
        let mut outcome = BulkOutcome { done: Vec::new(), failed: Vec::new() };
        for id in &bulk.ids {
            match self.alert_step(caller, id, kind, &step).await {
                Ok(alert) => outcome.done.push(alert.id),
                Err(error @ ApiError::BadRequest(_)) => return Err(error),
                Err(error) => outcome.failed.push(BulkFailure { id: id.clone(), error: error.to_string() }),
            }
        }
        Ok(outcome)
    }
}

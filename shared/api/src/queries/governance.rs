//! The governance log and the analyst's actions on it, through the same `Governor` (and so the same
//! safety rails: allowed domains, protected users and groups, dry run, one claim per action) as the CLI.

use chrono::Utc;
use saaswarden_app::govern::Governor;
use saaswarden_core::governance::{ActionKind, GovernanceEntry, IdentityProvider};
use saaswarden_store::GovernanceFilter;
use serde::{Deserialize, Serialize};

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::state::{Api, Store};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct GovernanceRequest {
    /// Only the actions of this alert.
    pub alert: Option<String>,
    pub limit: Option<usize>,
}

/// Approve an action on an alert's user.
#[derive(Debug, Clone, Deserialize)]
pub struct GovernanceAction {
    pub alert_id: String,
    /// `notify-user`, `require-sign-in` or `suspend-user`.
    pub action: String,
}

impl<S: Store, P: IdentityProvider + Send + Sync + 'static> Api<S, P> {
    fn governor(&self) -> Governor<'_, S, P> {
        Governor { settings: &self.config.governance, log: &self.store, idp: &self.idp }
    }

    /// Newest first.
    pub async fn governance_log(&self, request: &GovernanceRequest) -> Result<Vec<GovernanceEntry>, ApiError> {
        let filter = GovernanceFilter {
            tenant: self.tenant.clone(),
            alert_id: request.alert.clone().filter(|a| !a.is_empty()),
            limit: super::page_size(request.limit.or(Some(200))),
        };
        Ok(self.store.governance_entries(&filter).await?)
    }

    pub async fn governance_approve(
        &self,
        caller: &Caller,
        request: &GovernanceAction,
    ) -> Result<GovernanceEntry, ApiError> {
        caller.require(Role::Responder)?;
        let action: ActionKind =
            request.action.parse().map_err(|e: String| ApiError::BadRequest(format!("action: {e}")))?;
        self.alert(&request.alert_id).await?;
        Ok(self.governor().approve(&self.store, &request.alert_id, action, &caller.name, Utc::now()).await?)
    }

    pub async fn governance_retry(&self, caller: &Caller, id: &str) -> Result<GovernanceEntry, ApiError> {
        caller.require(Role::Responder)?;
        self.governance_entry(id).await?;
        Ok(self.governor().retry(id, &caller.name, Utc::now()).await?)
    }

    pub async fn governance_revert(&self, caller: &Caller, id: &str) -> Result<GovernanceEntry, ApiError> {
        caller.require(Role::Responder)?;
        self.governance_entry(id).await?;
        Ok(self.governor().revert(id, &caller.name, Utc::now()).await?)
    }

    async fn governance_entry(&self, id: &str) -> Result<GovernanceEntry, ApiError> {
        self.store
            .governance_entry(id)
            .await?
            .map(|stored| stored.value)
            .filter(|entry| self.tenant.as_ref().is_none_or(|t| &entry.tenant == t))
            .ok_or_else(|| ApiError::NotFound(format!("no governance entry with id `{id}`")))
    }
}

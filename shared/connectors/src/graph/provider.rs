//! The identity provider `[governance]` asks for: Microsoft Graph, or none in dry-run mode without Graph
//! settings (dry runs never call it). Shared by the command line and the Lambda functions, which differ
//! only in where the client secret comes from (an environment variable, or the credentials secret).

use saaswarden_core::config::GovernanceSettings;
use saaswarden_core::governance::{
    DirectoryDelta, DirectoryFeed, DirectoryUser, IdentityProvider, IdpError, Lookup, Notice, Receipt,
};

use super::{GraphClient, GraphConnection};
use crate::http::{HttpClient, RetryPolicy, Secret};

pub enum Provider {
    Graph(Box<GraphClient>),
    Unconfigured,
}

/// Why no provider could be built.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the Entra app's client secret is missing, and governance is not in dry-run mode")]
    MissingSecret,
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

impl Provider {
    /// Graph when `tenant_id` and `client_id` are set; `secret` may be absent only in dry-run mode.
    pub fn from_settings(settings: &GovernanceSettings, secret: Option<Secret>) -> Result<Provider, ProviderError> {
        if !settings.graph.is_configured() {
            return Ok(Provider::Unconfigured);
        }
        let secret = secret.unwrap_or_else(|| Secret::new(""));
        if secret.is_empty() && !settings.dry_run {
            return Err(ProviderError::MissingSecret);
        }
        let http = HttpClient::new(RetryPolicy::default()).map_err(|e| ProviderError::Http(e.to_string()))?;
        Ok(Provider::Graph(Box::new(GraphClient::new(GraphConnection::from_settings(settings, secret), http))))
    }

    fn graph(&self) -> Result<&GraphClient, IdpError> {
        match self {
            Provider::Graph(client) => Ok(client),
            Provider::Unconfigured => Err(IdpError::local(
                "Microsoft Graph is not configured: set governance.graph.tenant_id and client_id (docs/governance.md)",
            )),
        }
    }
}

impl IdentityProvider for Provider {
    async fn find_user(&self, lookup: &Lookup) -> Result<Option<DirectoryUser>, IdpError> {
        self.graph()?.find_user(lookup).await
    }
    async fn member_groups(&self, user_id: &str, group_ids: &[String]) -> Result<Vec<String>, IdpError> {
        self.graph()?.member_groups(user_id, group_ids).await
    }
    async fn notify(&self, user: &DirectoryUser, notice: &Notice) -> Result<Receipt, IdpError> {
        self.graph()?.notify(user, notice).await
    }
    async fn revoke_sessions(&self, user_id: &str) -> Result<Receipt, IdpError> {
        self.graph()?.revoke_sessions(user_id).await
    }
    async fn set_account_enabled(&self, user_id: &str, enabled: bool) -> Result<Receipt, IdpError> {
        self.graph()?.set_account_enabled(user_id, enabled).await
    }
}

impl DirectoryFeed for Provider {
    async fn changes(&self, delta_link: Option<&str>) -> Result<DirectoryDelta, IdpError> {
        self.graph()?.changes(delta_link).await
    }
}

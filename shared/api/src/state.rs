//! What every request runs with: the store, the identity provider, the configuration and who may sign in.

use std::sync::Arc;

use saaswarden_core::Config;
use saaswarden_core::governance::IdentityProvider;
use saaswarden_store::{ActivityLog, AlertStore, Checkpoints, Directory, GovernanceLog, StateStore};

use crate::auth::Auth;
use crate::catalog::PolicyInfo;

/// Every port the API reads or writes; implemented by `SqliteStore` and the DynamoDB store alike.
pub trait Store:
    ActivityLog + AlertStore + GovernanceLog + StateStore + Directory + Checkpoints + Send + Sync + 'static
{
}

impl<T> Store for T where
    T: ActivityLog + AlertStore + GovernanceLog + StateStore + Directory + Checkpoints + Send + Sync + 'static
{
}

/// The router's shared state.
pub struct Api<S, P> {
    pub store: S,
    /// Microsoft Graph for governance approve, retry and revert (it records a dry run without calling).
    pub idp: P,
    pub config: Config,
    /// The tenant every query is limited to; `None` shows every tenant of the store (a local file the
    /// demo or several configurations wrote).
    pub tenant: Option<String>,
    /// The loaded detections and custom policies, for `/policies`.
    pub policies: Vec<PolicyInfo>,
    pub auth: Auth,
}

impl<S, P> Api<S, P>
where
    S: Store,
    P: IdentityProvider + Send + Sync + 'static,
{
    pub fn shared(self) -> Arc<Self> {
        Arc::new(self)
    }
}

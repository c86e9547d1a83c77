//! The `[governance]` section: how alerts become Microsoft Entra ID actions, and the safety rails around
//! them. Secrets are never in the file: the client secret is read from the environment variable it names.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::ConfigError;

/// Default suspensions per tenant per clock hour before automatic suspensions wait for approval.
pub const DEFAULT_SUSPENSIONS_PER_HOUR: u32 = 5;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GovernanceSettings {
    /// Log what would be done, call nothing. On by default: acting on identities is opted into.
    pub dry_run: bool,
    /// The mailbox (UPN) notifications are sent from (Graph `sendMail` needs a real mailbox).
    pub sender: Option<String>,
    /// Identities (emails/UPNs, or `@domain`) never suspended nor signed out, whatever a policy says.
    pub protected_users: Vec<String>,
    /// Groups whose members are never suspended nor signed out: Entra group object ids (membership is
    /// checked through Graph before every such action) or names of the configuration's `[groups]`.
    pub protected_groups: Vec<String>,
    /// Only identities in these domains are acted on (exact domains, `acme.example`). Empty: none.
    pub allowed_domains: Vec<String>,
    /// Automatic suspensions per tenant per clock hour (UTC); beyond it they wait for approval.
    pub suspensions_per_hour: u32,
    /// App email → Entra user (UPN or object id). Overrides the lookup by UPN or mail.
    pub identities: BTreeMap<String, String>,
    pub graph: GraphSettings,
}

impl Default for GovernanceSettings {
    fn default() -> Self {
        GovernanceSettings {
            dry_run: true,
            sender: None,
            protected_users: Vec::new(),
            protected_groups: Vec::new(),
            allowed_domains: Vec::new(),
            suspensions_per_hour: DEFAULT_SUSPENSIONS_PER_HOUR,
            identities: BTreeMap::new(),
            graph: GraphSettings::default(),
        }
    }
}

/// Where and as whom to reach Microsoft Graph (client-credentials flow of an Entra app registration).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphSettings {
    /// The Entra tenant: its id (GUID) or a verified domain.
    pub tenant_id: String,
    /// The app registration's application (client) id.
    pub client_id: String,
    /// The environment variable holding the client secret.
    pub client_secret_env: String,
    /// The token authority; sovereign clouds use their own (`https://login.microsoftonline.us`).
    pub authority_host: String,
    /// The Graph endpoint; sovereign clouds use their own (`https://graph.microsoft.us`).
    pub graph_host: String,
    /// The scope the token is asked for. Unset: `{graph_host}/.default`, right for Microsoft's Graph and
    /// the national clouds'. Set it when `graph_host` is a proxy, a private endpoint or a test server,
    /// whose address Entra ID does not know as a resource (`https://graph.microsoft.com/.default`).
    pub scope: Option<String>,
}

impl Default for GraphSettings {
    fn default() -> Self {
        GraphSettings {
            tenant_id: String::new(),
            client_id: String::new(),
            client_secret_env: "SAASWARDEN_GRAPH_CLIENT_SECRET".to_string(),
            authority_host: "https://login.microsoftonline.com".to_string(),
            graph_host: "https://graph.microsoft.com".to_string(),
            scope: None,
        }
    }
}

impl GraphSettings {
    /// Whether enough is configured to reach Graph at all.
    pub fn is_configured(&self) -> bool {
        !self.tenant_id.trim().is_empty() && !self.client_id.trim().is_empty()
    }

    /// The scope of the token request: the configured one, else the Graph host's `/.default`.
    pub fn token_scope(&self) -> String {
        match &self.scope {
            Some(scope) => scope.trim().to_string(),
            None => format!("{}/.default", self.graph_host.trim().trim_end_matches('/')),
        }
    }
}

impl GovernanceSettings {
    /// Whether a user (email or UPN) is in one of the allowed domains.
    pub fn domain_allowed(&self, user: &str) -> bool {
        user.rsplit_once('@')
            .is_some_and(|(_, domain)| self.allowed_domains.iter().any(|d| d.trim().eq_ignore_ascii_case(domain)))
    }

    /// Entra group object ids among `protected_groups` (the rest are names of `[groups]`).
    pub fn protected_group_ids(&self) -> Vec<String> {
        self.protected_groups.iter().filter(|g| is_object_id(g)).map(|g| g.to_lowercase()).collect()
    }

    pub(crate) fn validate(
        &self,
        groups: &BTreeMap<String, Vec<String>>,
        invalid: impl Fn(&str, String) -> ConfigError,
    ) -> Result<(), ConfigError> {
        for (i, domain) in self.allowed_domains.iter().enumerate() {
            let domain = domain.trim();
            if domain.is_empty() || domain.contains('@') || !domain.contains('.') {
                return Err(invalid(
                    &format!("governance.allowed_domains[{i}]"),
                    format!("`{domain}` is not a domain: write e.g. `acme.example`, without `@`"),
                ));
            }
        }
        for (i, user) in self.protected_users.iter().enumerate() {
            if !super::is_member(user) {
                return Err(invalid(
                    &format!("governance.protected_users[{i}]"),
                    format!("`{user}` is neither an email nor `@domain`"),
                ));
            }
        }
        for (i, group) in self.protected_groups.iter().enumerate() {
            if !is_object_id(group) && !groups.contains_key(group) {
                return Err(invalid(
                    &format!("governance.protected_groups[{i}]"),
                    format!("`{group}` is neither an Entra group object id (a GUID) nor a group of `[groups]`"),
                ));
            }
        }
        for (email, target) in &self.identities {
            if !email.contains('@') || target.trim().is_empty() {
                return Err(invalid(
                    &format!("governance.identities.\"{email}\""),
                    "map an app email to an Entra UPN or object id, e.g. \"ann@acme.example\" = \"ann@acme.onmicrosoft.com\""
                        .into(),
                ));
            }
        }
        if let Some(sender) = &self.sender
            && !super::is_member(sender)
        {
            return Err(invalid("governance.sender", format!("`{sender}` is not a mailbox address")));
        }
        for (setting, host) in [
            ("governance.graph.authority_host", &self.graph.authority_host),
            ("governance.graph.graph_host", &self.graph.graph_host),
        ] {
            if !(host.starts_with("https://") || host.starts_with("http://")) {
                return Err(invalid(
                    setting,
                    format!("`{host}` is not a URL: write e.g. `https://graph.microsoft.com`"),
                ));
            }
        }
        if let Some(scope) = &self.graph.scope
            && !(scope.trim().ends_with("/.default") && scope.trim().len() > "/.default".len())
        {
            return Err(invalid(
                "governance.graph.scope",
                format!(
                    "`{scope}` is not a client-credentials scope: write the resource followed by `/.default`, \
                     e.g. `https://graph.microsoft.com/.default`"
                ),
            ));
        }
        if self.graph.client_secret_env.trim().is_empty() {
            return Err(invalid("governance.graph.client_secret_env", "must name an environment variable".into()));
        }
        if !self.dry_run {
            if !self.graph.is_configured() {
                return Err(invalid(
                    "governance.graph",
                    "`dry_run = false` needs `tenant_id` and `client_id` of the Entra app registration".into(),
                ));
            }
            if self.allowed_domains.is_empty() {
                return Err(invalid(
                    "governance.allowed_domains",
                    "`dry_run = false` needs the domains actions may touch (no action outside them)".into(),
                ));
            }
        }
        Ok(())
    }

    /// Folds the names of `[groups]` among `protected_groups` into `protected_users`, so the pure check
    /// is a list comparison (as the detections' scopes do).
    pub(crate) fn expand_groups(&mut self, groups: &BTreeMap<String, Vec<String>>) {
        for name in &self.protected_groups {
            if let Some(members) = groups.get(name) {
                self.protected_users.extend(members.iter().map(|m| m.trim().to_lowercase()));
            }
        }
    }
}

/// An Entra object id: a GUID (8-4-4-4-12 hex digits).
pub fn is_object_id(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

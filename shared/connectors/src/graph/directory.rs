//! Terminated users from Graph's delta query over users: `GET /v1.0/users/delta?$select=…`, following
//! `@odata.nextLink` whole to the `@odata.deltaLink`, which the caller stores for the next sync.
//!
//! Disabled users (`accountEnabled: false`) and removed ones (`@removed`) are terminations; users the delta
//! shows with `accountEnabled: true` are reported too, so one enabled again is taken off the record (a
//! change that does not touch `accountEnabled` is not reported). A removed user usually arrives as its id
//! alone, so its name is read from the deleted items (where Graph keeps it
//! for 30 days, its UPN prefixed with the id); one purged for good stays unnamed. Links are only followed
//! on the configured Graph host: the token is never sent anywhere else.

use reqwest::Url;
use saaswarden_core::governance::{DirectoryChange, DirectoryDelta, DirectoryFeed, IdpError};

use super::client::{GraphClient, USER_FIELDS};
use super::wire;

/// A bound on pages per sync: a runaway link chain ends with an error instead of looping.
const MAX_PAGES: usize = 10_000;

impl DirectoryFeed for GraphClient {
    async fn changes(&self, delta_link: Option<&str>) -> Result<DirectoryDelta, IdpError> {
        let mut next = match delta_link {
            Some(link) => self.on_graph_host(link)?,
            None => {
                let mut url = self.url(&["v1.0", "users", "delta"])?;
                url.query_pairs_mut().append_pair("$select", USER_FIELDS);
                url
            }
        };
        let mut changes = Vec::new();
        for page_number in 1..=MAX_PAGES {
            let what = format!("Graph users delta page {page_number}");
            let page: wire::Page<wire::User> = self.get_json(&what, next).await?.ok_or_else(|| {
                IdpError::local(format!("{what}: the delta link is no longer valid (404); run a full sync"))
            })?;
            for user in page.value {
                if let Some(change) = self.change_of(user).await? {
                    changes.push(change);
                }
            }
            match (page.next_link, page.delta_link) {
                (Some(link), _) => next = self.on_graph_host(&link)?,
                (None, Some(link)) => return Ok(DirectoryDelta { changes, delta_link: link }),
                (None, None) => {
                    return Err(IdpError::local(format!("{what}: neither @odata.nextLink nor @odata.deltaLink")));
                }
            }
        }
        Err(IdpError::local(format!("Graph users delta: more than {MAX_PAGES} pages")))
    }
}

impl GraphClient {
    /// A link Graph handed back, accepted only on the configured Graph host.
    fn on_graph_host(&self, link: &str) -> Result<Url, IdpError> {
        let url = Url::parse(link).map_err(|e| IdpError::local(format!("Graph link `{link}` is not a URL: {e}")))?;
        let host = Url::parse(&self.connection.graph_host)
            .map_err(|e| IdpError::local(format!("governance.graph.graph_host: {e}")))?;
        if url.origin() != host.origin() {
            return Err(IdpError::local(format!(
                "Graph link `{link}` is not on the configured Graph host {}: not followed",
                self.connection.graph_host
            )));
        }
        Ok(url)
    }

    async fn change_of(&self, user: wire::User) -> Result<Option<DirectoryChange>, IdpError> {
        let deleted = user.removed.is_some();
        let disabled = user.account_enabled == Some(false);
        if !deleted && user.account_enabled.is_none() {
            return Ok(None);
        }
        let mut name = user.mail.clone().or_else(|| user.user_principal_name.clone());
        if name.is_none() {
            name = self.name_of(&user.id, deleted).await?;
        }
        Ok(Some(DirectoryChange { user: name.map(|n| n.to_lowercase()), id: user.id, deleted, disabled }))
    }

    /// The mail or UPN of a user the delta named only by id.
    async fn name_of(&self, id: &str, deleted: bool) -> Result<Option<String>, IdpError> {
        let mut url = if deleted {
            self.url(&["v1.0", "directory", "deletedItems", id])?
        } else {
            self.url(&["v1.0", "users", id])?
        };
        url.query_pairs_mut().append_pair("$select", USER_FIELDS);
        let found: Option<wire::User> = self.get_json("Graph user name", url).await?;
        Ok(found.and_then(|u| {
            u.mail.or_else(|| u.user_principal_name.map(|upn| strip_deleted_prefix(&upn, id).to_string()))
        }))
    }
}

/// A deleted user's UPN is its id (without dashes) followed by the original UPN.
fn strip_deleted_prefix<'a>(upn: &'a str, id: &str) -> &'a str {
    let prefix: String = id.chars().filter(|c| *c != '-').collect();
    upn.strip_prefix(prefix.as_str()).unwrap_or(upn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deleted_users_upn_loses_its_id_prefix() {
        let id = "4d4e1ab0-7e1b-4d3a-9b1c-2a2f0c8e9a11";
        assert_eq!(strip_deleted_prefix("4d4e1ab07e1b4d3a9b1c2a2f0c8e9a11bob@acme.example", id), "bob@acme.example");
        assert_eq!(strip_deleted_prefix("bob@acme.example", id), "bob@acme.example");
    }
}

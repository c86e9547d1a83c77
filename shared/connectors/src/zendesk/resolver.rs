//! Actor ids to users through the Users API (`GET /api/v2/users/show_many.json?ids=…`, ≤ 100 ids a call),
//! cached and refreshed: an audit entry names its actor by id only, and the email is what joins Zendesk
//! activity to Slack and to the identity provider. An id Zendesk does not know (system actions) is
//! remembered as unknown for the refresh period, and its activity is kept, unresolved.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::client::ZendeskAuth;
use super::users::ZendeskUsers;
use crate::http::{HttpClient, HttpError, Verdict, default_verdict};
use crate::input::RawEntry;
use crate::source::SourceError;
use crate::wire::integer_of;

/// Ids per `show_many` call (the API's maximum).
const IDS_PER_CALL: usize = 100;

pub(super) struct UserResolver {
    url: String,
    refresh: chrono::Duration,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    users: ZendeskUsers,
    /// When each id (found or not) was last looked up.
    looked_up: HashMap<i64, DateTime<Utc>>,
}

impl UserResolver {
    pub(super) fn new(base_url: &str, refresh: Duration) -> UserResolver {
        UserResolver {
            url: format!("{base_url}/api/v2/users/show_many.json"),
            refresh: chrono::Duration::from_std(refresh).unwrap_or(chrono::Duration::days(1)),
            cache: Mutex::new(Cache::default()),
        }
    }

    /// The users named in `field` (`actor_id`, `user_id`) of `entries`, looking up those not cached or
    /// cached too long ago.
    pub(super) async fn resolve(
        &self,
        http: &HttpClient,
        auth: &ZendeskAuth,
        entries: &[RawEntry],
        field: &str,
    ) -> Result<ZendeskUsers, SourceError> {
        let ids: BTreeSet<i64> =
            entries.iter().filter_map(|entry| entry.value.get(field).and_then(integer_of)).collect();
        let now = http.now();
        let stale: Vec<i64> = {
            let cache = self.lock();
            ids.iter()
                .copied()
                .filter(|id| cache.looked_up.get(id).is_none_or(|at| *at + self.refresh <= now))
                .collect()
        };
        for chunk in stale.chunks(IDS_PER_CALL) {
            let found = self.show_many(http, auth, chunk).await?;
            let mut cache = self.lock();
            for id in chunk {
                cache.looked_up.insert(*id, now);
            }
            for user in found {
                cache.users.insert(user);
            }
        }
        let cache = self.lock();
        let mut users = ZendeskUsers::default();
        for id in ids {
            if let Some(user) = cache.users.get(id) {
                users.insert(user.clone());
            }
        }
        Ok(users)
    }

    async fn show_many(
        &self,
        http: &HttpClient,
        auth: &ZendeskAuth,
        ids: &[i64],
    ) -> Result<Vec<super::ZendeskUser>, SourceError> {
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let what = format!("Zendesk users show_many ({} ids)", ids.len());
        let build = |client: &reqwest::Client| auth.apply(client.get(&self.url).query(&[("ids", &list)]));
        let classify = |response, now| match default_verdict(response, now) {
            Verdict::Done(response) if response.status.is_success() => {
                match serde_json::from_slice::<Value>(&response.body).ok().map(|v| ZendeskUsers::from_json(&v)) {
                    Some(Ok(users)) => Verdict::Done(users),
                    Some(Err(error)) => {
                        Verdict::Fail(HttpError::Malformed { what: what.clone(), message: error.to_string() })
                    }
                    None => Verdict::Fail(HttpError::Malformed {
                        what: what.clone(),
                        message: format!("not JSON (truncated?): {}", response.excerpt()),
                    }),
                }
            }
            Verdict::Done(response) => Verdict::Fail(HttpError::Permanent {
                what: what.clone(),
                status: Some(response.status.as_u16()),
                message: format!(
                    "cannot read users (the token needs an admin or agent with user access): {}",
                    response.excerpt()
                ),
            }),
            Verdict::Retry(reason) => Verdict::Retry(reason),
            Verdict::RateLimited(wait) => Verdict::RateLimited(wait),
            Verdict::Fail(error) => Verdict::Fail(error),
        };
        let users = http.execute(&what, build, classify).await?;
        Ok(ids.iter().filter_map(|id| users.get(*id).cloned()).collect())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

//! The Graph client: a client-credentials token cached until shortly before it expires, and the
//! governance actions (find a user, check protected groups, send mail, revoke sessions, enable/disable).
//!
//! Every request carries a fresh `client-request-id`; the `request-id` Graph answers with goes into the
//! governance log. Throttling (429, 503 with `Retry-After`) and other 5xx are retried by the shared HTTP
//! client; any other 4xx is permanent and comes back as a typed error with Graph's code and message.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use saaswarden_core::config::GovernanceSettings;
use saaswarden_core::governance::{DirectoryUser, IdentityProvider, IdpError, IdpErrorKind, Lookup, Notice, Receipt};
use serde::de::DeserializeOwned;

use super::wire;
use crate::http::{HttpClient, HttpError, HttpResponse, Secret, default_verdict};

/// A token is renewed this long before Graph says it expires: clock skew and a request in flight.
const TOKEN_MARGIN: chrono::Duration = chrono::Duration::minutes(5);

/// The properties every user read selects.
pub(crate) const USER_FIELDS: &str = "id,userPrincipalName,mail,accountEnabled";

/// How to reach Graph and as whom.
#[derive(Debug, Clone)]
pub struct GraphConnection {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// `https://login.microsoftonline.com`, or a sovereign cloud's authority.
    pub authority_host: String,
    /// `https://graph.microsoft.com`, or a sovereign cloud's Graph.
    pub graph_host: String,
    /// The scope the token is asked for (`https://graph.microsoft.com/.default`): see
    /// [`saaswarden_core::config::GraphSettings::token_scope`].
    pub scope: String,
    /// The mailbox notifications are sent from.
    pub sender: Option<String>,
}

impl GraphConnection {
    /// From the `[governance]` settings, with the secret read by the caller from the variable they name.
    pub fn from_settings(settings: &GovernanceSettings, client_secret: Secret) -> GraphConnection {
        GraphConnection {
            tenant_id: settings.graph.tenant_id.trim().to_string(),
            client_id: settings.graph.client_id.trim().to_string(),
            client_secret,
            authority_host: settings.graph.authority_host.trim_end_matches('/').to_string(),
            graph_host: settings.graph.graph_host.trim_end_matches('/').to_string(),
            scope: settings.graph.token_scope(),
            sender: settings.sender.clone(),
        }
    }
}

struct CachedToken {
    value: Secret,
    renew_at: DateTime<Utc>,
}

pub struct GraphClient {
    pub(crate) http: HttpClient,
    pub(crate) connection: GraphConnection,
    token: Mutex<Option<CachedToken>>,
    request_counter: AtomicU64,
}

/// A Graph answer that was not a success, before it becomes an [`IdpError`].
pub(crate) struct Refusal {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl GraphClient {
    pub fn new(connection: GraphConnection, http: HttpClient) -> GraphClient {
        GraphClient { http, connection, token: Mutex::new(None), request_counter: AtomicU64::new(0) }
    }

    /// A Graph URL from path segments (each percent-encoded: a guest UPN holds `#`).
    pub(crate) fn url(&self, segments: &[&str]) -> Result<Url, IdpError> {
        let mut url = Url::parse(&self.connection.graph_host).map_err(|e| {
            IdpError::local(format!("governance.graph.graph_host `{}`: {e}", self.connection.graph_host))
        })?;
        url.path_segments_mut()
            .map_err(|()| IdpError::local("governance.graph.graph_host cannot take a path"))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// The cached token, or a new one when it is missing or about to expire.
    async fn token(&self) -> Result<Secret, IdpError> {
        let now = self.http.now();
        if let Some(token) = lock(&self.token).as_ref().filter(|t| now < t.renew_at) {
            return Ok(token.value.clone());
        }
        let connection = &self.connection;
        let url = format!("{}/{}/oauth2/v2.0/token", connection.authority_host, connection.tenant_id);
        let form = [
            ("client_id", connection.client_id.as_str()),
            ("client_secret", connection.client_secret.expose()),
            ("scope", connection.scope.as_str()),
            ("grant_type", "client_credentials"),
        ];
        // Whatever went wrong, the operator needs what was asked of whom (never the secret): a scope
        // Entra does not know reads much like a wrong secret otherwise.
        let asked = || {
            format!("the token request to {url} for client id {} with scope {}", connection.client_id, connection.scope)
        };
        let response = self
            .http
            .execute("Entra ID token", |client| client.post(&url).form(&form), default_verdict)
            .await
            .map_err(|error| {
                let mut error = from_http(error);
                error.message = format!("{} failed: {}", asked(), error.message);
                error
            })?;
        if !response.status.is_success() {
            let error: wire::TokenError = serde_json::from_slice(&response.body).unwrap_or_default();
            return Err(IdpError {
                kind: IdpErrorKind::Permanent,
                status: Some(response.status.as_u16()),
                code: error.error.clone(),
                message: format!(
                    "{} was refused: {}",
                    asked(),
                    error.error_description.or(error.error).unwrap_or_else(|| response.excerpt())
                ),
                request_id: header(&response.headers, "request-id"),
            });
        }
        let token: wire::TokenResponse = serde_json::from_slice(&response.body)
            .map_err(|e| IdpError::local(format!("{}: unreadable response: {e}", asked())))?;
        let lifetime = chrono::Duration::seconds(i64::try_from(token.expires_in).unwrap_or(0));
        let value = Secret::new(token.access_token);
        *lock(&self.token) = Some(CachedToken { value: value.clone(), renew_at: now + lifetime - TOKEN_MARGIN });
        Ok(value)
    }

    /// Sends one Graph request (JSON body or none) with the token and a `client-request-id`; returns the
    /// successful response, or a refusal for the caller to interpret (404 may mean "no such user").
    pub(crate) async fn send(
        &self,
        what: &str,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
    ) -> Result<Result<HttpResponse, Refusal>, IdpError> {
        let token = self.token().await?;
        let client_request_id = self.client_request_id();
        let response = self
            .http
            .execute(
                what,
                |client| {
                    let request = client
                        .request(method.clone(), url.clone())
                        .bearer_auth(token.expose())
                        .header("client-request-id", &client_request_id);
                    match &body {
                        Some(body) => request.json(body),
                        None => request.header(reqwest::header::CONTENT_LENGTH, "0"),
                    }
                },
                default_verdict,
            )
            .await
            .map_err(from_http)?;
        if response.status.is_success() {
            Ok(Ok(response))
        } else {
            if response.status == StatusCode::UNAUTHORIZED {
                // The token was revoked or expired early: the next request fetches a new one.
                *lock(&self.token) = None;
            }
            Ok(Err(Refusal { status: response.status, headers: response.headers, body: response.body }))
        }
    }

    /// A request whose every refusal is an error.
    pub(crate) async fn call(
        &self,
        what: &str,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
    ) -> Result<HttpResponse, IdpError> {
        self.send(what, method, url, body).await?.map_err(|refusal| refused(what, refusal))
    }

    /// Like `call`, the body decoded.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, what: &str, url: Url) -> Result<Option<T>, IdpError> {
        match self.send(what, Method::GET, url, None).await? {
            Ok(response) => serde_json::from_slice(&response.body)
                .map(Some)
                .map_err(|e| IdpError::local(format!("{what}: unreadable response: {e}"))),
            Err(refusal) if refusal.status == StatusCode::NOT_FOUND => Ok(None),
            Err(refusal) => Err(refused(what, refusal)),
        }
    }

    /// A GUID-shaped id for `client-request-id`, unique per request of this process.
    fn client_request_id(&self) -> String {
        let count = self.request_counter.fetch_add(1, Ordering::Relaxed);
        let seed = self.http.now().timestamp_nanos_opt().unwrap_or_default().unsigned_abs() ^ (count << 48);
        let a = mix(seed);
        let b = mix(a ^ count);
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }
}

impl IdentityProvider for GraphClient {
    async fn find_user(&self, lookup: &Lookup) -> Result<Option<DirectoryUser>, IdpError> {
        match lookup {
            Lookup::Mapped(target) => {
                let mut url = self.url(&["v1.0", "users", target])?;
                url.query_pairs_mut().append_pair("$select", USER_FIELDS);
                let user: Option<wire::User> = self.get_json("Graph user lookup", url).await?;
                Ok(user.map(directory_user))
            }
            Lookup::ByEmail(email) => {
                let quoted = email.replace('\'', "''");
                let mut url = self.url(&["v1.0", "users"])?;
                url.query_pairs_mut()
                    .append_pair("$filter", &format!("userPrincipalName eq '{quoted}' or mail eq '{quoted}'"))
                    .append_pair("$select", USER_FIELDS);
                let page: Option<wire::Page<wire::User>> = self.get_json("Graph user lookup", url).await?;
                let mut users = page.map(|p| p.value).unwrap_or_default();
                match users.len() {
                    0 => Ok(None),
                    1 => Ok(users.pop().map(directory_user)),
                    n => Err(IdpError {
                        kind: IdpErrorKind::Permanent,
                        status: None,
                        code: None,
                        message: format!(
                            "{n} Entra users have the UPN or mail {email}: map the app user in governance.identities \
                             (nothing is guessed)"
                        ),
                        request_id: None,
                    }),
                }
            }
        }
    }

    async fn member_groups(&self, user_id: &str, group_ids: &[String]) -> Result<Vec<String>, IdpError> {
        let url = self.url(&["v1.0", "users", user_id, "checkMemberGroups"])?;
        let body = serde_json::json!({ "groupIds": group_ids });
        let response = self.call("Graph checkMemberGroups", Method::POST, url, Some(body)).await?;
        let page: wire::Page<String> = serde_json::from_slice(&response.body)
            .map_err(|e| IdpError::local(format!("Graph checkMemberGroups: unreadable response: {e}")))?;
        Ok(page.value)
    }

    async fn notify(&self, user: &DirectoryUser, notice: &Notice) -> Result<Receipt, IdpError> {
        let Some(sender) = self.connection.sender.as_deref() else {
            return Err(IdpError::local("governance.sender is not set: no mailbox to send the notification from"));
        };
        let to = user.mail.as_deref().unwrap_or(&user.user_principal_name);
        let mail = wire::SendMail {
            message: wire::Message {
                subject: &notice.subject,
                body: wire::Body { content_type: "Text", content: &notice.body },
                to_recipients: vec![wire::Recipient { email_address: wire::Address { address: to } }],
            },
            save_to_sent_items: false,
        };
        let body = serde_json::to_value(&mail).map_err(|e| IdpError::local(format!("sendMail body: {e}")))?;
        let url = self.url(&["v1.0", "users", sender, "sendMail"])?;
        receipt(self.call("Graph sendMail", Method::POST, url, Some(body)).await?)
    }

    async fn revoke_sessions(&self, user_id: &str) -> Result<Receipt, IdpError> {
        let url = self.url(&["v1.0", "users", user_id, "revokeSignInSessions"])?;
        receipt(self.call("Graph revokeSignInSessions", Method::POST, url, None).await?)
    }

    async fn set_account_enabled(&self, user_id: &str, enabled: bool) -> Result<Receipt, IdpError> {
        let url = self.url(&["v1.0", "users", user_id])?;
        let body = serde_json::json!({ "accountEnabled": enabled });
        let what = if enabled { "Graph re-enable user" } else { "Graph suspend user" };
        receipt(self.call(what, Method::PATCH, url, Some(body)).await?)
    }
}

fn directory_user(user: wire::User) -> DirectoryUser {
    DirectoryUser {
        user_principal_name: user.user_principal_name.unwrap_or_else(|| user.id.clone()),
        id: user.id,
        mail: user.mail,
        account_enabled: user.account_enabled,
    }
}

fn receipt(response: HttpResponse) -> Result<Receipt, IdpError> {
    Ok(Receipt { request_id: request_id(&response.headers, &response.body) })
}

/// Graph's `request-id` header, else the one in an error body's `innerError`.
fn request_id(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    header(headers, "request-id")
        .or_else(|| serde_json::from_slice::<wire::ErrorBody>(body).ok()?.error?.inner_error?.request_id)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// A permanent refusal (403 insufficient privileges, 404, 400) with Graph's code and message.
pub(crate) fn refused(what: &str, refusal: Refusal) -> IdpError {
    let detail =
        serde_json::from_slice::<wire::ErrorBody>(&refusal.body).ok().and_then(|b| b.error).unwrap_or_default();
    let text = String::from_utf8_lossy(&refusal.body).chars().take(200).collect::<String>();
    IdpError {
        kind: IdpErrorKind::Permanent,
        status: Some(refusal.status.as_u16()),
        code: detail.code,
        message: format!("{what} refused: {}", detail.message.unwrap_or(text)),
        request_id: request_id(&refusal.headers, &refusal.body),
    }
}

/// Retries that ran out, or a request that could not be sent.
fn from_http(error: HttpError) -> IdpError {
    IdpError {
        kind: if error.is_transient() { IdpErrorKind::Transient } else { IdpErrorKind::Permanent },
        status: match &error {
            HttpError::Permanent { status, .. } => *status,
            _ => None,
        },
        code: None,
        message: error.to_string(),
        request_id: None,
    }
}

fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

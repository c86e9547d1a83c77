//! What every HTTP API client of saaswarden shares (Slack, Zendesk, Microsoft Graph): retries with
//! jittered exponential backoff on 5xx and timeouts, honouring 429 waits (`Retry-After` seconds or date,
//! `ratelimit-reset`), a client-side request budget per rolling minute, a deadline after which no new wait
//! starts, redacted secrets, and counters for progress reports.
//!
//! The API-specific part is a *classifier*: it turns one response into a [`Verdict`] (done, retry, rate
//! limited, failed), because each API signals its errors differently (Slack answers 200 with
//! `{"ok":false}`; Graph uses `{"error":{"code"}}`). Every wait goes through an injected [`Sleeper`], so
//! tests record waits instead of sleeping.

mod budget;
mod retry;
mod secret;
mod time;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};

use budget::RequestBudget;
use retry::Jitter;
pub use retry::{RetryPolicy, requested_wait};
pub use secret::Secret;
pub use time::{Clock, ManualClock, Sleeper, SystemClock, TokioSleeper};

/// One response, read whole.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as text for error messages, cut to a readable length.
    pub fn excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut excerpt: String = text.chars().take(200).collect();
        if text.chars().count() > 200 {
            excerpt.push('…');
        }
        excerpt
    }
}

/// What a classifier decides about one response.
#[derive(Debug)]
pub enum Verdict<T> {
    Done(T),
    /// Transient (5xx, a body saying "try again"): retried with backoff.
    Retry(String),
    /// Throttled: wait this long (or the policy's default) and try again.
    RateLimited(Option<Duration>),
    /// Permanent for this run: no retry.
    Fail(HttpError),
}

impl<T> Verdict<T> {
    /// The value to judge further, or this verdict (retry, rate limit, failure) for a classifier of
    /// another type: how an API's classifier builds on [`default_verdict`].
    pub fn into_done<U>(self) -> Result<T, Verdict<U>> {
        match self {
            Verdict::Done(value) => Ok(value),
            Verdict::Retry(reason) => Err(Verdict::Retry(reason)),
            Verdict::RateLimited(wait) => Err(Verdict::RateLimited(wait)),
            Verdict::Fail(error) => Err(Verdict::Fail(error)),
        }
    }
}

/// The classification most APIs need: 429 is rate limited (waiting what the headers say), 5xx and 408 are
/// retried, anything else is handed back for the API client to read.
pub fn default_verdict(response: HttpResponse, now: DateTime<Utc>) -> Verdict<HttpResponse> {
    let status = response.status;
    if status == StatusCode::TOO_MANY_REQUESTS {
        Verdict::RateLimited(requested_wait(&response.headers, now))
    } else if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        // 503 with Retry-After (Graph) is a throttle too; wait what it asks rather than the backoff.
        match requested_wait(&response.headers, now) {
            Some(wait) if status == StatusCode::SERVICE_UNAVAILABLE => Verdict::RateLimited(Some(wait)),
            _ => Verdict::Retry(format!("HTTP {status}: {}", response.excerpt())),
        }
    } else {
        Verdict::Done(response)
    }
}

/// Why a request failed for good. Messages name the request (`what`) and never carry credentials.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    /// The credentials, plan or permissions are wrong: retrying cannot help; a person must act.
    #[error("{what}: {message}")]
    Permanent { what: String, status: Option<u16>, message: String },
    /// The response could not be read (truncated or malformed JSON, unexpected shape).
    #[error("{what}: unreadable response: {message}")]
    Malformed { what: String, message: String },
    #[error("{what}: gave up after {attempts} attempts: {last}")]
    Exhausted { what: String, attempts: u32, last: String },
    #[error("{what}: the server asks to wait {wait:?}, longer than the {limit:?} allowed; resuming next run")]
    RateLimitTooLong { what: String, wait: Duration, limit: Duration },
    /// The run's deadline would pass during the next wait: stop now, progress so far is saved.
    #[error("{what}: the run's time budget is used up")]
    OutOfTime { what: String },
    #[error("{what}: cannot build the request: {message}")]
    Request { what: String, message: String },
}

impl HttpError {
    /// Whether the next run can be expected to succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        !matches!(self, HttpError::Permanent { .. } | HttpError::Request { .. })
    }
}

/// Counters since the client was made, for progress lines and reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpStats {
    pub requests: u64,
    pub retries: u64,
    pub rate_limited: u64,
    /// Waits imposed by the server's rate limits or our own request budget.
    pub waited: Duration,
}

/// A shared HTTP client with the retry, rate-limit and budget rules above. Cheap to share by reference;
/// one per API credential (the request budget is per client).
pub struct HttpClient {
    client: reqwest::Client,
    policy: RetryPolicy,
    clock: Arc<dyn Clock>,
    sleeper: Arc<dyn Sleeper>,
    budget: Mutex<RequestBudget>,
    jitter: Mutex<Jitter>,
    deadline: Mutex<Option<DateTime<Utc>>>,
    requests: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    waited_ms: AtomicU64,
}

impl HttpClient {
    /// A client on the wall clock that really sleeps.
    pub fn new(policy: RetryPolicy) -> Result<HttpClient, HttpError> {
        HttpClient::with_time(policy, Arc::new(SystemClock), Arc::new(TokioSleeper))
    }

    /// A client on the given clock and sleeper (tests: one [`ManualClock`] for both).
    pub fn with_time(
        policy: RetryPolicy,
        clock: Arc<dyn Clock>,
        sleeper: Arc<dyn Sleeper>,
    ) -> Result<HttpClient, HttpError> {
        let client = reqwest::Client::builder()
            .timeout(policy.timeout)
            .user_agent(concat!("saaswarden/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError::Request { what: "HTTP client".into(), message: e.to_string() })?;
        let seed = clock.now().timestamp_nanos_opt().unwrap_or_default().unsigned_abs();
        Ok(HttpClient {
            client,
            budget: Mutex::new(RequestBudget::new(policy.requests_per_minute)),
            policy,
            clock,
            sleeper,
            jitter: Mutex::new(Jitter::seeded(seed)),
            deadline: Mutex::new(None),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            waited_ms: AtomicU64::new(0),
        })
    }

    /// No wait may end after `deadline` and no request may run past it: a request that would fails with
    /// [`HttpError::OutOfTime`], so a Lambda stops with time left to save its progress.
    pub fn set_deadline(&self, deadline: Option<DateTime<Utc>>) {
        *lock(&self.deadline) = deadline;
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn stats(&self) -> HttpStats {
        HttpStats {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            waited: Duration::from_millis(self.waited_ms.load(Ordering::Relaxed)),
        }
    }

    /// Sends the request `build` makes (again on each attempt) and lets `classify` judge each response.
    /// `what` names the request in errors and logs (e.g. `Slack audit logs page 3`); never put a secret in it.
    pub async fn execute<T>(
        &self,
        what: &str,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
        classify: impl Fn(HttpResponse, DateTime<Utc>) -> Verdict<T>,
    ) -> Result<T, HttpError> {
        let mut attempts = 0_u32;
        let mut throttled = 0_u32;
        loop {
            self.take_budget(what).await?;
            let timeout = self.request_timeout(what)?;
            attempts += 1;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let verdict = match self.send_once(&build, timeout).await {
                Ok(response) => classify(response, self.clock.now()),
                // Cut short by the deadline, not by the policy: the run is out of time, whatever attempts
                // are left (a timeout on the last attempt would otherwise read as the API failing).
                Err(error) if error.is_timeout() && timeout < self.policy.timeout => {
                    return Err(HttpError::OutOfTime { what: what.into() });
                }
                Err(error) if error.is_timeout() || error.is_connect() || error.is_request() || error.is_body() => {
                    Verdict::Retry(describe(&error))
                }
                Err(error) => Verdict::Fail(HttpError::Request { what: what.into(), message: describe(&error) }),
            };
            match verdict {
                Verdict::Done(value) => return Ok(value),
                Verdict::Fail(error) => return Err(error),
                Verdict::Retry(reason) => {
                    if attempts >= self.policy.max_attempts {
                        return Err(HttpError::Exhausted { what: what.into(), attempts, last: reason });
                    }
                    let random = lock(&self.jitter).next();
                    let wait = self.policy.backoff(attempts, random);
                    tracing::warn!(what, attempt = attempts, %reason, wait_ms = wait.as_millis() as u64, "retrying");
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    self.wait(what, wait, false).await?;
                }
                Verdict::RateLimited(wait) => {
                    throttled += 1;
                    // A 429 is not a failed attempt: the server answered, it just wants us to slow down.
                    attempts -= 1;
                    self.rate_limited.fetch_add(1, Ordering::Relaxed);
                    if throttled > self.policy.max_rate_limited {
                        return Err(HttpError::Exhausted {
                            what: what.into(),
                            attempts: throttled,
                            last: "still rate limited (HTTP 429)".into(),
                        });
                    }
                    let wait = wait.unwrap_or(self.policy.default_rate_limit_wait);
                    if wait > self.policy.max_rate_limit_wait {
                        return Err(HttpError::RateLimitTooLong {
                            what: what.into(),
                            wait,
                            limit: self.policy.max_rate_limit_wait,
                        });
                    }
                    tracing::info!(what, wait_ms = wait.as_millis() as u64, "rate limited; waiting");
                    self.wait(what, wait, true).await?;
                }
            }
        }
    }

    /// The policy's timeout, cut short by the deadline: a request in flight cannot outlast the run's time
    /// either. Past the deadline no request starts.
    fn request_timeout(&self, what: &str) -> Result<Duration, HttpError> {
        let Some(deadline) = *lock(&self.deadline) else { return Ok(self.policy.timeout) };
        match (deadline - self.clock.now()).to_std() {
            Ok(left) if !left.is_zero() => Ok(left.min(self.policy.timeout)),
            _ => Err(HttpError::OutOfTime { what: what.into() }),
        }
    }

    async fn send_once(
        &self,
        build: &impl Fn(&reqwest::Client) -> RequestBuilder,
        timeout: Duration,
    ) -> reqwest::Result<HttpResponse> {
        let response = build(&self.client).timeout(timeout).send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?.to_vec();
        Ok(HttpResponse { status, headers, body })
    }

    /// Waits until the request budget allows one more request, and counts it.
    async fn take_budget(&self, what: &str) -> Result<(), HttpError> {
        loop {
            let now = self.clock.now();
            let wait = lock(&self.budget).take(now);
            match wait {
                None => return Ok(()),
                Some(wait) => self.wait(what, wait, true).await?,
            }
        }
    }

    async fn wait(&self, what: &str, wait: Duration, throttle: bool) -> Result<(), HttpError> {
        let deadline = *lock(&self.deadline);
        if let Some(deadline) = deadline
            && self.clock.now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX) > deadline
        {
            return Err(HttpError::OutOfTime { what: what.into() });
        }
        if throttle {
            self.waited_ms.fetch_add(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
        }
        self.sleeper.sleep(wait).await;
        Ok(())
    }
}

/// A reqwest error with its cause chain, which is where "connection refused" lives. URLs carry cursors
/// and filters, never credentials (those travel in headers).
fn describe(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests;

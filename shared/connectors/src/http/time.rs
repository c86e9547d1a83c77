//! Time as a dependency: every wait goes through a [`Sleeper`] and every "now" through a [`Clock`], so tests
//! record a `Retry-After: 30` as a 30-second wait instead of waiting, and a run's time budget is testable.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Where the current time comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// How a client waits (rate limits, backoff, the per-minute request budget).
pub trait Sleeper: Send + Sync {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Really waits, on the tokio timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that only moves when something sleeps on it, recording every wait: for tests, and for anything
/// that must reason about waits without spending them.
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualInner>>,
}

#[derive(Debug)]
struct ManualInner {
    now: DateTime<Utc>,
    waits: Vec<Duration>,
}

impl ManualClock {
    pub fn new(now: DateTime<Utc>) -> ManualClock {
        ManualClock { inner: Arc::new(Mutex::new(ManualInner { now, waits: Vec::new() })) }
    }

    /// Every wait so far, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.lock().waits.clone()
    }

    /// Moves time on without recording a wait (time spent doing work).
    pub fn advance(&self, by: Duration) {
        let mut inner = self.lock();
        inner.now += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
    }

    pub fn set(&self, now: DateTime<Utc>) {
        self.lock().now = now;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualInner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.lock().now
    }
}

impl Sleeper for ManualClock {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        {
            let mut inner = self.lock();
            inner.waits.push(duration);
            inner.now += chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX);
        }
        Box::pin(std::future::ready(()))
    }
}

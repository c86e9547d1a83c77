//! Counts every request the SDK clients send, per service and operation: the cost bench multiplies these
//! by public prices. Retries count too — AWS bills them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// A shared request tally; clone it into every client's interceptors ([`crate::AwsClients::counted`]).
#[derive(Clone, Debug, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<(String, String), u64>>>,
}

impl RequestCounter {
    pub fn new() -> RequestCounter {
        RequestCounter::default()
    }

    /// Requests sent so far, by (service, operation), e.g. `("DynamoDB", "BatchWriteItem")`.
    pub fn snapshot(&self) -> BTreeMap<(String, String), u64> {
        self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Requests sent so far to one service.
    pub fn service_total(&self, service: &str) -> u64 {
        self.snapshot().iter().filter(|((s, _), _)| s == service).map(|(_, count)| count).sum()
    }

    pub fn reset(&self) {
        self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }

    fn record(&self, service: &str, operation: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *counts.entry((service.to_string(), operation.to_string())).or_default() += 1;
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "saaswarden::RequestCounter"
    }

    /// Once per attempt, right before it goes on the wire.
    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match cfg.load::<Metadata>() {
            Some(metadata) => self.record(metadata.service(), metadata.name()),
            None => self.record("unknown", "unknown"),
        }
        Ok(())
    }
}

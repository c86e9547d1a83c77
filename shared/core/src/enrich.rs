//! The enrichment port: fills in where an activity's IP is and what it is (tags, network owner) before
//! detection. Implementations (GeoIP databases, IP lists, the organisation's ranges) live outside the
//! domain; they must be cheap per call, caching per IP as needed.

use crate::activity::Activity;

pub trait Enricher: Send + Sync {
    fn enrich(&self, activity: &mut Activity);
}

/// Leaves activities as they are: for runs without GeoIP data.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEnrichment;

impl Enricher for NoEnrichment {
    fn enrich(&self, _activity: &mut Activity) {}
}

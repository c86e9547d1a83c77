//! Requests per detector batch as the tenant grows: the same probe batches against a tenant of 100 and of
//! 5,000 users who all use the tenant's country (and share its office IPs), on moto server with the
//! template's tables, every DynamoDB request counted by the SDK interceptor and read units estimated by the
//! store's meter. The place-usage facts must cost O(places in the batch), not O(users of the place).
//!
//! Run: `cargo bench -p saaswarden-tests --bench usage_scale` (after `bash tests/run.sh` once, for moto).
//! Results go in docs/benchmarks.md ("Tenant size").

use chrono::Duration;
use saaswarden_app::{Detectors, detect_batch, into_batches};
use saaswarden_aws::testing::stack;
use saaswarden_aws::{DynamoStore, RequestCounter, StoreSettings};
use saaswarden_core::Activity;
use saaswarden_core::config::Config;
use saaswarden_core::detect::Engine;
use saaswarden_core::enrich::NoEnrichment;
use saaswarden_core::testing::{activity, t0};
use saaswarden_store::StateStore;

const PROBE_BATCHES: usize = 40;
const OFFICE_IPS: usize = 20;

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => panic!("cannot start a Tokio runtime: {e}"),
    };
    for probes in [Probes::New, Probes::Returning] {
        println!("\n{}", probes.describe());
        println!("tenant users | DynamoDB requests per batch | read units per batch");
        let mut measured = Vec::new();
        for users in [100, 5_000] {
            let (requests, read_units) = runtime.block_on(measure(users, probes));
            println!("{users:>12} | {requests:>27.2} | {read_units:>20.2}");
            measured.push(requests);
        }
        let spread = (measured[1] - measured[0]) / measured[0];
        println!("requests per batch: {:+.1} % from 100 to 5,000 users", spread * 100.0);
    }
}

/// Whose batches are measured.
#[derive(Clone, Copy)]
enum Probes {
    /// Users the tenant's place records have never seen: each batch adds them to every place it uses.
    New,
    /// The tenant's own users, signing in again later the same day from their country and office IP (and a
    /// new home IP): the steady state of a live tenant, whose collector runs every few minutes, so most of
    /// a user's batches come after their first of the day.
    Returning,
}

impl Probes {
    fn describe(self) -> &'static str {
        match self {
            Probes::New => "probe batches by users new to the tenant's places",
            Probes::Returning => "probe batches by the tenant's own users, later on the day of their recorded use",
        }
    }

    /// When the batch starts: two days after the recorded history, or later on its day.
    fn start(self) -> chrono::DateTime<chrono::Utc> {
        match self {
            Probes::New => t0() + Duration::days(2),
            Probes::Returning => t0() + Duration::hours(23),
        }
    }

    fn user(self, n: usize) -> String {
        match self {
            Probes::New => format!("probe-{n}@acme.example"),
            Probes::Returning => format!("user-{n}@acme.example"),
        }
    }
}

fn office_ip(n: usize) -> String {
    format!("198.51.100.{}", n % OFFICE_IPS + 1)
}

/// A probe user's sign-ins: from the tenant's country, an office IP and their own home IP.
fn probe(n: usize, probes: Probes) -> Vec<Activity> {
    let user = probes.user(n);
    (0..20)
        .map(|i| {
            let ip = if i % 2 == 0 { office_ip(n) } else { format!("203.0.113.{}", n % 250 + 1) };
            activity(&format!("probe-{n}-{i}"), &user, probes.start() + Duration::minutes(i))
                .with_ip(&ip)
                .with_geo("US", 40.7, -74.0)
        })
        .collect()
}

async fn measure(users: usize, probes: Probes) -> (f64, f64) {
    let stack = stack().await;
    // The tenant's history, recorded through the port: every user used the country and an office IP.
    let history: Vec<(String, String, chrono::DateTime<chrono::Utc>)> = (0..users)
        .flat_map(|u| {
            let user = format!("user-{u}@acme.example");
            let at = t0() + Duration::minutes(i64::try_from(u).unwrap_or(0) % 1440);
            [("country:US".to_string(), user.clone(), at), (format!("ip:{}", office_ip(u)), user, at)]
        })
        .collect();
    stack.store().record_usage("acme", &history).await.expect("record the tenant's history");

    let counter = RequestCounter::new();
    let clients = stack.counted_clients(&counter);
    let store = DynamoStore::new(clients.dynamodb.clone(), stack.tables(), StoreSettings::default());
    let engine = Engine::from_config(&Config::default());
    let detectors = Detectors { engine: &engine, policies: None, enricher: &NoEnrichment };
    for n in 0..PROBE_BATCHES {
        for batch in into_batches(probe(n, probes)) {
            detect_batch(&detectors, &store, batch).await.expect("detect a probe batch");
        }
    }
    let requests = counter.service_total("DynamoDB") as f64 / PROBE_BATCHES as f64;
    let read_units = store.meter().reading().read_units / PROBE_BATCHES as f64;
    (requests, read_units)
}

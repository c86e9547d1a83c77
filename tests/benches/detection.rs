//! Detection throughput: every built-in detection with IP enrichment on, over a realistic mix of about
//! 100,000 normalized Slack and Zendesk activities (the demo tenant at 260 users × 35 days, planted
//! attacks included). One thread, so the figure is per core. Storage is not measured here: this is the
//! detector function's CPU work per activity once a batch is in memory.
//!
//! Run: `cargo bench -p saaswarden-tests --bench detection`. Results go in docs/benchmarks.md.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use saaswarden_connectors::zendesk::ZendeskUsers;
use saaswarden_connectors::{slack, zendesk};
use saaswarden_core::detect::{Context, Engine};
use saaswarden_core::enrich::Enricher;
use saaswarden_core::{Activity, Config, UserState};
use saaswarden_demo::{DemoOptions, generate};
use saaswarden_policy::{Evaluator, Groups, PolicySet};

/// The demo's tenant, normalized and grouped per user in time order.
fn workload() -> (Vec<(String, Vec<Activity>)>, usize) {
    let tenant = generate(&DemoOptions { users: 260, ..DemoOptions::default() });
    let users = ZendeskUsers::from_json(&tenant.zendesk_users).expect("users");
    let mut by_user: BTreeMap<String, Vec<Activity>> = BTreeMap::new();
    let slack = tenant.slack_entries().filter_map(|e| slack::normalize(e, "acme").ok());
    let zendesk = tenant.zendesk_entries().filter_map(|e| zendesk::normalize(e, "acme", &users).ok());
    for activity in slack.chain(zendesk) {
        by_user.entry(activity.user_key()).or_default().push(activity);
    }
    let mut total = 0;
    let grouped: Vec<(String, Vec<Activity>)> = by_user
        .into_iter()
        .map(|(user, mut activities)| {
            activities.sort_by_key(|a| a.occurred_at);
            total += activities.len();
            (user, activities)
        })
        .collect();
    (grouped, total)
}

fn detection(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let intel = saaswarden_tests::demo_enrichment(dir.path());
    let engine = Engine::from_config(&Config::default());
    let (users, total) = workload();
    let ctx = Context { tenant: "acme".into(), ..Default::default() };

    let mut group = c.benchmark_group("detection");
    group.sample_size(10);
    group.throughput(Throughput::Elements(total as u64));
    group.bench_function(format!("8 detections + enrichment, {total} activities"), |b| {
        b.iter_batched(
            || users.clone(),
            |mut users| {
                let mut alerts = 0;
                for (user, activities) in &mut users {
                    for activity in activities.iter_mut() {
                        intel.enrich(activity);
                    }
                    let mut state = UserState::default();
                    alerts += engine.process_user(user, &mut state, activities.iter(), &ctx).alerts.len();
                }
                // Returned, so freeing the workload is not timed.
                (users, black_box(alerts))
            },
            BatchSize::PerIteration,
        );
    });

    // As the detector function runs: one batch per user and day, the user's state decoded and encoded
    // around every batch (the store's I/O itself is not included): as stored now (binary) and as stored
    // before (JSON), for comparison.
    type Codec = (&'static str, fn(&UserState) -> Vec<u8>, fn(&[u8]) -> UserState);
    let codecs: [Codec; 2] = [
        ("binary", |s| s.to_bytes().expect("state"), |b| UserState::from_bytes(b).expect("state")),
        ("JSON", |s| serde_json::to_vec(s).expect("state"), |b| serde_json::from_slice(b).expect("state")),
    ];
    for (name, encode, decode) in codecs {
        group.bench_function(
            format!("8 detections + enrichment + state {name} per user-day batch, {total} activities"),
            |b| {
                b.iter_batched(
                    || users.clone(),
                    |mut users| {
                        let mut alerts = 0;
                        let mut bytes = 0;
                        for (user, activities) in &mut users {
                            for activity in activities.iter_mut() {
                                intel.enrich(activity);
                            }
                            let mut saved = encode(&UserState::default());
                            for day in
                                activities.chunk_by(|a, b| a.occurred_at.date_naive() == b.occurred_at.date_naive())
                            {
                                let mut state = decode(&saved);
                                alerts += engine.process_user(user, &mut state, day.iter(), &ctx).alerts.len();
                                saved = encode(&state);
                                bytes += saved.len();
                            }
                        }
                        (users, black_box((alerts, bytes)))
                    },
                    BatchSize::PerIteration,
                );
            },
        );
    }
    group.finish();
}

/// The starter pack of custom policies over the same activities, enriched once beforehand.
fn policies(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let intel = saaswarden_tests::demo_enrichment(dir.path());
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let set = PolicySet::load(&[pack], &Groups::new()).expect("starter pack");
    let (mut users, total) = workload();
    for (_, activities) in &mut users {
        for activity in activities.iter_mut() {
            intel.enrich(activity);
        }
    }
    let mut timeline: Vec<(&str, &Activity)> =
        users.iter().flat_map(|(user, activities)| activities.iter().map(move |a| (user.as_str(), a))).collect();
    timeline.sort_by_key(|(_, a)| a.occurred_at);

    let mut group = c.benchmark_group("policies");
    group.sample_size(10);
    group.throughput(Throughput::Elements(total as u64));
    group.bench_function(format!("starter pack ({} policies), {total} activities", set.len()), |b| {
        b.iter(|| {
            let mut evaluator = Evaluator::new(&set, "acme");
            let mut alerts = 0;
            for (user, activity) in &timeline {
                alerts += evaluator.observe(activity, user).len();
            }
            black_box(alerts)
        });
    });
    group.finish();
}

criterion_group!(benches, detection, policies);
criterion_main!(benches);

//! A detector that dies on either side of committing a user's state, then runs again: nothing is lost and
//! nothing is duplicated. The scenario is written against the ports, so it runs on every adapter: SQLite in
//! `tests/it/crash.rs`, DynamoDB on moto server in `tests/aws/crash.rs`.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use saaswarden_app::{Detectors, Policies, ReplayInput, replay};
use saaswarden_core::detect::Engine;
use saaswarden_core::directory::Termination;
use saaswarden_core::enrich::NoEnrichment;
use saaswarden_core::{Activity, Alert, Resolution, UserState};
use saaswarden_policy::{Groups, PolicySet};
use saaswarden_store::{
    ActivityLog, ActivityQuery, AlertFilter, AlertStore, Directory, StateStore, StoreError, Versioned,
};

use crate::{config_without_learning, fixture, fixture_users};

/// Where a simulated crash happens.
#[derive(Debug, Clone, Copy, PartialEq)]
enum CrashPoint {
    /// Alerts written, the user's state not committed.
    BeforeStateCommit,
    /// State committed, the activities not yet written.
    AfterStateCommit,
}

/// A store, except that the victim's next write at the crash point fails as if the process died, and that
/// a racer's next state commit is beaten by another worker's (see [`Race`]).
struct CrashingStore<S> {
    inner: S,
    victim: Mutex<Option<(CrashPoint, String)>>,
    race: Mutex<Option<Race>>,
}

/// Another worker that commits a batch of the user between this worker's read of the audit trail and its
/// state commit: it processes `processed` (its batch's id), then appends `appended` to the audit trail.
struct Race {
    user: String,
    processed: String,
    appended: Activity,
}

impl<S> CrashingStore<S> {
    /// Whether this call is the crash; a crash happens once.
    fn crash(&self, point: CrashPoint, user: &str) -> bool {
        let mut victim = self.victim.lock().unwrap_or_else(|p| p.into_inner());
        let hit = victim.as_ref().is_some_and(|(p, u)| *p == point && u == user);
        if hit {
            *victim = None;
        }
        hit
    }
}

fn injected() -> StoreError {
    StoreError::Invalid("injected crash".into())
}

impl<S: ActivityLog + Sync> ActivityLog for CrashingStore<S> {
    fn append(&self, activities: &[Activity]) -> impl Future<Output = Result<usize, StoreError>> + Send {
        let user = activities.first().map(Activity::user_key).unwrap_or_default();
        let crash = self.crash(CrashPoint::AfterStateCommit, &user);
        // The adapter works when called, so a crash must not call it at all.
        async move { if crash { Err(injected()) } else { self.inner.append(activities).await } }
    }
    fn existing(
        &self,
        tenant: &str,
        activities: &[Activity],
    ) -> impl Future<Output = Result<HashSet<String>, StoreError>> + Send {
        self.inner.existing(tenant, activities)
    }
    fn get_many(&self, tenant: &str, ids: &[String]) -> impl Future<Output = Result<Vec<Activity>, StoreError>> + Send {
        self.inner.get_many(tenant, ids)
    }
    fn search(&self, query: &ActivityQuery) -> impl Future<Output = Result<Vec<Activity>, StoreError>> + Send {
        self.inner.search(query)
    }
}

impl<S: StateStore + ActivityLog + Sync> StateStore for CrashingStore<S> {
    fn load_user(
        &self,
        tenant: &str,
        user: &str,
    ) -> impl Future<Output = Result<Versioned<UserState>, StoreError>> + Send {
        self.inner.load_user(tenant, user)
    }
    fn save_user(
        &self,
        tenant: &str,
        user: &str,
        state: &UserState,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let crash = self.crash(CrashPoint::BeforeStateCommit, user);
        let race = {
            let mut race = self.race.lock().unwrap_or_else(|p| p.into_inner());
            if race.as_ref().is_some_and(|r| r.user == user) { race.take() } else { None }
        };
        async move {
            if crash {
                return Err(injected());
            }
            if let Some(race) = race {
                let mut other = self.inner.load_user(tenant, user).await?;
                other.value.begin_batch();
                let at = other.value.last_seen.unwrap_or(race.appended.occurred_at);
                other.value.mark_processed(&race.processed, at);
                self.inner.save_user(tenant, user, &other.value, other.version).await?;
                self.inner.append(std::slice::from_ref(&race.appended)).await?;
            }
            self.inner.save_user(tenant, user, state, expected_version).await
        }
    }
    fn load_tenant_state(
        &self,
        tenant: &str,
        name: &str,
    ) -> impl Future<Output = Result<Versioned<serde_json::Value>, StoreError>> + Send {
        self.inner.load_tenant_state(tenant, name)
    }
    fn save_tenant_state(
        &self,
        tenant: &str,
        name: &str,
        value: &serde_json::Value,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.save_tenant_state(tenant, name, value, expected_version)
    }
    fn usage(
        &self,
        tenant: &str,
        keys: &[String],
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<HashMap<String, u32>, StoreError>> + Send {
        self.inner.usage(tenant, keys, since)
    }
    fn record_usage(
        &self,
        tenant: &str,
        uses: &[(String, String, DateTime<Utc>)],
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.inner.record_usage(tenant, uses)
    }
    fn note_tenant_activity(
        &self,
        tenant: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<DateTime<Utc>, StoreError>> + Send {
        self.inner.note_tenant_activity(tenant, at)
    }
}

impl<S: AlertStore + Sync> AlertStore for CrashingStore<S> {
    fn upsert(&self, alerts: &[Alert]) -> impl Future<Output = Result<usize, StoreError>> + Send {
        self.inner.upsert(alerts)
    }
    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Alert>, StoreError>> + Send {
        self.inner.get(id)
    }
    fn list(&self, filter: &AlertFilter) -> impl Future<Output = Result<Vec<Alert>, StoreError>> + Send {
        self.inner.list(filter)
    }
    fn resolve(&self, id: &str, resolution: Resolution) -> impl Future<Output = Result<Alert, StoreError>> + Send {
        self.inner.resolve(id, resolution)
    }
    fn history(&self, id: &str) -> impl Future<Output = Result<Vec<Resolution>, StoreError>> + Send {
        self.inner.history(id)
    }
}

impl<S: Directory + Sync> Directory for CrashingStore<S> {
    fn termination(
        &self,
        tenant: &str,
        user: &str,
    ) -> impl Future<Output = Result<Option<Termination>, StoreError>> + Send {
        self.inner.termination(tenant, user)
    }
    fn import(&self, tenant: &str, records: &[Termination]) -> impl Future<Output = Result<usize, StoreError>> + Send {
        self.inner.import(tenant, records)
    }
    fn terminations(&self, tenant: &str) -> impl Future<Output = Result<Vec<Termination>, StoreError>> + Send {
        self.inner.terminations(tenant)
    }
    fn reinstate(
        &self,
        tenant: &str,
        users: &[String],
        source: &str,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send {
        self.inner.reinstate(tenant, users, source)
    }
}

fn input() -> ReplayInput {
    ReplayInput {
        slack_paths: vec![fixture("slack/page1.json"), fixture("slack/page2.json")],
        zendesk_paths: vec![fixture("zendesk/audit_logs.json")],
        entries: Vec::new(),
        zendesk_users: fixture_users(),
    }
}

type Outcome = (Vec<Activity>, Vec<Alert>, Vec<(String, UserState)>);

async fn outcome<S: ActivityLog + AlertStore + StateStore>(store: &S) -> Outcome {
    let tenant = Some("acme".to_string());
    let activities = store
        .search(&ActivityQuery { tenant: tenant.clone(), limit: 10_000, ..Default::default() })
        .await
        .expect("search");
    let alerts = store.list(&AlertFilter { tenant, limit: 10_000, ..Default::default() }).await.expect("alerts");
    let mut users: Vec<String> = activities.iter().map(Activity::user_key).collect();
    users.sort();
    users.dedup();
    let mut states = Vec::new();
    for user in users {
        let state = store.load_user("acme", &user).await.expect("state").value;
        states.push((user, state));
    }
    (activities, alerts, states)
}

/// Replays the fixtures into a fresh store cleanly, then into fresh stores that crash in Carol's batch on
/// either side of her state commit and are replayed again: each ends exactly as the clean run. `fresh` makes
/// an empty store (and whatever must live as long as it).
pub async fn a_crash_then_a_rerun_ends_as_a_clean_run<S, G>(fresh: impl AsyncFn() -> (G, S))
where
    S: ActivityLog + StateStore + AlertStore + Directory + Sync,
{
    let config = config_without_learning();
    let engine = Engine::from_config(&config);
    let pack = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let policies = Policies::new(PolicySet::load(&[pack], &Groups::new()).expect("starter pack"));
    let detectors = Detectors { engine: &engine, policies: Some(&policies), enricher: &NoEnrichment };

    let (_clean_guard, clean) = fresh().await;
    replay(input(), "acme", &detectors, &clean).await.expect("clean run");
    let expected = outcome(&clean).await;
    assert!(expected.1.iter().any(|a| a.policy_id == "multiple_failed_logins"), "the fixtures raise an alert");
    assert!(expected.1.iter().any(|a| a.policy_id == "slack_admin_role_granted"), "and a policy alert");

    // The run dies in Carol's batch — the one with the failed-sign-in burst — on one side or the other of
    // her state commit. Earlier users' batches had committed.
    let carol = "carol.mbeki@acme.example";
    for point in [CrashPoint::BeforeStateCommit, CrashPoint::AfterStateCommit] {
        let (_guard, inner) = fresh().await;
        let crashing =
            CrashingStore { inner, victim: Mutex::new(Some((point, carol.to_string()))), race: Mutex::new(None) };
        let error = replay(input(), "acme", &detectors, &crashing).await.expect_err("the run crashes");
        assert!(error.to_string().contains("injected crash"), "{point:?}: {error}");
        let half = outcome(&crashing.inner).await;
        let carol_committed = crashing.inner.load_user("acme", carol).await.expect("state").value.last_seen.is_some();
        assert_eq!(carol_committed, point == CrashPoint::AfterStateCommit, "{point:?}");
        assert!(!half.0.iter().any(|a| a.user_key() == carol), "{point:?}: Carol's activities are not written yet");
        assert_eq!(half.1.iter().filter(|a| a.policy_id == "multiple_failed_logins").count(), 1, "{point:?}");

        // The rerun (a redelivery of everything) completes the work exactly once.
        replay(input(), "acme", &detectors, &crashing).await.expect("rerun");
        assert_eq!(outcome(&crashing.inner).await, expected, "{point:?}");
    }
}

/// A batch whose state commit loses a race to another worker of the same user reloads the state and asks
/// the audit trail again before retrying: an old activity the other worker appended meanwhile is
/// recognised as processed, not detected a second time (the state remembers only the latest batch's ids,
/// so the audit trail is what recognises it). `fresh` makes an empty store.
pub async fn a_batch_that_loses_a_race_asks_the_audit_trail_again<S, G>(fresh: impl AsyncFn() -> (G, S))
where
    S: ActivityLog + StateStore + AlertStore + Directory + Sync,
{
    use saaswarden_app::detect_batch;
    use saaswarden_core::testing::{activity, at_minute};
    use saaswarden_store::ActivityBatch;

    let engine = Engine::from_config(&config_without_learning());
    let detectors = Detectors { engine: &engine, policies: None, enricher: &NoEnrichment };
    let (_guard, inner) = fresh().await;
    let store = CrashingStore { inner, victim: Mutex::new(None), race: Mutex::new(None) };
    let latest = activity("latest", "eve@x.io", at_minute(10));
    let user = latest.user_key();
    let batch = |activities: Vec<Activity>| ActivityBatch { tenant: "acme".into(), user: user.clone(), activities };
    detect_batch(&detectors, &store, batch(vec![latest])).await.expect("the user's latest activity");

    // An older activity (a slice of the other app arriving late), also in the other worker's hands.
    let old = activity("old", "eve@x.io", at_minute(5));
    *store.race.lock().unwrap_or_else(|p| p.into_inner()) =
        Some(Race { user: user.clone(), processed: "slack:other".into(), appended: old.clone() });
    let report = detect_batch(&detectors, &store, batch(vec![old])).await.expect("the raced batch");
    assert!(store.race.lock().unwrap_or_else(|p| p.into_inner()).is_none(), "the race happened");
    assert_eq!((report.new_activities, report.redelivered), (0, 1), "recognised as processed: {report:?}");
}

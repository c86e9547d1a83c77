//! The audit trail: idempotent appends, every search criterion, evidence by id, chunked storage.

use saaswarden_aws::testing::stack;
use saaswarden_core::testing::{activity, at_minute};
use saaswarden_core::{Activity, App, Category};
use saaswarden_store::{ActivityLog, ActivityQuery, AlertStore};

fn acme(query: ActivityQuery) -> ActivityQuery {
    ActivityQuery { tenant: Some("acme".into()), limit: if query.limit == 0 { 100 } else { query.limit }, ..query }
}

#[tokio::test(flavor = "multi_thread")]
async fn appending_the_same_activities_twice_stores_them_once() {
    let store = stack().await.store();
    let batch = vec![activity("1", "a@x.io", at_minute(0)), activity("2", "a@x.io", at_minute(1))];
    assert_eq!(store.append(&batch).await.expect("append"), 2);
    assert_eq!(store.append(&batch).await.expect("append again"), 0);
    let mixed = vec![batch[1].clone(), activity("3", "a@x.io", at_minute(2))];
    assert_eq!(store.append(&mixed).await.expect("append overlapping"), 1, "only the new one");
    let all = store.search(&acme(ActivityQuery::default())).await.expect("search");
    assert_eq!(all.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["slack:1", "slack:2", "slack:3"]);
    assert_eq!(all[0], batch[0], "stored whole, raw entry included");
}

#[tokio::test(flavor = "multi_thread")]
async fn search_filters_by_every_criterion() {
    let store = stack().await.store();
    let activities = vec![
        activity("1", "alice@x.io", at_minute(0)).with_ip("216.160.83.56").with_geo("US", 47.0, -122.0),
        activity("2", "alice@x.io", at_minute(10)).with_ip("2001:db8::1").with_geo("SE", 58.0, 15.0),
        activity("3", "bob@x.io", at_minute(20))
            .with_ip("216.160.83.56")
            .with_action("file_downloaded", Category::DataAccess),
        activity("4", "bob@x.io", at_minute(30)).with_app(App::Zendesk),
        activity("5", "bob@x.io", at_minute(2 * 1440)).with_ip("216.160.83.56"),
    ];
    store.append(&activities).await.expect("append");
    let ids = |found: Vec<Activity>| found.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let cases: Vec<(&str, ActivityQuery, Vec<&str>)> = vec![
        (
            "email, any case",
            ActivityQuery { user: Some("ALICE@x.io".into()), ..Default::default() },
            vec!["slack:1", "slack:2"],
        ),
        ("app user id", ActivityQuery { user: Some("W3".into()), ..Default::default() }, vec!["slack:3"]),
        (
            "ip",
            ActivityQuery { ip: "216.160.83.56".parse().ok(), ..Default::default() },
            vec!["slack:1", "slack:3", "slack:5"],
        ),
        (
            "ip and time",
            ActivityQuery {
                ip: "216.160.83.56".parse().ok(),
                since: Some(at_minute(15)),
                until: Some(at_minute(100)),
                ..Default::default()
            },
            vec!["slack:3"],
        ),
        ("ipv6", ActivityQuery { ip: "2001:db8::1".parse().ok(), ..Default::default() }, vec!["slack:2"]),
        ("country", ActivityQuery { country: Some("se".into()), ..Default::default() }, vec!["slack:2"]),
        ("app", ActivityQuery { app: Some(App::Zendesk), ..Default::default() }, vec!["zendesk:4"]),
        ("action", ActivityQuery { action: Some("file_downloaded".into()), ..Default::default() }, vec!["slack:3"]),
        (
            "time range, inclusive",
            ActivityQuery { since: Some(at_minute(10)), until: Some(at_minute(20)), ..Default::default() },
            vec!["slack:2", "slack:3"],
        ),
        ("limit keeps the oldest", ActivityQuery { limit: 2, ..Default::default() }, vec!["slack:1", "slack:2"]),
        (
            "user limit",
            ActivityQuery { user: Some("bob@x.io".into()), limit: 1, ..Default::default() },
            vec!["slack:3"],
        ),
    ];
    for (name, query, expected) in cases {
        assert_eq!(ids(store.search(&acme(query)).await.expect(name)), expected, "{name}");
    }
    let other = ActivityQuery { tenant: Some("other".into()), limit: 10, ..Default::default() };
    assert!(store.search(&other).await.expect("other tenant").is_empty());
    let error = store.search(&ActivityQuery { limit: 10, ..Default::default() }).await.expect_err("no tenant");
    assert!(error.to_string().contains("needs a tenant"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn alert_evidence_is_found_by_id_in_the_order_asked() {
    let store = stack().await.store();
    let batch: Vec<Activity> = (0..5).map(|i| activity(&i.to_string(), "a@x.io", at_minute(i * 60))).collect();
    store.append(&batch).await.expect("append");
    let mut raised = crate::store::alert("al-1", "a@x.io", 240, &["slack:3", "slack:1"]);
    raised.tenant = "acme".into();
    store.upsert(&[raised]).await.expect("alert");
    let asked = ["slack:3".to_string(), "slack:404".to_string(), "slack:1".to_string()];
    let found = store.get_many("acme", &asked).await.expect("get_many");
    assert_eq!(found, [batch[3].clone(), batch[1].clone()], "in the order asked, unknown ids left out");
    assert!(store.get_many("other", &asked).await.expect("other tenant").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_alerts_citing_one_activity_are_both_stored_with_every_evidence_pointer() {
    let store = stack().await.store();
    let batch: Vec<Activity> = (0..3).map(|i| activity(&i.to_string(), "a@x.io", at_minute(i))).collect();
    store.append(&batch).await.expect("append");
    // An unusual country and an impossible travel on one sign-in: one upsert, one shared evidence id, and
    // (30 more ids) a second BatchWriteItem of pointers.
    let many: Vec<String> = (0..30).map(|i| format!("slack:x{i}")).collect();
    let mut second_ids: Vec<&str> = vec!["slack:1", "slack:2"];
    second_ids.extend(many.iter().map(String::as_str));
    let first = crate::store::alert("al-country", "a@x.io", 2, &["slack:0", "slack:1"]);
    let second = crate::store::alert("al-travel", "a@x.io", 2, &second_ids);
    assert_eq!(store.upsert(&[first, second]).await.expect("both alerts in one call"), 2);
    for id in ["al-country", "al-travel"] {
        let alert = store.get(id).await.expect("get").expect("stored");
        let found = store.get_many("acme", &alert.activity_ids).await.expect("evidence");
        let cited: Vec<&str> = found.iter().map(|a| a.id.as_str()).collect();
        let stored: Vec<&str> = alert.activity_ids.iter().map(String::as_str).filter(|id| !id.contains('x')).collect();
        assert_eq!(cited, stored, "every stored activity {id} cites is found through its pointer");
    }
}

/// A Slack-shaped raw entry with a random-looking UUID, as the audit-logs API sends it (~620 bytes).
fn slack_entry(i: u64) -> (String, serde_json::Value) {
    let mut x = i.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    let mut hex = String::new();
    for _ in 0..4 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        hex.push_str(&format!("{:08x}", x >> 32));
    }
    let id = format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]);
    let raw = serde_json::json!({
        "id": id, "date_create": 1_792_062_000 + i * 60, "action": "user_login",
        "actor": {"type": "user", "user": {"id": "W0BUSY0001", "name": "Busy Bee", "email": "busy@x.io", "team": "T0ACMEENG1"}},
        "entity": {"type": "user", "user": {"id": "W0BUSY0001", "name": "Busy Bee", "email": "busy@x.io"}},
        "context": {"location": {"type": "enterprise", "id": "E0ACME0001", "name": "Acme Corp", "domain": "acme-corp"},
            "ua": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
            "ip_address": "216.160.83.56", "session_id": format!("74200166{i:05}")}
    });
    (id, raw)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_day_of_activity_is_stored_in_a_few_compressed_chunks_well_under_a_write_unit_each() {
    let stack = stack().await;
    let store = stack.store();
    let batch: Vec<Activity> = (0..300)
        .map(|i| {
            let (id, raw) = slack_entry(i);
            let mut a = activity(&id, "busy@x.io", at_minute(i as i64)).with_ip("216.160.83.56");
            a.raw = raw;
            a
        })
        .collect();
    assert_eq!(store.append(&batch).await.expect("append"), 300);
    let writes = store.meter().reading().write_units;
    assert!(writes * 2 < 300, "{writes} write units for 300 activities: the audit trail must cost < 0.5 WRU each");
    let scan = stack.clients().dynamodb.scan().table_name(&stack.tables().activities).send().await.expect("scan");
    let items = scan.items.unwrap_or_default();
    let chunks: Vec<_> = items.iter().filter(|i| i["pk"].as_s().is_ok_and(|pk| pk.starts_with("A#"))).collect();
    let ip_entries = items.iter().filter(|i| i["pk"].as_s().is_ok_and(|pk| pk.starts_with("I#"))).count();
    assert!(chunks.len() < 30, "{} chunks for 300 activities", chunks.len());
    assert_eq!(ip_entries, 1, "one IP index entry per (ip, user, day)");
    for chunk in &chunks {
        let bytes = chunk["body"].as_b().expect("compressed body").as_ref().len();
        assert!(bytes < 8 * 1024, "a chunk of {bytes} bytes");
        assert!(chunk.contains_key("expires_at"), "audit items expire (TTL)");
    }
    let mut sorted = batch.clone();
    sorted.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then_with(|| a.id.cmp(&b.id)));
    let all = store.search(&acme(ActivityQuery { limit: 1000, ..Default::default() })).await.expect("search");
    assert_eq!(all, sorted);
    println!("audit trail: {writes} write units for 300 activities in {} chunks", chunks.len());
}

/// A busy user's batches arrive one after another all day (an attacker downloading over Tor, a bot): each
/// append reads back only the chunks its batch could repeat — about the last hour — not the whole day so
/// far, so the read per batch stays flat instead of growing with the day.
#[tokio::test(flavor = "multi_thread")]
async fn an_append_late_in_a_busy_day_reads_no_more_than_one_early_in_it() {
    let stack = stack().await;
    let store = stack.store();
    // 24 batches of 100, one every hour: 2,400 activities of one user in one UTC day.
    let mut reads = Vec::new();
    for hour in 0..24_i64 {
        let batch: Vec<Activity> = (0..100_i64)
            .map(|i| {
                let (id, raw) = slack_entry((hour * 100 + i) as u64);
                let mut a = activity(&id, "busy@x.io", at_minute(hour * 60 + i * 36 / 60)).with_ip("216.160.83.56");
                a.raw = raw;
                a
            })
            .collect();
        store.meter().reset();
        assert_eq!(store.append(&batch).await.expect("append"), 100);
        reads.push(store.meter().reading().read_units);
    }
    let (early, late) = (reads[1], reads[23]);
    assert!(late <= early * 1.5 + 1.0, "read units per append grew over the day: {reads:?}");
    println!("read units per append, hour 1: {early:.1}, hour 23: {late:.1}");
}

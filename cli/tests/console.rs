//! The console in a real browser: headless Chromium (Debian's `chromium` and `chromium-driver`) driven over
//! WebDriver against `saaswarden serve` on the demo tenant. The analyst's walk: the queue filtered to high
//! severity, the impossible-travel alert with both places and the distance, resolved as a true positive
//! and found resolved; two open alerts ticked on the queue and dismissed together; one user's activities
//! searched and exported; a dry-run governance action approved and seen in the log; hostile audit-log
//! values shown as text. Screenshots go to `$SAASWARDEN_SCREENSHOTS` (default: `saaswarden-console` in the
//! system's temporary folder).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use saaswarden_core::{
    Activity, Alert, AlertStatus, App, Category, Outcome, Principal, PrincipalKind, Severity, Target,
};
use saaswarden_store::{ActivityLog, AlertStore, SqliteStore};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const HOSTILE_SCRIPT: &str = "<script>document.title='pwned'</script>";
const HOSTILE_ATTRIBUTE: &str = "\"><img src=x onerror=alert(1)>";

/// A child process ended with the test, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads the child's stdout until a line containing `marker`; returns that line.
fn line_with(child: &mut Child, marker: &str) -> String {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let found = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains(marker))
        .unwrap_or_else(|| panic!("the process ended without printing `{marker}`"));
    // Keep draining so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    found
}

fn screenshots() -> PathBuf {
    let dir = std::env::var_os("SAASWARDEN_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("saaswarden-console"));
    std::fs::create_dir_all(&dir).expect("the screenshot folder");
    dir
}

async fn shoot(client: &Client, dir: &Path, name: &str) {
    let png = client.screenshot().await.expect("a screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write the screenshot");
}

/// An entry whose fields a Zendesk user wrote to attack the console.
async fn plant_hostile_entries(db: &Path) {
    let store = SqliteStore::open(db).expect("the demo store");
    let at = chrono::Utc::now();
    let activity = Activity {
        id: "zendesk:hostile-1".into(),
        app: App::Zendesk,
        tenant: "acme".into(),
        occurred_at: at,
        action: "update".into(),
        category: Category::DataAccess,
        administrative: false,
        actor: Principal {
            kind: PrincipalKind::User,
            id: Some("666".into()),
            email: Some("mallory@acme.example".into()),
            name: Some(HOSTILE_ATTRIBUTE.into()),
        },
        target: Some(Target { kind: "ticket".into(), id: Some("7".into()), name: Some(HOSTILE_SCRIPT.into()) }),
        impersonator: None,
        ip: None,
        user_agent: Some(HOSTILE_ATTRIBUTE.into()),
        session_id: None,
        outcome: Outcome::Success,
        geo: None,
        ip_tags: Vec::new(),
        asn_org: None,
        raw: serde_json::json!({}),
    };
    store.append(&[activity]).await.expect("append the hostile entry");
    let alert = Alert {
        id: "al-hostile".into(),
        tenant: "acme".into(),
        policy_id: "custom_hostile".into(),
        title: HOSTILE_SCRIPT.into(),
        description: HOSTILE_ATTRIBUTE.into(),
        severity: Severity::Low,
        status: AlertStatus::Open,
        user: "mallory@acme.example".into(),
        apps: vec![App::Zendesk],
        created_at: at,
        activity_ids: vec!["zendesk:hostile-1".into()],
        evidence_span: None,
        campaign: None,
        evidence: serde_json::json!({ "subject": HOSTILE_SCRIPT }),
        resolution: None,
    };
    store.upsert(&[alert]).await.expect("upsert the hostile alert");
}

/// Clicks `target` and waits for the page it leads to, known by an element only that page has: a click that
/// submits a form can return before the next page has loaded, and what is then found on the old page goes
/// stale under the test's hands.
async fn click_to(client: &Client, target: Locator<'_>, next_page: Locator<'_>) {
    client.find(target).await.unwrap_or_else(|e| panic!("{target:?} on the page: {e}")).click().await.expect("click");
    client.wait().for_element(next_page).await.unwrap_or_else(|e| panic!("{next_page:?} after the click: {e}"));
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}` on the page: {e}"))
        .text()
        .await
        .expect("text")
}

/// Nothing the audit log holds became markup: no script or img element, the values shown as text.
async fn assert_inert(client: &Client, page: &str) {
    assert!(client.find_all(Locator::Css("script")).await.expect("query").is_empty(), "{page}: a script element");
    assert!(client.find_all(Locator::Css("img")).await.expect("query").is_empty(), "{page}: an img element");
    let body = text_of(client, "body").await;
    assert!(body.contains(HOSTILE_SCRIPT) || body.contains(HOSTILE_ATTRIBUTE), "{page} shows the values as text");
    assert_ne!(client.title().await.expect("title"), "pwned", "{page}: the script ran");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_analyst_triages_investigates_and_governs_in_a_real_browser() {
    assert!(
        Path::new(CHROMEDRIVER).exists(),
        "{CHROMEDRIVER} is missing: `apt-get install chromium chromium-driver` (tests/run.sh does)"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("demo.db");
    let demo = Command::new(env!("CARGO_BIN_EXE_saaswarden"))
        .args(["demo", "--db"])
        .arg(&db)
        .env_remove("SAASWARDEN_CONFIG")
        .output()
        .expect("run the demo");
    assert!(demo.status.success(), "demo: {}", String::from_utf8_lossy(&demo.stderr));
    assert!(
        String::from_utf8_lossy(&demo.stdout).contains("saaswarden serve --db"),
        "the demo says how to open the console"
    );
    plant_hostile_entries(&db).await;

    let mut serve = Command::new(env!("CARGO_BIN_EXE_saaswarden"))
        .args(["serve", "--port", "0", "--db"])
        .arg(&db)
        .env_remove("SAASWARDEN_CONFIG")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start saaswarden serve");
    let line = line_with(&mut serve, "open http://");
    let _serve = Running(serve);
    let url = line.split("open ").nth(1).expect("the URL").trim().to_string();
    let base = url.split("/?token=").next().expect("the base").to_string();

    let profile = tempfile::tempdir().expect("a fresh Chromium profile");
    let mut driver =
        Command::new(CHROMEDRIVER).arg("--port=0").stdout(Stdio::piped()).spawn().expect("start chromedriver");
    let started = line_with(&mut driver, "started successfully on port");
    let _driver = Running(driver);
    let port: String = started.rsplit("port ").next().expect("a port").chars().filter(char::is_ascii_digit).collect();

    // Both of rustls' crypto providers are linked here (fantoccini's and reqwest's): name one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1400,1000", format!("--user-data-dir={}", profile.path().display())]
        }),
    );
    let client = ClientBuilder::rustls()
        .expect("TLS roots")
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session");
    let shots = screenshots();

    // The printed URL signs the browser in and lands on the queue.
    client.goto(&url).await.expect("open the printed URL");
    assert_eq!(client.current_url().await.expect("url").path(), "/alerts");
    assert!(!client.current_url().await.expect("url").as_str().contains("token="), "the token left the address bar");

    // Filter to high severity and open the impossible-travel alert.
    client
        .find(Locator::Css("select[name=severity]"))
        .await
        .expect("severity filter")
        .select_by_value("high")
        .await
        .expect("select");
    click_to(&client, Locator::Id("filter"), Locator::Css("select[name=severity] option[value=high][selected]")).await;
    let severities = client.find_all(Locator::Css("table.alerts .sev")).await.expect("rows");
    assert!(!severities.is_empty(), "high-severity alerts listed");
    for severity in &severities {
        assert_eq!(severity.text().await.expect("text"), "high");
    }
    shoot(&client, &shots, "1-queue-high").await;
    let travel = client
        .find(Locator::Css("a.alert-link[data-policy=impossible_travel]"))
        .await
        .expect("an impossible-travel alert");
    travel.click().await.expect("open it");
    client.wait().for_element(Locator::Css("figure.map")).await.expect("the alert page");
    let alert_url = client.current_url().await.expect("url").to_string();
    let places = client.find_all(Locator::Css("figure.map figcaption .place-name")).await.expect("places");
    assert_eq!(places.len(), 2, "both places named");
    let distance = text_of(&client, "figure.map .distance").await;
    assert!(
        distance.ends_with(" km") && distance.trim_end_matches(" km").parse::<f64>().is_ok_and(|km| km > 500.0),
        "{distance}"
    );
    assert!(!client.find_all(Locator::Css("figure.map circle.place")).await.expect("points").is_empty());
    shoot(&client, &shots, "2-impossible-travel").await;

    // Resolve it as a true positive; it is resolved, and listed among the resolved.
    client
        .find(Locator::Css("select[name=verdict]"))
        .await
        .expect("verdict")
        .select_by_value("true-positive")
        .await
        .expect("select");
    client
        .find(Locator::Css("input[name=comment]"))
        .await
        .expect("comment")
        .send_keys("confirmed with the user")
        .await
        .expect("type");
    click_to(&client, Locator::Id("resolve"), Locator::Id("reopen")).await;
    let status = text_of(&client, "dd.status").await;
    assert!(status.starts_with("resolved") && status.contains("true positive"), "{status}");
    let alert_id = alert_url.rsplit('/').next().expect("the alert id").to_string();
    client.goto(&format!("{base}/alerts?status=resolved")).await.expect("resolved alerts");
    let resolved = client.find_all(Locator::Css(&format!("a[href='/alerts/{alert_id}']"))).await.expect("links");
    assert_eq!(resolved.len(), 1, "the alert is listed as resolved");

    // Tick two open alerts on the queue (not the hostile one, which a later step looks for) and dismiss
    // them together; both are then listed among the dismissed, and no longer among the open.
    client.goto(&format!("{base}/alerts?status=open")).await.expect("open alerts");
    let mut ticked = Vec::new();
    for checkbox in client.find_all(Locator::Css("table.alerts input[type=checkbox][name=id]")).await.expect("boxes") {
        let id = checkbox.attr("value").await.expect("value").expect("a checkbox names its alert");
        if id != "al-hostile" && ticked.len() < 2 {
            checkbox.click().await.expect("tick");
            ticked.push(id);
        }
    }
    assert_eq!(ticked.len(), 2, "two open alerts to tick");
    let checked = client.find_all(Locator::Css("input[type=checkbox][name=id]:checked")).await.expect("ticked");
    assert_eq!(checked.len(), 2, "both boxes ticked");
    shoot(&client, &shots, "2b-bulk-ticked").await;
    click_to(
        &client,
        Locator::Id("bulk-dismiss"),
        Locator::Css("select[name=status] option[value=dismissed][selected]"),
    )
    .await;
    let landed = client.current_url().await.expect("url");
    assert_eq!((landed.path(), landed.query()), ("/alerts", Some("status=dismissed")), "the dismissed alerts");
    for id in &ticked {
        let listed = client.find_all(Locator::Css(&format!("a[href='/alerts/{id}']"))).await.expect("links");
        assert_eq!(listed.len(), 1, "{id} is listed as dismissed");
    }
    client.goto(&format!("{base}/alerts?status=open")).await.expect("open alerts");
    for id in &ticked {
        let listed = client.find_all(Locator::Css(&format!("a[href='/alerts/{id}']"))).await.expect("links");
        assert!(listed.is_empty(), "{id} is no longer open");
    }

    // Search the alert's user's activities and export them.
    client.goto(&alert_url).await.expect("back to the alert");
    let user = client.find(Locator::Css("dl.facts dd a")).await.expect("the user").text().await.expect("text");
    client.goto(&format!("{base}/activities")).await.expect("the activity log");
    client.find(Locator::Css("input[name=user]")).await.expect("user field").send_keys(&user).await.expect("type");
    let searched = format!("input[name=user][value='{user}']");
    click_to(&client, Locator::Id("search"), Locator::Css(&searched)).await;
    let found = client.find_all(Locator::Css("ol.timeline li")).await.expect("activities");
    assert!(!found.is_empty(), "{user}'s activities listed");
    shoot(&client, &shots, "3-activities").await;
    let export = client
        .find(Locator::Id("export-csv"))
        .await
        .expect("export link")
        .attr("href")
        .await
        .expect("href")
        .expect("a link");
    let cookie = client.get_named_cookie("saaswarden_token").await.expect("the session cookie");
    let csv = reqwest::Client::new()
        .get(format!("{base}{export}"))
        .header("cookie", format!("saaswarden_token={}", cookie.value()))
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("CSV");
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows.len() > found.len().min(2), "a header and every match");
    assert!(rows.iter().skip(1).all(|row| row.contains(&user)), "only {user}'s activities");

    // Approve a dry-run governance action; the log shows it, skipped for the dry run.
    client.goto(&alert_url).await.expect("back to the alert");
    let title = client
        .find(Locator::Id("approve"))
        .await
        .expect("approve")
        .attr("title")
        .await
        .expect("title")
        .unwrap_or_default();
    assert!(title.contains("Dry run"), "the button says why nothing will be called: {title}");
    client
        .find(Locator::Css("form.approve select[name=action]"))
        .await
        .expect("action")
        .select_by_value("notify-user")
        .await
        .expect("select");
    click_to(&client, Locator::Id("approve"), Locator::XPath("//h1[text()='Governance log']")).await;
    assert_eq!(client.current_url().await.expect("url").path(), "/governance");
    let log = text_of(&client, "table.governance").await;
    assert!(log.contains("notify-user") && log.contains(&alert_id) && log.contains("dry run"), "{log}");
    shoot(&client, &shots, "4-governance").await;

    // Hostile values render as text on every page that shows them.
    for page in
        ["/alerts", "/alerts/al-hostile", "/activities?user=mallory@acme.example", "/users/mallory@acme.example"]
    {
        client.goto(&format!("{base}{page}")).await.expect("a page");
        assert_inert(&client, page).await;
    }
    shoot(&client, &shots, "5-hostile-values").await;
    client.close().await.expect("end the session");
}

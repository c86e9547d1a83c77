//! Peak memory and time of `saaswarden run` on generated tenants: the demo generator at 1× and 10× scale
//! (about 100,000 and 1,000,000 Slack and Zendesk entries), written as the APIs' pages — one file per
//! page, as a collector's export or `--slack-logs DIR` holds them — replayed into a fresh SQLite store with
//! the demo's enrichment (MaxMind's test databases, its threat list and VPN range), built-in detections only.
//! The peak resident set is the child's `VmHWM`, read from `/proc/PID/status` every 10 ms until it exits
//! (a high-water mark, so only growth in the last 10 ms could be missed). Prints a table.
//!
//! Run: `cargo bench -p saaswarden-cli --bench run_memory`. `SAASWARDEN_BENCH_SCALES` picks the user counts
//! (default `250,2500`, 35 days each). `SAASWARDEN_BEFORE_BIN=path` also runs another build of
//! `saaswarden` on the same files (a before/after comparison) and checks both raised the same alerts.
//! Figures in docs/benchmarks.md ("Local replay").

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use saaswarden_demo::{DemoOptions, generate};

/// Writes the tenant's pages under `dir/slack`, `dir/zendesk` and its users to `dir/users.json`; answers
/// the number of entries.
fn write_tenant(users: usize, dir: &Path) -> usize {
    let tenant = generate(&DemoOptions { users, days: 35, ..DemoOptions::default() });
    let entries = tenant.slack_entries().count() + tenant.zendesk_entries().count();
    for (app, pages) in [("slack", &tenant.slack_pages), ("zendesk", &tenant.zendesk_pages)] {
        std::fs::create_dir_all(dir.join(app)).expect("dir");
        for (n, page) in pages.iter().enumerate() {
            let path = dir.join(app).join(format!("page-{n:05}.json"));
            std::fs::write(path, serde_json::to_vec(page).expect("JSON")).expect("write page");
        }
    }
    std::fs::write(dir.join("users.json"), serde_json::to_vec(&tenant.zendesk_users).expect("JSON")).expect("users");
    // The demo's enrichment, so every detection has what it needs (cli/src/commands/demo.toml).
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/maxmind-test");
    std::fs::write(dir.join("threats.txt"), saaswarden_demo::DEMO_THREAT_LIST).expect("threat list");
    let config = format!(
        "tenant = \"acme\"\n[enrichment]\ncity_db = \"{0}/GeoIP2-City-Test.mmdb\"\n\
         anonymous_db = \"{0}/GeoIP2-Anonymous-IP-Test.mmdb\"\nasn_db = \"{0}/GeoLite2-ASN-Test.mmdb\"\n\
         [[enrichment.lists]]\npath = \"threats.txt\"\ntag = \"suspicious\"\n\
         [[enrichment.ranges]]\ntag = \"corporate_vpn\"\ncidrs = [\"149.101.100.0/28\"]\n",
        data.display()
    );
    std::fs::write(dir.join("saaswarden.toml"), config).expect("config");
    entries
}

fn peak_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.split_whitespace().next()?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Runs `binary run` on the tenant in `dir` into `db`: wall time, peak resident MB, and the alert ids.
fn replay(binary: &str, dir: &Path, db: &Path) -> (Duration, f64, Vec<String>) {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .arg("--config")
        .arg(dir.join("saaswarden.toml"))
        .args(["run", "--json", "--zendesk-users"])
        .arg(dir.join("users.json"))
        .arg("--slack-logs")
        .arg(dir.join("slack"))
        .arg("--zendesk-logs")
        .arg(dir.join("zendesk"))
        .arg("--db")
        .arg(db)
        .env_remove("SAASWARDEN_CONFIG")
        .stdout(Stdio::null())
        .spawn()
        .expect("start saaswarden run");
    let mut peak: f64 = 0.0;
    loop {
        if let Some(mb) = peak_mb(child.id()) {
            peak = peak.max(mb);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "saaswarden run failed: {status}");
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.elapsed();
    let listed = Command::new(binary)
        .args(["alerts", "list", "--json", "--limit", "1000000", "--db"])
        .arg(db)
        .output()
        .expect("alerts list");
    let alerts: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).expect("alerts JSON");
    let mut ids: Vec<String> = alerts.iter().filter_map(|a| a["id"].as_str().map(str::to_string)).collect();
    ids.sort();
    (elapsed, peak, ids)
}

fn main() {
    let scales: Vec<usize> = std::env::var("SAASWARDEN_BENCH_SCALES")
        .unwrap_or_else(|_| "250,2500".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let after = env!("CARGO_BIN_EXE_saaswarden");
    let before = std::env::var("SAASWARDEN_BEFORE_BIN").ok();
    println!("| build | users × days | entries | activities/s | wall time | peak resident |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for users in scales {
        let scratch = tempfile::tempdir().expect("temp dir");
        // `SAASWARDEN_BENCH_KEEP=DIR` keeps the generated files in DIR/<users> for other experiments.
        let dir = std::env::var("SAASWARDEN_BENCH_KEEP")
            .map_or_else(|_| scratch.path().to_path_buf(), |keep| Path::new(&keep).join(users.to_string()));
        let entries = write_tenant(users, &dir);
        let mut runs = vec![("after", after.to_string())];
        runs.extend(before.clone().map(|b| ("before", b)));
        let mut alert_sets = Vec::new();
        for (name, binary) in runs {
            let db = dir.join(format!("{name}.db"));
            let (elapsed, peak, alerts) = replay(&binary, &dir, &db);
            let _ = std::fs::remove_file(&db);
            println!(
                "| {name} | {users} × 35 | {entries} | {:.0} | {:.1} s | {peak:.0} MB |",
                entries as f64 / elapsed.as_secs_f64(),
                elapsed.as_secs_f64()
            );
            alert_sets.push((name, alerts));
        }
        if let [(_, after), (_, before)] = &alert_sets[..] {
            assert_eq!(after, before, "the two builds raised different alerts at {users} users");
            println!("|  | same {} alerts from both builds |  |  |  |  |", after.len());
        }
    }
}

//! List and search latency of the API on the demo store: `saaswarden serve` on the store `saaswarden demo
//! --db` wrote, asked over HTTP as a client would, each request repeated; prints p50, p95 and max per
//! request kind. A benchmark, not a test: the figures go in docs/benchmarks.md.
//!
//! Run: `cargo bench -p saaswarden-cli --bench api`. `SAASWARDEN_BENCH_BIN=path` measures another build of
//! `saaswarden` instead (a before/after comparison: the store is written and served by that build).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Requests per kind, after one warm-up request.
const ROUNDS: usize = 100;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let binary = std::env::var("SAASWARDEN_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_saaswarden").into());
    let binary = binary.as_str();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("demo.db");
    let demo = Command::new(binary).args(["demo", "--db"]).arg(&db).output().expect("run the demo");
    assert!(demo.status.success(), "demo: {}", String::from_utf8_lossy(&demo.stderr));

    let mut serve = Command::new(binary)
        .args(["serve", "--port", "0", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start saaswarden serve");
    let stdout = serve.stdout.take().expect("stdout");
    let _serve = Running(serve);
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.by_ref().map_while(Result::ok).find(|l| l.contains("open http://")).expect("the URL");
    std::thread::spawn(move || for _ in lines {});
    let url = line.split("open ").nth(1).expect("URL").trim().to_string();
    let (base, token) = url.split_once("/?token=").expect("base and token");
    let client = reqwest::Client::new();
    let get = |path: String| {
        let request = client.get(format!("{base}{path}")).bearer_auth(token);
        async move {
            let response = request.send().await.expect("an answer");
            assert!(response.status().is_success(), "{path}: {}", response.status());
            response.bytes().await.expect("a body")
        }
    };

    // Real values to ask for: a user and a country from the store, a cursor for a deeper page.
    let alerts: serde_json::Value = serde_json::from_slice(&get("/api/v1/alerts?limit=50".into()).await).expect("JSON");
    let user = alerts["alerts"][0]["user"].as_str().expect("a user").to_string();
    let cursor = alerts["next_cursor"].as_str().unwrap_or_default().to_string();
    let activities: serde_json::Value =
        serde_json::from_slice(&get(format!("/api/v1/activities?user={user}&limit=50")).await).expect("JSON");
    let country = activities["activities"]
        .as_array()
        .and_then(|a| a.iter().find_map(|x| x["geo"]["country"].as_str()))
        .unwrap_or("US")
        .to_string();

    let kinds: Vec<(&str, String)> = vec![
        ("alerts: first page", "/api/v1/alerts?limit=50".into()),
        ("alerts: high severity", "/api/v1/alerts?severity=high&limit=50".into()),
        ("alerts: open, one policy", "/api/v1/alerts?status=open&policy=impossible_travel&limit=50".into()),
        ("alerts: second page", format!("/api/v1/alerts?limit=50&cursor={cursor}")),
        ("alerts: one app (filtered after the store)", "/api/v1/alerts?app=zendesk&limit=50".into()),
        ("activities: one user", format!("/api/v1/activities?user={user}&limit=50")),
        ("activities: one country", format!("/api/v1/activities?country={country}&limit=50")),
        ("activities: one action", "/api/v1/activities?action=user_login&limit=50".into()),
        ("activities: failures (outcome, in the store query)", "/api/v1/activities?outcome=failure&limit=50".into()),
        ("user page", format!("/api/v1/users/{user}")),
        ("console: alert queue page (with chart)", "/alerts".into()),
    ];
    println!("{:<50} {:>9} {:>9} {:>9}", "request", "p50 ms", "p95 ms", "max ms");
    for (name, path) in kinds {
        get(path.clone()).await;
        let mut times = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let started = Instant::now();
            get(path.clone()).await;
            times.push(started.elapsed());
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name:<50} {:>9.1} {:>9.1} {:>9.1}",
            ms(percentile(&times, 0.50)),
            ms(percentile(&times, 0.95)),
            ms(times[times.len() - 1])
        );
    }
}

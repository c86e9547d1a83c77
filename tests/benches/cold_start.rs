//! Each Lambda function's cold start: the time from starting its binary to its first call for work on the
//! Lambda Runtime API — what Lambda reports as "Init Duration", less the sandbox's own start — and the
//! binary's size. The runtime API is emulated by a local listener that answers nothing; the functions read
//! their settings as deployed (the template's variables, the bundled configuration, dry run) and reach
//! moto server for any AWS call their start makes (the credentials secret). Policies are the bundled ones
//! and no GeoIP database is named (the template's default), so there is no S3 fetch but one: the collector
//! needs a configuration with `[[sources]]`, which it reads from moto's S3 as a deployment would.
//!
//! Run (release binaries of this machine's architecture; the template deploys arm64 builds of the same code):
//!
//! ```text
//! cargo build --release -p api -p collector -p detector -p notifier -p governance -p directory-sync
//! cargo bench -p saaswarden-tests --bench cold_start
//! ```
//!
//! `SAASWARDEN_BOOTSTRAP_DIR` names another directory of binaries (default `target/release`);
//! `SAASWARDEN_COLD_STARTS` the starts per function (default 20). Results go in docs/benchmarks.md
//! ("Cold starts").

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use saaswarden_aws::testing::{Stack, moto, stack};

#[path = "../aws/deployment.rs"]
mod deployment;

const FUNCTIONS: [&str; 6] = ["api", "collector", "detector", "notifier", "governance", "directory-sync"];
/// A start that has not asked for work by then has failed (its output says why).
const GIVE_UP: Duration = Duration::from_secs(20);

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => panic!("cannot start a Tokio runtime: {e}"),
    };
    let dir = std::env::var_os("SAASWARDEN_BOOTSTRAP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release"));
    let starts: usize = std::env::var("SAASWARDEN_COLD_STARTS").ok().and_then(|n| n.parse().ok()).unwrap_or(20);
    let stack = runtime.block_on(stack());
    let secret = runtime.block_on(placeholder_secret(&stack));
    let collector_config = runtime.block_on(collector_config(&stack));
    println!("function       | binary (MB) | init median (ms) | init p95 (ms) | starts");
    println!("-------------- | ----------- | ---------------- | ------------- | ------");
    for function in FUNCTIONS {
        let binary = dir.join(function);
        let Ok(metadata) = std::fs::metadata(&binary) else {
            panic!(
                "{}: not built; run `cargo build --release -p {function}` (or set SAASWARDEN_BOOTSTRAP_DIR)",
                binary.display()
            );
        };
        let mut env = variables(&stack, &secret);
        if function == "collector" {
            env.push(("SAASWARDEN_CONFIG".into(), collector_config.clone()));
        }
        let mut inits: Vec<Duration> = (0..starts).map(|_| cold_start(&binary, &env)).collect();
        inits.sort();
        let median = inits[inits.len() / 2];
        let p95 = inits[(inits.len() * 95).div_ceil(100).saturating_sub(1)];
        println!(
            "{function:<14} | {:>11.1} | {:>16.1} | {:>13.1} | {starts:>6}",
            metadata.len() as f64 / 1e6,
            median.as_secs_f64() * 1e3,
            p95.as_secs_f64() * 1e3,
        );
    }
}

/// Starts the binary once and returns how long it took to ask the runtime API for its first event.
fn cold_start(binary: &Path, env: &[(String, String)]) -> Duration {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("listen: {e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("listener address: {e}"));
    let (asked, waited) = mpsc::channel();
    std::thread::spawn(move || {
        // The first request line that asks for the next invocation ends the start.
        for stream in listener.incoming().flatten() {
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_ok() && line.contains("/runtime/invocation/next") {
                let _ = asked.send(Instant::now());
                return;
            }
        }
    });
    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(env.iter().cloned())
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().unwrap_or_else(|e| panic!("{}: cannot start: {e}", binary.display()));
    let result = waited.recv_timeout(GIVE_UP);
    let _ = child.kill();
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    match result {
        Ok(at) => at - started,
        Err(_) => panic!(
            "{} did not ask for work within {GIVE_UP:?}; its log:\n{}",
            binary.display(),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// The credentials secret the template names (the test stack deploys the tables, queues and bus only):
/// placeholder values under the names the bundled configuration reads. Returns its name.
async fn placeholder_secret(stack: &Stack) -> String {
    let values = r#"{"SLACK_TOKEN":"bench-placeholder","ZENDESK_API_TOKEN":"bench-placeholder","SAASWARDEN_GRAPH_CLIENT_SECRET":"bench-placeholder"}"#;
    deployment::credentials_secret(stack, values).await
}

/// The collector refuses a configuration without `[[sources]]`, and the bundled one has none: its start
/// reads one from (moto's) S3, as a deployment does — the one S3 fetch in these figures. Returns its location.
async fn collector_config(stack: &Stack) -> String {
    let config = "tenant = \"acme\"\n\n[[sources]]\napp = \"slack\"\ntoken_env = \"SLACK_TOKEN\"\n";
    let bucket = deployment::assets_bucket(stack, "bench", vec![("config.toml", config.as_bytes().to_vec())]).await;
    format!("s3://{bucket}/config.toml")
}

/// The environment the template gives every function, pointed at moto server's copy of the stack.
fn variables(stack: &Stack, secret: &str) -> Vec<(String, String)> {
    let mut variables = stack.function_variables();
    for (variable, value) in [
        ("CREDENTIALS_SECRET_ID", secret),
        ("SAASWARDEN_CONFIG", "bundled"),
        ("POLICIES_LOCATION", "bundled"),
        ("GEOIP_LOCATION", "none"),
        ("DRY_RUN", "true"),
        ("TENANTS", "acme"),
        ("RETENTION_DAYS", "400"),
        ("RUST_LOG", "info"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_ENDPOINT_URL", moto().endpoint()),
        ("AWS_LAMBDA_FUNCTION_NAME", "saaswarden-bench"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/saaswarden-bench"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
    ] {
        variables.push((variable.to_string(), value.to_string()));
    }
    variables
}

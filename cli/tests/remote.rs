//! `--api URL`: the same commands against the HTTP API print what they print on the local store, so
//! scripts work against either. The API here is `saaswarden serve` on a demo store; a deployed stack's
//! `api` function serves the same router.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn saaswarden(db: &Path, api: Option<(&str, &str)>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_saaswarden"));
    command.args(args).env_remove("SAASWARDEN_CONFIG").env_remove("SAASWARDEN_API_URL").env("SAASWARDEN_DB", db);
    if let Some((url, token)) = api {
        command.env("SAASWARDEN_API_URL", url).env("SAASWARDEN_API_TOKEN", token);
    } else {
        command.env_remove("SAASWARDEN_API_TOKEN");
    }
    command.output().expect("run saaswarden")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn alerts_activities_and_governance_print_the_same_through_the_api_as_on_the_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("demo.db");
    stdout(&saaswarden(&db, None, &["demo", "--users", "60", "--days", "21"]));
    let mut serve = Command::new(env!("CARGO_BIN_EXE_saaswarden"))
        .args(["serve", "--port", "0", "--db"])
        .arg(&db)
        .env_remove("SAASWARDEN_CONFIG")
        .env("USER", "served-analyst")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start saaswarden serve");
    let mut lines = BufReader::new(serve.stdout.take().expect("stdout")).lines();
    let _serve = Running(serve);
    let line = lines.by_ref().map_while(Result::ok).find(|l| l.contains("open http://")).expect("the printed URL");
    std::thread::spawn(move || for _ in lines {});
    let url = line.split("open ").nth(1).expect("URL").trim().to_string();
    let (base, token) = url.split_once("/?token=").expect("base and token");
    let api = Some((base, token));

    for args in [
        &["alerts", "list", "--json"][..],
        &["alerts", "list", "--severity", "high"],
        &["alerts", "list", "--status", "open", "--limit", "3", "--json"],
        &["governance", "log", "--json"],
        &["alerts", "campaigns"],
        &["alerts", "campaigns", "--status", "open", "--json"],
    ] {
        assert_eq!(stdout(&saaswarden(&db, api, args)), stdout(&saaswarden(&db, None, args)), "{args:?}");
    }
    let alerts: serde_json::Value =
        serde_json::from_str(&stdout(&saaswarden(&db, None, &["alerts", "list", "--json"]))).expect("JSON");
    let id = alerts[0]["id"].as_str().expect("an alert").to_string();
    let user = alerts[0]["user"].as_str().expect("its user").to_string();
    let search = ["activities", "search", "--user", &user, "--json"];
    assert_eq!(stdout(&saaswarden(&db, api, &search)), stdout(&saaswarden(&db, None, &search)));
    let campaigns: serde_json::Value =
        serde_json::from_str(&stdout(&saaswarden(&db, None, &["alerts", "campaigns", "--json"]))).expect("JSON");
    let campaign = campaigns["campaigns"][0]["id"].as_str().expect("the demo's password spray").to_string();
    let linked = ["alerts", "list", "--campaign", &campaign];
    assert_eq!(stdout(&saaswarden(&db, api, &linked)), stdout(&saaswarden(&db, None, &linked)));
    let show = ["alerts", "show", &id, "--json"];
    assert_eq!(stdout(&saaswarden(&db, api, &show)), stdout(&saaswarden(&db, None, &show)));

    let resolved = stdout(&saaswarden(&db, api, &["alerts", "resolve", &id, "--as", "benign", "--comment", "travel"]));
    assert_eq!(resolved.trim(), format!("{id} is now resolved"));
    let local: serde_json::Value = serde_json::from_str(&stdout(&saaswarden(&db, None, &show))).expect("JSON");
    assert_eq!(local["alert"]["resolution"]["by"], "served-analyst", "recorded as the API's caller");
    assert_eq!(local["alert"]["resolution"]["comment"], "travel");

    let missing = saaswarden(&db, None, &["--api", base, "alerts", "list"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("SAASWARDEN_API_TOKEN"));
    let wrong = saaswarden(&db, Some((base, "not-the-token")), &["alerts", "list"]);
    assert_eq!(wrong.status.code(), Some(1));
    let error = String::from_utf8_lossy(&wrong.stderr).into_owned();
    assert!(error.contains("401") && !error.contains(token), "{error}");
}

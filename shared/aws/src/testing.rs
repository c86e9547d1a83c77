//! The moto-server harness for tests (feature `testing`): one moto server per test binary, a fresh
//! CloudFormation stack of `infra/template.yaml`'s data resources per test, and SDK clients pointed at it.
//!
//! The server and the deployments run in `infra/scripts/moto_deploy.py serve`, from the virtualenv that
//! `bash tests/run.sh` creates. The process ends when the test binary does (its stdin closes).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

use crate::clients::{AwsClients, Tables};
use crate::dynamo::{DynamoStore, StoreSettings};
use crate::metrics::RequestCounter;
use crate::queue::SqsActivityQueue;

/// The running server and the pipe deployments are asked through.
pub struct Moto {
    endpoint: String,
    pipe: Mutex<(ChildStdin, BufReader<ChildStdout>)>,
    _child: Mutex<Child>,
}

static MOTO: OnceLock<Result<Moto, String>> = OnceLock::new();
static STACKS: AtomicUsize = AtomicUsize::new(0);

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

fn start() -> Result<Moto, String> {
    let root = workspace_root();
    let python = std::env::var_os("SAASWARDEN_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv").join("bin").join("python"));
    if !python.exists() {
        return Err(format!(
            "no Python virtualenv at {}: run `bash tests/run.sh` once (it installs moto server and the \
             template tools from tests/requirements.txt), or set SAASWARDEN_PYTHON",
            python.display()
        ));
    }
    let script = root.join("infra").join("scripts").join("moto_deploy.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {} {}: {e}", python.display(), script.display()))?;
    let stdin = child.stdin.take().ok_or("moto server: no stdin")?;
    let mut stdout = BufReader::new(child.stdout.take().ok_or("moto server: no stdout")?);
    let mut line = String::new();
    stdout.read_line(&mut line).map_err(|e| format!("moto server did not start: {e}"))?;
    let hello: serde_json::Value = serde_json::from_str(&line).map_err(|e| {
        format!("moto server did not start (is moto[server] installed? run `bash tests/run.sh`): {e}: {line:?}")
    })?;
    let endpoint = hello["endpoint"].as_str().ok_or_else(|| format!("moto server said {line:?}"))?.to_string();
    Ok(Moto { endpoint, pipe: Mutex::new((stdin, stdout)), _child: Mutex::new(child) })
}

/// The test binary's moto server, started on first use. Panics (failing the test with the reason) when
/// the virtualenv is missing: a test against AWS never passes by skipping.
pub fn moto() -> &'static Moto {
    match MOTO.get_or_init(start) {
        Ok(moto) => moto,
        Err(reason) => panic!("{reason}"),
    }
}

impl Moto {
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// SDK configuration for the server: static test credentials, us-east-1.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .load()
            .await
    }

    /// Deploys a fresh stack (unique name) of the template's data resources; returns its outputs.
    fn deploy(&self, name: &str) -> Result<HashMap<String, String>, String> {
        let mut pipe = self.pipe.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (stdin, stdout) = &mut *pipe;
        writeln!(stdin, "{name}").and_then(|_| stdin.flush()).map_err(|e| format!("moto server gone: {e}"))?;
        let mut line = String::new();
        stdout.read_line(&mut line).map_err(|e| format!("moto server gone: {e}"))?;
        let answer: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("bad answer from the deploy helper: {e}: {line:?}"))?;
        if let Some(error) = answer.get("error") {
            return Err(format!("deploying stack {name} to moto failed: {error}"));
        }
        serde_json::from_value(answer).map_err(|e| format!("stack {name}: outputs are not strings: {e}"))
    }
}

/// One test's stack: table names, queue URLs and clients for it.
pub struct Stack {
    pub name: String,
    pub outputs: HashMap<String, String>,
    pub config: SdkConfig,
}

/// A fresh stack on the binary's moto server.
pub async fn stack() -> Stack {
    let moto = moto();
    let name = format!("sw{}x{}", std::process::id(), STACKS.fetch_add(1, Ordering::Relaxed));
    let outputs = {
        let name = name.clone();
        tokio::task::spawn_blocking(move || moto.deploy(&name)).await
    };
    let outputs = match outputs {
        Ok(Ok(outputs)) => outputs,
        Ok(Err(reason)) => panic!("{reason}"),
        Err(join) => panic!("deploy task failed: {join}"),
    };
    Stack { name, outputs, config: moto.sdk_config().await }
}

impl Stack {
    /// A stack output by key (`ActivitiesQueueUrl`, `AlertsEventBusName`, …); panics naming a missing one.
    pub fn output(&self, key: &str) -> &str {
        match self.outputs.get(key) {
            Some(value) => value,
            None => panic!("stack {} has no output {key}; it has {:?}", self.name, self.outputs.keys()),
        }
    }

    /// The variables the template's `Globals` give every function (tables, queues, bus), from this stack's
    /// outputs.
    pub fn function_variables(&self) -> Vec<(String, String)> {
        [
            ("ACTIVITIES_TABLE", "ActivitiesTableName"),
            ("STATE_TABLE", "StateTableName"),
            ("ALERTS_TABLE", "AlertsTableName"),
            ("DIRECTORY_TABLE", "DirectoryTableName"),
            ("CHECKPOINTS_TABLE", "CheckpointsTableName"),
            ("GOVERNANCE_TABLE", "GovernanceTableName"),
            ("ACTIVITIES_QUEUE_URL", "ActivitiesQueueUrl"),
            ("DECISIONS_QUEUE_URL", "DecisionsQueueUrl"),
            ("ALERTS_EVENT_BUS", "AlertsEventBusName"),
        ]
        .into_iter()
        .map(|(variable, output)| (variable.to_string(), self.output(output).to_string()))
        .collect()
    }

    pub fn tables(&self) -> Tables {
        Tables {
            activities: self.output("ActivitiesTableName").to_string(),
            state: self.output("StateTableName").to_string(),
            alerts: self.output("AlertsTableName").to_string(),
            directory: self.output("DirectoryTableName").to_string(),
            checkpoints: self.output("CheckpointsTableName").to_string(),
            governance: self.output("GovernanceTableName").to_string(),
        }
    }

    pub fn clients(&self) -> AwsClients {
        AwsClients::new(&self.config)
    }

    /// Clients whose requests `counter` tallies.
    pub fn counted_clients(&self, counter: &RequestCounter) -> AwsClients {
        AwsClients::counted(&self.config, counter)
    }

    pub fn store(&self) -> DynamoStore {
        DynamoStore::new(self.clients().dynamodb, self.tables(), StoreSettings::default())
    }

    pub fn activities_queue(&self) -> SqsActivityQueue {
        SqsActivityQueue::new(self.clients().sqs, self.output("ActivitiesQueueUrl"))
    }
}

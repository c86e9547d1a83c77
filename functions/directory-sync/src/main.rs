//! Directory sync: disabled and deleted Entra ID users → the directory table, on a schedule.

use saaswarden_lambda::directory_sync::DirectorySync;
use saaswarden_lambda::lambda_runtime::{Error, LambdaEvent, run, service_fn};
use saaswarden_lambda::{Settings, sdk_config, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let sync = DirectorySync::start(&Settings::from_env(), &sdk_config().await).await?;
    let sync = &sync;
    run(service_fn(|_: LambdaEvent<serde_json::Value>| async move { Ok::<_, Error>(sync.handle().await?) })).await
}

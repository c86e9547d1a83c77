//! Governance: decisions from the FIFO decisions queue → Microsoft Graph actions, each claimed once.

use saaswarden_lambda::events::sqs::SqsEvent;
use saaswarden_lambda::governance::GovernanceFunction;
use saaswarden_lambda::lambda_runtime::{Error, LambdaEvent, run, service_fn};
use saaswarden_lambda::{Settings, sdk_config, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let governance = GovernanceFunction::start(&Settings::from_env(), &sdk_config().await).await?;
    let governance = &governance;
    run(service_fn(
        |event: LambdaEvent<SqsEvent>| async move { Ok::<_, Error>(governance.handle(event.payload).await) },
    ))
    .await
}

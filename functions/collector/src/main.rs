//! Collector: on its schedule, Slack or Zendesk audit logs from each source's checkpoint onto the FIFO
//! activities queue.

use saaswarden_lambda::collector::{Collector, CollectorInput, time_left};
use saaswarden_lambda::lambda_runtime::{Error, LambdaEvent, run, service_fn};
use saaswarden_lambda::{Settings, sdk_config, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let collector = Collector::start(&Settings::from_env(), &sdk_config().await).await?;
    let collector = &collector;
    run(service_fn(|event: LambdaEvent<CollectorInput>| async move {
        let time_left = time_left(event.context.deadline());
        Ok::<_, Error>(collector.handle(event.payload, Some(time_left)).await?)
    }))
    .await
}

//! Detector: activity batches from the FIFO queue → detections and policies → alerts, state and the audit
//! trail in DynamoDB. Failed messages are reported back so only they are redelivered.

use saaswarden_lambda::detector::Detector;
use saaswarden_lambda::events::sqs::SqsEvent;
use saaswarden_lambda::lambda_runtime::{Error, LambdaEvent, run, service_fn};
use saaswarden_lambda::{Settings, sdk_config, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let detector = Detector::start(&Settings::from_env(), &sdk_config().await).await?;
    let detector = &detector;
    run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        let deadline = event.context.deadline();
        Ok::<_, Error>(detector.handle_until(event.payload, Some(deadline)).await)
    }))
    .await
}

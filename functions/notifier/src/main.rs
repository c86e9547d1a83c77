//! Notifier: the alerts table's stream → "Alert Created" / "Alert Updated" events on the EventBridge bus.

use saaswarden_lambda::events::dynamodb::Event;
use saaswarden_lambda::lambda_runtime::{Error, LambdaEvent, run, service_fn};
use saaswarden_lambda::notifier::Notifier;
use saaswarden_lambda::{Settings, sdk_config, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let notifier = Notifier::start(&Settings::from_env(), &sdk_config().await).await?;
    let notifier = &notifier;
    run(service_fn(|event: LambdaEvent<Event>| async move { Ok::<_, Error>(notifier.handle(event.payload).await) }))
        .await
}

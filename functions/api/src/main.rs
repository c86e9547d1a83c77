//! Api: the analyst console and HTTP API behind API Gateway (JWT authorizer), on DynamoDB.

use saaswarden_lambda::lambda_http::{Error, run};
use saaswarden_lambda::{Settings, sdk_config, telemetry};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let app = saaswarden_lambda::api::start(&Settings::from_env(), &sdk_config().await).await?;
    run(app).await
}

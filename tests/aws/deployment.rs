//! A deployment's assets beside a test stack (which deploys the tables, queues and bus only): an S3 bucket
//! holding the configuration, policies or GeoIP databases, as `ConfigLocation`, `PoliciesLocation` and
//! `GeoIpLocation` point to, and the credentials secret. Shared by the cloud tests and the cold-start bench.

use saaswarden_aws::testing::Stack;

/// A bucket of this stack (`<stack>-<purpose>`) holding `objects` (key and body); returns its name.
pub async fn assets_bucket(stack: &Stack, purpose: &str, objects: Vec<(&str, Vec<u8>)>) -> String {
    let s3 = aws_sdk_s3::Client::new(&stack.config);
    let bucket = format!("{}-{purpose}", stack.name.to_lowercase());
    s3.create_bucket().bucket(&bucket).send().await.unwrap_or_else(|e| panic!("create bucket {bucket}: {e}"));
    for (key, body) in objects {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(body.into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("upload {key} to {bucket}: {e}"));
    }
    bucket
}

/// The credentials secret holding `values` (a JSON object, by the names the configuration reads); returns
/// its id.
pub async fn credentials_secret(stack: &Stack, values: &str) -> String {
    let id = format!("{}/credentials", stack.name);
    let secrets = stack.clients().secrets;
    secrets.create_secret().name(&id).secret_string(values).send().await.unwrap_or_else(|e| panic!("secret {id}: {e}"));
    id
}

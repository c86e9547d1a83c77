//! The API suite (`saaswarden_tests::api_suite`) on the DynamoDB adapters, against moto server.

saaswarden_tests::api_suite!({
    let stack = saaswarden_aws::testing::stack().await;
    let store = stack.store();
    (stack, store)
});

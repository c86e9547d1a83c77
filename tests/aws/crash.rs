//! A detector that dies on either side of committing a user's state, then runs again, on DynamoDB (moto
//! server): nothing is lost and nothing is duplicated — the scenario of `tests/it/crash.rs`, on the other
//! adapter (`saaswarden_tests::crashing`).

use saaswarden_aws::testing::stack;
use saaswarden_tests::crashing::{
    a_batch_that_loses_a_race_asks_the_audit_trail_again, a_crash_then_a_rerun_ends_as_a_clean_run,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_at_either_side_of_the_state_commit_then_a_rerun_loses_and_duplicates_nothing_on_dynamodb() {
    a_crash_then_a_rerun_ends_as_a_clean_run(async || {
        let stack = stack().await;
        let store = stack.store();
        (stack, store)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_that_loses_a_race_for_the_state_asks_the_audit_trail_again_on_dynamodb() {
    a_batch_that_loses_a_race_asks_the_audit_trail_again(async || {
        let stack = stack().await;
        let store = stack.store();
        (stack, store)
    })
    .await;
}

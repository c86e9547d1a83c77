//! A detector that dies on either side of committing a user's state, then runs again, on SQLite: nothing is
//! lost and nothing is duplicated (the scenario is `saaswarden_tests::crashing`; `tests/aws/crash.rs` runs
//! it on DynamoDB).

use saaswarden_tests::crashing::{
    a_batch_that_loses_a_race_asks_the_audit_trail_again, a_crash_then_a_rerun_ends_as_a_clean_run,
};
use saaswarden_tests::fresh_store;

#[tokio::test]
async fn a_crash_at_either_side_of_the_state_commit_then_a_rerun_loses_and_duplicates_nothing() {
    a_crash_then_a_rerun_ends_as_a_clean_run(async || fresh_store()).await;
}

#[tokio::test]
async fn a_batch_that_loses_a_race_for_the_state_asks_the_audit_trail_again() {
    a_batch_that_loses_a_race_asks_the_audit_trail_again(async || fresh_store()).await;
}

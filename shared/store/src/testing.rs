//! Contract checks shared by every adapter's tests: each adapter writes a raw record its own way (as an
//! earlier release stored it, or garbage), then the same checks run against it through the port.

use saaswarden_core::testing::assert_legacy_state;

use crate::ports::StateStore;

/// The user `acme` / `a@x.io`, whose state the adapter's test has written raw at version 4.
const TENANT: &str = "acme";
const USER: &str = "a@x.io";

/// After the adapter stored [`saaswarden_core::testing::LEGACY_STATE_JSON`] for the user at version 4 as an
/// earlier release wrote it: it is read, saved at its version (in today's format) and read back the same.
pub async fn assert_legacy_state_is_read_and_saved<S: StateStore>(store: &S) {
    let loaded = store.load_user(TENANT, USER).await.expect("a legacy state is read");
    assert_eq!(loaded.version, 4);
    assert_legacy_state(&loaded.value);
    store.save_user(TENANT, USER, &loaded.value, 4).await.expect("saved at its version");
    let again = store.load_user(TENANT, USER).await.expect("read back");
    assert_eq!((again.version, &again.value), (5, &loaded.value));
}

/// After the adapter stored a body nobody can read as the user's state: loading it is an error naming the
/// user, never an empty state.
pub async fn assert_unreadable_state_names_the_user<S: StateStore>(store: &S) {
    let error = store.load_user(TENANT, USER).await.expect_err("unreadable");
    assert!(error.to_string().contains("acme#a@x.io"), "{error}");
}

//! The API suite (`saaswarden_tests::api_suite`) on the SQLite store.

saaswarden_tests::api_suite!(saaswarden_tests::fresh_store());

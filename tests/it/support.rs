//! Shared support of the cross-crate tests: fixture paths, a fresh store, a config without learning.

pub mod api_suite;

use std::path::PathBuf;
use std::time::Duration;

use saaswarden_connectors::zendesk::ZendeskUsers;
use saaswarden_core::Config;
use saaswarden_store::SqliteStore;
use tempfile::TempDir;

pub mod crashing;
pub mod fuzz_inputs;

/// A file or folder under `tests/fixtures/`.
pub fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(relative)
}

/// The demo's enrichment: MaxMind's test databases, the demo threat list (written into `dir`) and the
/// corporate VPN range, as `saaswarden demo` configures them.
pub fn demo_enrichment(dir: &std::path::Path) -> saaswarden_enrich::IpIntel {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/maxmind-test");
    std::fs::write(dir.join("threats.txt"), saaswarden_demo::DEMO_THREAT_LIST).expect("threat list");
    let text = format!(
        "[enrichment]\ncity_db = \"{0}/GeoIP2-City-Test.mmdb\"\nanonymous_db = \"{0}/GeoIP2-Anonymous-IP-Test.mmdb\"\n\
         asn_db = \"{0}/GeoLite2-ASN-Test.mmdb\"\n[[enrichment.lists]]\npath = \"threats.txt\"\ntag = \"suspicious\"\n\
         [[enrichment.ranges]]\ntag = \"corporate_vpn\"\ncidrs = [\"149.101.100.0/28\"]\n",
        data.display()
    );
    let config = Config::from_toml_str(&text, "demo enrichment").expect("config");
    saaswarden_enrich::IpIntel::load(&config.enrichment, dir).expect("enrichment")
}

/// A store in a fresh temporary folder, removed when the `TempDir` is dropped.
pub fn fresh_store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("it.db")).expect("open store");
    (dir, store)
}

/// The fixture users file, parsed.
pub fn fixture_users() -> ZendeskUsers {
    let text = std::fs::read_to_string(fixture("zendesk/users.json")).expect("users fixture");
    ZendeskUsers::from_json(&serde_json::from_str(&text).expect("users JSON")).expect("users shape")
}

/// Defaults, but with no learning period: the fixtures cover minutes, not weeks.
pub fn config_without_learning() -> Config {
    let mut config = Config { tenant: "acme".to_string(), ..Default::default() };
    config.detections.multiple_failed_logins.learning_period = Duration::ZERO;
    config
}

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use saaswarden_core::config::{EnrichmentSettings, IpList, NamedRange};
use saaswarden_enrich::{IpFacts, IpIntel};

/// The MaxMind test databases copied into the repository.
pub fn test_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/maxmind-test")
}

pub const CITY_DB: &str = "GeoIP2-City-Test.mmdb";
pub const COUNTRY_DB: &str = "GeoIP2-Country-Test.mmdb";
pub const ANONYMOUS_DB: &str = "GeoIP2-Anonymous-IP-Test.mmdb";
pub const ASN_DB: &str = "GeoLite2-ASN-Test.mmdb";

/// The three test databases, named relative to their folder as a configuration file beside them would.
pub fn all_databases() -> EnrichmentSettings {
    EnrichmentSettings {
        city_db: CITY_DB.into(),
        anonymous_db: ANONYMOUS_DB.into(),
        asn_db: ASN_DB.into(),
        ..EnrichmentSettings::default()
    }
}

pub fn load(settings: &EnrichmentSettings) -> IpIntel {
    IpIntel::load(settings, &test_data()).unwrap_or_else(|e| panic!("enrichment sources load: {e}"))
}

pub fn load_error(settings: &EnrichmentSettings, base_dir: &Path) -> String {
    match IpIntel::load(settings, base_dir) {
        Ok(intel) => panic!("expected a load error, loaded {intel:?}"),
        Err(error) => error.to_string(),
    }
}

pub fn ip(text: &str) -> IpAddr {
    text.parse().unwrap_or_else(|e| panic!("test IP `{text}`: {e}"))
}

pub fn lookup(intel: &IpIntel, address: &str) -> Arc<IpFacts> {
    intel.lookup(ip(address))
}

pub fn list(path: impl Into<PathBuf>, tag: &str) -> IpList {
    IpList { path: path.into(), tag: tag.to_string() }
}

pub fn range(tag: &str, cidrs: &[&str]) -> NamedRange {
    NamedRange {
        tag: tag.to_string(),
        cidrs: cidrs.iter().map(|c| c.parse().unwrap_or_else(|e| panic!("test CIDR `{c}`: {e}"))).collect(),
        path: None,
    }
}

pub fn tags(facts: &IpFacts) -> Vec<&str> {
    facts.tags.iter().map(String::as_str).collect()
}

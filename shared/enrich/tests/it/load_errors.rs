use std::fs;
use std::path::PathBuf;

use saaswarden_core::config::EnrichmentSettings;
use saaswarden_enrich::{EnrichError, IpFacts, IpIntel};

use crate::support::{ANONYMOUS_DB, ASN_DB, CITY_DB, COUNTRY_DB, ip, load_error, test_data};

fn city_db(path: impl Into<PathBuf>) -> EnrichmentSettings {
    EnrichmentSettings { city_db: path.into().into(), ..EnrichmentSettings::default() }
}

#[test]
fn a_missing_database_is_reported_with_its_setting_and_resolved_path() {
    let message = load_error(&city_db("geo/GeoLite2-City.mmdb"), &test_data());
    let resolved = test_data().join("geo/GeoLite2-City.mmdb");
    assert_eq!(
        message,
        format!(
            "enrichment.city_db: `{}` does not exist (a relative path is resolved against the configuration \
             file's folder)",
            resolved.display()
        )
    );
}

#[test]
fn a_file_that_is_not_a_maxmind_database_is_reported_with_its_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let real = fs::read(test_data().join(CITY_DB)).expect("test database read");
    let cases: [(&str, Vec<u8>); 3] = [
        ("x.mmdb", b"this is not a database, just text\n".repeat(100)),
        ("empty.mmdb", Vec::new()),
        ("truncated.mmdb", real[..real.len() / 2].to_vec()),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        fs::write(&path, bytes).expect("file written");
        let message = load_error(&city_db(name), dir.path());
        let prefix = format!("enrichment.city_db: `{}` is not a MaxMind DB file: ", path.display());
        assert!(message.starts_with(&prefix), "{name}: {message}");
    }
}

#[test]
fn a_database_of_the_wrong_kind_is_refused_naming_the_file_and_what_was_expected() {
    type Setter = fn(&mut EnrichmentSettings, PathBuf);
    let city: Setter = |s, p| s.city_db = p.into();
    let anonymous: Setter = |s, p| s.anonymous_db = p.into();
    let asn: Setter = |s, p| s.asn_db = p.into();
    let cases = [
        (city, "city_db", ASN_DB, "GeoLite2-ASN", "a city database"),
        (city, "city_db", ANONYMOUS_DB, "GeoIP2-Anonymous-IP", "a city database"),
        (anonymous, "anonymous_db", CITY_DB, "GeoIP2-City", "Anonymous IP database"),
        (anonymous, "anonymous_db", ASN_DB, "GeoLite2-ASN", "Anonymous IP database"),
        (asn, "asn_db", CITY_DB, "GeoIP2-City", "an ASN database"),
        (asn, "asn_db", ANONYMOUS_DB, "GeoIP2-Anonymous-IP", "an ASN database"),
    ];
    for (set, setting, file, database_type, expected) in cases {
        let mut settings = EnrichmentSettings::default();
        set(&mut settings, file.into());
        let message = load_error(&settings, &test_data());
        let path = test_data().join(file);
        let prefix = format!("enrichment.{setting}: `{}` is a `{database_type}` database", path.display());
        assert!(message.starts_with(&prefix), "{setting} = {file}: {message}");
        assert!(message.contains(expected), "{setting} = {file}: {message}");
    }
}

#[test]
fn a_country_database_as_city_database_is_refused_because_it_has_no_coordinates() {
    let error = IpIntel::load(&city_db(COUNTRY_DB), &test_data()).expect_err("a country database is refused");
    assert!(matches!(error, EnrichError::CountryOnly { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.starts_with(&format!("enrichment.city_db: `{}`", test_data().join(COUNTRY_DB).display())));
    assert!(message.contains("`GeoIP2-Country`") && message.contains("impossible travel needs a city database"));
}

#[test]
fn an_absolute_path_is_used_as_it_is_whatever_the_configuration_folder() {
    let absolute = test_data().join(CITY_DB);
    let intel = IpIntel::load(&city_db(&absolute), std::path::Path::new("/nonexistent/config/dir"))
        .unwrap_or_else(|e| panic!("absolute path loads: {e}"));
    assert!(intel.lookup(ip("175.16.199.5")).geo.is_some());
}

#[test]
fn no_sources_at_all_is_a_working_setup_that_knows_nothing() {
    let intel = IpIntel::load(&EnrichmentSettings::default(), &test_data()).expect("nothing to load");
    assert_eq!(*intel.lookup(ip("81.2.69.142")), IpFacts::default());
}

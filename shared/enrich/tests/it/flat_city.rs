//! The flat record layout of DB-IP City Lite as published by ip-location-db, through databases written
//! here (no such file is small enough to ship).

use std::path::Path;

use saaswarden_core::config::EnrichmentSettings;
use saaswarden_enrich::{DEFAULT_CITY_ACCURACY_KM, DEFAULT_COUNTRY_ACCURACY_KM, EnrichError, IpIntel};

use crate::mmdb_writer::{MmdbWriter, Value, map};
use crate::support::{ip, lookup};

fn flat(
    city: &'static str,
    country_code: &'static str,
    latitude: Value,
    longitude: Value,
    state1: &'static str,
) -> Value {
    map(&[
        ("city", Value::Str(city)),
        ("country_code", Value::Str(country_code)),
        ("latitude", latitude),
        ("longitude", longitude),
        ("postcode", Value::Str("")),
        ("state1", Value::Str(state1)),
        ("state2", Value::Str("")),
        ("timezone", Value::Str("")),
    ])
}

fn load_city_db(dir: &Path, name: &str, bytes: Vec<u8>) -> Result<IpIntel, EnrichError> {
    std::fs::write(dir.join(name), bytes).expect("database written");
    IpIntel::load(&EnrichmentSettings { city_db: name.into(), ..EnrichmentSettings::default() }, dir)
}

#[test]
fn flat_layout_city_database_locates_ips_whatever_the_coordinate_type() {
    let database = MmdbWriter::new("DBIP-City-Lite", 6)
        .insert("203.0.113.0/24", flat("Paris", "FR", Value::Double(48.8534), Value::Double(2.3488), "Île-de-France"))
        .insert("198.51.100.0/24", flat("London", "GB", Value::Str("51.5143"), Value::Str("-0.0912244"), "England"))
        .insert("192.0.2.0/25", flat("Sydney", "AU", Value::Float(-33.8688), Value::Float(151.2093), "New South Wales"))
        .insert("192.0.2.128/25", flat("", "US", Value::Double(37.751), Value::Double(-97.822), ""))
        .insert("100.64.0.0/16", flat("", "NL", Value::Str(""), Value::Str(""), ""))
        .insert("2001:db8:1::/48", flat("Berlin", "DE", Value::Double(52.5244), Value::Double(13.4105), "Land Berlin"))
        .insert("2001:db8:2::/48", flat("Osaka", "jp", Value::Str("34.6937"), Value::Str("135.5022"), "Osaka"))
        .build();
    let dir = tempfile::tempdir().expect("temp dir");
    let intel = load_city_db(dir.path(), "dbip-city-ipv4.mmdb", database)
        .unwrap_or_else(|e| panic!("flat city database loads: {e}"));

    let city_km = DEFAULT_CITY_ACCURACY_KM;
    let cases = [
        ("203.0.113.9", "FR", Some("Paris"), 48.8534, 2.3488, city_km),
        ("198.51.100.200", "GB", Some("London"), 51.5143, -0.0912244, city_km),
        ("192.0.2.1", "AU", Some("Sydney"), f64::from(-33.8688_f32), f64::from(151.2093_f32), city_km),
        ("192.0.2.200", "US", None, 37.751, -97.822, DEFAULT_COUNTRY_ACCURACY_KM),
        ("::ffff:203.0.113.9", "FR", Some("Paris"), 48.8534, 2.3488, city_km),
        ("2001:db8:1:2::3", "DE", Some("Berlin"), 52.5244, 13.4105, city_km),
        ("2001:db8:2::99", "JP", Some("Osaka"), 34.6937, 135.5022, city_km),
    ];
    for (address, country, city, latitude, longitude, accuracy_km) in cases {
        let facts = lookup(&intel, address);
        let geo = facts.geo.as_ref().unwrap_or_else(|| panic!("{address} is located"));
        assert_eq!(geo.country, country, "{address}");
        assert_eq!(geo.city.as_deref(), city, "{address}");
        assert_eq!((geo.latitude, geo.longitude, geo.accuracy_km), (latitude, longitude, accuracy_km), "{address}");
    }
    // Empty coordinates (ip-location-db writes them for networks it cannot place), and no network.
    for address in ["100.64.1.1", "10.0.0.1", "2001:db8:3::1"] {
        assert_eq!(lookup(&intel, address).geo, None, "{address}");
    }
}

#[test]
fn an_ipv4_only_database_leaves_ipv6_addresses_unlocated() {
    let database = MmdbWriter::new("DBIP-City-Lite", 4)
        .insert("203.0.113.0/24", flat("Paris", "FR", Value::Double(48.8534), Value::Double(2.3488), "Île-de-France"))
        .build();
    let dir = tempfile::tempdir().expect("temp dir");
    let intel = load_city_db(dir.path(), "dbip-city-ipv4.mmdb", database)
        .unwrap_or_else(|e| panic!("IPv4-only database loads: {e}"));
    assert_eq!(intel.lookup(ip("203.0.113.1")).geo.as_ref().map(|g| g.country.as_str()), Some("FR"));
    assert_eq!(intel.lookup(ip("::ffff:203.0.113.1")).geo.as_ref().map(|g| g.country.as_str()), Some("FR"));
    assert_eq!(intel.lookup(ip("2001:db8::1")).geo, None);
}

#[test]
fn a_flat_country_database_is_refused_as_city_database() {
    let database = MmdbWriter::new("DBIP-Country-Lite", 6)
        .insert("203.0.113.0/24", map(&[("country_code", Value::Str("FR"))]))
        .insert("2001:db8::/32", map(&[("country_code", Value::Str("DE"))]))
        .build();
    let dir = tempfile::tempdir().expect("temp dir");
    let error = load_city_db(dir.path(), "dbip-country.mmdb", database).expect_err("no coordinates");
    assert!(matches!(error, EnrichError::CountryOnly { .. }), "{error}");
}

#[test]
fn a_nested_record_without_accuracy_radius_gets_the_documented_default() {
    let nested = |city: Option<&'static str>| {
        let mut record = vec![
            ("country", map(&[("iso_code", Value::Str("SE"))])),
            ("location", map(&[("latitude", Value::Double(59.3294)), ("longitude", Value::Double(18.0687))])),
        ];
        if let Some(name) = city {
            record.push(("city", map(&[("names", map(&[("en", Value::Str(name)), ("sv", Value::Str(name))]))])));
        }
        Value::Map(record)
    };
    let database = MmdbWriter::new("GeoLite2-City", 6)
        .insert("203.0.113.0/25", nested(Some("Stockholm")))
        .insert("203.0.113.128/25", nested(None))
        .build();
    let dir = tempfile::tempdir().expect("temp dir");
    let intel = load_city_db(dir.path(), "GeoLite2-City.mmdb", database)
        .unwrap_or_else(|e| panic!("nested city database loads: {e}"));
    let with_city = intel.lookup(ip("203.0.113.1")).geo.clone().expect("located");
    assert_eq!((with_city.city.as_deref(), with_city.accuracy_km), (Some("Stockholm"), DEFAULT_CITY_ACCURACY_KM));
    let without_city = intel.lookup(ip("203.0.113.129")).geo.clone().expect("located");
    assert_eq!((without_city.city, without_city.accuracy_km), (None, DEFAULT_COUNTRY_ACCURACY_KM));
}

#[test]
fn dbip_lites_two_halves_in_one_setting_locate_both_families_in_the_order_given() {
    let paris = || flat("Paris", "FR", Value::Double(48.8534), Value::Double(2.3488), "Île-de-France");
    let ipv4 = MmdbWriter::new("DBIP-City-Lite", 4).insert("203.0.113.0/24", paris()).build();
    let ipv6 = MmdbWriter::new("DBIP-City-Lite", 6)
        .insert("2001:db8:1::/48", flat("Berlin", "DE", Value::Double(52.5244), Value::Double(13.4105), "Land Berlin"))
        // A second opinion on an IPv4 network: the first file in the list answers.
        .insert("::203.0.113.0/120", flat("Lyon", "FR", Value::Double(45.75), Value::Double(4.85), "Rhône"))
        .build();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("dbip-city-ipv4.mmdb"), ipv4).expect("written");
    std::fs::write(dir.path().join("dbip-city-ipv6.mmdb"), ipv6).expect("written");

    let config = saaswarden_core::Config::from_toml_str(
        "tenant = \"acme\"\n[enrichment]\ncity_db = [\"dbip-city-ipv4.mmdb\", \"dbip-city-ipv6.mmdb\"]\n",
        "saaswarden.toml",
    )
    .expect("a list of files is a valid city_db");
    let intel = IpIntel::load(&config.enrichment, dir.path()).unwrap_or_else(|e| panic!("both halves load: {e}"));
    let city = |address: &str| lookup(&intel, address).geo.as_ref().and_then(|g| g.city.clone());
    assert_eq!(city("203.0.113.7").as_deref(), Some("Paris"), "the IPv4 half, first in the list");
    assert_eq!(city("2001:db8:1::7").as_deref(), Some("Berlin"), "the IPv6 half");
    assert_eq!(city("2001:db8:9::7"), None, "in neither");

    // One path is still one path; a missing second file is named by its place in the list.
    let single = saaswarden_core::Config::from_toml_str(
        "tenant = \"acme\"\n[enrichment]\ncity_db = \"dbip-city-ipv4.mmdb\"\n",
        "saaswarden.toml",
    )
    .expect("one path");
    let only_v4 = IpIntel::load(&single.enrichment, dir.path()).expect("loads");
    assert_eq!(lookup(&only_v4, "2001:db8:1::7").geo, None, "IPv6 is unlocated without its half");
    let settings = EnrichmentSettings {
        city_db: saaswarden_core::config::DatabaseFiles(vec!["dbip-city-ipv4.mmdb".into(), "missing-ipv6.mmdb".into()]),
        ..EnrichmentSettings::default()
    };
    let error = IpIntel::load(&settings, dir.path()).expect_err("a missing file").to_string();
    assert!(error.starts_with("enrichment.city_db[1]: ") && error.contains("missing-ipv6.mmdb"), "{error}");
    let wrong = saaswarden_core::Config::from_toml_str("tenant = \"acme\"\n[enrichment]\ncity_db = 3\n", "c.toml")
        .expect_err("a number is no path");
    assert!(wrong.to_string().contains("city_db"), "{wrong}");
}

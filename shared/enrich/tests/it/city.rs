use saaswarden_core::config::EnrichmentSettings;

use crate::support::{CITY_DB, load, lookup};

fn city_only() -> EnrichmentSettings {
    EnrichmentSettings { city_db: CITY_DB.into(), ..EnrichmentSettings::default() }
}

#[test]
fn city_database_locates_ips_with_country_city_coordinates_and_radius() {
    let intel = load(&city_only());
    // (ip, country, city, latitude, longitude, accuracy radius in km) from the test database.
    let cases = [
        ("216.160.83.58", "US", Some("Milton"), 47.2513, -122.3149, 22.0),
        ("89.160.20.130", "SE", Some("Linköping"), 58.4167, 15.6167, 76.0),
        ("175.16.199.5", "CN", Some("Changchun"), 43.88, 125.3228, 100.0),
        ("2.125.160.218", "GB", Some("Boxford"), 51.75, -1.25, 100.0),
        ("81.2.69.142", "GB", Some("London"), 51.5142, -0.0931, 10.0),
        ("214.0.1.7", "AU", Some("Melbourne"), -37.8159, 144.9669, 20.0),
        // Located to a region or a country only: no city, MaxMind's own radius.
        ("216.160.83.66", "US", None, 47.7511, -120.7401, 1000.0),
        ("67.43.156.1", "BT", None, 27.5, 90.5, 534.0),
        // IPv6 networks.
        ("2001:480:10::1", "US", Some("San Diego"), 32.7203, -117.1552, 20.0),
        ("2001:218:1::1", "JP", None, 35.68536, 139.75309, 100.0),
        // IPv4-mapped IPv6 is looked up as IPv4.
        ("::ffff:216.160.83.58", "US", Some("Milton"), 47.2513, -122.3149, 22.0),
        ("::ffff:175.16.199.5", "CN", Some("Changchun"), 43.88, 125.3228, 100.0),
    ];
    for (ip, country, city, latitude, longitude, accuracy_km) in cases {
        let facts = lookup(&intel, ip);
        let geo = facts.geo.as_ref().unwrap_or_else(|| panic!("{ip} has a location"));
        assert_eq!(geo.country, country, "{ip}");
        assert_eq!(geo.city.as_deref(), city, "{ip}");
        assert_eq!((geo.latitude, geo.longitude), (latitude, longitude), "{ip}");
        assert_eq!(geo.accuracy_km, accuracy_km, "{ip}");
    }
}

#[test]
fn ips_without_country_and_coordinates_have_no_geo() {
    let intel = load(&city_only());
    let cases = [
        ("10.0.0.1", "private, in no network"),
        ("127.0.0.1", "loopback, in no network"),
        ("8.8.8.8", "public but not in the test database"),
        ("2001:db8::1", "documentation IPv6, in no network"),
        ("2.3.3.1", "located to a continent only"),
        ("214.1.1.1", "anycast: traits only"),
        ("2a02:d500::1", "coordinates without a country"),
    ];
    for (ip, why) in cases {
        assert_eq!(lookup(&intel, ip).geo, None, "{ip}: {why}");
    }
}

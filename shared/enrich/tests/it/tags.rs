use saaswarden_core::config::EnrichmentSettings;

use crate::support::{ANONYMOUS_DB, all_databases, load, lookup, tags};

#[test]
fn anonymous_ip_database_flags_become_tags() {
    let intel = load(&EnrichmentSettings { anonymous_db: ANONYMOUS_DB.into(), ..EnrichmentSettings::default() });
    let every_tag = vec!["anonymous", "anonymous_vpn", "hosting", "public_proxy", "residential_proxy", "tor"];
    let cases = [
        ("1.124.213.1", vec!["anonymous", "anonymous_vpn", "tor"]),
        ("1.2.3.4", vec!["anonymous", "anonymous_vpn"]),
        ("6.1.0.2", vec!["anonymous", "hosting"]),
        ("6.1.0.3", vec!["anonymous", "public_proxy"]),
        ("6.1.0.4", vec!["anonymous", "residential_proxy"]),
        ("65.1.2.3", vec!["anonymous", "tor"]),
        ("71.160.223.5", vec!["anonymous", "hosting"]),
        ("186.30.236.9", vec!["anonymous", "public_proxy"]),
        ("81.2.69.142", every_tag),
        ("::ffff:1.124.213.1", vec!["anonymous", "anonymous_vpn", "tor"]),
        // Networks recorded with no flag set, and networks not in the database.
        ("1.124.213.2", vec![]),
        ("6.1.0.5", vec![]),
        ("10.0.0.1", vec![]),
    ];
    for (ip, expected) in cases {
        assert_eq!(tags(&lookup(&intel, ip)), expected, "{ip}");
    }
}

#[test]
fn an_ip_gets_its_tags_and_its_location_together() {
    let intel = load(&all_databases());
    let facts = lookup(&intel, "81.2.69.142");
    assert_eq!(tags(&facts), ["anonymous", "anonymous_vpn", "hosting", "public_proxy", "residential_proxy", "tor"]);
    let geo = facts.geo.as_ref().expect("81.2.69.142 is in London");
    assert_eq!((geo.country.as_str(), geo.city.as_deref()), ("GB", Some("London")));
}

use std::fs;

use saaswarden_core::config::EnrichmentSettings;

use crate::support::{all_databases, ip, list, load, lookup, range, tags};

#[test]
fn an_ip_in_an_organisation_range_carries_only_the_organisations_tags() {
    // 81.2.69.0/24 is every kind of anonymous in the test database: say it is the corporate VPN egress.
    let dir = tempfile::tempdir().expect("temp dir");
    let feed = dir.path().join("vpn-feed.txt");
    fs::write(&feed, "81.2.69.0/24\n").expect("feed written");
    let settings = EnrichmentSettings {
        ranges: vec![range("corporate", &["81.2.69.128/25"]), range("office_london", &["81.2.69.142/32"])],
        lists: vec![list(&feed, "commercial_vpn")],
        ..all_databases()
    };
    let intel = load(&settings);

    let corporate = lookup(&intel, "81.2.69.142");
    assert_eq!(tags(&corporate), ["corporate", "office_london"]);
    let geo = corporate.geo.as_ref().expect("geo still applies inside an organisation range");
    assert_eq!(geo.city.as_deref(), Some("London"));

    // Outside the organisation's ranges the database and the feed speak again.
    let outside = lookup(&intel, "81.2.69.100");
    assert_eq!(
        tags(&outside),
        ["anonymous", "anonymous_vpn", "commercial_vpn", "hosting", "public_proxy", "residential_proxy", "tor"]
    );
}

#[test]
fn organisation_ranges_match_ipv6_and_ipv4_mapped_addresses() {
    let settings = EnrichmentSettings {
        ranges: vec![range("corporate", &["2001:db8:100::/48", "198.51.100.0/24"])],
        ..EnrichmentSettings::default()
    };
    let intel = load(&settings);
    let cases = [
        ("2001:db8:100:5::1", vec!["corporate"]),
        ("2001:db8:101::1", vec![]),
        ("198.51.100.77", vec!["corporate"]),
        ("::ffff:198.51.100.77", vec!["corporate"]),
        ("198.51.101.1", vec![]),
    ];
    for (address, expected) in cases {
        assert_eq!(tags(&intel.lookup(ip(address))), expected, "{address}");
    }
}

#[test]
fn organisation_ranges_keep_the_owner_from_the_asn_database() {
    let settings = EnrichmentSettings { ranges: vec![range("corporate", &["1.128.0.0/16"])], ..all_databases() };
    let facts = lookup(&load(&settings), "1.128.0.1");
    assert_eq!(tags(&facts), ["corporate"]);
    assert_eq!((facts.asn, facts.asn_org.as_deref()), (Some(1221), Some("Telstra Pty Ltd")));
}

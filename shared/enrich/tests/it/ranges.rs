use std::fs;

use saaswarden_core::config::EnrichmentSettings;
use saaswarden_enrich::IpIntel;

use crate::support::{all_databases, ip, list, load, load_error, lookup, range, tags};

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

#[test]
fn a_range_reads_its_networks_from_a_file_beside_its_inline_cidrs() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::create_dir(dir.path().join("net")).expect("folder");
    fs::write(
        dir.path().join("net/egress.txt"),
        "# egress, kept by the network team\n198.51.100.0/28\n2001:db8:7::/48\n",
    )
    .expect("written");
    let mut corporate = range("corporate", &["192.0.2.1/32"]);
    corporate.path = Some("net/egress.txt".into());
    let settings = EnrichmentSettings { ranges: vec![corporate], ..EnrichmentSettings::default() };
    let intel = IpIntel::load(&settings, dir.path()).unwrap_or_else(|e| panic!("ranges load: {e}"));
    let cases = [
        ("192.0.2.1", vec!["corporate"]),
        ("198.51.100.15", vec!["corporate"]),
        ("198.51.100.16", vec![]),
        ("2001:db8:7::9", vec!["corporate"]),
    ];
    for (address, expected) in cases {
        assert_eq!(tags(&intel.lookup(ip(address))), expected, "{address}");
    }
}

#[test]
fn a_range_file_that_is_missing_or_has_a_bad_line_is_reported_as_a_list_would_be() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut corporate = range("corporate", &[]);
    corporate.path = Some("egress.txt".into());
    let settings = EnrichmentSettings {
        ranges: vec![range("lab", &["192.0.2.0/24"]), corporate],
        ..EnrichmentSettings::default()
    };
    let file = dir.path().join("egress.txt");
    let missing = load_error(&settings, dir.path());
    assert!(missing.starts_with("enrichment.ranges[1].path: "), "{missing}");
    assert!(missing.contains(&format!("`{}` does not exist", file.display())), "{missing}");
    fs::write(&file, "198.51.100.0/24\nvpn.acme.example\n").expect("written");
    assert_eq!(
        load_error(&settings, dir.path()),
        format!("{} line 2: `vpn.acme.example` is neither an IP nor a CIDR", file.display())
    );
}

use std::fs;
use std::path::Path;

use saaswarden_core::config::EnrichmentSettings;
use saaswarden_enrich::IpIntel;

use crate::support::{ANONYMOUS_DB, ip, list, load_error, tags, test_data};

const TOR_LIST: &str = "\
# Tor exit nodes, fetched 2026-10-01
192.0.2.10
192.0.2.64/27   # a whole exit provider
198.51.100.1 # trailing comment

   203.0.113.7   
2001:db8:dead::/48
2001:db8:beef::1
";

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).expect("list written");
}

fn lists_in(dir: &Path, lists: &[(&str, &str)]) -> IpIntel {
    let settings = EnrichmentSettings {
        lists: lists.iter().map(|(path, tag)| list(*path, tag)).collect(),
        ..EnrichmentSettings::default()
    };
    IpIntel::load(&settings, dir).unwrap_or_else(|e| panic!("lists load: {e}"))
}

#[test]
fn a_list_tags_its_ips_and_cidrs_ignoring_comments_and_blank_lines() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "tor.txt", TOR_LIST);
    let intel = lists_in(dir.path(), &[("tor.txt", "tor")]);
    let cases = [
        ("192.0.2.10", true),
        ("192.0.2.11", false),
        ("192.0.2.64", true),
        ("192.0.2.95", true),
        ("192.0.2.96", false),
        ("198.51.100.1", true),
        ("203.0.113.7", true),
        ("2001:db8:dead:1::1", true),
        ("2001:db8:beef::1", true),
        ("2001:db8:beef::2", false),
        ("::ffff:192.0.2.10", true),
    ];
    for (address, listed) in cases {
        let expected: Vec<&str> = if listed { vec!["tor"] } else { vec![] };
        assert_eq!(tags(&intel.lookup(ip(address))), expected, "{address}");
    }
}

#[test]
fn each_list_gives_its_own_tag_and_tags_are_sorted_and_deduplicated() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "tor.txt", "1.124.213.1\n");
    write(dir.path(), "threats.txt", "1.124.213.0/24\n");
    write(dir.path(), "more-tor.txt", "1.124.213.1\n");
    fs::copy(test_data().join(ANONYMOUS_DB), dir.path().join(ANONYMOUS_DB)).expect("database copied");
    let settings = EnrichmentSettings {
        anonymous_db: ANONYMOUS_DB.into(),
        lists: vec![list("tor.txt", "tor"), list("threats.txt", "threat_feed"), list("more-tor.txt", "tor")],
        ..EnrichmentSettings::default()
    };
    let intel = IpIntel::load(&settings, dir.path()).unwrap_or_else(|e| panic!("sources load: {e}"));
    // The database says anonymous, anonymous_vpn and tor; the lists say tor (twice) and threat_feed.
    assert_eq!(tags(&intel.lookup(ip("1.124.213.1"))), ["anonymous", "anonymous_vpn", "threat_feed", "tor"]);
    assert_eq!(tags(&intel.lookup(ip("1.124.213.2"))), ["threat_feed"]);
}

#[test]
fn a_long_list_matches_exactly_its_entries() {
    // 40,000 single addresses and 10,000 /30s, interleaved with gaps.
    let mut text = String::new();
    for i in 0..40_000u32 {
        text.push_str(&format!("{}\n", std::net::Ipv4Addr::from(0x0a00_0000 + i * 4)));
    }
    for i in 0..10_000u32 {
        text.push_str(&format!("{}/30\n", std::net::Ipv4Addr::from(0x1400_0000 + i * 8)));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "feed.txt", &text);
    let intel = lists_in(dir.path(), &[("feed.txt", "feed")]);
    let listed = |a: u32| !intel.lookup(std::net::Ipv4Addr::from(a).into()).tags.is_empty();
    for i in (0..40_000u32).step_by(997) {
        assert!(listed(0x0a00_0000 + i * 4));
        assert!(!listed(0x0a00_0000 + i * 4 + 1));
    }
    for i in (0..10_000u32).step_by(331) {
        assert!(listed(0x1400_0000 + i * 8 + 3));
        assert!(!listed(0x1400_0000 + i * 8 + 4));
    }
}

#[test]
fn a_bad_line_is_reported_with_its_file_and_line_number() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        ("192.0.2.1\n# fine so far\n\n1.2.3.999\n", 4, "1.2.3.999"),
        ("192.0.2.0/33\n", 1, "192.0.2.0/33"),
        ("192.0.2.1\nexit-node.example.org # not an address\n", 2, "exit-node.example.org"),
        ("192.0.2.1 192.0.2.2\n", 1, "192.0.2.1 192.0.2.2"),
    ];
    for (text, line, entry) in cases {
        write(dir.path(), "tor.txt", text);
        let settings = EnrichmentSettings { lists: vec![list("tor.txt", "tor")], ..EnrichmentSettings::default() };
        let message = load_error(&settings, dir.path());
        let file = dir.path().join("tor.txt");
        assert_eq!(message, format!("{} line {line}: `{entry}` is neither an IP nor a CIDR", file.display()));
    }
}

#[test]
fn a_missing_list_is_reported_with_its_setting_and_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "tor.txt", "192.0.2.1\n");
    let settings = EnrichmentSettings {
        lists: vec![list("tor.txt", "tor"), list("feeds/vpn.txt", "vpn")],
        ..EnrichmentSettings::default()
    };
    let message = load_error(&settings, dir.path());
    let expected_path = dir.path().join("feeds/vpn.txt");
    assert!(message.starts_with("enrichment.lists[1].path: "), "{message}");
    assert!(message.contains(&format!("`{}` does not exist", expected_path.display())), "{message}");
}

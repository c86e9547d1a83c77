use saaswarden_core::enrich::Enricher;
use saaswarden_core::testing::{activity, t0};
use saaswarden_core::{Activity, Geo};

use crate::support::{all_databases, load};

fn sign_in_from(ip: &str) -> Activity {
    activity("1", "ana@example.com", t0()).with_ip(ip)
}

#[test]
fn enrich_sets_geo_tags_and_network_owner_from_the_ip() {
    let intel = load(&all_databases());
    let mut signed_in = sign_in_from("1.128.0.1");
    intel.enrich(&mut signed_in);
    assert_eq!(signed_in.asn_org.as_deref(), Some("Telstra Pty Ltd"));

    let mut via_tor = sign_in_from("81.2.69.142");
    intel.enrich(&mut via_tor);
    assert_eq!(via_tor.country(), Some("GB"));
    assert!(via_tor.has_ip_tag("tor") && via_tor.has_ip_tag("anonymous"));
    assert_eq!(via_tor.geo.as_ref().and_then(|g| g.city.as_deref()), Some("London"));
}

#[test]
fn enrich_leaves_an_activity_without_ip_as_it_was() {
    let intel = load(&all_databases());
    let mut no_ip = activity("1", "ana@example.com", t0()).with_geo("FR", 48.85, 2.35);
    no_ip.ip_tags = vec!["corporate".to_string()];
    let before = no_ip.clone();
    intel.enrich(&mut no_ip);
    assert_eq!(no_ip, before);
}

#[test]
fn enrich_keeps_what_is_already_known_when_nothing_is_known_about_the_ip() {
    let intel = load(&all_databases());
    let mut unknown = sign_in_from("10.1.2.3").with_geo("FR", 48.85, 2.35);
    unknown.asn_org = Some("Example Transit".to_string());
    let before = unknown.clone();
    intel.enrich(&mut unknown);
    assert_eq!(unknown, before);
}

#[test]
fn enrich_replaces_each_field_the_ip_has_a_value_for_and_keeps_the_others() {
    let intel = load(&all_databases());
    let mut replayed = sign_in_from("175.16.199.5").with_geo("FR", 48.85, 2.35);
    replayed.ip_tags = vec!["stale".to_string()];
    intel.enrich(&mut replayed);
    assert_eq!(
        replayed.geo,
        Some(Geo {
            country: "CN".to_string(),
            city: Some("Changchun".to_string()),
            latitude: 43.88,
            longitude: 125.3228,
            accuracy_km: 100.0
        })
    );
    // Nothing tags this IP: the earlier tags stay.
    assert_eq!(replayed.ip_tags, ["stale"]);
}

use saaswarden_core::config::EnrichmentSettings;

use crate::support::{ASN_DB, load, lookup};

#[test]
fn asn_database_names_the_network_owner() {
    let intel = load(&EnrichmentSettings { asn_db: ASN_DB.into(), ..EnrichmentSettings::default() });
    let cases = [
        ("1.128.0.1", Some(1221), Some("Telstra Pty Ltd")),
        ("18.1.2.3", Some(3), Some("Massachusetts Institute of Technology")),
        ("2a02:a200::1", Some(6830), Some("Liberty Global Operations B.V.")),
        ("::ffff:1.128.0.1", Some(1221), Some("Telstra Pty Ltd")),
        // Some networks have a number and no organisation name.
        ("12.81.96.1", Some(7018), None),
        ("10.0.0.1", None, None),
    ];
    for (ip, asn, org) in cases {
        let facts = lookup(&intel, ip);
        assert_eq!(facts.asn, asn, "{ip}");
        assert_eq!(facts.asn_org.as_deref(), org, "{ip}");
    }
}

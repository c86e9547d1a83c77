//! Normalization both apps share: emails and IP addresses.

use std::net::{IpAddr, SocketAddr};

/// The email as the join key across apps and the identity provider: trimmed and lower-cased.
pub(crate) fn email(raw: Option<&str>) -> Option<String> {
    let trimmed = raw?.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_lowercase())
}

/// The client IP of an entry. An address that does not parse is dropped, not an error: the activity is
/// still worth keeping, it just cannot be located.
pub(crate) fn ip(raw: Option<&str>, entry_id: &str) -> Option<IpAddr> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    let parsed = raw
        .parse::<IpAddr>()
        .ok()
        // Collectors and proxies sometimes pass `host:port` or a bracketed IPv6 address on.
        .or_else(|| raw.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| raw.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
        // An IPv4 client seen through a dual-stack listener (`::ffff:1.2.3.4`) must geolocate as IPv4.
        .map(|ip: IpAddr| ip.to_canonical());
    if parsed.is_none() {
        tracing::debug!(entry_id, ip_address = raw, "ignoring an IP address that does not parse");
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(email(Some("  Bird@Slack.COM ")).as_deref(), Some("bird@slack.com"));
        assert_eq!(email(Some("   ")), None);
        assert_eq!(email(None), None);
    }

    #[test]
    fn ip_addresses_parse_in_the_shapes_collectors_send() {
        let cases = [
            ("1.23.45.67", Some("1.23.45.67")),
            (" 216.160.83.56 ", Some("216.160.83.56")),
            ("2001:db8::1", Some("2001:db8::1")),
            ("[2001:db8::1]", Some("2001:db8::1")),
            ("[2001:db8::1]:443", Some("2001:db8::1")),
            ("89.160.20.112:51234", Some("89.160.20.112")),
            ("::ffff:175.16.199.7", Some("175.16.199.7")),
            ("", None),
            ("unknown", None),
            ("999.1.1.1", None),
        ];
        for (raw, expected) in cases {
            let got = ip(Some(raw), "test").map(|ip| ip.to_string());
            assert_eq!(got.as_deref(), expected, "{raw:?}");
        }
    }
}

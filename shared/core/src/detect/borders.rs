//! Which countries border each other: the impossible-travel detection does not alert for travel
//! between the same or bordering countries, as Microsoft Defender for Cloud Apps does not.
//!
//! # Source of truth
//!
//! The `BORDERS` table lists land borders between countries and territories, keyed by ISO 3166-1
//! alpha-2 code, as the standard references give them: the CIA World Factbook's "land
//! boundaries" and Wikipedia's "List of countries and territories by land borders". It was
//! cross-checked pair by pair against GeoDataSource's country-borders table
//! (<https://github.com/geodatasource/country-borders>), which agrees except for Kosovo, Hans
//! Island and the additions below. Borders through lakes and rivers (DRC–Tanzania on Lake
//! Tanganyika) count as land borders, and so do Ceuta and Melilla (Spain–Morocco); sea borders do
//! not.
//!
//! Territories with their own code and a land border are listed under that code: Hong Kong (HK)
//! and Macau (MO) with China, Gibraltar (GI) with Spain, French Guiana (GF) with Brazil and
//! Suriname, Saint Martin (MF) with Sint Maarten (SX), Greenland (GL) with Canada (Hans Island,
//! since 2022), Palestine (PS) with Israel, Jordan and Egypt, Western Sahara (EH) with Morocco,
//! Algeria and Mauritania, and Kosovo (XK, the user-assigned code geolocation databases use) with
//! its four neighbours. The parent state is not paired with the territory's neighbours:
//! France–Brazil, France–Netherlands and Denmark–Canada are not borders here, so Paris then
//! Brasília is not excused.
//! Left out on purpose: United Kingdom–Cyprus (the Akrotiri and Dhekelia bases, which geolocation
//! reports as Cyprus) and United States–Cuba (Guantánamo Bay).
//!
//! # Additions beyond land borders
//!
//! These pairs have no land border but are deliberately included, each marked in the table:
//!
//! - Fixed road or rail links, crossed daily by car or train: France–United Kingdom (Channel
//!   Tunnel), Denmark–Sweden (Øresund Bridge), Malaysia–Singapore (Johor–Singapore Causeway and
//!   Second Link), Bahrain–Saudi Arabia (King Fahd Causeway) and Hong Kong–Macau (Hong
//!   Kong–Zhuhai–Macau Bridge). Ireland–United Kingdom is a land border (Northern Ireland).
//! - Borders that exist de facto when a disputed area is geolocated as the state that administers
//!   or claims it: Albania–Serbia (Kosovo reported as Serbia) and Morocco–Mauritania (Western
//!   Sahara reported as Morocco).
//!
//! Ferry-only routes (Estonia–Finland, Italy–Malta, Indonesia–Singapore, …) are not included: the
//! rule for additions is a fixed link, so the list stays short and explicit.
//!
//! # Extending
//!
//! Add each pair once, the alphabetically smaller code first, at its sorted place: lookups
//! binary-search the table, and the tests fail on an unsorted, reversed or duplicate pair. Mark a
//! pair that is not a land border with a comment saying why, and list it above. Accuracy matters
//! both ways: a wrong pair silences a real alert, a missing one raises a false alert.

use std::cmp::Ordering;

/// Unordered pairs of bordering countries, by ISO 3166-1 alpha-2 code: each pair once, the smaller
/// code first, the whole table sorted.
const BORDERS: &[(&str, &str)] = &[
    ("AD", "ES"),
    ("AD", "FR"),
    ("AE", "OM"),
    ("AE", "SA"),
    ("AF", "CN"),
    ("AF", "IR"),
    ("AF", "PK"),
    ("AF", "TJ"),
    ("AF", "TM"),
    ("AF", "UZ"),
    ("AL", "GR"),
    ("AL", "ME"),
    ("AL", "MK"),
    ("AL", "RS"), // de facto: Kosovo reported as Serbia
    ("AL", "XK"),
    ("AM", "AZ"),
    ("AM", "GE"),
    ("AM", "IR"),
    ("AM", "TR"),
    ("AO", "CD"),
    ("AO", "CG"),
    ("AO", "NA"),
    ("AO", "ZM"),
    ("AR", "BO"),
    ("AR", "BR"),
    ("AR", "CL"),
    ("AR", "PY"),
    ("AR", "UY"),
    ("AT", "CH"),
    ("AT", "CZ"),
    ("AT", "DE"),
    ("AT", "HU"),
    ("AT", "IT"),
    ("AT", "LI"),
    ("AT", "SI"),
    ("AT", "SK"),
    ("AZ", "GE"),
    ("AZ", "IR"),
    ("AZ", "RU"),
    ("AZ", "TR"),
    ("BA", "HR"),
    ("BA", "ME"),
    ("BA", "RS"),
    ("BD", "IN"),
    ("BD", "MM"),
    ("BE", "DE"),
    ("BE", "FR"),
    ("BE", "LU"),
    ("BE", "NL"),
    ("BF", "BJ"),
    ("BF", "CI"),
    ("BF", "GH"),
    ("BF", "ML"),
    ("BF", "NE"),
    ("BF", "TG"),
    ("BG", "GR"),
    ("BG", "MK"),
    ("BG", "RO"),
    ("BG", "RS"),
    ("BG", "TR"),
    ("BH", "SA"), // fixed link: King Fahd Causeway
    ("BI", "CD"),
    ("BI", "RW"),
    ("BI", "TZ"),
    ("BJ", "NE"),
    ("BJ", "NG"),
    ("BJ", "TG"),
    ("BN", "MY"),
    ("BO", "BR"),
    ("BO", "CL"),
    ("BO", "PE"),
    ("BO", "PY"),
    ("BR", "CO"),
    ("BR", "GF"),
    ("BR", "GY"),
    ("BR", "PE"),
    ("BR", "PY"),
    ("BR", "SR"),
    ("BR", "UY"),
    ("BR", "VE"),
    ("BT", "CN"),
    ("BT", "IN"),
    ("BW", "NA"),
    ("BW", "ZA"),
    ("BW", "ZM"),
    ("BW", "ZW"),
    ("BY", "LT"),
    ("BY", "LV"),
    ("BY", "PL"),
    ("BY", "RU"),
    ("BY", "UA"),
    ("BZ", "GT"),
    ("BZ", "MX"),
    ("CA", "GL"), // Hans Island (Greenland), since 2022
    ("CA", "US"),
    ("CD", "CF"),
    ("CD", "CG"),
    ("CD", "RW"),
    ("CD", "SS"),
    ("CD", "TZ"),
    ("CD", "UG"),
    ("CD", "ZM"),
    ("CF", "CG"),
    ("CF", "CM"),
    ("CF", "SD"),
    ("CF", "SS"),
    ("CF", "TD"),
    ("CG", "CM"),
    ("CG", "GA"),
    ("CH", "DE"),
    ("CH", "FR"),
    ("CH", "IT"),
    ("CH", "LI"),
    ("CI", "GH"),
    ("CI", "GN"),
    ("CI", "LR"),
    ("CI", "ML"),
    ("CL", "PE"),
    ("CM", "GA"),
    ("CM", "GQ"),
    ("CM", "NG"),
    ("CM", "TD"),
    ("CN", "HK"),
    ("CN", "IN"),
    ("CN", "KG"),
    ("CN", "KP"),
    ("CN", "KZ"),
    ("CN", "LA"),
    ("CN", "MM"),
    ("CN", "MN"),
    ("CN", "MO"),
    ("CN", "NP"),
    ("CN", "PK"),
    ("CN", "RU"),
    ("CN", "TJ"),
    ("CN", "VN"),
    ("CO", "EC"),
    ("CO", "PA"),
    ("CO", "PE"),
    ("CO", "VE"),
    ("CR", "NI"),
    ("CR", "PA"),
    ("CZ", "DE"),
    ("CZ", "PL"),
    ("CZ", "SK"),
    ("DE", "DK"),
    ("DE", "FR"),
    ("DE", "LU"),
    ("DE", "NL"),
    ("DE", "PL"),
    ("DJ", "ER"),
    ("DJ", "ET"),
    ("DJ", "SO"),
    ("DK", "SE"), // fixed link: Øresund Bridge
    ("DO", "HT"),
    ("DZ", "EH"),
    ("DZ", "LY"),
    ("DZ", "MA"),
    ("DZ", "ML"),
    ("DZ", "MR"),
    ("DZ", "NE"),
    ("DZ", "TN"),
    ("EC", "PE"),
    ("EE", "LV"),
    ("EE", "RU"),
    ("EG", "IL"),
    ("EG", "LY"),
    ("EG", "PS"),
    ("EG", "SD"),
    ("EH", "MA"),
    ("EH", "MR"),
    ("ER", "ET"),
    ("ER", "SD"),
    ("ES", "FR"),
    ("ES", "GI"),
    ("ES", "MA"),
    ("ES", "PT"),
    ("ET", "KE"),
    ("ET", "SD"),
    ("ET", "SO"),
    ("ET", "SS"),
    ("FI", "NO"),
    ("FI", "RU"),
    ("FI", "SE"),
    ("FR", "GB"), // fixed link: Channel Tunnel
    ("FR", "IT"),
    ("FR", "LU"),
    ("FR", "MC"),
    ("GA", "GQ"),
    ("GB", "IE"),
    ("GE", "RU"),
    ("GE", "TR"),
    ("GF", "SR"),
    ("GH", "TG"),
    ("GM", "SN"),
    ("GN", "GW"),
    ("GN", "LR"),
    ("GN", "ML"),
    ("GN", "SL"),
    ("GN", "SN"),
    ("GR", "MK"),
    ("GR", "TR"),
    ("GT", "HN"),
    ("GT", "MX"),
    ("GT", "SV"),
    ("GW", "SN"),
    ("GY", "SR"),
    ("GY", "VE"),
    ("HK", "MO"), // fixed link: Hong Kong–Zhuhai–Macau Bridge
    ("HN", "NI"),
    ("HN", "SV"),
    ("HR", "HU"),
    ("HR", "ME"),
    ("HR", "RS"),
    ("HR", "SI"),
    ("HU", "RO"),
    ("HU", "RS"),
    ("HU", "SI"),
    ("HU", "SK"),
    ("HU", "UA"),
    ("ID", "MY"),
    ("ID", "PG"),
    ("ID", "TL"),
    ("IL", "JO"),
    ("IL", "LB"),
    ("IL", "PS"),
    ("IL", "SY"),
    ("IN", "MM"),
    ("IN", "NP"),
    ("IN", "PK"),
    ("IQ", "IR"),
    ("IQ", "JO"),
    ("IQ", "KW"),
    ("IQ", "SA"),
    ("IQ", "SY"),
    ("IQ", "TR"),
    ("IR", "PK"),
    ("IR", "TM"),
    ("IR", "TR"),
    ("IT", "SI"),
    ("IT", "SM"),
    ("IT", "VA"),
    ("JO", "PS"),
    ("JO", "SA"),
    ("JO", "SY"),
    ("KE", "SO"),
    ("KE", "SS"),
    ("KE", "TZ"),
    ("KE", "UG"),
    ("KG", "KZ"),
    ("KG", "TJ"),
    ("KG", "UZ"),
    ("KH", "LA"),
    ("KH", "TH"),
    ("KH", "VN"),
    ("KP", "KR"),
    ("KP", "RU"),
    ("KW", "SA"),
    ("KZ", "RU"),
    ("KZ", "TM"),
    ("KZ", "UZ"),
    ("LA", "MM"),
    ("LA", "TH"),
    ("LA", "VN"),
    ("LB", "SY"),
    ("LR", "SL"),
    ("LS", "ZA"),
    ("LT", "LV"),
    ("LT", "PL"),
    ("LT", "RU"),
    ("LV", "RU"),
    ("LY", "NE"),
    ("LY", "SD"),
    ("LY", "TD"),
    ("LY", "TN"),
    ("MA", "MR"), // de facto: Western Sahara reported as Morocco
    ("MD", "RO"),
    ("MD", "UA"),
    ("ME", "RS"),
    ("ME", "XK"),
    ("MF", "SX"),
    ("MK", "RS"),
    ("MK", "XK"),
    ("ML", "MR"),
    ("ML", "NE"),
    ("ML", "SN"),
    ("MM", "TH"),
    ("MN", "RU"),
    ("MR", "SN"),
    ("MW", "MZ"),
    ("MW", "TZ"),
    ("MW", "ZM"),
    ("MX", "US"),
    ("MY", "SG"), // fixed link: Johor–Singapore Causeway
    ("MY", "TH"),
    ("MZ", "SZ"),
    ("MZ", "TZ"),
    ("MZ", "ZA"),
    ("MZ", "ZM"),
    ("MZ", "ZW"),
    ("NA", "ZA"),
    ("NA", "ZM"),
    ("NE", "NG"),
    ("NE", "TD"),
    ("NG", "TD"),
    ("NO", "RU"),
    ("NO", "SE"),
    ("OM", "SA"),
    ("OM", "YE"),
    ("PL", "RU"),
    ("PL", "SK"),
    ("PL", "UA"),
    ("QA", "SA"),
    ("RO", "RS"),
    ("RO", "UA"),
    ("RS", "XK"),
    ("RU", "UA"),
    ("RW", "TZ"),
    ("RW", "UG"),
    ("SA", "YE"),
    ("SD", "SS"),
    ("SD", "TD"),
    ("SK", "UA"),
    ("SS", "UG"),
    ("SY", "TR"),
    ("SZ", "ZA"),
    ("TJ", "UZ"),
    ("TM", "UZ"),
    ("TZ", "UG"),
    ("TZ", "ZM"),
    ("ZA", "ZW"),
    ("ZM", "ZW"),
];

/// Whether countries `a` and `b` (ISO 3166-1 alpha-2 codes, any ASCII case, either order) border
/// each other.
///
/// False for the same country twice (the caller handles that case itself) and for anything that is
/// not a two-letter code.
pub fn bordering(a: &str, b: &str) -> bool {
    let (Some(a), Some(b)) = (code(a), code(b)) else {
        return false;
    };
    let (first, second) = match a.cmp(&b) {
        Ordering::Less => (a, b),
        Ordering::Greater => (b, a),
        Ordering::Equal => return false,
    };
    let key: (&[u8], &[u8]) = (&first, &second);
    let found = BORDERS.binary_search_by(|&(x, y)| (x.as_bytes(), y.as_bytes()).cmp(&key));
    found.is_ok()
}

/// `code` in upper case, if it is two ASCII letters.
fn code(code: &str) -> Option<[u8; 2]> {
    match *code.as_bytes() {
        [x, y] if x.is_ascii_alphabetic() && y.is_ascii_alphabetic() => {
            Some([x.to_ascii_uppercase(), y.to_ascii_uppercase()])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_code(code: &str) -> bool {
        code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
    }

    #[test]
    fn the_table_is_sorted_ordered_and_without_duplicates() {
        let count = BORDERS.len();
        assert!(count > 300, "the table lost pairs: {count}");
        for &(x, y) in BORDERS {
            assert!(is_code(x), "not two upper-case letters: {x}");
            assert!(is_code(y), "not two upper-case letters: {y}");
            assert!(x < y, "write the smaller code first: {x}–{y}");
        }
        for pair in BORDERS.windows(2) {
            let (p, q) = (pair[0], pair[1]);
            assert!(p < q, "out of order or duplicate: {p:?} then {q:?}");
        }
    }

    #[test]
    fn known_neighbours_and_strangers() {
        let cases = [
            // Land borders, in either order and any case.
            ("US", "CA", true),
            ("CA", "US", true),
            ("mx", "us", true),
            ("Fr", "eS", true),
            ("DE", "PL", true),
            ("SE", "NO", true),
            ("NO", "RU", true),
            ("CN", "IN", true),
            ("IN", "BD", true),
            ("BR", "AR", true),
            ("ZA", "BW", true),
            ("EG", "LY", true),
            ("KR", "KP", true),
            ("GB", "IE", true),
            ("ES", "PT", true),
            ("AT", "CH", true),
            ("IT", "SI", true),
            ("TH", "MY", true),
            ("VN", "LA", true),
            ("RU", "KZ", true),
            ("FI", "RU", true),
            ("NA", "ZA", true),
            ("ES", "MA", true),
            // Territories under their own codes.
            ("HK", "CN", true),
            ("MO", "CN", true),
            ("GI", "ES", true),
            ("VA", "IT", true),
            ("SM", "IT", true),
            ("MC", "FR", true),
            ("AD", "ES", true),
            ("AD", "FR", true),
            ("LI", "CH", true),
            ("LI", "AT", true),
            ("GF", "BR", true),
            ("SX", "MF", true),
            ("XK", "RS", true),
            ("PS", "IL", true),
            ("CA", "GL", true),
            // Deliberate additions: fixed links and de facto borders.
            ("FR", "GB", true),
            ("DK", "SE", true),
            ("SG", "MY", true),
            ("BH", "SA", true),
            ("HK", "MO", true),
            ("AL", "RS", true),
            ("MA", "MR", true),
            // Strangers.
            ("US", "CN", false),
            ("GB", "US", false),
            ("SE", "US", false),
            ("AU", "NZ", false),
            ("JP", "KR", false),
            ("BT", "US", false),
            ("PH", "CN", false),
            ("CN", "TW", false),
            ("SG", "ID", false),
            ("EE", "FI", false),
            ("FR", "BR", false),
            ("DK", "CA", false),
            ("GB", "CY", false),
            ("US", "CU", false),
            ("US", "RU", false),
            // The same country twice: the caller handles it.
            ("US", "US", false),
            ("us", "US", false),
            // Not two-letter codes.
            ("", "US", false),
            ("USA", "CAN", false),
            ("U", "C", false),
            ("US ", "CA", false),
            ("ÜS", "CA", false),
            ("1A", "CA", false),
        ];
        for (a, b, expected) in cases {
            assert_eq!(bordering(a, b), expected, "{a}–{b}");
        }
    }

    #[test]
    fn lookups_agree_both_ways_for_every_pair() {
        for &(x, y) in BORDERS {
            assert!(bordering(x, y), "{x}–{y}");
            assert!(bordering(y, x), "{y}–{x}");
            let (lx, ly) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
            assert!(bordering(&ly, &lx), "{ly}–{lx}");
            assert!(!bordering(x, x), "{x} borders itself");
            assert!(!bordering(y, y), "{y} borders itself");
        }
    }
}

//! Where the simulated tenant's traffic comes from: every address is chosen from MaxMind's published test
//! databases (`GeoIP2-City-Test.mmdb`, `GeoIP2-Anonymous-IP-Test.mmdb`), so the product's real enrichment
//! places it without a commercial database.
//!
//! Benign traffic only ever uses the four IPv4 ranges below that geolocate to a city or country and carry no
//! anonymous tag, three IPv6 ranges for dual-stack homes, and the apps' cloud egress in Milton, US (apps
//! acting for users from their vendors' clouds). `81.2.69.0/24` (London) is never used: the anonymous test
//! database tags all of it.

use std::net::{Ipv4Addr, Ipv6Addr};

/// A CIDR the organisation tags as its corporate VPN egress (`corporate` / `vpn` in the product's
/// configuration). It geolocates to the US (no city, 1000 km accuracy) and is used by many US users.
pub const CORPORATE_VPN_RANGE: &str = "149.101.100.0/28";

/// The threat-intelligence list the demo ships, for `suspicious_ip`: one IP or CIDR per line, `#` comments.
/// Every entry geolocates in the City test database (BT, US and SG), so a hit also has a place.
pub const DEMO_THREAT_LIST: &str = "\
# saaswarden demo threat-intelligence list: one IP or CIDR per line; '#' starts a comment.
# botnet C&C (demo)
67.43.156.0/24
# password-spray source (demo)
216.160.83.61
# credential-stuffing proxy (demo)
214.0.0.77
";

/// A home country of the simulated staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Country {
    Us,
    Se,
    Gb,
}

impl Country {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Country::Us => "US",
            Country::Se => "SE",
            Country::Gb => "GB",
        }
    }

    /// Hours east of UTC. Fixed offsets (summer time of the default October start) keep working hours
    /// plausible without a time-zone database; a day shifted by one hour in November changes nothing a
    /// detection looks at.
    pub(crate) fn utc_offset_hours(self) -> i64 {
        match self {
            Country::Us => -7,
            Country::Se => 2,
            Country::Gb => 1,
        }
    }

    /// Shared office egress addresses (many users each).
    pub(crate) fn office(self) -> Pool {
        match self {
            // San Diego, 214.78.120.0/22
            Country::Us => Pool::new([214, 78, 120, 10], [214, 78, 120, 25]),
            // Linköping, 89.160.20.128/25
            Country::Se => Pool::new([89, 160, 20, 130], [89, 160, 20, 137]),
            // Boxford, 2.125.160.216/29: the whole /29 holds six usable addresses, so both pools are small
            Country::Gb => Pool::new([2, 125, 160, 217], [2, 125, 160, 218]),
        }
    }

    /// Home broadband addresses, one per user while the pool lasts (the GB pool is shared by a few).
    pub(crate) fn home(self) -> Pool {
        match self {
            Country::Us => Pool::new([214, 78, 121, 1], [214, 78, 123, 254]),
            Country::Se => Pool::new([89, 160, 20, 140], [89, 160, 20, 254]),
            Country::Gb => Pool::new([2, 125, 160, 219], [2, 125, 160, 222]),
        }
    }
}

impl Country {
    /// A dual-stack home's IPv6 address, in its own /64 (`i` below 65,536): San Diego's 2001:480:10::/48
    /// (20 km accuracy) for the US; Sweden's 2a02:d040::/29 and Britain's 2a02:d3c0::/29, which the test
    /// database places at the country's centre with 100 km accuracy (a few hundred km from the offices).
    pub(crate) fn home6(self, i: usize) -> Ipv6Addr {
        let subnet = (i % 65_536) as u16;
        match self {
            Country::Us => Ipv6Addr::new(0x2001, 0x480, 0x10, subnet, 0, 0, 0, 1),
            Country::Se => Ipv6Addr::new(0x2a02, 0xd040, 0, subnet, 0, 0, 0, 1),
            Country::Gb => Ipv6Addr::new(0x2a02, 0xd3c0, 0, subnet, 0, 0, 0, 1),
        }
    }
}

/// The IPv6 networks [`Country::home6`] draws from.
pub const HOME_IPV6_RANGES: [&str; 3] = ["2001:480:10::/48", "2a02:d040::/29", "2a02:d3c0::/29"];

/// Where each integration's vendor cloud acts from (Milton, US, 216.160.83.56/29, by app index; .61 is the
/// threat list's): an app acting for a traveller is not where the traveller is.
pub(crate) const APP_EGRESS: [Ipv4Addr; 3] =
    [Ipv4Addr::new(216, 160, 83, 57), Ipv4Addr::new(216, 160, 83, 58), Ipv4Addr::new(216, 160, 83, 59)];

/// A contiguous run of IPv4 addresses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pool {
    first: u32,
    len: u32,
}

impl Pool {
    const fn new(first: [u8; 4], last: [u8; 4]) -> Pool {
        let first = u32::from_be_bytes(first);
        let last = u32::from_be_bytes(last);
        Pool { first, len: last - first + 1 }
    }

    /// The `i`-th address, wrapping around when the pool is smaller than the population.
    pub(crate) fn nth(self, i: usize) -> Ipv4Addr {
        Ipv4Addr::from(self.first + (i % self.len as usize) as u32)
    }

    pub(crate) fn len(self) -> usize {
        self.len as usize
    }

    pub(crate) fn contains(self, ip: Ipv4Addr) -> bool {
        u32::from(ip).wrapping_sub(self.first) < self.len
    }
}

/// The corporate VPN's egress addresses, inside [`CORPORATE_VPN_RANGE`].
pub(crate) const VPN_EGRESS: Pool = Pool::new([149, 101, 100, 1], [149, 101, 100, 14]);

/// Tor exit node (anonymous test database: anonymous, anonymous VPN, Tor exit; no location).
pub(crate) const TOR_EXIT: Ipv4Addr = Ipv4Addr::new(1, 124, 213, 1);
/// Public proxy (anonymous, public proxy; no location).
pub(crate) const PUBLIC_PROXY: Ipv4Addr = Ipv4Addr::new(6, 1, 0, 3);
/// The Philippines, 202.196.224.0/20: a country no one at acme uses.
pub(crate) const PHILIPPINES: Ipv4Addr = Ipv4Addr::new(202, 196, 230, 17);
/// Changchun, CN (175.16.199.0/24): about 10,000 km from San Diego.
pub(crate) const CHANGCHUN: Ipv4Addr = Ipv4Addr::new(175, 16, 199, 87);
/// Bhutan, inside the threat list's botnet C&C range 67.43.156.0/24.
pub(crate) const BOTNET_CC: Ipv4Addr = Ipv4Addr::new(67, 43, 156, 23);
/// Milton (WA), US: a single threat-list address in the victims' own country, so only suspicious_ip fires.
pub(crate) const PASSWORD_SPRAY: Ipv4Addr = Ipv4Addr::new(216, 160, 83, 61);
/// Melbourne, AU (214.0.1.0/24): the source of the failed sign-in burst.
pub(crate) const MELBOURNE: Ipv4Addr = Ipv4Addr::new(214, 0, 1, 40);

#[cfg(test)]
mod tests {
    use super::*;

    fn within(ip: Ipv4Addr, cidr: &str) -> bool {
        let (net, bits) = cidr.split_once('/').expect("cidr");
        let net = u32::from(net.parse::<Ipv4Addr>().expect("network"));
        let bits: u32 = bits.parse().expect("prefix");
        let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
        u32::from(ip) & mask == net & mask
    }

    fn all(pool: Pool) -> impl Iterator<Item = Ipv4Addr> {
        (0..pool.len()).map(move |i| pool.nth(i))
    }

    #[test]
    fn pools_stay_inside_the_geolocating_test_ranges() {
        let cases =
            [(Country::Us, "214.78.120.0/22"), (Country::Se, "89.160.20.128/25"), (Country::Gb, "2.125.160.216/29")];
        for (country, cidr) in cases {
            for ip in all(country.office()).chain(all(country.home())) {
                assert!(within(ip, cidr), "{ip} of {country:?} is outside {cidr}");
            }
        }
        for ip in all(VPN_EGRESS) {
            assert!(within(ip, CORPORATE_VPN_RANGE), "{ip} is outside the VPN range");
        }
        for ip in APP_EGRESS {
            assert!(within(ip, "216.160.83.56/29") && ip != PASSWORD_SPRAY, "{ip}");
        }
        // Each home its own /64, inside its country's range.
        for (country, prefix) in [
            (Country::Us, [0x2001, 0x480, 0x10]),
            (Country::Se, [0x2a02, 0xd040, 0]),
            (Country::Gb, [0x2a02, 0xd3c0, 0]),
        ] {
            let a = country.home6(7).segments();
            let b = country.home6(8).segments();
            assert_eq!((&a[..3], &b[..3]), (&prefix[..], &prefix[..]), "{country:?}");
            assert_ne!(a[3], b[3], "distinct /64s");
        }
    }

    #[test]
    fn threat_list_names_the_suspicious_addresses_and_not_the_others() {
        let listed: Vec<&str> =
            DEMO_THREAT_LIST.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
        let hit =
            |ip: Ipv4Addr| listed.iter().any(|l| if l.contains('/') { within(ip, l) } else { l.parse() == Ok(ip) });
        assert!(hit(BOTNET_CC) && hit(PASSWORD_SPRAY));
        for ip in
            [TOR_EXIT, PUBLIC_PROXY, PHILIPPINES, CHANGCHUN, MELBOURNE, APP_EGRESS[0], APP_EGRESS[1], APP_EGRESS[2]]
        {
            assert!(!hit(ip), "{ip} should not be on the threat list");
        }
    }

    #[test]
    fn wrapping_reuses_addresses_instead_of_leaving_the_pool() {
        let pool = Country::Gb.home();
        assert_eq!(pool.nth(0), pool.nth(pool.len()));
    }
}

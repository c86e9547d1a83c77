//! Plain-text IP lists (threat feeds, Tor exit lists, VPN egress lists) and the organisation's own named
//! ranges, both matched through [`RangeSet`]: sorted, merged address intervals searched by bisection, so a
//! lookup costs O(log n) however long the list.

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::{IpNet, Ipv4Net};
use saaswarden_core::config::{IpList, NamedRange};

use crate::database::read_source;
use crate::error::EnrichError;

/// A set of addresses as disjoint, sorted `[first, last]` intervals, IPv4 and IPv6 apart.
#[derive(Default, Clone, PartialEq, Eq)]
pub(crate) struct RangeSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl fmt::Debug for RangeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RangeSet({} IPv4 and {} IPv6 intervals)", self.v4.len(), self.v6.len())
    }
}

impl RangeSet {
    pub(crate) fn new(networks: impl IntoIterator<Item = IpNet>) -> RangeSet {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for network in networks {
            match canonical_network(network) {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.broadcast()))),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.broadcast()))),
            }
        }
        RangeSet { v4: merged(v4), v6: merged(v6) }
    }

    /// Whether `ip` is in the set. `ip` must already be canonical (see [`crate::intel`]): an IPv4-mapped
    /// IPv6 address is looked up as the IPv4 address it maps.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => interval_contains(&self.v4, u32::from(a)),
            IpAddr::V6(a) => interval_contains(&self.v6, u128::from(a)),
        }
    }
}

/// Sorts intervals and merges the overlapping ones, so that at most one can hold a given address.
fn merged<T: Ord + Copy>(mut intervals: Vec<(T, T)>) -> Vec<(T, T)> {
    intervals.sort_unstable();
    let mut out: Vec<(T, T)> = Vec::with_capacity(intervals.len());
    for (first, last) in intervals {
        match out.last_mut() {
            Some(previous) if first <= previous.1 => previous.1 = previous.1.max(last),
            _ => out.push((first, last)),
        }
    }
    out.shrink_to_fit();
    out
}

fn interval_contains<T: Ord + Copy>(intervals: &[(T, T)], address: T) -> bool {
    let after = intervals.partition_point(|(first, _)| *first <= address);
    after.checked_sub(1).and_then(|i| intervals.get(i)).is_some_and(|(_, last)| address <= *last)
}

/// `::ffff:a.b.c.d/n` (n ≥ 96) is the IPv4 network `a.b.c.d/(n-96)`: lists and ranges match the way
/// lookups do.
fn canonical_network(network: IpNet) -> IpNet {
    if let IpNet::V6(n) = network
        && n.prefix_len() >= 96
        && let Some(v4) = n.network().to_ipv4_mapped()
        && let Ok(v4) = Ipv4Net::new(v4, n.prefix_len() - 96)
    {
        return IpNet::V4(v4);
    }
    network
}

/// Parses a list: one IP or CIDR a line, `#` starts a comment (whole-line or trailing), blank lines are
/// skipped. A CIDR with host bits set (`10.1.2.3/8`) means its whole network.
fn parse_networks(text: &str, path: &Path) -> Result<Vec<IpNet>, EnrichError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut networks = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let entry = line.split_once('#').map_or(line, |(before, _)| before).trim();
        if entry.is_empty() {
            continue;
        }
        let network =
            entry.parse::<IpNet>().map(|n| n.trunc()).or_else(|_| entry.parse::<IpAddr>().map(IpNet::from)).map_err(
                |_| EnrichError::BadListLine { path: path.to_path_buf(), line: index + 1, text: entry.to_string() },
            )?;
        networks.push(network);
    }
    Ok(networks)
}

/// An IP list and the tag it gives to the IPs it lists.
#[derive(Debug)]
pub(crate) struct TaggedList {
    pub(crate) tag: String,
    path: PathBuf,
    ranges: RangeSet,
}

impl TaggedList {
    /// Reads `enrichment.lists[index]`, its path resolved against `base_dir`.
    pub(crate) fn load(index: usize, list: &IpList, base_dir: &Path) -> Result<TaggedList, EnrichError> {
        let setting = format!("enrichment.lists[{index}].path");
        let path = base_dir.join(&list.path);
        let ranges = RangeSet::new(read_list(&setting, &path, &list.tag)?);
        Ok(TaggedList { tag: list.tag.clone(), path, ranges })
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        self.ranges.contains(ip)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// Reads and parses a list file for `setting`: errors name the setting, the file and the line.
fn read_list(setting: &str, path: &Path, tag: &str) -> Result<Vec<IpNet>, EnrichError> {
    let bytes = read_source(setting, path)?;
    let text = String::from_utf8(bytes).map_err(|e| EnrichError::Unreadable {
        setting: setting.to_string(),
        path: path.to_path_buf(),
        source: io::Error::new(io::ErrorKind::InvalidData, format!("not UTF-8 text: {e}")),
    })?;
    let networks = parse_networks(&text, path)?;
    tracing::info!(setting, path = %path.display(), tag, networks = networks.len(), "IP list loaded");
    Ok(networks)
}

/// One of the organisation's named ranges (`corporate`, `corporate_vpn`, …).
#[derive(Debug)]
pub(crate) struct OrgRange {
    pub(crate) tag: String,
    ranges: RangeSet,
}

impl OrgRange {
    /// `enrichment.ranges[index]`: its inline `cidrs` and the networks of its `path` (resolved against
    /// `base_dir`), if any.
    pub(crate) fn load(index: usize, range: &NamedRange, base_dir: &Path) -> Result<OrgRange, EnrichError> {
        let mut networks: Vec<IpNet> = range.cidrs.clone();
        if let Some(path) = &range.path {
            networks.extend(read_list(&format!("enrichment.ranges[{index}].path"), &base_dir.join(path), &range.tag)?);
        }
        Ok(OrgRange { tag: range.tag.clone(), ranges: RangeSet::new(networks) })
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        self.ranges.contains(ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str) -> RangeSet {
        parse_networks(text, Path::new("list.txt")).map(RangeSet::new).expect("list parses")
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test IP parses")
    }

    #[test]
    fn overlapping_and_nested_networks_merge_into_disjoint_intervals() {
        let ranges = set("10.0.0.0/8\n10.1.0.0/16\n10.255.255.255\n11.0.0.0/24\n10.128.0.0/9\n");
        assert_eq!(ranges.v4, vec![(0x0a00_0000, 0x0aff_ffff), (0x0b00_0000, 0x0b00_00ff)]);
    }

    #[test]
    fn membership_holds_at_interval_edges_and_not_beside_them() {
        let ranges = set("192.0.2.16/28\n198.51.100.7\n2001:db8::/126\n");
        let cases = [
            ("192.0.2.15", false),
            ("192.0.2.16", true),
            ("192.0.2.31", true),
            ("192.0.2.32", false),
            ("198.51.100.6", false),
            ("198.51.100.7", true),
            ("198.51.100.8", false),
            ("0.0.0.0", false),
            ("255.255.255.255", false),
            ("2001:db8::3", true),
            ("2001:db8::4", false),
            ("::", false),
        ];
        for (address, expected) in cases {
            assert_eq!(ranges.contains(ip(address)), expected, "{address}");
        }
    }

    #[test]
    fn ipv4_mapped_entries_are_stored_as_ipv4() {
        let ranges = set("::ffff:203.0.113.0/120\n::ffff:198.51.100.1\n");
        assert!(ranges.contains(ip("203.0.113.200")));
        assert!(ranges.contains(ip("198.51.100.1")));
        assert!(ranges.v6.is_empty());
    }

    #[test]
    fn a_cidr_with_host_bits_means_its_whole_network() {
        assert!(set("10.1.2.3/8").contains(ip("10.200.0.1")));
    }

    #[test]
    fn a_byte_order_mark_and_crlf_line_ends_are_accepted() {
        let ranges = set("\u{feff}192.0.2.1\r\n192.0.2.2 # second\r\n");
        assert!(ranges.contains(ip("192.0.2.1")));
        assert!(ranges.contains(ip("192.0.2.2")));
    }

    #[test]
    fn an_empty_set_contains_nothing() {
        let ranges = set("# nothing listed yet\n\n");
        assert!(!ranges.contains(ip("192.0.2.1")));
        assert!(!ranges.contains(ip("2001:db8::1")));
    }
}
